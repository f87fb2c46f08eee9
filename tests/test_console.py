"""The console over plain HTTP: nobody without an account gets anything from any route,
sign-in and its limits, sessions and their end, CSRF on every form, the trusted proxy
header only from a trusted address, password hashes, and bad decisions refused before
anything reaches the contact. The desk behind it is real (tests/console_kit.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from console.accounts import Accounts, hash_password, load_accounts, verify_password
from console.auth import ADDRESS_ATTEMPTS, LOGIN_ATTEMPTS
from console.data import QueueRow, sla_text
from console.serve import check_console_settings
from console.sessions import COOKIE, Sessions
from console.settings import ConsoleSettings
from desk.config import ConfigError
from desk.models import ContactState
from devtools.chromium import ChromiumMissing, find_chromium
from tests.browser import chromium_path
from tests.console_kit import KIM, OVER_LIMIT, PASSWORDS, SAM, ConsoleDesk, console_desk

DESK = str(Path(sys.executable).parent / "desk")
VIEWER = "viewer@shop.example"  # an account that is no supervisor of the registry
PROXIED = "pat@shop.example"  # an account with no password: only through the proxy
PROXY_HEADER = "X-Forwarded-User"
PUBLIC = {"/login"}
HUMAN = "human-requested"  # the customer asked for a person: escalated, no proposal
CONTACT_DATA = ("Olivia", "coffee maker", "229.00", "over_limit", "632424")


@pytest.fixture(scope="module")
async def desk(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ConsoleDesk]:
    async with console_desk(
        tmp_path_factory.mktemp("console-http"),
        [OVER_LIMIT, HUMAN],
        settings={"proxy_header": PROXY_HEADER, "trusted_proxies": ["127.0.0.1/32"]},
        extra_accounts={VIEWER: "viewer-password", PROXIED: None},
    ) as d:
        for scenario in (OVER_LIMIT, HUMAN):
            contact = await d.send(scenario)
            await d.reaches(contact, ContactState.escalated)
        yield d


def http(desk: ConsoleDesk, peer: str = "127.0.0.1") -> httpx.AsyncClient:
    """A client of the console's app as seen from ``peer``."""
    transport = httpx.ASGITransport(app=desk.app, client=(peer, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://console", timeout=30)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF token in the form"
    return found.group(1)


async def signed_in(client: httpx.AsyncClient, who: str, password: str | None = None) -> str:
    """Sign in through the form; the CSRF token of the session's pages."""
    form = await client.get("/login")
    answer = await client.post(
        "/login",
        data={
            "username": who,
            "password": password or PASSWORDS.get(who) or "viewer-password",
            "csrf": csrf_of(form.text),
            "next": "/",
        },
    )
    assert answer.status_code == 303, answer.text
    return csrf_of((await client.get("/")).text)


def api_routes(routes: list[BaseRoute]) -> list[APIRoute]:
    """Every route the app serves (FastAPI keeps included routers whole in newer versions)."""
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif (included := getattr(route, "original_router", None)) is not None:
            found += api_routes(included.routes)
    return found


def private_routes(desk: ConsoleDesk, contact: str) -> list[tuple[str, str]]:
    routes = []
    for route in api_routes(desk.app.routes):
        if route.path not in PUBLIC:
            for method in route.methods or ():
                routes.append((method, route.path.replace("{contact_id}", contact)))
    return routes


async def test_every_route_but_sign_in_refuses_nobody_signed_in(desk: ConsoleDesk) -> None:
    contact = desk.contacts[OVER_LIMIT]
    routes = private_routes(desk, contact)
    assert {p for _, p in routes} >= {
        "/",
        "/api/queue",
        f"/contacts/{contact}",
        f"/api/contacts/{contact}",
        f"/contacts/{contact}/decide",
        "/events/queue",
        f"/events/contacts/{contact}",
        "/logout",
    }
    forged = Sessions("another console's secret, 32 chars long", 8).issue(KIM.id)[0]
    cookies: list[dict[str, str]] = [
        {},
        {COOKIE: "garbage"},
        {COOKIE: forged},
        {COOKIE: forged.replace(".", "x.", 1)},
    ]
    for jar in cookies:
        async with http(desk) as client:
            client.cookies.update(jar)
            for method, path in routes:
                answer = await client.request(
                    method, path, data={"action": "approve"} if method == "POST" else None
                )
                page = method == "GET" and not path.startswith(("/api/", "/events/"))
                if page:
                    assert answer.status_code == 303, (method, path)
                    assert answer.headers["location"].startswith("/login?next=")
                else:
                    assert answer.status_code == 401, (method, path, answer.status_code)
                for data in CONTACT_DATA:
                    assert data not in answer.text, (method, path, data)
    assert (await desk.snapshot(contact)).decisions == []
    # The framework's own pages are not served either.
    async with http(desk) as client:
        for path in ("/docs", "/openapi.json", "/redoc"):
            assert (await client.get(path)).status_code == 404


async def test_sign_in_out_and_the_cookie(desk: ConsoleDesk) -> None:
    async with http(desk) as client:
        form = await client.get("/login")
        assert form.status_code == 200
        answer = await client.post(
            "/login",
            data={"username": KIM.id, "password": PASSWORDS[KIM.id], "csrf": csrf_of(form.text)},
        )
        assert answer.status_code == 303 and answer.headers["location"] == "/"
        cookie = answer.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "max-age=" in cookie
        queue = await client.get("/api/queue")
        assert queue.status_code == 200
        rows = {r["contact"]: r for r in queue.json()}
        row = rows[desk.contacts[OVER_LIMIT]]
        assert (row["reason"], row["tier"], row["order"]) == ("over_limit", "standard", "632424")
        assert (row["money_at_stake"], row["proposal"]) == (229.0, "reship")
        page = await client.get("/")
        assert "no-store" in page.headers["cache-control"]
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        kept = client.cookies.get(COOKIE)
        out = await client.post("/logout", data={"csrf": csrf_of(page.text)})
        assert out.status_code == 303 and out.headers["location"] == "/login"
    # The signed-out cookie is dead even if someone kept it.
    async with http(desk) as client:
        client.cookies.set(COOKIE, kept or "")
        assert (await client.get("/api/queue")).status_code == 401


async def _sign_in_as(client: httpx.AsyncClient, who: str, password: str) -> httpx.Response:
    form = await client.get("/login")
    return await client.post(
        "/login", data={"username": who, "password": password, "csrf": csrf_of(form.text)}
    )


async def test_a_wrong_password_and_too_many_tries(desk: ConsoleDesk) -> None:
    # From an address of its own: the lock is per account *and* address.
    async with http(desk, peer="10.0.0.5") as client:
        for who in ("nobody@shop.example", SAM.id):
            answer = await _sign_in_as(client, who, "wrong")
            assert answer.status_code == 401 and "Wrong account or password." in answer.text
            assert COOKIE not in client.cookies
        for _ in range(LOGIN_ATTEMPTS - 1):
            await _sign_in_as(client, SAM.id, "wrong")
        locked = await _sign_in_as(client, SAM.id, PASSWORDS[SAM.id])
        assert locked.status_code == 429 and COOKIE not in client.cookies
        assert "Too many failed attempts for this account from here" in locked.text
        # Another account from the same address is not locked by Sam's count.
        kim = await _sign_in_as(client, KIM.id, PASSWORDS[KIM.id])
        assert kim.status_code == 303 and COOKIE in client.cookies
    # A stranger's guesses elsewhere do not lock Sam out of his own sign-in.
    async with http(desk, peer="10.0.0.6") as client:
        sam = await _sign_in_as(client, SAM.id, PASSWORDS[SAM.id])
        assert sam.status_code == 303 and COOKIE in client.cookies


async def test_one_address_cannot_spray_guesses_over_many_accounts(desk: ConsoleDesk) -> None:
    async with http(desk, peer="10.0.0.7") as client:
        for n in range(ADDRESS_ATTEMPTS):
            answer = await _sign_in_as(client, f"guess{n}@shop.example", "wrong")
            assert answer.status_code == 401
        refused = await _sign_in_as(client, KIM.id, PASSWORDS[KIM.id])
        assert refused.status_code == 429 and COOKIE not in client.cookies
        assert "Too many failed sign-ins from this address" in refused.text
    async with http(desk, peer="10.0.0.8") as client:
        kim = await _sign_in_as(client, KIM.id, PASSWORDS[KIM.id])
        assert kim.status_code == 303
    # Behind the trusted proxy (127.0.0.1 here) every user shares its address: no ceiling.
    async with http(desk, peer="127.0.0.1") as client:
        for n in range(ADDRESS_ATTEMPTS):
            await _sign_in_as(client, f"proxied{n}@shop.example", "wrong")
        kim = await _sign_in_as(client, KIM.id, PASSWORDS[KIM.id])
        assert kim.status_code == 303


async def test_sign_in_needs_the_forms_token_and_stays_on_the_site(desk: ConsoleDesk) -> None:
    async with http(desk) as client:
        no_form = await client.post(
            "/login", data={"username": KIM.id, "password": PASSWORDS[KIM.id], "csrf": "x"}
        )
        assert no_form.status_code == 400 and COOKIE not in client.cookies
        form = await client.get("/login?next=//evil.example/x")
        answer = await client.post(
            "/login",
            data={
                "username": KIM.id,
                "password": PASSWORDS[KIM.id],
                "csrf": csrf_of(form.text),
                "next": "//evil.example/x",
            },
        )
        assert answer.headers["location"] == "/"


async def test_decisions_need_the_sessions_csrf_token(desk: ConsoleDesk) -> None:
    contact = desk.contacts[OVER_LIMIT]
    async with http(desk) as other:
        others_token = await signed_in(other, SAM.id)
    async with http(desk) as client:
        mine = await signed_in(client, KIM.id)
        for token in ("", "forged", others_token):
            answer = await client.post(
                f"/contacts/{contact}/decide", data={"action": "approve", "csrf": token}
            )
            assert answer.status_code == 403, token
        assert (await client.post("/logout", data={"csrf": others_token})).status_code == 403
        assert (await client.get("/api/queue")).status_code == 200  # still signed in
        assert mine != others_token
    assert (await desk.snapshot(contact)).decisions == []


async def test_bad_decisions_are_refused_before_the_contact(desk: ConsoleDesk) -> None:
    contact = desk.contacts[OVER_LIMIT]
    async with http(desk) as client:
        token = await signed_in(client, KIM.id)
        for form, says in (
            ({"action": "launch"}, "unknown action"),
            ({"action": "override", "resolution": "refund", "amount": "lots"}, "not a number"),
            ({"action": "override", "resolution": "refund", "amount": "-5"}, "zero or more"),
            ({"action": "override", "resolution": "teleport"}, "unknown resolution"),
            ({"action": "override", "resolution": "refund", "amount": "nan"}, "zero or more"),
        ):
            answer = await client.post(f"/contacts/{contact}/decide", data={**form, "csrf": token})
            assert answer.status_code == 400, form
            assert says in answer.text, form
        too_long = await client.post(
            f"/contacts/{contact}/decide",
            data={"action": "approve", "note": "x" * 5000, "csrf": token},
        )
        assert too_long.status_code in (400, 422)
        # The workflow's own refusal comes back in words: override without an amount.
        refused = await client.post(
            f"/contacts/{contact}/decide",
            data={"action": "override", "resolution": "refund", "csrf": token},
        )
        assert refused.status_code == 409
        assert "override to refund needs an amount" in refused.text
        missing = await client.get("/contacts/contact-order-000000")
        assert missing.status_code == 404
    assert (await desk.snapshot(contact)).decisions == []


async def test_an_account_that_is_no_supervisor_may_look_not_decide(desk: ConsoleDesk) -> None:
    contact = desk.contacts[OVER_LIMIT]
    async with http(desk) as client:
        token = await signed_in(client, VIEWER, "viewer-password")
        page = await client.get(f"/contacts/{contact}")
        assert "may look, not decide" in page.text and "Olivia Chen" in page.text
        answer = await client.post(
            f"/contacts/{contact}/decide", data={"action": "approve", "csrf": token}
        )
        assert answer.status_code == 409
        assert "is not a supervisor in the registry" in answer.text
    assert (await desk.snapshot(contact)).decisions == []


async def test_the_proxy_header_counts_only_from_a_trusted_proxy(desk: ConsoleDesk) -> None:
    async with http(desk, peer="127.0.0.1") as proxy:
        answer = await proxy.get("/api/queue", headers={PROXY_HEADER: PROXIED})
        assert answer.status_code == 200
        page = await proxy.get("/", headers={PROXY_HEADER: PROXIED})
        assert PROXIED in page.text
        # Naming someone who has no account signs nobody in.
        assert (
            await proxy.get("/api/queue", headers={PROXY_HEADER: "mallory@evil.example"})
        ).status_code == 401
        # The proxy's user's forms carry a token too.
        contact_page = await proxy.get(
            f"/contacts/{desk.contacts[OVER_LIMIT]}", headers={PROXY_HEADER: PROXIED}
        )
        token = csrf_of(contact_page.text)
        bad = await proxy.post(
            f"/contacts/{desk.contacts[OVER_LIMIT]}/decide",
            data={"action": "launch", "csrf": "nope"},
            headers={PROXY_HEADER: PROXIED},
        )
        assert bad.status_code == 403 and token
    async with http(desk, peer="10.1.2.3") as stranger:
        for who in (PROXIED, KIM.id):
            answer = await stranger.get("/api/queue", headers={PROXY_HEADER: who})
            assert answer.status_code == 401
    # An account with no password cannot sign in with the form.
    async with http(desk) as client:
        form = await client.get("/login")
        answer = await client.post(
            "/login", data={"username": PROXIED, "password": "", "csrf": csrf_of(form.text)}
        )
        assert answer.status_code == 401


async def test_take_over_then_close_from_the_form(desk: ConsoleDesk) -> None:
    contact = desk.contacts[HUMAN]
    async with http(desk) as client:
        token = await signed_in(client, KIM.id)
        no_proposal = await client.post(
            f"/contacts/{contact}/decide", data={"action": "approve", "csrf": token}
        )
        assert no_proposal.status_code == 409 and "approve needs a proposed resolution" in (
            no_proposal.text
        )
        taken = await client.post(
            f"/contacts/{contact}/decide",
            data={"action": "take_over", "note": "calling her", "csrf": token},
        )
        assert taken.status_code == 303
        assert taken.headers["location"] == f"/contacts/{contact}?decided=take_over"
        await desk.reaches(contact, ContactState.human_owned)
        page = await client.get(taken.headers["location"])
        assert "Your decision (take_over) was accepted" in page.text
        queue = (await client.get("/api/queue")).json()
        assert {r["contact"]: r["state"] for r in queue}[contact] == "human_owned"
        closed = await client.post(
            f"/contacts/{contact}/decide",
            data={"action": "close", "note": "sorted on the phone", "csrf": token},
        )
        assert closed.status_code == 303
        await desk.reaches(contact, ContactState.closed)
    snap = await desk.snapshot(contact)
    assert [(d.action.value, d.by) for d in snap.decisions] == [
        ("take_over", KIM.id),
        ("close", KIM.id),
    ]


def test_password_hashes() -> None:
    hashed = hash_password("correct horse")
    assert hashed.startswith("scrypt$16384$8$1$") and "correct horse" not in hashed
    assert verify_password("correct horse", hashed)
    assert not verify_password("correct horsE", hashed)
    assert hash_password("correct horse") != hashed  # salted
    accounts = Accounts.model_validate({"accounts": [{"id": "a", "password": hashed}]})
    assert accounts.check("a", "correct horse") is not None
    assert accounts.check("a", "wrong") is None and accounts.check("b", "correct horse") is None
    with pytest.raises(ValueError, match="weaker"):
        verify_password("x", "scrypt$1024$8$1$" + hashed.split("$", 4)[4])


def test_a_bad_accounts_file_names_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "accounts.yaml"
    path.write_text("accounts:\n  - {id: sam, password: hunter2}\n")
    with pytest.raises(ConfigError, match=r"accounts\.0\.password.*scrypt"):
        load_accounts(path)
    path.write_text("accounts:\n  - {id: sam}\n  - {id: sam}\n")
    with pytest.raises(ConfigError, match="listed twice"):
        load_accounts(path)
    with pytest.raises(ConfigError, match="does not exist"):
        load_accounts(tmp_path / "none.yaml")


def test_settings_that_would_expose_the_console_are_refused() -> None:
    with pytest.raises(ConfigError, match="DESK_CONSOLE_TRUSTED_PROXIES"):
        check_console_settings(ConsoleSettings(proxy_header=PROXY_HEADER))
    with pytest.raises(ConfigError, match="DESK_CONSOLE_SECURE_COOKIE"):
        check_console_settings(ConsoleSettings(host="0.0.0.0"))
    check_console_settings(ConsoleSettings(host="0.0.0.0", secure_cookie=True))
    with pytest.raises(ConfigError, match="DESK_CONSOLE_TRUSTED_PROXIES"):
        ConsoleSettings.from_env({"DESK_CONSOLE_TRUSTED_PROXIES": "10.0.0.1,not-an-address"})
    with pytest.raises(ConfigError, match="DESK_CONSOLE_SESSION_SECRET"):
        ConsoleSettings.from_env({"DESK_CONSOLE_SESSION_SECRET": "short"})
    parsed = ConsoleSettings.from_env({"DESK_CONSOLE_TRUSTED_PROXIES": "10.0.0.1, 10.2.0.0/16"})
    assert parsed.trusted_proxies == ["10.0.0.1", "10.2.0.0/16"] and parsed.port == 8090


def test_console_password_prints_a_hash_from_standard_input() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESK_")}
    done = subprocess.run(
        [DESK, "console-password"],
        input="a long password\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert verify_password("a long password", done.stdout.strip())
    assert "a long password" not in done.stdout + done.stderr
    short = subprocess.run(
        [DESK, "console-password"],
        input="short\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert short.returncode == 2 and "at least 8 characters" in short.stderr


def test_a_session_expires_and_cannot_be_altered() -> None:
    sessions = Sessions("a console's secret of 32 characters!", hours=1)
    cookie, session = sessions.issue("kim@shop.example", now=1_000_000.0)
    assert sessions.read(cookie, now=1_000_000.0 + 3599) == session
    assert sessions.read(cookie, now=1_000_000.0 + 3600) is None  # expired
    body, mac = cookie.rsplit(".", 1)
    other = Sessions("a console's secret of 32 characters!", hours=1).issue("sam", now=0)[0]
    assert sessions.read(f"{other.rsplit('.', 1)[0]}.{mac}", now=1_000_000.0) is None
    assert sessions.read(body, now=1_000_000.0) is None


def test_the_queue_puts_the_oldest_sla_breach_first() -> None:
    t = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    rows = [
        QueueRow("owned", "human_owned", t),
        QueueRow("due-later", "escalated", t, sla_due=t + timedelta(hours=3)),
        QueueRow("breached-recently", "escalated", t, first_breach=t + timedelta(hours=2)),
        QueueRow("due-soon", "escalated", t, sla_due=t + timedelta(hours=1)),
        QueueRow("breached-long-ago", "escalated", t, first_breach=t - timedelta(hours=5)),
    ]
    assert [r.contact for r in sorted(rows, key=QueueRow.sort_key)] == [
        "breached-long-ago",
        "breached-recently",
        "due-soon",
        "due-later",
        "owned",
    ]
    assert sla_text(t + timedelta(minutes=90), t) == ("due in 1h 30m", False)
    assert sla_text(t - timedelta(hours=26), t) == ("breached 1d 2h ago", True)


def test_without_chromium_the_browser_tests_fail_saying_how_to_get_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DESK_CHROMIUM", "/nonexistent/chromium")
    with pytest.raises(pytest.fail.Exception) as failed:
        chromium_path()
    assert "apt-get install chromium" in str(failed.value)
    assert "DESK_CHROMIUM" in str(failed.value)
    monkeypatch.delenv("DESK_CHROMIUM")
    monkeypatch.setattr("devtools.chromium.CANDIDATES", ())
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ChromiumMissing, match="apt-get install chromium"):
        find_chromium()
