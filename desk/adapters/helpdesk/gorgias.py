"""Replies as Gorgias ticket messages, supervisor alerts as internal notes.

What maps to what:

- **A contact is a ticket** whose ``external_id`` is ``desk:<contact id>``. The first reply
  creates it (``POST /api/tickets``, the reply as its one message; customer = the reply's
  ``to`` when it is an email address); later replies find it by
  ``GET /api/tickets?external_id=`` (the oldest ticket not trashed), remembered afterwards
  in the ``SentStore``. Gorgias reopens a closed ticket that gets a message, so a contact
  keeps one ticket.
- **A reply is an outgoing message**: ``POST /api/tickets/{id}/messages`` with the rules of
  Gorgias's guide: ``from_agent: true``, ``sender`` = the agent (``sender_email`` or
  ``sender_id``), ``receiver`` = the customer, ``via: "api"``, ``channel`` by the desk's
  channel (``channels``: email → email, sms → sms, chat → chat, web → email; a channel
  with no Gorgias channel is refused), ``source`` {type, from: the channel's support
  address, to: the customer}, ``body_text`` and an escaped ``body_html``, ``subject``, and
  the key's marker in ``external_id``. No ``sent_datetime``: Gorgias sends it (an import
  would set it).
- **An alert is an internal note** (``channel: "internal-note"``, never sent to a customer)
  on the contact's supervisors' ticket (``external_id`` ``desk-alerts:<contact id>``,
  customer ``alert_customer_email``, team ``alert_team_id``). Without
  ``alert_customer_email`` alerts are refused: leave them to the desk's registry.

Exactly once: Gorgias has no idempotency key, so the adapter asks the ``SentStore``, then
reads the ticket's messages (``GET /api/messages?ticket_id=``, newest first) for one whose
``external_id`` is the key's marker, and posts only when neither has it. Outbox id:
``gorgias:<ticket id>:<message id>``.

Rate limit: API-key integrations get 40 requests per 20 s (a leaky bucket per account).
The adapter spaces its own requests (``requests_per_window`` / ``window_seconds``, bursts of
``burst``), slows down when ``X-Gorgias-Account-Api-Call-Limit`` (``used/limit``, shared
with every other integration of the account) passes ``slow_at``, and a 429 is retried after
its ``Retry-after`` by ``VendorClient``.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from desk.adapters.helpdesk.common import (
    SingleWrites,
    basic_auth,
    checked_base_url,
    contact_ref,
    key_marker,
    redacted_errors,
    response_words,
    settings_from_env,
)
from desk.adapters.helpdesk.store import MemorySentStore, SentStore
from desk.adapters.http import RateLimit, VendorClient
from desk.models import Channel, Reply
from desk.ports import Refused, Unavailable

VENDOR = "gorgias"
CALL_LIMIT_HEADER = "X-Gorgias-Account-Api-Call-Limit"
_MAX_PAGES = 200
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

DEFAULT_CHANNELS = {
    Channel.email.value: "email",
    Channel.sms.value: "sms",
    Channel.chat.value: "chat",
    Channel.web.value: "email",
}


class GorgiasSettings(BaseModel):
    """``DESK_GORGIAS_*``. Authentication: HTTP Basic ``email:api_key`` (a private app's
    REST API key)."""

    model_config = ConfigDict(extra="forbid")

    domain: str | None = Field(None, description="<domain>.gorgias.com")
    base_url: str | None = Field(
        None, description="overrides the domain: https://…, or http:// on loopback (fakes)"
    )
    email: str = Field(min_length=3, description="the user the API key belongs to")
    api_key: SecretStr
    sender_email: str | None = Field(None, description="agent the replies are from (or email)")
    sender_id: int | None = Field(None, description="…or that agent's user id")
    channels: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_CHANNELS))
    from_addresses: dict[str, str] = Field(
        default_factory=dict, description="Gorgias channel → support address (source.from)"
    )
    integration_ids: dict[str, int] = Field(
        default_factory=dict, description="Gorgias channel → integration that sends on it"
    )
    alert_customer_email: str | None = Field(None, description="customer of the alert tickets")
    alert_team_id: int | None = None
    tags: list[str] = Field(default_factory=lambda: ["contact-desk"])
    default_subject: str = "Your order"
    requests_per_window: int = Field(40, ge=1)
    window_seconds: float = Field(20, gt=0)
    burst: int = Field(10, ge=1)
    slow_at: float = Field(0.8, gt=0, le=1, description="share of the account's bucket")
    timeout: float = Field(15, gt=0)
    attempts: int = Field(4, ge=1)
    max_wait: float = Field(30, ge=0)

    @field_validator("domain")
    @classmethod
    def _domain(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}", value):
            raise ValueError("a Gorgias domain is letters, digits and hyphens")
        return value

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        return checked_base_url(value)

    @model_validator(mode="after")
    def _where(self) -> GorgiasSettings:
        if not self.domain and not self.base_url:
            raise ValueError("set domain or base_url")
        return self

    @property
    def api_base(self) -> str:
        root = self.base_url or f"https://{self.domain}.gorgias.com"
        return root.rstrip("/") + "/api"

    @property
    def drain_per_second(self) -> float:
        return self.requests_per_window / self.window_seconds

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> GorgiasSettings:
        return settings_from_env(
            cls,
            "DESK_GORGIAS_",
            env,
            lists=("tags",),
            maps=("channels", "from_addresses", "integration_ids"),
        )


def body_html(text: str) -> str:
    """The plain reply as HTML: escaped, paragraphs and line breaks kept."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return "".join(
        "<p>" + "<br>".join(html.escape(line) for line in p.splitlines()) + "</p>"
        for p in paragraphs
    )


