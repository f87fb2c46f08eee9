"""Each channel's vendor payload turned into the one ``InboundMessage`` the desk reads.

Pure functions, one per format, so they are tested without HTTP or Temporal. A payload
the desk cannot use raises ``PayloadError`` naming the vendor's own field, so whoever
wires up a webhook sees exactly what their provider did not send.

- ``from_twilio_sms``: Twilio Messaging webhook form (``MessageSid``, ``From``, ``Body``,
  ``NumMedia``, ``MediaUrl<N>``, ``MediaContentType<N>``).
- ``from_postmark_email``: Postmark inbound webhook JSON (``MessageID``, ``FromFull``...).
- ``from_chat``: the chat widget's JSON.
- ``from_web_form``: the web contact form's JSON.
- ``from_social``: the social inbox's JSON.

Every text field is cleaned on the way (``ingest/sanitize.py``): control characters
removed, lengths cut with a note; an id or a sender too long to be real is refused. Who
the sender is, as far as authentication goes, is for ``ingest/app.py`` to say: a parser
only reads what the payload claims (``claimed_identity``, ``postmark_headers``).
"""

from __future__ import annotations

import contextlib
import html
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parseaddr, parsedate_to_datetime
from typing import Any

from pydantic import ValidationError

from desk.models import Attachment, Channel, InboundMessage
from ingest.sanitize import (
    ATTACHMENTS_MAX,
    CONTENT_TYPE_MAX,
    ID_MAX,
    SCOPE_MAX,
    SENDER_MAX,
    clean_line,
    clean_text,
    clean_token,
    cut_name,
    cut_subject,
    cut_text,
)


class PayloadError(ValueError):
    """The payload lacks a field the desk needs, or a field has the wrong shape."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field} {problem}")
        self.field = field
        self.problem = problem


# ---------------------------------------------------------------- field helpers


def _required(payload: Mapping[str, Any], field: str, label: str | None = None) -> str:
    value = payload.get(field)
    name = label or field
    if value is None:
        raise PayloadError(name, "is required")
    if not isinstance(value, str):
        raise PayloadError(name, "must be a string")
    value = value.strip()
    if not value:
        raise PayloadError(name, "must not be empty")
    return value


def _optional(payload: Mapping[str, Any], field: str, label: str | None = None) -> str | None:
    value = payload.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise PayloadError(label or field, "must be a string")
    return value.strip() or None


def _object(payload: Any, label: str) -> Mapping[str, Any]:
    if not isinstance(payload, Mapping):
        raise PayloadError(label, "must be a JSON object")
    return payload


def _timestamp(payload: Mapping[str, Any], field: str) -> datetime | None:
    raw = _optional(payload, field)
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise PayloadError(field, f"is not an ISO 8601 timestamp: {raw!r}") from None
    return _aware(moment)


def _aware(moment: datetime) -> datetime:
    # Downstream compares against workflow time, which is always aware; naive means UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _kind_for(content_type: str | None) -> str:
    return "image" if content_type and content_type.lower().startswith("image/") else "file"


def _attachments(payload: Mapping[str, Any], field: str = "attachments") -> list[Attachment]:
    """The chat and social shape: ``[{"kind", "name", "content_type"}]``."""
    raw = payload.get(field)
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise PayloadError(field, "must be a list")
    found: list[Attachment] = []
    for i, item in enumerate(raw):
        where = f"{field}[{i}]"
        entry = _object(item, where)
        content_type = _optional(entry, "content_type", f"{where}.content_type")
        kind = _optional(entry, "kind", f"{where}.kind") or _kind_for(content_type)
        if kind not in ("image", "file"):
            raise PayloadError(f"{where}.kind", f"must be 'image' or 'file', not {kind!r}")
        name = _optional(entry, "name", f"{where}.name") or ""
        found.append(
            Attachment(
                kind="image" if kind == "image" else "file", name=name, content_type=content_type
            )
        )
    return found


def _token(value: Any, name: str, limit: int) -> str:
    if not isinstance(value, str):
        raise PayloadError(name, "must be a string")
    cleaned = clean_token(value)
    if not cleaned:
        raise PayloadError(name, "must not be empty")
    if len(cleaned) > limit:
        raise PayloadError(name, f"is longer than {limit} characters")
    return cleaned


def _clean_attachment(attachment: Attachment) -> Attachment:
    content_type = clean_token(attachment.content_type or "")[:CONTENT_TYPE_MAX] or None
    return Attachment(
        kind=attachment.kind, name=cut_name(clean_line(attachment.name)), content_type=content_type
    )


def _message(fields: dict[str, Any], vendor_names: Mapping[str, str]) -> InboundMessage:
    """Clean every text field, then build the model, reporting a rejection under the
    vendor's name for the field."""

    def named(field: str) -> str:
        return vendor_names.get(field, field)

    fields["message_id"] = _token(fields["message_id"], named("message_id"), ID_MAX)
    fields["sender"] = _token(fields["sender"], named("sender"), SENDER_MAX)
    if fields.get("provider_scope") is not None:
        fields["provider_scope"] = _token(
            fields["provider_scope"], named("provider_scope"), SCOPE_MAX
        )
    subject = fields.get("subject")
    if subject is not None:
        fields["subject"] = cut_subject(clean_line(subject)) or None
    text = clean_text(fields.get("text") or "").strip()
    attachments = [_clean_attachment(a) for a in fields.get("attachments") or []]
    if len(attachments) > ATTACHMENTS_MAX:
        dropped = len(attachments) - ATTACHMENTS_MAX
        attachments = attachments[:ATTACHMENTS_MAX]
        text = f"{text}\n\n[cut at ingest: {dropped} more attachments]".strip()
    fields["attachments"] = attachments
    fields["text"] = cut_text(text)
    try:
        return InboundMessage.model_validate(fields)
    except ValidationError as err:
        first = err.errors()[0]
        loc = str(first["loc"][0]) if first["loc"] else "body"
        raise PayloadError(named(loc), first["msg"]) from None


