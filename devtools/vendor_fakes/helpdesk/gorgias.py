"""Gorgias, faked under ``/gorgias/api/...``: tickets (list, create), a ticket's
messages, and the message list.

An outgoing message on a contact's ticket (``external_id`` ``desk:<contact id>``) becomes
the sandbox's outbox row through ``shop.send_reply``, and an internal note on a
supervisors' ticket (``desk-alerts:<contact id>``) a supervisor alert through
``shop.alert_supervisors``; the row's key is the message's ``external_id``.

Faithful where the adapters depend on it: the documented message rules (400s), cursor
pagination of messages, a new message reopening a closed ticket. Auth and the leaky
bucket of 40 per 20 s (``gorgias_bucket``, ``Retry-After`` 429s with
``X-Gorgias-Account-Api-Call-Limit``) are ``HelpdeskFake``'s (``routes``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from desk.adapters.helpdesk.common import MARK, contact_from_ref
from desk.models import Channel, Reply
from devtools.vendor_fakes.helpdesk.common import HelpdeskFakeBase

GORGIAS_BUCKET = 40
GORGIAS_WINDOW = 20.0
_CHANNEL_BACK = {"email": Channel.email, "sms": Channel.sms, "chat": Channel.chat}


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


class GorgiasHandlers(HelpdeskFakeBase):
    """Gorgias's half of ``HelpdeskFake``: its tickets, customers and messages, and the
    handlers of its endpoints."""

    g_tickets: dict[int, GTicket]
    _g_customers: dict[str, dict[str, Any]]

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
