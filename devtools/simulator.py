"""Customer traffic for the demo: each message posted to the ingest API in its channel's
vendor format (Twilio SMS form, Postmark email JSON, chat, web form, social)."""

from __future__ import annotations

import itertools
from typing import Any

import httpx

from desk.models import Attachment, Channel

_ids = itertools.count(1)


def vendor_payload(
    channel: Channel,
    sender: str,
    text: str,
    subject: str | None,
    attachments: list[Attachment],
    message_id: str | None = None,
) -> tuple[str, dict[str, Any]]:
    """(path, httpx request kwargs) for one message as the channel's vendor would send it."""
    mid = message_id or f"demo-{next(_ids):05d}"
    files = [{"kind": a.kind, "name": a.name, "content_type": a.content_type} for a in attachments]
    if channel == Channel.sms:
        form = {
            "MessageSid": f"SM{mid}",
            "From": sender,
            "To": "+15550000000",
            "Body": text,
            "NumMedia": str(len(attachments)),
        }
        for i, a in enumerate(attachments):
            form[f"MediaUrl{i}"] = f"https://api.twilio.com/media/{mid}/{i}"
            form[f"MediaContentType{i}"] = a.content_type or "image/jpeg"
        return "/ingest/sms", {"data": form}
    if channel == Channel.email:
        return "/ingest/email", {
            "json": {
                "MessageID": mid,
                "From": sender,
                "FromFull": {"Email": sender, "Name": ""},
                "Subject": subject or "",
                "TextBody": text,
                "HtmlBody": "",
                "Attachments": [
                    {
                        "Name": a.name,
                        "ContentType": a.content_type or "image/jpeg",
                        "ContentLength": 1024,
                    }
                    for a in attachments
                ],
            }
        }
    if channel == Channel.chat:
        return "/ingest/chat", {
            "json": {
                "conversation_id": f"conv-{mid}",
                "message_id": mid,
                "handle": sender,
                "text": text,
                "attachments": files,
            }
        }
    if channel == Channel.web:
        return "/ingest/web", {
            "json": {
                "submission_id": mid,
                "email": sender,
                "name": "",
                "subject": subject or "",
                "message": text,
            }
        }
    return "/ingest/social", {
        "json": {
            "platform": "instagram",
            "message_id": mid,
            "handle": sender,
            "text": text,
            "attachments": files,
        }
    }


async def post_message(
    http: httpx.AsyncClient,
    channel: Channel,
    sender: str,
    text: str,
    subject: str | None = None,
    attachments: list[Attachment] | None = None,
    message_id: str | None = None,
) -> dict[str, Any]:
    path, kwargs = vendor_payload(channel, sender, text, subject, attachments or [], message_id)
    response = await http.post(path, **kwargs)
    if response.status_code != 202:
        raise RuntimeError(
            f"ingest refused {channel.value} message: {response.status_code} {response.text[:200]}"
        )
    body: dict[str, Any] = response.json()
    return body
