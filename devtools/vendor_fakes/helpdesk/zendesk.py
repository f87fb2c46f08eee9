"""Zendesk Support, faked under ``/zendesk/api/v2/...``: tickets (list, create, update),
their audits, and ``users/create_or_update``.

A *public* comment on a contact's ticket (``external_id`` ``desk:<contact id>``) becomes
the sandbox's outbox row through ``shop.send_reply``, and an internal note on a
supervisors' ticket (``desk-alerts:<contact id>``) a supervisor alert through
``shop.alert_supervisors``; the row's key is the comment's ``metadata.custom.desk_key``.

Faithful where the adapters depend on it: ``Idempotency-Key`` on ticket creation, the 422s
(a closed ticket, the comment cap — ``comment_cap``, 5,000 by default), cursor pagination
of audits. Auth and the ``Retry-After`` 429s (a plain-text body, ``ZENDESK_LIMIT_PER_MINUTE``)
are ``HelpdeskFake``'s (``routes``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from desk.adapters.helpdesk.common import contact_from_ref
from desk.models import Channel, Reply
from devtools.vendor_fakes.helpdesk.common import HelpdeskFakeBase

ZENDESK_LIMIT_PER_MINUTE = 700


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


class ZendeskHandlers(HelpdeskFakeBase):
    """Zendesk's half of ``HelpdeskFake``: its users, tickets and audits, and the handlers
    of its endpoints."""

    comment_cap: int
    z_users: dict[int, ZUser]
    z_tickets: dict[int, ZTicket]
    _z_idempotency: dict[str, tuple[str, dict[str, Any]]]

    # ------------------------------------------------------------ for tests

    def zendesk_comments(self, ticket_id: int) -> list[dict[str, Any]]:
        with self._lock:
            return [
                event
                for audit in self.z_tickets[ticket_id].audits
                for event in audit["events"]
                if event["type"] == "Comment"
            ]

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


def _z_invalid(field_name: str, description: str) -> JSONResponse:
    return JSONResponse(
        {
            "error": "RecordInvalid",
            "description": "Record validation errors",
            "details": {field_name: [{"description": description}]},
        },
        status_code=422,
    )
