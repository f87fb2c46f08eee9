"""Replies as Gorgias ticket messages, against respx replaying Gorgias's documented shapes:
the message rules (outgoing: from_agent, sender, receiver; internal notes), one message per
key under retries (no idempotency key on Gorgias's side), its rate limit (40 / 20 s,
Retry-after, X-Gorgias-Account-Api-Call-Limit), 5xx and auth failures."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
import respx

from desk.adapters.helpdesk import GorgiasReplies, GorgiasSettings, MemorySentStore
from desk.adapters.helpdesk.gorgias import body_html
from desk.adapters.http import VendorAuthError
from desk.models import Channel, Reply
from desk.ports import Refused, Unavailable

API = "https://shop.gorgias.com/api"
KEY = "s3cr3t-gorgias-key"
CONTACT = "contact-order-60102"
REF = f"desk:{CONTACT}"
REPLY = Reply(
    channel=Channel.email,
    to="claire@example.com",
    subject="Re: where is my parcel",
    body="Hi Claire,\nUSPS shows it delivered.\n\nWe've opened a trace <today>.",
)


def _adapter(store: MemorySentStore | None = None, **kw: Any) -> tuple[GorgiasReplies, list[float]]:
    values: dict[str, Any] = {
        "domain": "shop",
        "email": "api@shop.example",
        "sender_email": "agent@shop.example",
        "from_addresses": {"email": "support@shop.example"},
    }
    values.update(kw)
    slept: list[float] = []
    settings = GorgiasSettings(api_key=KEY, **values)
    return GorgiasReplies(settings, store, sleep=slept.append), slept


def _ticket(ticket_id: int, external_id: str = REF, **kw: Any) -> dict[str, Any]:
    return {
        "id": ticket_id,
        "uri": f"/api/tickets/{ticket_id}",
        "external_id": external_id,
        "channel": "email",
        "status": "open",
        "customer": {"id": 93, "email": "claire@example.com"},
        "trashed_datetime": None,
        **kw,
    }


def _message(message_id: int, ticket_id: int, marker: str | None = None) -> dict[str, Any]:
    return {
        "id": message_id,
        "uri": f"/api/tickets/{ticket_id}/messages/{message_id}",
        "message_id": "<123345676453.2445.234@web>",
        "ticket_id": ticket_id,
        "external_id": marker,
        "channel": "email",
        "via": "api",
        "from_agent": True,
        "sender": {"id": 5, "email": "agent@shop.example"},
        "body_text": "…",
        "created_datetime": "2025-03-05T18:22:10.468912",
        "sent_datetime": None,
    }


def _page(*data: dict[str, Any], next_cursor: str | None = None, **headers: str) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "object": "list",
            "uri": "/api/messages",
            "data": list(data),
            "meta": {"prev_cursor": None, "next_cursor": next_cursor},
        },
        headers=headers,
    )


def _sent(route: respx.Route, n: int = -1) -> dict[str, Any]:
    return json.loads(route.calls[n].request.content)


def _found_ticket() -> None:
    respx.get(f"{API}/tickets").mock(return_value=_page(_ticket(12)))


# ---------------------------------------------------------------- shapes


@respx.mock
def test_the_first_reply_creates_the_ticket_with_the_reply_as_its_outgoing_message() -> None:
    listed = respx.get(f"{API}/tickets").mock(return_value=_page())
    created = respx.post(f"{API}/tickets").mock(
        return_value=httpx.Response(
            201, json=_ticket(12, messages=[_message(924712, 12, f"desk:{CONTACT}:r1")])
        )
    )
    gorgias, _ = _adapter(integration_ids={"email": 28643})
    assert gorgias.send_reply(CONTACT, REPLY, f"{CONTACT}:r1") == "gorgias:12:924712"

    assert listed.calls[0].request.url.params["external_id"] == REF
    request = created.calls[0].request
    auth = base64.b64decode(request.headers["authorization"].removeprefix("Basic ")).decode()
    assert auth == f"api@shop.example:{KEY}"
    body = _sent(created)
    assert body["external_id"] == REF and body["via"] == "api" and body["channel"] == "email"
    assert body["customer"] == {"email": "claire@example.com"}
    assert body["tags"] == [{"name": "contact-desk"}]
    [message] = body["messages"]
    assert message == {
        "channel": "email",
        "via": "api",
        "from_agent": True,
        "sender": {"email": "agent@shop.example"},
        "receiver": {"email": "claire@example.com"},
        "source": {
            "type": "email",
            "from": {"address": "support@shop.example"},
            "to": [{"address": "claire@example.com"}],
        },
        "body_text": REPLY.body,
        "body_html": "<p>Hi Claire,<br>USPS shows it delivered.</p>"
        "<p>We&#x27;ve opened a trace &lt;today&gt;.</p>",
        "subject": "Re: where is my parcel",
        "external_id": f"desk:{CONTACT}:r1",
        "integration_id": 28643,
    }
    assert "sent_datetime" not in message  # Gorgias sends it; an import would set this


@respx.mock
def test_a_later_reply_is_posted_to_the_tickets_messages() -> None:
    _found_ticket()
    listed = respx.get(f"{API}/messages").mock(return_value=_page(_message(1, 12, "desk:x:r1")))
    posted = respx.post(f"{API}/tickets/12/messages").mock(
        return_value=httpx.Response(201, json=_message(2, 12, f"desk:{CONTACT}:r2"))
    )
    gorgias, _ = _adapter()
    sms = Reply(channel=Channel.sms, to="+15551234567", body="Your refund is on its way.")
    assert gorgias.send_reply(CONTACT, sms, f"{CONTACT}:r2") == "gorgias:12:2"
    params = listed.calls[0].request.url.params
    assert params["ticket_id"] == "12" and params["order_by"] == "created_datetime:desc"
    message = _sent(posted)
    assert message["channel"] == "sms" and message["source"]["to"] == [{"address": "+15551234567"}]
    assert "receiver" not in message and "subject" not in message


def test_the_html_body_is_escaped_text() -> None:
    assert body_html("a & b\n<c>") == "<p>a &amp; b<br>&lt;c&gt;</p>"


@respx.mock
def test_a_channel_without_a_gorgias_channel_is_refused() -> None:
    gorgias, _ = _adapter()
    social = Reply(channel=Channel.social, to="@claire", body="hi")
    with pytest.raises(Refused, match="social"):
        gorgias.send_reply(CONTACT, social, f"{CONTACT}:r1")


# ---------------------------------------------------------------- exactly once


@respx.mock
def test_the_same_key_twice_posts_one_message() -> None:
    _found_ticket()
    respx.get(f"{API}/messages").mock(return_value=_page())
    posted = respx.post(f"{API}/tickets/12/messages").mock(
        return_value=httpx.Response(201, json=_message(2, 12))
    )
    gorgias, _ = _adapter()
    assert gorgias.send_reply(CONTACT, REPLY, "k1") == gorgias.send_reply(CONTACT, REPLY, "k1")
    assert posted.call_count == 1


@respx.mock
def test_a_new_worker_finds_the_message_by_its_external_id_across_pages() -> None:
    _found_ticket()
    pages = respx.get(f"{API}/messages").mock(
        side_effect=[
            _page(_message(3, 12, "desk:other"), next_cursor="cHJldl9fNl9f"),
            _page(_message(2, 12, f"desk:{CONTACT}:r2")),
        ]
    )
    posted = respx.post(f"{API}/tickets/12/messages")
    gorgias, _ = _adapter(store=MemorySentStore())
    assert gorgias.send_reply(CONTACT, REPLY, f"{CONTACT}:r2") == "gorgias:12:2"
    assert posted.call_count == 0 and pages.calls[1].request.url.params["cursor"] == "cHJldl9fNl9f"


@respx.mock
def test_a_message_written_but_its_answer_lost_is_found_not_posted_again() -> None:
    _found_ticket()
    respx.get(f"{API}/messages").mock(
        side_effect=[_page(), _page(_message(2, 12, f"desk:{CONTACT}:r2"))]
    )
    posted = respx.post(f"{API}/tickets/12/messages").mock(
        return_value=httpx.Response(500, json={"error": {"msg": "Internal error"}})
    )
    gorgias, slept = _adapter()
    assert gorgias.send_reply(CONTACT, REPLY, f"{CONTACT}:r2") == "gorgias:12:2"
    assert posted.call_count == 1 and len(slept) == 1


@respx.mock
def test_a_ticket_created_but_its_answer_lost_is_found_by_external_id() -> None:
    respx.get(f"{API}/tickets").mock(side_effect=[_page(), _page(_ticket(12))])
    respx.get(f"{API}/messages").mock(return_value=_page(_message(2, 12, f"desk:{CONTACT}:r1")))
    created = respx.post(f"{API}/tickets").mock(side_effect=httpx.ReadTimeout("no answer"))
    gorgias, _ = _adapter()
    assert gorgias.send_reply(CONTACT, REPLY, f"{CONTACT}:r1") == "gorgias:12:2"
    assert created.call_count == 1


# ---------------------------------------------------------------- the rate limit


@respx.mock
def test_a_429_is_retried_after_its_retry_after() -> None:
    _found_ticket()
    respx.get(f"{API}/messages").mock(return_value=_page())
    posted = respx.post(f"{API}/tickets/12/messages").mock(
        side_effect=[
            httpx.Response(
                429,
                headers={"Retry-after": "3", "X-Gorgias-Account-Api-Call-Limit": "40/40"},
                json={"error": {"msg": "Too Many Requests"}},
            ),
            httpx.Response(201, json=_message(2, 12)),
        ]
    )
    gorgias, slept = _adapter()
    assert gorgias.send_reply(CONTACT, REPLY, f"{CONTACT}:r2") == "gorgias:12:2"
    assert posted.call_count == 2 and slept == [3.0]


@respx.mock
def test_the_account_call_limit_header_slows_the_adapter_down_before_a_429() -> None:
    respx.get(f"{API}/tickets").mock(
        return_value=_page(_ticket(12), **{"X-Gorgias-Account-Api-Call-Limit": "36/40"})
    )
    respx.get(f"{API}/messages").mock(
        return_value=_page(**{"X-Gorgias-Account-Api-Call-Limit": "10/40"})
    )
    respx.post(f"{API}/tickets/12/messages").mock(
        return_value=httpx.Response(
            201, json=_message(2, 12), headers={"X-Gorgias-Account-Api-Call-Limit": "39/40"}
        )
    )
    gorgias, slept = _adapter()
    gorgias.send_reply(CONTACT, REPLY, f"{CONTACT}:r2")
    # Past 80 % of the bucket: wait until it drained back (2 requests a second drain).
    assert slept == [pytest.approx(2.5), pytest.approx(4.0)]


def test_the_adapters_own_pace_is_40_requests_per_20_seconds() -> None:
    gorgias, _ = _adapter()
    assert gorgias.http.rate is not None and gorgias.http.rate.per_second == 2.0
    assert gorgias.writes.client.rate is gorgias.http.rate  # one budget for both


# ---------------------------------------------------------------- failures


@respx.mock
def test_5xx_until_the_last_attempt_is_unavailable() -> None:
    _found_ticket()
    respx.get(f"{API}/messages").mock(return_value=_page())
    respx.post(f"{API}/tickets/12/messages").mock(return_value=httpx.Response(503, text="down"))
    gorgias, slept = _adapter(attempts=2)
    with pytest.raises(Unavailable, match="after 2 attempts") as err:
        gorgias.send_reply(CONTACT, REPLY, f"{CONTACT}:r2")
    assert KEY not in str(err.value) and len(slept) == 1


@respx.mock
def test_bad_credentials_are_refused_for_good() -> None:
    respx.get(f"{API}/tickets").mock(
        return_value=httpx.Response(401, json={"error": {"msg": "Unauthorized"}})
    )
    gorgias, _ = _adapter()
    with pytest.raises(VendorAuthError) as err:
        gorgias.send_reply(CONTACT, REPLY, f"{CONTACT}:r1")
    assert KEY not in str(err.value)


@respx.mock
def test_a_message_gorgias_finds_invalid_is_refused_and_redacted() -> None:
    respx.get(f"{API}/tickets").mock(return_value=_page(_ticket(12)))
    respx.get(f"{API}/messages").mock(return_value=_page())
    respx.post(f"{API}/tickets/12/messages").mock(
        return_value=httpx.Response(
            400,
            json={
                "error": {
                    "msg": "Validation error",
                    "data": {"receiver": ["claire@example.com is not a customer"]},
                }
            },
        )
    )
    gorgias, _ = _adapter()
    with pytest.raises(Refused, match="Validation error") as refused:
        gorgias.send_reply(CONTACT, REPLY, f"{CONTACT}:r1")
    assert "claire@example.com" not in str(refused.value)


# ---------------------------------------------------------------- alerts and settings


@respx.mock
def test_an_alert_is_an_internal_note_on_the_supervisors_ticket() -> None:
    respx.get(f"{API}/tickets").mock(return_value=_page())
    created = respx.post(f"{API}/tickets").mock(
        return_value=httpx.Response(
            201,
            json=_ticket(
                30, external_id=f"desk-alerts:{CONTACT}", messages=[_message(31, 30, "desk:a1")]
            ),
        )
    )
    gorgias, _ = _adapter(alert_customer_email="supervisors@shop.example", alert_team_id=7)
    assert gorgias.alert_supervisors(CONTACT, "new escalation: over_limit", 2, "a1") == (
        "gorgias:30:31"
    )
    body = _sent(created)
    assert body["external_id"] == f"desk-alerts:{CONTACT}"
    assert body["customer"] == {"email": "supervisors@shop.example"}
    assert body["assignee_team"] == {"id": 7}
    [note] = body["messages"]
    assert note["channel"] == "internal-note" and note["from_agent"] is True
    assert note["body_text"] == "[level 2] new escalation: over_limit"
    assert "receiver" not in note and "source" not in note


def test_alerts_without_a_customer_for_their_tickets_are_refused() -> None:
    gorgias, _ = _adapter()
    with pytest.raises(Refused, match="ALERT_CUSTOMER_EMAIL"):
        gorgias.alert_supervisors(CONTACT, "x", 1, "a1")


def test_settings_come_from_the_environment() -> None:
    settings = GorgiasSettings.from_env(
        {
            "DESK_GORGIAS_DOMAIN": "shop",
            "DESK_GORGIAS_EMAIL": "api@shop.example",
            "DESK_GORGIAS_API_KEY": KEY,
            "DESK_GORGIAS_INTEGRATION_IDS": '{"email": 28643}',
            "DESK_GORGIAS_CHANNELS": '{"email": "email", "social": "facebook-messenger"}',
        }
    )
    assert settings.api_base == API and settings.integration_ids == {"email": 28643}
    assert settings.channels["social"] == "facebook-messenger"
    assert KEY not in repr(settings)
    with pytest.raises(ValueError, match="DESK_GORGIAS_CHANNELS"):
        GorgiasSettings.from_env(
            {
                "DESK_GORGIAS_DOMAIN": "shop",
                "DESK_GORGIAS_EMAIL": "a@b.c",
                "DESK_GORGIAS_API_KEY": KEY,
                "DESK_GORGIAS_CHANNELS": "email=email",
            }
        )
