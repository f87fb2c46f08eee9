"""Zendesk Support and Gorgias, faked over a ``SandboxShop``: the endpoints the desk's
helpdesk adapters use, in the documented shapes, under ``/zendesk/api/v2/...`` and
``/gorgias/api/...``.

What reaches the shop: a *public* Zendesk comment or an outgoing Gorgias message on a
contact's ticket (``external_id`` ``desk:<contact id>``) becomes the sandbox's outbox row
through ``shop.send_reply``, and an internal note on a supervisors' ticket
(``desk-alerts:<contact id>``) a supervisor alert through ``shop.alert_supervisors``. The
row's key is the desk's key the comment or message carries (``metadata.custom.desk_key``,
or the message's ``external_id``), so the scenario runner's ledger reads the same keys as
with the sandbox's own Helpdesk. Like the real vendors the fakes never deduplicate: a
second comment with the same key is a second row, keyed ``<key>#dup2``.

Faithful where the adapters depend on it: HTTP Basic auth (401 without it), Zendesk's
``Idempotency-Key`` on ticket creation, its 422s (a closed ticket, the comment cap —
``comment_cap``, 5,000 by default), cursor pagination of audits and messages, the
``Retry-After`` 429s (Zendesk's plain-text body; Gorgias's leaky bucket of 40 per 20 s —
``gorgias_bucket`` — with ``X-Gorgias-Account-Api-Call-Limit``). ``inject`` makes the next
requests fail (before or, ``lost=True``, after doing the work) for the retry tests.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from desk.adapters.helpdesk.common import MARK, contact_from_ref
from desk.adapters.sandbox import SandboxShop
from desk.models import Channel, Reply
from devtools.vendor_fakes import Clock

ZENDESK_LIMIT_PER_MINUTE = 700
GORGIAS_BUCKET = 40
GORGIAS_WINDOW = 20.0
_CHANNEL_BACK = {"email": Channel.email, "sms": Channel.sms, "chat": Channel.chat}


@dataclass
class Injected:
    vendor: str
    status: int
    method: str | None
    lost: bool
    headers: dict[str, str]
    body: str


@dataclass
class ZUser:
    id: int
    name: str
    email: str | None = None
    phone: str | None = None
    external_id: str | None = None

    def json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "phone": self.phone,
            "external_id": self.external_id,
            "role": "end-user",
        }


@dataclass
class ZTicket:
    id: int
    external_id: str | None
    subject: str
    requester_id: int
    status: str = "open"
    priority: str | None = None
    group_id: int | None = None
    tags: list[str] = field(default_factory=list)
    created_at: str = ""
    updated_at: str = ""
    via_followup_source_id: int | None = None
    description: str = ""
    audits: list[dict[str, Any]] = field(default_factory=list)
    comments: int = 0

    def json(self, base: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": f"{base}/api/v2/tickets/{self.id}.json",
            "external_id": self.external_id,
            "subject": self.subject,
            "raw_subject": self.subject,
            "description": self.description,
            "status": self.status,
            "priority": self.priority,
            "requester_id": self.requester_id,
            "submitter_id": 1,
            "group_id": self.group_id,
            "tags": list(self.tags),
            "via": {"channel": "api"},
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "via_followup_source_id": self.via_followup_source_id,
        }


@dataclass
class GTicket:
    id: int
    external_id: str | None
    subject: str
    channel: str
    customer: dict[str, Any] | None
    created_datetime: str
    status: str = "open"
    tags: list[dict[str, Any]] = field(default_factory=list)
    assignee_team: dict[str, Any] | None = None
    trashed_datetime: str | None = None
    messages: list[dict[str, Any]] = field(default_factory=list)

    def json(self, with_messages: bool = False) -> dict[str, Any]:
        data = {
            "id": self.id,
            "uri": f"/api/tickets/{self.id}",
            "external_id": self.external_id,
            "subject": self.subject,
            "channel": self.channel,
            "via": "api",
            "status": self.status,
            "customer": self.customer,
            "tags": self.tags,
            "assignee_team": self.assignee_team,
            "created_datetime": self.created_datetime,
            "updated_datetime": self.created_datetime,
            "trashed_datetime": self.trashed_datetime,
        }
        if with_messages:
            data["messages"] = list(self.messages)
        return data


class HelpdeskFake:
    """The state of both fakes and their routes (``router``); tests keep the object to
    inject failures and read what the vendors hold."""

    def __init__(
        self,
        shop: SandboxShop,
        clock: Clock,
        *,
        zendesk_credentials: tuple[str, str] | None = None,
        gorgias_credentials: tuple[str, str] | None = None,
        comment_cap: int = 5000,
        gorgias_bucket: int = GORGIAS_BUCKET,
    ) -> None:
        self.shop = shop
        self.clock = clock
        self.zendesk_credentials = zendesk_credentials
        self.gorgias_credentials = gorgias_credentials
        self.comment_cap = comment_cap
        self.gorgias_bucket = gorgias_bucket
        self._lock = threading.RLock()
        self._ids = 1000
        self.z_users: dict[int, ZUser] = {}
        self.z_tickets: dict[int, ZTicket] = {}
        self._z_idempotency: dict[str, tuple[str, dict[str, Any]]] = {}
        self._z_window: list[float] = []
        self.g_tickets: dict[int, GTicket] = {}
        self._g_customers: dict[str, dict[str, Any]] = {}
        self._g_level = 0.0
        self._g_at = time.monotonic()
        self._injected: list[Injected] = []
        self._keys_seen: dict[str, int] = {}
        self.requests: list[tuple[str, str, str]] = []  # (vendor, method, path)
        self.router = self._routes()

    # ------------------------------------------------------------ for tests

    def inject(
        self,
        vendor: str,
        status: int,
        *,
        times: int = 1,
        method: str | None = None,
        lost: bool = False,
        retry_after: float | None = None,
        body: str = "",
    ) -> None:
        """The next ``times`` requests to ``vendor`` (of ``method``, if given) answer
        ``status``; with ``lost`` the request is carried out first, its answer lost."""
        headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
        with self._lock:
            for _ in range(times):
                self._injected.append(Injected(vendor, status, method, lost, headers, body))

    def zendesk_comments(self, ticket_id: int) -> list[dict[str, Any]]:
        with self._lock:
            return [
                event
                for audit in self.z_tickets[ticket_id].audits
                for event in audit["events"]
                if event["type"] == "Comment"
            ]

    # ------------------------------------------------------------ plumbing

    def _next_id(self) -> int:
        with self._lock:
            self._ids += 1
            return self._ids

    def _now(self) -> str:
        return self.clock().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _take_injected(self, vendor: str, method: str) -> Injected | None:
        with self._lock:
            for i, each in enumerate(self._injected):
                if each.vendor == vendor and each.method in (None, method):
                    return self._injected.pop(i)
        return None

    def _deliver(self, contact_id: str, key: str | None, fallback: str, reply: Reply) -> None:
        self.shop.send_reply(contact_id, reply, self._row_key(key or fallback))

    def _alert(
        self, contact_id: str, key: str | None, fallback: str, text: str, level: int
    ) -> None:
        self.shop.alert_supervisors(contact_id, text, level, self._row_key(key or fallback))

    def _row_key(self, key: str) -> str:
        """The key itself the first time; like the vendors, a repeat is a new message."""
        with self._lock:
            seen = self._keys_seen.get(key, 0) + 1
            self._keys_seen[key] = seen
        return key if seen == 1 else f"{key}#dup{seen}"

    def _routes(self) -> APIRouter:
        router = APIRouter()
        fake = self

        async def call(vendor: str, request: Request, handler: Any, **params: Any) -> Response:
            fake.requests.append((vendor, request.method, request.url.path))
            denied = fake._authenticate(vendor, request)
            if denied is not None:
                return denied
            throttled = fake._throttle(vendor)
            if throttled is not None:
                return throttled
            injected = fake._take_injected(vendor, request.method)
            if injected is not None and not injected.lost:
                return _injected_response(injected)
            raw = await request.body()
            try:
                body = json.loads(raw) if raw else {}
            except json.JSONDecodeError:
                return JSONResponse({"error": "InvalidJSON"}, status_code=400)
            response: Response = handler(request, body, **params)
            if vendor == "gorgias":
                response.headers["X-Gorgias-Account-Api-Call-Limit"] = (
                    f"{math.ceil(fake._g_level)}/{fake.gorgias_bucket}"
                )
            if injected is not None:  # done, and the answer lost on the way
                return _injected_response(injected)
            return response

        # -------------------------------- Zendesk

        @router.get("/zendesk/api/v2/tickets.json")
        async def z_list(request: Request) -> Response:
            return await call("zendesk", request, fake._z_list)

        @router.post("/zendesk/api/v2/tickets.json")
        async def z_create(request: Request) -> Response:
            return await call("zendesk", request, fake._z_create)

        @router.put("/zendesk/api/v2/tickets/{ticket_id}.json")
        async def z_update(request: Request, ticket_id: int) -> Response:
            return await call("zendesk", request, fake._z_update, ticket_id=ticket_id)

        @router.get("/zendesk/api/v2/tickets/{ticket_id}/audits.json")
        async def z_audits(request: Request, ticket_id: int) -> Response:
            return await call("zendesk", request, fake._z_audits, ticket_id=ticket_id)

        @router.post("/zendesk/api/v2/users/create_or_update.json")
        async def z_user(request: Request) -> Response:
            return await call("zendesk", request, fake._z_upsert_user)

        # -------------------------------- Gorgias

        @router.get("/gorgias/api/tickets")
        async def g_list(request: Request) -> Response:
            return await call("gorgias", request, fake._g_list)

        @router.post("/gorgias/api/tickets")
        async def g_create(request: Request) -> Response:
            return await call("gorgias", request, fake._g_create)

        @router.post("/gorgias/api/tickets/{ticket_id}/messages")
        async def g_message(request: Request, ticket_id: int) -> Response:
            return await call("gorgias", request, fake._g_message, ticket_id=ticket_id)

        @router.get("/gorgias/api/messages")
        async def g_messages(request: Request) -> Response:
            return await call("gorgias", request, fake._g_messages)

        return router

    def _authenticate(self, vendor: str, request: Request) -> Response | None:
        header = request.headers.get("authorization", "")
        user = secret = ""
        if header.lower().startswith("basic "):
            try:
                user, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                user = secret = ""
        if vendor == "zendesk":
            expected = self.zendesk_credentials
            ok = user.endswith("/token") and bool(secret)
            if ok and expected is not None:
                ok = (user, secret) == (f"{expected[0]}/token", expected[1])
            if not ok:
                return JSONResponse({"error": "Couldn't authenticate you"}, status_code=401)
            return None
        expected = self.gorgias_credentials
        ok = bool(user) and bool(secret)
        if ok and expected is not None:
            ok = (user, secret) == expected
        if not ok:
            return JSONResponse({"error": {"msg": "Unauthorized"}}, status_code=401)
        return None

    def _throttle(self, vendor: str) -> Response | None:
        now = time.monotonic()
        with self._lock:
            if vendor == "zendesk":
                self._z_window = [t for t in self._z_window if now - t < 60] + [now]
                if len(self._z_window) > ZENDESK_LIMIT_PER_MINUTE:
                    wait = max(1, math.ceil(60 - (now - self._z_window[0])))
                    return PlainTextResponse(
                        "Number of allowed API requests per minute exceeded",
                        status_code=429,
                        headers={
                            "Retry-After": str(wait),
                            "X-Rate-Limit": str(ZENDESK_LIMIT_PER_MINUTE),
                            "X-Rate-Limit-Remaining": "0",
                        },
                    )
                return None
            bucket = self.gorgias_bucket
            drain = bucket / GORGIAS_WINDOW
            self._g_level = max(0.0, self._g_level - (now - self._g_at) * drain)
            self._g_at = now
            if self._g_level + 1 > bucket:
                wait = math.ceil((self._g_level + 1 - bucket) / drain)
                return JSONResponse(
                    {"error": {"msg": "Too Many Requests"}},
                    status_code=429,
                    headers={
                        "Retry-after": str(wait),
                        "X-Gorgias-Account-Api-Call-Limit": f"{bucket}/{bucket}",
                    },
                )
            self._g_level += 1
            return None

    # ------------------------------------------------------------ Zendesk

    def _z_base(self, request: Request) -> str:
        return str(request.base_url).rstrip("/") + "/zendesk"

    def _z_list(self, request: Request, _body: Any) -> Response:
        external_id = request.query_params.get("external_id")
        with self._lock:
            tickets = [
                t.json(self._z_base(request))
                for t in sorted(self.z_tickets.values(), key=lambda t: t.id)
                if external_id is None or t.external_id == external_id
            ]
        return JSONResponse(
            {"tickets": tickets, "next_page": None, "previous_page": None, "count": len(tickets)}
        )

    def _z_requester(self, ticket: dict[str, Any]) -> ZUser | JSONResponse:
        if "requester_id" in ticket:
            user = self.z_users.get(int(ticket["requester_id"]))
            if user is None:
                return _z_invalid("requester_id", "Requester is invalid")
            return user
        requester = ticket.get("requester")
        if isinstance(requester, dict) and requester.get("email"):
            email = str(requester["email"]).lower()
            for user in self.z_users.values():
                if user.email == email:
                    return user
            user = ZUser(self._next_id(), str(requester.get("name") or email), email=email)
            self.z_users[user.id] = user
            return user
        # No requester: the authenticated agent asks (the fake's agent is user 1).
        return self.z_users.setdefault(1, ZUser(1, "Desk agent", email="agent@fake.test"))

    def _z_create(self, request: Request, body: Any) -> Response:
        ticket = body.get("ticket") if isinstance(body, dict) else None
        if not isinstance(ticket, dict):
            return JSONResponse({"error": "InvalidEndpoint"}, status_code=400)
        comment = ticket.get("comment")
        if not isinstance(comment, dict) or not (comment.get("body") or comment.get("html_body")):
            return _z_invalid("description", "Description: cannot be blank")
        key = request.headers.get("idempotency-key")
        fingerprint = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        with self._lock:
            if key is not None and key in self._z_idempotency:
                seen, answer = self._z_idempotency[key]
                if seen != fingerprint:
                    return JSONResponse(
                        {
                            "error": "IdempotentRequestError",
                            "description": "Idempotency key reused with a different payload",
                        },
                        status_code=400,
                    )
                return JSONResponse(
                    answer, status_code=201, headers={"x-idempotency-lookup": "hit"}
                )
            requester = self._z_requester(ticket)
            if isinstance(requester, JSONResponse):
                return requester
            source = ticket.get("via_followup_source_id")
            if source is not None:
                closed = self.z_tickets.get(int(source))
                if closed is None or closed.status != "closed":
                    return _z_invalid("via_followup_source_id", "is not a closed ticket")
            now = self._now()
            created = ZTicket(
                id=self._next_id(),
                external_id=ticket.get("external_id"),
                subject=str(ticket.get("subject") or str(comment.get("body", ""))[:50]),
                requester_id=requester.id,
                status=str(ticket.get("status") or "open"),
                priority=ticket.get("priority"),
                group_id=ticket.get("group_id"),
                tags=[str(t) for t in ticket.get("tags") or []],
                created_at=now,
                updated_at=now,
                via_followup_source_id=int(source) if source is not None else None,
                description=str(comment.get("body", "")),
            )
            self.z_tickets[created.id] = created
            audit = self._z_comment(created, comment, ticket.get("metadata"))
            answer = {"ticket": created.json(self._z_base(request)), "audit": audit}
            if key is not None:
                self._z_idempotency[key] = (fingerprint, answer)
        headers = {"x-idempotency-lookup": "miss"} if key is not None else {}
        return JSONResponse(
            answer,
            status_code=201,
            headers={
                **headers,
                "Location": f"{self._z_base(request)}/api/v2/tickets/{created.id}.json",
            },
        )

    def _z_update(self, request: Request, body: Any, ticket_id: int) -> Response:
        ticket = body.get("ticket") if isinstance(body, dict) else None
        if not isinstance(ticket, dict):
            return JSONResponse({"error": "InvalidEndpoint"}, status_code=400)
        with self._lock:
            found = self.z_tickets.get(ticket_id)
            if found is None:
                return JSONResponse(
                    {"error": "RecordNotFound", "description": "Not found"}, status_code=404
                )
            if found.status == "closed":
                return _z_invalid("status", "Status: closed prevents ticket update")
            comment = ticket.get("comment")
            if isinstance(comment, dict) and found.comments >= self.comment_cap:
                return _z_invalid(
                    "base",
                    f"Comments limit exceeded: a ticket can have at most {self.comment_cap} "
                    "comments",
                )
            for name in ("status", "priority", "group_id", "subject"):
                if name in ticket:
                    setattr(found, name, ticket[name])
            if "tags" in ticket:
                found.tags = [str(t) for t in ticket["tags"]]
            found.updated_at = self._now()
            audit = self._z_comment(found, comment, ticket.get("metadata"))
            return JSONResponse({"ticket": found.json(self._z_base(request)), "audit": audit})

    def _z_comment(self, ticket: ZTicket, comment: Any, metadata: Any) -> dict[str, Any]:
        """The update's audit; a comment on a desk ticket reaches the shop."""
        events: list[dict[str, Any]] = []
        custom = metadata if isinstance(metadata, dict) else {}
        if isinstance(comment, dict):
            text = str(comment.get("body") or comment.get("html_body") or "")
            public = bool(comment.get("public", True))
            events.append(
                {
                    "id": self._next_id(),
                    "type": "Comment",
                    "body": text,
                    "html_body": f'<div class="zd-comment"><p>{text}</p></div>',
                    "plain_body": text,
                    "public": public,
                    "author_id": comment.get("author_id", 1),
                    "attachments": [],
                }
            )
            ticket.comments += 1
        audit = {
            "id": self._next_id(),
            "ticket_id": ticket.id,
            "created_at": self._now(),
            "author_id": 1,
            "metadata": {
                "system": {"client": "vendor-fake", "ip_address": "127.0.0.1"},
                "custom": custom,
            },
            "via": {"channel": "api"},
            "events": events,
        }
        ticket.audits.append(audit)
        if events:
            self._z_effect(ticket, events[0], custom)
        return audit

    def _z_effect(self, ticket: ZTicket, event: dict[str, Any], custom: dict[str, Any]) -> None:
        key = custom.get("desk_key")
        fallback = f"zendesk:{ticket.id}:{event['id']}"
        contact = contact_from_ref(ticket.external_id)
        if contact is not None and event["public"]:
            requester = self.z_users.get(ticket.requester_id)
            to = (requester.email or requester.phone or requester.name) if requester else ""
            try:
                channel = Channel(custom.get("desk_channel") or "email")
            except ValueError:
                channel = Channel.email
            reply = Reply(channel=channel, to=to, subject=ticket.subject, body=event["body"])
            self._deliver(contact, key, fallback, reply)
            return
        alerted = contact_from_ref(ticket.external_id, kind="alerts")
        if alerted is not None and not event["public"]:
            level = int(custom.get("desk_level") or 1)
            self._alert(alerted, key, fallback, event["body"], level)

    def _z_audits(self, request: Request, _body: Any, ticket_id: int) -> Response:
        size = min(100, int(request.query_params.get("page[size]", 100)))
        after = int(request.query_params.get("page[after]", 0) or 0)
        with self._lock:
            found = self.z_tickets.get(ticket_id)
            if found is None:
                return JSONResponse(
                    {"error": "RecordNotFound", "description": "Not found"}, status_code=404
                )
            page = found.audits[after : after + size]
            more = after + size < len(found.audits)
        base = f"{self._z_base(request)}/api/v2/tickets/{ticket_id}/audits.json"
        return JSONResponse(
            {
                "audits": page,
                "meta": {
                    "has_more": more,
                    "after_cursor": str(after + size) if more else None,
                    "before_cursor": str(after) if after else None,
                },
                "links": {
                    "next": f"{base}?page%5Bafter%5D={after + size}&page%5Bsize%5D={size}"
                    if more
                    else None,
                    "prev": None,
                },
            }
        )

    def _z_upsert_user(self, _request: Request, body: Any) -> Response:
        user = body.get("user") if isinstance(body, dict) else None
        if not isinstance(user, dict) or not user.get("name"):
            return _z_invalid("name", "Name: is too short (minimum one character)")
        with self._lock:
            found = next(
                (
                    u
                    for u in self.z_users.values()
                    if (user.get("external_id") and u.external_id == user.get("external_id"))
                    or (user.get("email") and u.email == str(user.get("email")).lower())
                ),
                None,
            )
            status = 200
            if found is None:
                found = ZUser(self._next_id(), str(user["name"]))
                self.z_users[found.id] = found
                status = 201
            found.name = str(user.get("name") or found.name)
            found.external_id = user.get("external_id") or found.external_id
            found.phone = user.get("phone") or found.phone
            if user.get("email"):
                found.email = str(user["email"]).lower()
            return JSONResponse({"user": found.json()}, status_code=status)

    # ------------------------------------------------------------ Gorgias

    def _g_list(self, request: Request, _body: Any) -> Response:
        external_id = request.query_params.get("external_id")
        limit = int(request.query_params.get("limit", 30))
        if not 1 <= limit <= 100:
            return _g_invalid("limit", "Must be between 1 and 100.")
        descending = request.query_params.get("order_by", "created_datetime:desc").endswith("desc")
        with self._lock:
            tickets = sorted(self.g_tickets.values(), key=lambda t: t.id, reverse=descending)
            data = [
                t.json() for t in tickets if external_id is None or t.external_id == external_id
            ]
        return JSONResponse(_g_page("/api/tickets", data[:limit]))

    def _g_customer(self, customer: Any) -> dict[str, Any] | None:
        if not isinstance(customer, dict) or not customer.get("email"):
            return None
        email = str(customer["email"]).lower()
        with self._lock:
            if email not in self._g_customers:
                self._g_customers[email] = {"id": self._next_id(), "email": email}
            return dict(self._g_customers[email])

    def _g_create(self, _request: Request, body: Any) -> Response:
        if not isinstance(body, dict):
            return _g_invalid("", "Invalid body")
        messages = body.get("messages")
        if not isinstance(messages, list) or not 1 <= len(messages) <= 500:
            return _g_invalid("messages", "Length must be between 1 and 500.")
        if body.get("via") is None:
            return _g_invalid("via", "Missing data for required field.")
        for message in messages:
            problem = _g_message_problem(message)
            if problem:
                return _g_invalid("messages", problem)
        with self._lock:
            ticket = GTicket(
                id=self._next_id(),
                external_id=body.get("external_id"),
                subject=str(body.get("subject") or ""),
                channel=str(body.get("channel") or messages[0]["channel"]),
                customer=self._g_customer(body.get("customer")),
                created_datetime=self._now(),
                tags=list(body.get("tags") or []),
                assignee_team=body.get("assignee_team"),
            )
            self.g_tickets[ticket.id] = ticket
            for message in messages:
                self._g_add(ticket, message)
            return JSONResponse(ticket.json(with_messages=True), status_code=201)

    def _g_message(self, _request: Request, body: Any, ticket_id: int) -> Response:
        problem = _g_message_problem(body)
        if problem:
            return _g_invalid("", problem)
        with self._lock:
            ticket = self.g_tickets.get(ticket_id)
            if ticket is None or ticket.trashed_datetime:
                return JSONResponse({"error": {"msg": "Resource not found."}}, status_code=404)
            if ticket.status == "closed":
                ticket.status = "open"  # a new message reopens the ticket
            return JSONResponse(self._g_add(ticket, body), status_code=201)

    def _g_add(self, ticket: GTicket, message: dict[str, Any]) -> dict[str, Any]:
        source = message.get("source") if isinstance(message.get("source"), dict) else {}
        stored = {
            "id": self._next_id(),
            "uri": f"/api/tickets/{ticket.id}/messages",
            "ticket_id": ticket.id,
            "external_id": message.get("external_id"),
            "channel": message["channel"],
            "via": message.get("via", "api"),
            "from_agent": bool(message["from_agent"]),
            "public": message["channel"] != "internal-note",
            "sender": message.get("sender"),
            "receiver": message.get("receiver"),
            "source": source,
            "subject": message.get("subject"),
            "body_text": message.get("body_text"),
            "body_html": message.get("body_html"),
            "integration_id": message.get("integration_id"),
            "attachments": [],
            "created_datetime": self._now(),
            "sent_datetime": message.get("sent_datetime"),
            "failed_datetime": None,
        }
        stored["uri"] = f"/api/tickets/{ticket.id}/messages/{stored['id']}"
        ticket.messages.append(stored)
        self._g_effect(ticket, stored)
        return stored

    def _g_effect(self, ticket: GTicket, message: dict[str, Any]) -> None:
        marker = message.get("external_id") or ""
        key = marker[len(MARK) + 1 :] if marker.startswith(MARK + ":") else None
        fallback = f"gorgias:{ticket.id}:{message['id']}"
        text = str(message.get("body_text") or "")
        contact = contact_from_ref(ticket.external_id)
        if contact is not None and message["from_agent"] and message["public"]:
            to_list = message["source"].get("to") or []
            to = (to_list[0].get("address") if to_list else None) or (
                (message.get("receiver") or {}).get("email") or ""
            )
            reply = Reply(
                channel=_CHANNEL_BACK.get(message["channel"], Channel.email),
                to=to,
                subject=message.get("subject"),  # an SMS or chat message has none
                body=text,
            )
            self._deliver(contact, key, fallback, reply)
            return
        alerted = contact_from_ref(ticket.external_id, kind="alerts")
        if alerted is not None and not message["public"]:
            level = 1
            if text.startswith("[level ") and "] " in text:
                head, _, rest = text.partition("] ")
                level, text = int(head.removeprefix("[level ") or 1), rest
            self._alert(alerted, key, fallback, text, level)

    def _g_messages(self, request: Request, _body: Any) -> Response:
        limit = int(request.query_params.get("limit", 30))
        if not 1 <= limit <= 100:
            return _g_invalid("limit", "Must be between 1 and 100.")
        ticket_id = request.query_params.get("ticket_id")
        descending = request.query_params.get("order_by", "created_datetime:desc").endswith("desc")
        cursor = request.query_params.get("cursor")
        start = int(base64.b64decode(cursor).decode()) if cursor else 0
        with self._lock:
            messages = [
                m
                for t in self.g_tickets.values()
                for m in t.messages
                if ticket_id is None or str(t.id) == ticket_id
            ]
        messages.sort(key=lambda m: m["id"], reverse=descending)
        page = messages[start : start + limit]
        following = start + limit
        next_cursor = (
            base64.b64encode(str(following).encode()).decode()
            if following < len(messages)
            else None
        )
        return JSONResponse(_g_page("/api/messages", page, next_cursor))


