"""Customer traffic for the demo: each message posted to the ingest API in its channel's
vendor format (Twilio SMS form, Postmark email JSON, chat, web form, social), signed as
each vendor signs it with the secrets in the desk's settings: Twilio's request signature,
Postmark's Basic credentials and the receiving server's Authentication-Results, the
merchant's signed identity for chat and web, the platform's X-Hub-Signature-256."""

from __future__ import annotations

import base64
import itertools
import json
from typing import Any

import httpx

from desk.config import Settings
from desk.models import Attachment, Channel
from ingest.signatures import hub_signature_256, identity_hash, twilio_signature

_ids = itertools.count(1)


def vendor_payload(
    channel: Channel,
    sender: str,
    text: str,
    subject: str | None,
    attachments: list[Attachment],
    message_id: str | None = None,
    settings: Settings | None = None,
    base_url: str = "http://127.0.0.1:8000",
) -> tuple[str, dict[str, Any]]:
    """(path, httpx request kwargs) for one message as the channel's vendor would send it,
    signed with whatever secrets ``settings`` holds."""
    path, kwargs = _unsigned(channel, sender, text, subject, attachments, message_id)
    if settings is not None:
        kwargs = _signed(channel, sender, path, kwargs, settings, base_url.rstrip("/"))
    return path, kwargs


def _signed(
    channel: Channel,
    sender: str,
    path: str,
    kwargs: dict[str, Any],
    settings: Settings,
    base_url: str,
) -> dict[str, Any]:
    headers: dict[str, str] = {}
    if channel == Channel.sms and settings.twilio_auth_token:
        form = kwargs["data"]
        headers["X-Twilio-Signature"] = twilio_signature(
            settings.twilio_auth_token, base_url + path, form.items()
        )
    elif channel == Channel.email and settings.postmark_webhook_user:
        credentials = f"{settings.postmark_webhook_user}:{settings.postmark_webhook_password}"
        headers["Authorization"] = "Basic " + base64.b64encode(credentials.encode()).decode()
        if settings.email_authserv_id:
            # What the receiving mail server stamps on a customer's genuine mail.
            domain = sender.rsplit("@", 1)[-1]
            kwargs["json"]["Headers"] = [
                {
                    "Name": "Authentication-Results",
                    "Value": f"{settings.email_authserv_id}; spf=pass smtp.mailfrom={domain}; "
                    f"dkim=pass header.d={domain}; dmarc=pass header.from={domain}",
                }
            ]
    elif channel in (Channel.chat, Channel.web):
        if settings.identity_secret:
            # The merchant's site signs the customer it has logged in.
            kwargs["json"]["user"] = sender
            kwargs["json"]["user_hash"] = identity_hash(settings.identity_secret, sender)
        if settings.ingest_token:
            headers["Authorization"] = f"Bearer {settings.ingest_token}"
    elif channel == Channel.social and settings.social_webhook_secret:
        content = json.dumps(kwargs.pop("json")).encode()
        kwargs["content"] = content
        headers["Content-Type"] = "application/json"
        headers["X-Hub-Signature-256"] = hub_signature_256(settings.social_webhook_secret, content)
    if headers:
        kwargs["headers"] = headers
    return kwargs


def _unsigned(
    channel: Channel,
    sender: str,
    text: str,
    subject: str | None,
    attachments: list[Attachment],
    message_id: str | None,
) -> tuple[str, dict[str, Any]]:
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
    settings: Settings | None = None,
) -> dict[str, Any]:
    path, kwargs = vendor_payload(
        channel,
        sender,
        text,
        subject,
        attachments or [],
        message_id,
        settings=settings,
        base_url=str(http.base_url),
    )
    response = await http.post(path, **kwargs)
    if response.status_code != 202:
        raise RuntimeError(
            f"ingest refused {channel.value} message: {response.status_code} {response.text[:200]}"
        )
    body: dict[str, Any] = response.json()
    return body
