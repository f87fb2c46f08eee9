"""Replies as Zendesk Support ticket comments, supervisor alerts as internal notes.

What maps to what:

- **A contact is a ticket.** Its ``external_id`` is ``desk:<contact id>`` and it carries the
  ``tags`` of the settings. The first reply creates it (``POST /api/v2/tickets.json``, the
  reply as its first, public comment; requester = the reply's ``to``: an email address, or
  for a phone or a handle a user upserted by ``external_id``), with an ``Idempotency-Key``
  derived from the reply's key. Every later reply finds it by ``external_id``
  (``GET /api/v2/tickets.json?external_id=``), so a retry or another worker never makes a
  second one; the ticket id is then remembered in the ``SentStore``. A contact whose ticket
  was closed (closed tickets take no comment) gets a follow-up ticket
  (``via_followup_source_id``).
- **A reply is a public comment**: ``PUT /api/v2/tickets/{id}.json`` with
  ``{"ticket": {"comment": {"body", "public": true}, "metadata": {"desk_key": key, ...}}}``.
  The custom ``metadata`` lands on the update's audit (``audit.metadata.custom``).
- **An alert is an internal note** (``public: false``) on the contact's *supervisors'*
  ticket: ``external_id`` ``desk-alerts:<contact id>``, in ``alert_group_id`` when set, its
  priority raised with the alert's level (1 normal, 2 high, 3+ urgent). A separate ticket,
  so an alert exists before the desk ever replied, sits in the supervisors' group and view,
  and never touches the customer's ticket (its requester, status or notifications).

Exactly once: adding a comment is not idempotent on Zendesk's side (a retried PUT adds a
second comment), so before posting the adapter (1) asks the ``SentStore`` for the key and
(2) reads the ticket's audits for one whose ``metadata.custom.desk_key`` is the key. Only
when neither has it is the comment posted, and its outbox id recorded. The outbox id is
``zendesk:<ticket id>:<audit id>``, the same whichever way it is found.

Errors: 429 and 5xx are retried by ``VendorClient`` honouring ``Retry-After`` (Zendesk's
429 body is plain text), then ``Unavailable``; 401/403 ``VendorAuthError``; a ticket at
Zendesk's 5,000-comment cap (found counting comments, or said by its 422) is ``Refused``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from desk.adapters.helpdesk.common import (
    SingleWrites,
    basic_auth,
    checked_base_url,
    contact_ref,
    digest,
    redacted_errors,
    response_words,
    settings_from_env,
)
from desk.adapters.helpdesk.store import MemorySentStore, SentStore
from desk.adapters.http import RateLimit, VendorClient
from desk.models import Channel, Reply
from desk.ports import Refused, Unavailable

VENDOR = "zendesk"
COMMENT_CAP = 5000  # comments per ticket, public and private together (Zendesk's limit)
_MAX_PAGES = 500
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class ZendeskSettings(BaseModel):
    """``DESK_ZENDESK_*``. Authentication is an API token: HTTP Basic
    ``{email}/token:{api_token}``."""

    model_config = ConfigDict(extra="forbid")

    subdomain: str | None = Field(None, description="<subdomain>.zendesk.com")
    base_url: str | None = Field(
        None, description="overrides the subdomain: https://…, or http:// on loopback (fakes)"
    )
    email: str = Field(min_length=3, description="the agent the API token belongs to")
    api_token: SecretStr
    author_id: int | None = Field(None, description="comments authored as this agent")
    group_id: int | None = Field(None, description="group of the customers' tickets")
    alert_group_id: int | None = Field(None, description="group of the supervisors' tickets")
    tags: list[str] = Field(default_factory=lambda: ["contact-desk"])
    default_subject: str = "Your order"
    requests_per_minute: float = Field(100, gt=0, description="Update Ticket: 100/min/account")
    timeout: float = Field(15, gt=0)
    attempts: int = Field(4, ge=1)
    max_wait: float = Field(30, ge=0, description="longest Retry-After waited in the thread")

    @field_validator("subdomain")
    @classmethod
    def _subdomain(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}", value):
            raise ValueError("a Zendesk subdomain is letters, digits and hyphens")
        return value

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        return checked_base_url(value)

    @model_validator(mode="after")
    def _where(self) -> ZendeskSettings:
        if not self.subdomain and not self.base_url:
            raise ValueError("set subdomain or base_url")
        return self

    @property
    def api_base(self) -> str:
        root = self.base_url or f"https://{self.subdomain}.zendesk.com"
        return root.rstrip("/") + "/api/v2"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> ZendeskSettings:
        return settings_from_env(cls, "DESK_ZENDESK_", env, lists=("tags",))


def _priority(level: int) -> str:
    return "normal" if level <= 1 else "high" if level == 2 else "urgent"


class ZendeskReplies:
    """``send_reply`` and ``alert_supervisors`` over Zendesk Support (see the module)."""

    vendor = VENDOR

    def __init__(
        self,
        settings: ZendeskSettings,
        store: SentStore | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.store: SentStore = store if store is not None else MemorySentStore()
        rpm = settings.requests_per_minute
        rate = RateLimit(per_second=rpm / 60, burst=max(1, min(10, int(rpm))))
        auth = basic_auth(f"{settings.email}/token", settings.api_token)

        def client(attempts: int) -> VendorClient:
            return VendorClient(
                vendor=VENDOR,
                base_url=settings.api_base,
                auth=auth,
                timeout=settings.timeout,
                attempts=attempts,
                max_wait=settings.max_wait,
                rate=rate,  # one budget for reads and writes
                transport=transport,
                sleep=sleep,
            )

        # Reads, the ticket creation (Idempotency-Key) and the user upsert are safe to
        # repeat: VendorClient retries them. Comments are written once per attempt.
        self.http = client(settings.attempts)
        self.writes = SingleWrites(client(1), settings.max_wait, sleep)

    def close(self) -> None:
        self.http.close()
        self.writes.close()

    # ------------------------------------------------------------ the port

    def send_reply(self, contact_id: str, reply: Reply, key: str) -> str:
        first = self.store.sent(key)
        if first is not None:
            return first
        comment: dict[str, Any] = {"body": reply.body, "public": True}
        if self.settings.author_id is not None:
            comment["author_id"] = self.settings.author_id
        meta = {"desk_key": key, "desk_channel": reply.channel.value}
        ref = contact_ref(contact_id)

        def new_ticket() -> dict[str, Any]:
            fields: dict[str, Any] = {
                "subject": reply.subject or self.settings.default_subject,
                "tags": list(self.settings.tags),
                **self._requester(reply),
            }
            if self.settings.group_id is not None:
                fields["group_id"] = self.settings.group_id
            return fields

        with redacted_errors():
            outbox = self._comment_once(ref, key, comment, meta, new_ticket, {})
        return self.store.record(key, VENDOR, contact_id, outbox)

    def alert_supervisors(self, contact_id: str, text: str, level: int, key: str) -> str:
        first = self.store.sent(key)
        if first is not None:
            return first
        comment: dict[str, Any] = {"body": text, "public": False}
        if self.settings.author_id is not None:
            comment["author_id"] = self.settings.author_id
        meta = {"desk_key": key, "desk_level": str(level)}
        ref = contact_ref(contact_id, kind="alerts")

        def new_ticket() -> dict[str, Any]:
            fields: dict[str, Any] = {
                "subject": f"Escalated: {contact_id}",
                "tags": [*self.settings.tags, "desk-escalation"],
                "priority": _priority(level),
            }
            if self.settings.alert_group_id is not None:
                fields["group_id"] = self.settings.alert_group_id
            return fields

        with redacted_errors():
            outbox = self._comment_once(
                ref, key, comment, meta, new_ticket, {"priority": _priority(level)}
            )
        return self.store.record(key, VENDOR, contact_id, outbox)

    # ------------------------------------------------------------ one comment per key

    def _comment_once(
        self,
        ref: str,
        key: str,
        comment: dict[str, Any],
        meta: dict[str, str],
        new_ticket: Callable[[], dict[str, Any]],
        update: dict[str, Any],
    ) -> str:
        """The outbox id of the comment carrying ``key`` on the contact's ticket: found, or
        added (to the open ticket, or to a new one). Every attempt looks for the key before
        it writes: an earlier attempt may have been written though its answer was lost."""
        attempts = self.settings.attempts
        for attempt in range(1, attempts + 1):
            ticket_id, closed_id = self._ticket_of(ref)
            if ticket_id is None:
                return self._create(ref, key, comment, meta, new_ticket(), closed_id)
            found, comments = self._find(ticket_id, key)
            if found is not None:
                return found
            if comments >= COMMENT_CAP:
                raise Refused(
                    f"zendesk ticket {ticket_id} holds {comments} comments, "
                    f"Zendesk's cap is {COMMENT_CAP}: no comment can be added"
                )
            body = {"ticket": {**update, "comment": comment, "metadata": meta}}
            response = self.writes.send(
                attempt, attempts, "PUT", f"/tickets/{ticket_id}.json", json=body, expect=(404, 422)
            )
            if response is None:
                continue  # throttled, failed or unanswered: look again, then write again
            if response.status_code == 404 or _closed(response):
                self.store.remember_ticket(VENDOR, ref, None)  # deleted or closed: look it up
                self.writes.last = f"zendesk ticket {ticket_id} is gone or closed"
                continue
            if response.status_code == 422:
                raise Refused(_refusal(ticket_id, response))
            return self._outbox(ticket_id, key, response)
        raise Unavailable(f"{self.writes.last} after {attempts} attempts")

    def _ticket_of(self, ref: str) -> tuple[str | None, str | None]:
        """(the contact's open ticket, its newest closed ticket) by the remembered id or
        the ``external_id``."""
        remembered = self.store.ticket(VENDOR, ref)
        if remembered is not None:
            return remembered, None
        response = self.http.request("GET", "/tickets.json", params={"external_id": ref})
        tickets = [t for t in _json(response).get("tickets") or [] if isinstance(t, dict)]
        ours = [t for t in tickets if t.get("external_id") == ref and "id" in t]
        live = [t for t in ours if t.get("status") != "closed"]
        closed = [t for t in ours if t.get("status") == "closed"]
        if live:
            # Two live tickets for one contact would be a bug elsewhere: use the oldest,
            # which holds the conversation so far, every time.
            ticket_id = str(min(int(t["id"]) for t in live))
            self.store.remember_ticket(VENDOR, ref, ticket_id)
            return ticket_id, None
        newest_closed = str(max(int(t["id"]) for t in closed)) if closed else None
        return None, newest_closed

    def _create(
        self,
        ref: str,
        key: str,
        comment: dict[str, Any],
        meta: dict[str, str],
        fields: dict[str, Any],
        closed_id: str | None,
    ) -> str:
        ticket: dict[str, Any] = {**fields, "external_id": ref, "comment": comment}
        ticket["metadata"] = meta
        if closed_id is not None:
            ticket["via_followup_source_id"] = int(closed_id)
        response = self.http.request(
            "POST",
            "/tickets.json",
            json={"ticket": ticket},
            headers={"Idempotency-Key": f"desk-{digest(ref + '|' + key, 48)}"},
            expect=(422,),
        )
        if response.status_code == 422:
            raise Refused(f"zendesk refused the new ticket: {_words(response)}")
        created = _json(response).get("ticket") or {}
        if "id" not in created:
            raise Unavailable("zendesk: ticket creation answered without a ticket id")
        ticket_id = str(created["id"])
        self.store.remember_ticket(VENDOR, ref, ticket_id)
        return self._outbox(ticket_id, key, response)

    def _outbox(self, ticket_id: str, key: str, response: httpx.Response) -> str:
        try:
            audit = _json(response).get("audit")
        except Unavailable:
            audit = None
        if isinstance(audit, dict) and audit.get("id") is not None:
            return f"zendesk:{ticket_id}:{audit['id']}"
        found, _ = self._find(ticket_id, key)  # an answer without its audit: read it back
        if found is None:
            raise Unavailable(f"zendesk ticket {ticket_id}: the comment's audit was not found")
        return found

    def _find(self, ticket_id: str, key: str) -> tuple[str | None, int]:
        """(the outbox id of the audit carrying ``key``, the ticket's comment count)."""
        comments = 0
        for audit in self._audits(ticket_id):
            custom = (audit.get("metadata") or {}).get("custom") or {}
            if isinstance(custom, dict) and custom.get("desk_key") == key:
                return f"zendesk:{ticket_id}:{audit.get('id')}", comments
            comments += sum(
                1
                for e in audit.get("events") or []
                if isinstance(e, dict) and e.get("type") in ("Comment", "VoiceComment")
            )
        return None, comments

    def _audits(self, ticket_id: str) -> Iterator[dict[str, Any]]:
        """Every audit of the ticket, following cursor (``links.next``) or offset
        (``next_page``) pagination; the next page is asked of the same path with the
        link's query only, never of a host the link names."""
        params: dict[str, Any] = {"page[size]": 100}
        seen: set[str] = set()
        for _ in range(_MAX_PAGES):
            response = self.http.request("GET", f"/tickets/{ticket_id}/audits.json", params=params)
            page = _json(response)
            for audit in page.get("audits") or []:
                if isinstance(audit, dict):
                    yield audit
            links = page.get("links") or {}
            meta = page.get("meta") or {}
            following = links.get("next") if meta.get("has_more") else page.get("next_page")
            if not following or following in seen:
                return
            seen.add(following)
            params = dict(parse_qsl(urlsplit(following).query))

    def _requester(self, reply: Reply) -> dict[str, Any]:
        """The new ticket's requester: the email address itself, or, for a phone number or
        a handle, a Zendesk user upserted by an external id derived from it (the same
        customer identity is the same user every time)."""
        if _EMAIL.match(reply.to):
            return {"requester": {"email": reply.to, "name": reply.to}}
        user: dict[str, Any] = {
            "name": reply.to,
            "external_id": f"desk-identity:{digest(reply.to)}",
        }
        if reply.channel == Channel.sms:
            user["phone"] = reply.to
        response = self.http.request(
            "POST", "/users/create_or_update.json", json={"user": user}, expect=(422,)
        )
        if response.status_code == 422:
            raise Refused(f"zendesk refused the requester: {_words(response)}")
        found = _json(response).get("user") or {}
        if "id" not in found:
            raise Unavailable("zendesk: the requester's user came back without an id")
        return {"requester_id": found["id"]}


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        raise Unavailable(
            f"zendesk answered HTTP {response.status_code} with a body that is not JSON"
        ) from None
    return data if isinstance(data, dict) else {}


def _words(response: httpx.Response) -> str:
    return response_words(response)


def _closed(response: httpx.Response) -> bool:
    """A 422 because the ticket is closed ("Status: closed prevents ticket update")."""
    return response.status_code == 422 and "closed prevents" in _words(response).lower()


def _refusal(ticket_id: str, response: httpx.Response) -> str:
    words = _words(response)
    lowered = words.lower()
    if "comment" in lowered and any(w in lowered for w in ("limit", "maximum", "5000", "5,000")):
        return f"zendesk ticket {ticket_id} is at Zendesk's {COMMENT_CAP}-comment cap: {words}"
    return f"zendesk refused the comment on ticket {ticket_id}: {words}"
