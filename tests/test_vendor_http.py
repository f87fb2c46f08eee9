"""The HTTP plumbing every vendor adapter shares: retries that honour Retry-After, a rate
limit, and errors the workflow understands (retryable or final), never a credential."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
import respx

from desk.adapters.http import RateLimit, VendorAuthError, VendorClient, retry_after
from desk.ports import Refused, Unavailable

BASE = "https://api.vendor.test"


def _client(**kw: object) -> tuple[VendorClient, list[float]]:
    slept: list[float] = []
    client = VendorClient(
        vendor="vendor",
        base_url=BASE,
        auth=lambda: {"Authorization": "Bearer s3cr3t-token"},
        sleep=slept.append,
        **kw,  # type: ignore[arg-type]
    )
    return client, slept


@respx.mock
def test_a_429_is_retried_after_the_wait_the_vendor_asks_for() -> None:
    route = respx.get(f"{BASE}/x").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "2"}, text="slow down"),
            httpx.Response(200, json={"ok": True}),
        ]
    )
    client, slept = _client()
    assert client.request("GET", "/x").json() == {"ok": True}
    assert route.call_count == 2 and slept == [2.0]
    assert route.calls[0].request.headers["authorization"] == "Bearer s3cr3t-token"


@respx.mock
def test_5xx_is_retried_with_backoff_then_unavailable_without_the_credential() -> None:
    respx.post(f"{BASE}/refunds").mock(return_value=httpx.Response(503, text="down"))
    client, slept = _client(attempts=3)
    with pytest.raises(Unavailable) as err:
        client.request("POST", "/refunds", json={})
    assert len(slept) == 2 and "503" in str(err.value) and "after 3 attempts" in str(err.value)
    assert "s3cr3t" not in str(err.value)


@respx.mock
def test_a_long_retry_after_is_left_to_the_activitys_retry_policy() -> None:
    respx.get(f"{BASE}/x").mock(return_value=httpx.Response(429, headers={"Retry-After": "3600"}))
    client, slept = _client()
    with pytest.raises(Unavailable, match="asks to wait 3600s"):
        client.request("GET", "/x")
    assert slept == []


@respx.mock
def test_a_final_4xx_is_refused_and_auth_errors_are_named() -> None:
    respx.post(f"{BASE}/a").mock(return_value=httpx.Response(400, json={"error": "bad amount"}))
    respx.post(f"{BASE}/b").mock(return_value=httpx.Response(401, text="invalid api key"))
    respx.get(f"{BASE}/c").mock(return_value=httpx.Response(404, text="no such order"))
    client, slept = _client()
    with pytest.raises(Refused, match="bad amount"):
        client.request("POST", "/a")
    with pytest.raises(VendorAuthError):
        client.request("POST", "/b")
    assert client.request("GET", "/c", expect=[404]).status_code == 404  # the adapter reads it
    assert slept == []


@respx.mock
def test_timeouts_and_broken_connections_are_retried() -> None:
    respx.get(f"{BASE}/x").mock(
        side_effect=[
            httpx.ConnectTimeout("slow"),
            httpx.ConnectError("refused"),
            httpx.Response(200),
        ]
    )
    client, slept = _client()
    assert client.request("GET", "/x").status_code == 200 and len(slept) == 2


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert retry_after(httpx.Response(429, headers={"Retry-After": "7"}), now) == 7.0
    date = "Mon, 30 Nov 2026 12:00:30 GMT"
    assert retry_after(httpx.Response(503, headers={"Retry-After": date}), now) == 30.0
    assert retry_after(httpx.Response(503, headers={"Retry-After": "soon"}), now) is None
    assert retry_after(httpx.Response(503), now) is None


def test_the_rate_limit_spaces_requests_beyond_the_burst() -> None:
    limit = RateLimit(per_second=2, burst=2)
    waits = [limit.wait_time() for _ in range(4)]
    assert waits[:2] == [0.0, 0.0]
    assert waits[2] == pytest.approx(0.5, abs=0.05) and waits[3] == pytest.approx(1.0, abs=0.05)