def router(shop: SandboxShop, clock: Clock) -> APIRouter:
    """The Zendesk and Gorgias fakes over ``shop`` (any credentials accepted)."""
    return HelpdeskFake(shop, clock).router


def _injected_response(injected: Injected) -> Response:
    return PlainTextResponse(
        injected.body or f"injected {injected.status}",
        status_code=injected.status,
        headers=injected.headers,
    )


def _z_invalid(field_name: str, description: str) -> JSONResponse:
    return JSONResponse(
        {
            "error": "RecordInvalid",
            "description": "Record validation errors",
            "details": {field_name: [{"description": description}]},
        },
        status_code=422,
    )


def _g_invalid(field_name: str, message: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"msg": "Validation error", "data": {field_name or "_schema": [message]}}},
        status_code=400,
    )


def _g_message_problem(message: Any) -> str | None:
    """Gorgias's rules for a message: channel, via and from_agent required; an outgoing
    message names its sender (an agent) and whom it goes to; an incoming one has no
    receiver."""
    if not isinstance(message, dict):
        return "A message is an object."
    for name in ("channel", "via", "from_agent"):
        if message.get(name) is None:
            return f"{name}: Missing data for required field."
    if not message.get("body_text") and not message.get("body_html"):
        return "body_text or body_html is required."
    if message["from_agent"]:
        if not message.get("sender"):
            return "sender: an outgoing message needs its sender (an agent)."
        if message["channel"] != "internal-note":
            source = message.get("source") or {}
            if not message.get("receiver") and not source.get("to"):
                return "receiver: an outgoing message needs its receiver."
    elif message.get("receiver"):
        return "receiver: an incoming message has no receiver."
    return None


def _g_page(uri: str, data: list[dict[str, Any]], next_cursor: str | None = None) -> dict[str, Any]:
    return {
        "object": "list",
        "uri": uri,
        "data": data,
        "meta": {"prev_cursor": None, "next_cursor": next_cursor},
    }