def call_limit(response: httpx.Response) -> tuple[int, int] | None:
    """(used, limit) from ``X-Gorgias-Account-Api-Call-Limit: 10/40``."""
    value = response.headers.get(CALL_LIMIT_HEADER, "")
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", value)
    return (int(match.group(1)), int(match.group(2))) if match else None


class GorgiasReplies:
    """``send_reply`` and ``alert_supervisors`` over Gorgias (see the module)."""

    vendor = VENDOR

    def __init__(
        self,
        settings: GorgiasSettings,
        store: SentStore | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.store: SentStore = store if store is not None else MemorySentStore()
        self._sleep = sleep
        rate = RateLimit(per_second=settings.drain_per_second, burst=settings.burst)
        auth = basic_auth(settings.email, settings.api_key)

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

        # Reads are retried by VendorClient; tickets and messages are written once per
        # attempt (Gorgias has no idempotency key), the marker looked for in between.
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
        channel = self.settings.channels.get(reply.channel.value)
        if not channel:
            raise Refused(f"gorgias: no Gorgias channel is configured for {reply.channel.value}")
        message: dict[str, Any] = {
            "channel": channel,
            "via": "api",
            "from_agent": True,
            "sender": self._sender(),
            "source": self._source(channel, reply.to),
            "body_text": reply.body,
            "body_html": body_html(reply.body),
            "external_id": key_marker(key),
        }
        if _EMAIL.match(reply.to):
            message["receiver"] = {"email": reply.to}
        if reply.subject:
            message["subject"] = reply.subject
        if channel in self.settings.integration_ids:
            message["integration_id"] = self.settings.integration_ids[channel]

        def new_ticket() -> dict[str, Any]:
            fields: dict[str, Any] = {
                "channel": channel,
                "via": "api",
                "from_agent": True,
                "subject": reply.subject or self.settings.default_subject,
                "tags": [{"name": t} for t in self.settings.tags],
            }
            if _EMAIL.match(reply.to):
                fields["customer"] = {"email": reply.to}
            return fields

        with redacted_errors():
            outbox = self._message_once(contact_ref(contact_id), key, message, new_ticket)
        return self.store.record(key, VENDOR, contact_id, outbox)

    def alert_supervisors(self, contact_id: str, text: str, level: int, key: str) -> str:
        first = self.store.sent(key)
        if first is not None:
            return first
        if not self.settings.alert_customer_email:
            raise Refused("gorgias: alerts need DESK_GORGIAS_ALERT_CUSTOMER_EMAIL")
        note: dict[str, Any] = {
            "channel": "internal-note",
            "via": "api",
            "from_agent": True,
            "sender": self._sender(),
            "body_text": f"[level {level}] {text}",
            "body_html": body_html(f"[level {level}] {text}"),
            "external_id": key_marker(key),
        }

        def new_ticket() -> dict[str, Any]:
            fields: dict[str, Any] = {
                "channel": "internal-note",
                "via": "api",
                "from_agent": True,
                "subject": f"Escalated: {contact_id}",
                "customer": {"email": self.settings.alert_customer_email},
                "tags": [{"name": t} for t in [*self.settings.tags, "desk-escalation"]],
            }
            if self.settings.alert_team_id is not None:
                fields["assignee_team"] = {"id": self.settings.alert_team_id}
            return fields

        with redacted_errors():
            outbox = self._message_once(
                contact_ref(contact_id, kind="alerts"), key, note, new_ticket
            )
        return self.store.record(key, VENDOR, contact_id, outbox)

    # ------------------------------------------------------------ one message per key

    def _message_once(
        self,
        ref: str,
        key: str,
        message: dict[str, Any],
        new_ticket: Callable[[], dict[str, Any]],
    ) -> str:
        marker = key_marker(key)
        attempts = self.settings.attempts
        for attempt in range(1, attempts + 1):
            ticket_id = self._ticket_of(ref)
            if ticket_id is None:
                body = {**new_ticket(), "external_id": ref, "messages": [message]}
                response = self._write(attempt, attempts, "POST", "/tickets", json=body)
                if response is None:
                    continue  # created or not, unknown: look the ticket up again first
                return self._created(ref, marker, response)
            found = self._find(ticket_id, marker)
            if found is not None:
                return found
            path = f"/tickets/{ticket_id}/messages"
            response = self._write(attempt, attempts, "POST", path, json=message)
            if response is None:
                continue  # throttled, failed or unanswered: look again, then write again
            if response.status_code == 404:
                self.store.remember_ticket(VENDOR, ref, None)  # deleted: look it up again
                self.writes.last = f"gorgias ticket {ticket_id} is gone"
                continue
            return self._outbox(ticket_id, marker, _json(response))
        raise Unavailable(f"{self.writes.last} after {attempts} attempts")

    def _write(
        self, attempt: int, attempts: int, method: str, path: str, **kwargs: Any
    ) -> httpx.Response | None:
        response = self.writes.send(
            attempt, attempts, method, path, expect=(400, 404, 422), **kwargs
        )
        if response is None:
            return None
        self._pace(response)
        if response.status_code in (400, 422):
            raise Refused(f"gorgias refused {method} {path}: " + response_words(response))
        return response

    def _ticket_of(self, ref: str) -> str | None:
        remembered = self.store.ticket(VENDOR, ref)
        if remembered is not None:
            return remembered
        response = self._request(
            "GET",
            "/tickets",
            params={"external_id": ref, "limit": 100, "order_by": "created_datetime:asc"},
        )
        tickets = [t for t in _json(response).get("data") or [] if isinstance(t, dict)]
        ours = [
            t
            for t in tickets
            if t.get("external_id") == ref and "id" in t and not t.get("trashed_datetime")
        ]
        if not ours:
            return None
        ticket_id = str(min(int(t["id"]) for t in ours))
        self.store.remember_ticket(VENDOR, ref, ticket_id)
        return ticket_id

    def _created(self, ref: str, marker: str, response: httpx.Response) -> str:
        created = _json(response)
        if "id" not in created:
            raise Unavailable("gorgias: ticket creation answered without a ticket id")
        ticket_id = str(created["id"])
        self.store.remember_ticket(VENDOR, ref, ticket_id)
        for posted in created.get("messages") or []:
            if isinstance(posted, dict) and posted.get("external_id") == marker:
                return self._outbox(ticket_id, marker, posted)
        return self._outbox(ticket_id, marker, {})

    def _outbox(self, ticket_id: str, marker: str, message: dict[str, Any]) -> str:
        if message.get("id") is not None:
            return f"gorgias:{ticket_id}:{message['id']}"
        found = self._find(ticket_id, marker)  # an answer without the message: read it back
        if found is None:
            raise Unavailable(f"gorgias ticket {ticket_id}: the new message was not found")
        return found

    def _find(self, ticket_id: str, marker: str) -> str | None:
        for message in self._messages(ticket_id):
            if message.get("external_id") == marker and message.get("id") is not None:
                return f"gorgias:{ticket_id}:{message['id']}"
        return None

    def _messages(self, ticket_id: str) -> Iterator[dict[str, Any]]:
        """The ticket's messages, newest first (a retried message is a recent one)."""
        params: dict[str, Any] = {
            "ticket_id": ticket_id,
            "limit": 100,
            "order_by": "created_datetime:desc",
        }
        seen: set[str] = set()
        for _ in range(_MAX_PAGES):
            page = _json(self._request("GET", "/messages", params=params))
            for message in page.get("data") or []:
                if isinstance(message, dict):
                    yield message
            cursor = (page.get("meta") or {}).get("next_cursor")
            if not cursor or cursor in seen:
                return
            seen.add(cursor)
            params = {**params, "cursor": cursor}

    # ------------------------------------------------------------ plumbing

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self.http.request(method, path, **kwargs)
        self._pace(response)
        return response

    def _pace(self, response: httpx.Response) -> None:
        """Slow down while the account's bucket is nearly full (every integration of the
        account draws on it): wait until it has drained below ``slow_at``."""
        reading = call_limit(response)
        if reading is None:
            return
        used, limit = reading
        threshold = self.settings.slow_at * limit
        if limit <= 0 or used < threshold:
            return
        drain = limit / self.settings.window_seconds  # the account's bucket, as it says
        wait = (used - threshold + 1) / drain
        self._sleep(min(wait, self.settings.window_seconds))

    def _sender(self) -> dict[str, Any]:
        if self.settings.sender_id is not None:
            return {"id": self.settings.sender_id}
        return {"email": self.settings.sender_email or self.settings.email}

    def _source(self, channel: str, to: str) -> dict[str, Any]:
        source: dict[str, Any] = {"type": channel, "to": [{"address": to}]}
        sender = self.settings.from_addresses.get(channel)
        if sender:
            source["from"] = {"address": sender}
        return source


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        raise Unavailable(
            f"gorgias answered HTTP {response.status_code} with a body that is not JSON"
        ) from None
    return data if isinstance(data, dict) else {}
