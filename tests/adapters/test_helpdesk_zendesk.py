"""Replies as Zendesk ticket comments, against respx replaying Zendesk's documented shapes:
one ticket per contact, one comment per key under every kind of retry, the 429s (plain
text, Retry-After), 5xx, auth failures and the 5,000-comment cap; never a credential in an
error."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
import respx

from desk.adapters.helpdesk import MemorySentStore, ZendeskReplies, ZendeskSettings
from desk.adapters.http import VendorAuthError
from desk.models import Channel, Reply
from desk.ports import Refused, Unavailable

API = "https://shop.zendesk.com/api/v2"
TOKEN = "s3cr3t-zd-token"
CONTACT = "contact-order-60102"
REF = f"desk:{CONTACT}"
REPLY = Reply(
    channel=Channel.email,
    to="claire@example.com",
    subject="Re: where is my parcel",
    body="Hi Claire, USPS shows it delivered. We've opened a trace.",
)


def _settings(**kw: Any) -> ZendeskSettings:
    values: dict[str, Any] = {"subdomain": "shop", "email": "agent@shop.example"}
    values.update(kw)
    return ZendeskSettings(api_token=TOKEN, **values)


def _adapter(store: MemorySentStore | None = None, **kw: Any) -> tuple[ZendeskReplies, list[float]]:
    slept: list[float] = []
    return ZendeskReplies(_settings(**kw), store, sleep=slept.append), slept


def _ticket(ticket_id: int, status: str = "open", external_id: str = REF) -> dict[str, Any]:
    return {
        "id": ticket_id,
        "url": f"{API}/tickets/{ticket_id}.json",
        "external_id": external_id,
        "subject": "Re: where is my parcel",
        "status": status,
        "requester_id": 20978392,
        "tags": ["contact-desk"],
    }


def _audit(audit_id: int, ticket_id: int, key: str | None = None, comments: int = 1) -> dict:
    return {
        "id": audit_id,
        "ticket_id": ticket_id,
        "created_at": "2025-03-05T18:22:10Z",
        "author_id": 494820284,
        "metadata": {
            "system": {"client": "api", "ip_address": "203.0.113.9"},
            "custom": {"desk_key": key} if key else {},
        },
        "via": {"channel": "api"},
        "events": [
            {
                "id": audit_id * 10 + n,
                "type": "Comment",
                "body": "Thanks for your help!",
                "public": True,
                "author_id": 494820284,
                "attachments": [],
            }
            for n in range(comments)
        ],
    }


def _audits(*audits: dict, more: str | None = None) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "audits": list(audits),
            "meta": {"has_more": more is not None, "after_cursor": more, "before_cursor": None},
            "links": {"next": more, "prev": None},
        },
    )


def _updated(ticket_id: int, audit_id: int) -> httpx.Response:
    return httpx.Response(
        200, json={"ticket": _ticket(ticket_id), "audit": _audit(audit_id, ticket_id)}
    )


def _sent(route: respx.Route, n: int = -1) -> dict[str, Any]:
    return json.loads(route.calls[n].request.content)


# ---------------------------------------------------------------- the first reply


@respx.mock
def test_the_first_reply_creates_the_contacts_ticket_with_the_reply_as_its_comment() -> None:
    listed = respx.get(f"{API}/tickets.json").mock(
        return_value=httpx.Response(200, json={"tickets": [], "next_page": None, "count": 0})
    )
    created = respx.post(f"{API}/tickets.json").mock(
        return_value=httpx.Response(
            201, json={"ticket": _ticket(35436), "audit": _audit(1564245, 35436)}
        )
    )
    zendesk, _ = _adapter(group_id=98738)
    assert zendesk.send_reply(CONTACT, REPLY, f"{CONTACT}:r1") == "zendesk:35436:1564245"

    assert listed.calls[0].request.url.params["external_id"] == REF
    request = created.calls[0].request
    auth = base64.b64decode(request.headers["authorization"].removeprefix("Basic ")).decode()
    assert auth == f"agent@shop.example/token:{TOKEN}"
    assert request.headers["idempotency-key"].startswith("desk-")
    ticket = _sent(created)["ticket"]
    assert ticket["external_id"] == REF
    assert ticket["requester"] == {"email": "claire@example.com", "name": "claire@example.com"}
    assert ticket["subject"] == "Re: where is my parcel"
    assert ticket["comment"] == {"body": REPLY.body, "public": True}
    assert ticket["metadata"] == {"desk_key": f"{CONTACT}:r1", "desk_channel": "email"}
    assert ticket["tags"] == ["contact-desk"] and ticket["group_id"] == 98738


@respx.mock
def test_a_later_reply_is_a_public_comment_put_on_the_ticket_found_by_external_id() -> None:
    respx.get(f"{API}/tickets.json").mock(
        return_value=httpx.Response(200, json={"tickets": [_ticket(35436)], "count": 1})
    )
    audits = respx.get(f"{API}/tickets/35436/audits.json").mock(
        return_value=_audits(_audit(11, 35436, f"{CONTACT}:r1"))
    )
    put = respx.put(f"{API}/tickets/35436.json").mock(return_value=_updated(35436, 12))
    zendesk, _ = _adapter(author_id=494820284)
    assert zendesk.send_reply(CONTACT, REPLY, f"{CONTACT}:r2") == "zendesk:35436:12"
    assert _sent(put) == {
        "ticket": {
            "comment": {"body": REPLY.body, "public": True, "author_id": 494820284},
            "metadata": {"desk_key": f"{CONTACT}:r2", "desk_channel": "email"},
        }
    }
    assert audits.calls[0].request.url.params["page[size]"] == "100"
    # The ticket is remembered: the next reply does not look it up again.
    respx.get(f"{API}/tickets.json").mock(side_effect=AssertionError("looked up again"))
    zendesk.send_reply(CONTACT, REPLY, f"{CONTACT}:r3")
    assert put.call_count == 2


@respx.mock
def test_a_phone_number_becomes_a_requester_upserted_by_an_external_id() -> None:
    respx.get(f"{API}/tickets.json").mock(return_value=httpx.Response(200, json={"tickets": []}))
    user = respx.post(f"{API}/users/create_or_update.json").mock(
        return_value=httpx.Response(201, json={"user": {"id": 777, "name": "+15551234567"}})
    )
    created = respx.post(f"{API}/tickets.json").mock(
        return_value=httpx.Response(201, json={"ticket": _ticket(5), "audit": _audit(6, 5)})
    )
    zendesk, _ = _adapter()
    sms = Reply(channel=Channel.sms, to="+15551234567", body="Your refund is on its way.")
    zendesk.send_reply(CONTACT, sms, f"{CONTACT}:r1")
    sent_user = _sent(user)["user"]
    assert sent_user["phone"] == "+15551234567"
    assert sent_user["external_id"].startswith("desk-identity:")
    assert "15551234567" not in sent_user["external_id"]
    ticket = _sent(created)["ticket"]
    assert ticket["requester_id"] == 777 and ticket["subject"] == "Your order"
    assert ticket["metadata"]["desk_channel"] == "sms"


# ---------------------------------------------------------------- exactly once


@respx.mock
def test_the_same_key_twice_adds_one_comment_and_returns_the_first_outbox_id() -> None:
    respx.get(f"{API}/tickets.json").mock(
        return_value=httpx.Response(200, json={"tickets": [_ticket(35436)]})
    )
    respx.get(f"{API}/tickets/35436/audits.json").mock(return_value=_audits())
    put = respx.put(f"{API}/tickets/35436.json").mock(return_value=_updated(35436, 12))
    zendesk, _ = _adapter()
    first = zendesk.send_reply(CONTACT, REPLY, f"{CONTACT}:r2")
    again = zendesk.send_reply(CONTACT, REPLY.model_copy(update={"body": "x"}), f"{CONTACT}:r2")
    assert first == again == "zendesk:35436:12" and put.call_count == 1


@respx.mock
def test_a_new_worker_finds_the_comment_by_its_key_on_the_ticket_and_adds_none() -> None:
    respx.get(f"{API}/tickets.json").mock(
        return_value=httpx.Response(200, json={"tickets": [_ticket(35436)]})
    )
    respx.get(f"{API}/tickets/35436/audits.json").mock(
        return_value=_audits(_audit(11, 35436, f"{CONTACT}:r1"), _audit(12, 35436, f"{CONTACT}:r2"))
    )
    put = respx.put(f"{API}/tickets/35436.json")
    zendesk, _ = _adapter(store=MemorySentStore())  # its own, empty record
    assert zendesk.send_reply(CONTACT, REPLY, f"{CONTACT}:r2") == "zendesk:35436:12"
    assert put.call_count == 0


@respx.mock
def test_a_comment_written_but_its_answer_lost_is_found_not_written_again() -> None:
    respx.get(f"{API}/tickets.json").mock(
        return_value=httpx.Response(200, json={"tickets": [_ticket(35436)]})
    )
    audits = respx.get(f"{API}/tickets/35436/audits.json").mock(
        side_effect=[_audits(), _audits(_audit(12, 35436, f"{CONTACT}:r2"))]
    )
    # Zendesk wrote the comment, then the answer was a 502 (VendorClient alone would PUT it
    # again: a second comment).
    put = respx.put(f"{API}/tickets/35436.json").mock(
        return_value=httpx.Response(502, text="Bad Gateway")
    )
    zendesk, slept = _adapter()
    assert zendesk.send_reply(CONTACT, REPLY, f"{CONTACT}:r2") == "zendesk:35436:12"
    assert put.call_count == 1 and audits.call_count == 2 and len(slept) == 1


@respx.mock
def test_a_put_that_timed_out_is_looked_for_before_it_is_put_again() -> None:
    respx.get(f"{API}/tickets.json").mock(
        return_value=httpx.Response(200, json={"tickets": [_ticket(35436)]})
    )
    respx.get(f"{API}/tickets/35436/audits.json").mock(return_value=_audits())
    put = respx.put(f"{API}/tickets/35436.json").mock(
        side_effect=[httpx.ReadTimeout("no answer"), _updated(35436, 12)]
    )
    zendesk, _ = _adapter()
    assert zendesk.send_reply(CONTACT, REPLY, f"{CONTACT}:r2") == "zendesk:35436:12"
    assert put.call_count == 2  # the audits showed no comment in between: written once


# ---------------------------------------------------------------- throttling and failures


@respx.mock
def test_a_429_with_a_plain_text_body_is_retried_after_its_retry_after() -> None:
    throttled = httpx.Response(
        429,
        headers={
            "Content-Type": "text/plain",
            "retry-after": "1",
            "x-rate-limit": "700",
            "x-rate-limit-remaining": "0",
        },
        text="Number of allowed API requests per minute exceeded",
    )
    listed = respx.get(f"{API}/tickets.json").mock(
        side_effect=[throttled, httpx.Response(200, json={"tickets": [_ticket(35436)]})]
    )
    respx.get(f"{API}/tickets/35436/audits.json").mock(return_value=_audits())
    put = respx.put(f"{API}/tickets/35436.json").mock(side_effect=[throttled, _updated(35436, 12)])
    zendesk, slept = _adapter()
    assert zendesk.send_reply(CONTACT, REPLY, f"{CONTACT}:r2") == "zendesk:35436:12"
    assert listed.call_count == 2 and put.call_count == 2
    assert slept == [1.0, 1.0]


@respx.mock
def test_a_long_retry_after_is_left_to_the_activitys_retry_policy() -> None:
    respx.get(f"{API}/tickets.json").mock(
        return_value=httpx.Response(200, json={"tickets": [_ticket(35436)]})
    )
    respx.get(f"{API}/tickets/35436/audits.json").mock(return_value=_audits())
    respx.put(f"{API}/tickets/35436.json").mock(
        return_value=httpx.Response(
            429, headers={"Retry-After": "600"}, text="Number of allowed API requests"
        )
    )
    zendesk, slept = _adapter()
    with pytest.raises(Unavailable, match="asks to wait 600s"):
        zendesk.send_reply(CONTACT, REPLY, f"{CONTACT}:r2")
    assert slept == []


@respx.mock
def test_5xx_until_the_last_attempt_is_unavailable_without_the_token() -> None:
    respx.get(f"{API}/tickets.json").mock(
        return_value=httpx.Response(200, json={"tickets": [_ticket(35436)]})
    )
    respx.get(f"{API}/tickets/35436/audits.json").mock(return_value=_audits())
    put = respx.put(f"{API}/tickets/35436.json").mock(
        return_value=httpx.Response(503, text="Service Unavailable")
    )
    zendesk, slept = _adapter(attempts=3)
    with pytest.raises(Unavailable) as err:
        zendesk.send_reply(CONTACT, REPLY, f"{CONTACT}:r2")
    assert put.call_count == 3 and len(slept) == 2
    assert "503" in str(err.value) and "after 3 attempts" in str(err.value)
    assert TOKEN not in str(err.value) and "claire" not in str(err.value)


@respx.mock
def test_bad_credentials_are_refused_for_good_without_the_token() -> None:
    respx.get(f"{API}/tickets.json").mock(
        return_value=httpx.Response(401, json={"error": "Couldn't authenticate you"})
    )
    zendesk, slept = _adapter()
    with pytest.raises(VendorAuthError) as err:
        zendesk.send_reply(CONTACT, REPLY, f"{CONTACT}:r1")
    assert isinstance(err.value, Refused) and "401" in str(err.value)
    assert TOKEN not in str(err.value) and slept == []
    assert TOKEN not in repr(zendesk.settings)


@respx.mock
def test_a_refusal_quoting_the_customers_address_is_redacted() -> None:
    respx.get(f"{API}/tickets.json").mock(return_value=httpx.Response(200, json={"tickets": []}))
    respx.post(f"{API}/tickets.json").mock(
        return_value=httpx.Response(
            422,
            json={
                "error": "RecordInvalid",
                "description": "Record validation errors",
                "details": {"requester": [{"description": "Email: claire@example.com is invalid"}]},
            },
        )
    )
    zendesk, _ = _adapter()
    with pytest.raises(Refused) as err:
        zendesk.send_reply(CONTACT, REPLY, f"{CONTACT}:r1")
    assert "RecordInvalid" in str(err.value) and "[email]" in str(err.value)
    assert "claire@example.com" not in str(err.value)


@respx.mock
def test_a_vendor_400_quoting_the_customer_is_redacted_but_ids_are_kept() -> None:
    respx.get(f"{API}/tickets.json").mock(
        return_value=httpx.Response(200, json={"tickets": [_ticket(1564245)]})
    )
    respx.get(f"{API}/tickets/1564245/audits.json").mock(return_value=_audits())
    respx.put(f"{API}/tickets/1564245.json").mock(
        return_value=httpx.Response(400, text="Bad request for claire@example.com, +1 555 123 4567")
    )
    zendesk, _ = _adapter()
    with pytest.raises(Refused) as err:
        zendesk.send_reply(CONTACT, REPLY, f"{CONTACT}:r2")
    assert str(err.value) == (
        "zendesk PUT /tickets/1564245.json: HTTP 400: Bad request for [email], [phone]"
    )


# ---------------------------------------------------------------- the comment cap


@respx.mock
def test_a_ticket_at_the_5000_comment_cap_is_refused_without_trying() -> None:
    respx.get(f"{API}/tickets.json").mock(
        return_value=httpx.Response(200, json={"tickets": [_ticket(35436)]})
    )
    respx.get(f"{API}/tickets/35436/audits.json").mock(
        side_effect=[
            _audits(
                _audit(1, 35436, comments=4000),
                more=f"{API}/tickets/35436/audits.json?page%5Bafter%5D=c1&page%5Bsize%5D=100",
            ),
            _audits(_audit(2, 35436, comments=1000)),
        ]
    )
    put = respx.put(f"{API}/tickets/35436.json")
    zendesk, _ = _adapter()
    with pytest.raises(Refused, match="5000 comments"):
        zendesk.send_reply(CONTACT, REPLY, f"{CONTACT}:r2")
    assert put.call_count == 0


@respx.mock
def test_zendesks_422_at_the_cap_is_refused() -> None:
    respx.get(f"{API}/tickets.json").mock(
        return_value=httpx.Response(200, json={"tickets": [_ticket(35436)]})
    )
    respx.get(f"{API}/tickets/35436/audits.json").mock(return_value=_audits())
    respx.put(f"{API}/tickets/35436.json").mock(
        return_value=httpx.Response(
            422,
            json={
                "error": "RecordInvalid",
                "description": "Record validation errors",
                "details": {"base": [{"description": "Comments limit of 5000 exceeded"}]},
            },
        )
    )
    zendesk, _ = _adapter()
    with pytest.raises(Refused, match="5000-comment cap"):
        zendesk.send_reply(CONTACT, REPLY, f"{CONTACT}:r2")


# ---------------------------------------------------------------- tickets that moved on


@respx.mock
def test_the_audits_are_read_page_by_page_on_the_same_host() -> None:
    respx.get(f"{API}/tickets.json").mock(
        return_value=httpx.Response(200, json={"tickets": [_ticket(35436)]})
    )
    # The link names another host: only its query is followed, on Zendesk's own.
    link = "https://elsewhere.example/api/v2/tickets/35436/audits.json?page%5Bafter%5D=xyz"
    pages = respx.get(f"{API}/tickets/35436/audits.json").mock(
        side_effect=[
            _audits(_audit(1, 35436), more=link),
            _audits(_audit(2, 35436, f"{CONTACT}:r9")),
        ]
    )
    zendesk, _ = _adapter()
    assert zendesk.send_reply(CONTACT, REPLY, f"{CONTACT}:r9") == "zendesk:35436:2"
    assert pages.calls[1].request.url.params["page[after]"] == "xyz"
    assert pages.calls[1].request.url.host == "shop.zendesk.com"


@respx.mock
def test_a_closed_ticket_gets_a_follow_up_ticket() -> None:
    store = MemorySentStore()
    store.remember_ticket("zendesk", REF, "35436")
    respx.get(f"{API}/tickets/35436/audits.json").mock(return_value=_audits())
    respx.put(f"{API}/tickets/35436.json").mock(
        return_value=httpx.Response(
            422,
            json={
                "error": "RecordInvalid",
                "description": "Record validation errors",
                "details": {"status": [{"description": "Status: closed prevents ticket update"}]},
            },
        )
    )
    respx.get(f"{API}/tickets.json").mock(
        return_value=httpx.Response(200, json={"tickets": [_ticket(35436, status="closed")]})
    )
    created = respx.post(f"{API}/tickets.json").mock(
        return_value=httpx.Response(
            201, json={"ticket": _ticket(40000), "audit": _audit(41, 40000)}
        )
    )
    zendesk, _ = _adapter(store=store)
    assert zendesk.send_reply(CONTACT, REPLY, f"{CONTACT}:r7") == "zendesk:40000:41"
    assert _sent(created)["ticket"]["via_followup_source_id"] == 35436
    assert store.ticket("zendesk", REF) == "40000"


# ---------------------------------------------------------------- alerts


@respx.mock
def test_an_alert_is_an_internal_note_on_the_contacts_supervisors_ticket() -> None:
    alerts_ref = f"desk-alerts:{CONTACT}"
    respx.get(f"{API}/tickets.json", params={"external_id": alerts_ref}).mock(
        side_effect=[
            httpx.Response(200, json={"tickets": []}),
        ]
    )
    created = respx.post(f"{API}/tickets.json").mock(
        return_value=httpx.Response(
            201, json={"ticket": _ticket(9, external_id=alerts_ref), "audit": _audit(90, 9)}
        )
    )
    respx.get(f"{API}/tickets/9/audits.json").mock(return_value=_audits(_audit(90, 9, "a1")))
    put = respx.put(f"{API}/tickets/9.json").mock(return_value=_updated(9, 91))
    zendesk, _ = _adapter(alert_group_id=360001)
    assert (
        zendesk.alert_supervisors(CONTACT, "new escalation: fraud_review", 1, "a1")
        == "zendesk:9:90"
    )
    ticket = _sent(created)["ticket"]
    assert ticket["comment"] == {"body": "new escalation: fraud_review", "public": False}
    assert ticket["group_id"] == 360001 and ticket["priority"] == "normal"
    assert "requester" not in ticket and ticket["subject"] == f"Escalated: {CONTACT}"
    assert ticket["metadata"] == {"desk_key": "a1", "desk_level": "1"}
    zendesk.alert_supervisors(CONTACT, "reminder", 3, "a2")
    assert _sent(put)["ticket"]["priority"] == "urgent"
    assert _sent(put)["ticket"]["comment"]["public"] is False


# ---------------------------------------------------------------- settings


def test_settings_come_from_the_environment_and_keep_the_token_secret() -> None:
    settings = ZendeskSettings.from_env(
        {
            "DESK_ZENDESK_SUBDOMAIN": "shop",
            "DESK_ZENDESK_EMAIL": "agent@shop.example",
            "DESK_ZENDESK_API_TOKEN": TOKEN,
            "DESK_ZENDESK_TAGS": "contact-desk, tier1",
            "DESK_ZENDESK_ALERT_GROUP_ID": "360001",
        }
    )
    assert settings.api_base == API and settings.tags == ["contact-desk", "tier1"]
    assert settings.alert_group_id == 360001
    assert TOKEN not in repr(settings) and TOKEN not in str(settings.model_dump())
    with pytest.raises(ValueError, match="DESK_ZENDESK_API_TOKEN") as err:
        ZendeskSettings.from_env({"DESK_ZENDESK_SUBDOMAIN": "shop", "DESK_ZENDESK_EMAIL": "a@b.c"})
    assert TOKEN not in str(err.value)


def test_credentials_go_to_https_or_to_loopback_only() -> None:
    assert _settings(base_url="http://127.0.0.1:8100/zendesk").api_base.startswith("http://127")
    for bad in ("http://zendesk.example", "ftp://x", "https://"):
        with pytest.raises(ValueError):
            _settings(base_url=bad)
    with pytest.raises(ValueError):
        _settings(subdomain="evil.example/x")