# Postmark writes offsets as "-04:00", which RFC 2822 parsing silently drops (reading the
# time as UTC); "-0400" is what the parser understands.
_COLON_OFFSET = re.compile(r"([+-]\d{2}):(\d{2})\s*$")
_TAG = re.compile(r"<[^>]+>")
_BLOCK_END = re.compile(r"</(p|div|li|tr|h[1-6])\s*>|<br\s*/?>", re.IGNORECASE)
_HIDDEN = re.compile(r"<(script|style|head)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_BLANK_RUNS = re.compile(r"[ \t]+")
_LINE_RUNS = re.compile(r"\n{3,}")


def html_to_text(markup: str) -> str:
    """Readable text from an HTML mail body; good enough for the classifier, not a renderer."""
    text = _HIDDEN.sub("", markup)
    text = _BLOCK_END.sub("\n", text)
    text = html.unescape(_TAG.sub("", text))
    lines = (_BLANK_RUNS.sub(" ", line).strip() for line in text.splitlines())
    return _LINE_RUNS.sub("\n\n", "\n".join(lines)).strip()


# ---------------------------------------------------------------- the formats


def from_twilio_sms(form: Mapping[str, str]) -> InboundMessage:
    """A Twilio Messaging webhook (SMS or MMS), as its form fields."""
    sid = _required(form, "MessageSid")
    sender = _required(form, "From")
    raw_count = (form.get("NumMedia") or "0").strip()
    try:
        count = int(raw_count)
    except ValueError:
        raise PayloadError("NumMedia", f"must be a whole number, not {raw_count!r}") from None
    if count < 0:
        raise PayloadError("NumMedia", "must not be negative")
    attachments: list[Attachment] = []
    for i in range(count):
        url = _required(form, f"MediaUrl{i}")
        content_type = _optional(form, f"MediaContentType{i}")
        attachments.append(
            Attachment(
                kind="image" if _kind_for(content_type) == "image" else "file",
                name=url,
                content_type=content_type,
            )
        )
    return _message(
        {
            "message_id": sid,
            "channel": Channel.sms,
            "sender": sender,
            "text": (form.get("Body") or "").strip(),
            "attachments": attachments,
        },
        {"message_id": "MessageSid", "sender": "From", "text": "Body"},
    )


def from_postmark_email(payload: Any) -> InboundMessage:
    """A Postmark inbound webhook. The sender is ``FromFull.Email``, else ``From``."""
    data = _object(payload, "body")
    message_id = _required(data, "MessageID")
    full = data.get("FromFull")
    sender: str | None = None
    if full is not None:
        sender = _optional(_object(full, "FromFull"), "Email", "FromFull.Email")
    if sender is None:
        from_field = _optional(data, "From")
        if from_field is not None:
            # From may carry a display name ("Ann <ann@example.com>"); keep the address.
            sender = parseaddr(from_field)[1] or from_field
    if not sender:
        raise PayloadError("From", "is required (neither FromFull.Email nor From is set)")
    text = _optional(data, "TextBody")
    if text is None:
        html_body = _optional(data, "HtmlBody")
        text = html_to_text(html_body) if html_body else ""
    attachments: list[Attachment] = []
    raw = data.get("Attachments") or []
    if not isinstance(raw, list):
        raise PayloadError("Attachments", "must be a list")
    for i, item in enumerate(raw):
        where = f"Attachments[{i}]"
        entry = _object(item, where)
        content_type = _optional(entry, "ContentType", f"{where}.ContentType")
        attachments.append(
            Attachment(
                kind="image" if _kind_for(content_type) == "image" else "file",
                name=_optional(entry, "Name", f"{where}.Name") or "",
                content_type=content_type,
            )
        )
    received_at: datetime | None = None
    date = _optional(data, "Date")
    if date:
        # Date comes from the customer's mail client and is often malformed; an unreadable
        # one must not cost us the message (intake then uses the time it started).
        with contextlib.suppress(TypeError, ValueError, IndexError):
            received_at = _aware(parsedate_to_datetime(_COLON_OFFSET.sub(r"\1\2", date)))
    return _message(
        {
            "message_id": message_id,
            "channel": Channel.email,
            "sender": sender,
            "subject": _optional(data, "Subject"),
            "text": text,
            "attachments": attachments,
            "received_at": received_at,
        },
        {"message_id": "MessageID", "sender": "From", "subject": "Subject", "text": "TextBody"},
    )


def from_chat(payload: Any) -> InboundMessage:
    """The chat widget: ``{conversation_id, message_id, handle, text, attachments, sent_at}``."""
    data = _object(payload, "body")
    return _message(
        {
            "message_id": _required(data, "message_id"),
            "channel": Channel.chat,
            "sender": _required(data, "handle"),
            "text": _optional(data, "text") or "",
            "attachments": _attachments(data),
            "received_at": _timestamp(data, "sent_at"),
            # Widgets number messages per conversation: "m1" recurs in every one.
            "provider_scope": _required(data, "conversation_id"),
        },
        {"sender": "handle", "received_at": "sent_at", "provider_scope": "conversation_id"},
    )


def from_web_form(payload: Any) -> InboundMessage:
    """The web contact form. A given order number is added to the text when the customer
    did not repeat it there, so the classifier (which reads only the text) sees it."""
    data = _object(payload, "body")
    submission_id = _required(data, "submission_id")
    email = _required(data, "email")
    if "@" not in email:
        raise PayloadError("email", f"is not an email address: {email!r}")
    text = _optional(data, "message") or ""
    order_number = _order_number(data.get("order_number"))
    if order_number and order_number not in text:
        text = f"{text}\n\nOrder {order_number}" if text else f"Order {order_number}"
    return _message(
        {
            "message_id": submission_id,
            "channel": Channel.web,
            "sender": email,
            "subject": _optional(data, "subject"),
            "text": text,
        },
        {"message_id": "submission_id", "sender": "email", "text": "message"},
    )


def _order_number(value: Any) -> str | None:
    # Forms post numbers as numbers as readily as strings; "#1001" and "1001" are one order.
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise PayloadError("order_number", "must be a string or a number")
    return value.strip().lstrip("#").strip() or None


def from_social(payload: Any) -> InboundMessage:
    """A social inbox message: ``{platform, message_id, handle, text, attachments}``.

    Two platforms' ids may collide: the platform is the id's ``provider_scope`` (and
    prefixes the id, so the contact tells the two apart too).
    """
    data = _object(payload, "body")
    platform = _token(_required(data, "platform"), "platform", 64).lower()
    return _message(
        {
            "message_id": f"{platform}:{_required(data, 'message_id')}",
            "channel": Channel.social,
            "sender": _required(data, "handle"),
            "text": _optional(data, "text") or "",
            "attachments": _attachments(data),
            "provider_scope": platform,
        },
        {"sender": "handle", "provider_scope": "platform"},
    )


# ---------------------------------------------------------------- what a payload claims


def claimed_identity(payload: Any) -> tuple[str, str] | None:
    """The signed identity a chat or web payload carries, ``(user, user_hash)``, as sent:
    the merchant's site or widget signs the customer's email or phone as on file. None
    when the payload carries none; whether the signature holds is for the caller to say."""
    data = _object(payload, "body")
    user = data.get("user")
    user_hash = data.get("user_hash")
    if user is None and user_hash is None:
        return None
    if user is not None and not isinstance(user, str):
        raise PayloadError("user", "must be a string")
    if user_hash is not None and not isinstance(user_hash, str):
        raise PayloadError("user_hash", "must be a string")
    return (user or "", user_hash or "")


def signed_sender(user: str) -> str:
    """The sender a verified identity becomes."""
    return _token(user, "user", SENDER_MAX)


MAX_HEADERS = 500


def postmark_headers(payload: Any) -> list[tuple[str, str]]:
    """Postmark's ``Headers`` as ``(name, value)`` pairs in the order given (the topmost
    first). Only the first 500 are read."""
    data = _object(payload, "body")
    raw = data.get("Headers")
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise PayloadError("Headers", "must be a list")
    headers: list[tuple[str, str]] = []
    for i, item in enumerate(raw[:MAX_HEADERS]):
        entry = _object(item, f"Headers[{i}]")
        name = entry.get("Name")
        value = entry.get("Value", "")
        if not isinstance(name, str):
            raise PayloadError(f"Headers[{i}].Name", "must be a string")
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise PayloadError(f"Headers[{i}].Value", "must be a string")
        headers.append((name, value))
    return headers
