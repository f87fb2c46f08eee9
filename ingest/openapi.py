"""The request bodies and headers of each endpoint, described for the OpenAPI document.

The endpoints read their bodies themselves (size first, then the media type, then a strict
parse), so FastAPI cannot infer them; these descriptions are what /docs shows and what
property-based tests generate requests from.
"""

from __future__ import annotations

from typing import Any

from desk.models import Channel

_STRING: dict[str, Any] = {"type": "string"}
_ATTACHMENTS: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "kind": {"type": "string", "enum": ["image", "file"]},
            "name": _STRING,
            "content_type": _STRING,
        },
    },
}
_SIGNED_IDENTITY: dict[str, Any] = {
    "user": {
        "type": "string",
        "description": "the customer's email or phone as on file, signed by the merchant",
    },
    "user_hash": {
        "type": "string",
        "description": "hex HMAC-SHA256 of user with the merchant's identity secret",
    },
}

_BODIES: dict[Channel, tuple[str, dict[str, Any]]] = {
    Channel.sms: (
        "application/x-www-form-urlencoded",
        {
            "type": "object",
            "required": ["MessageSid", "From"],
            "properties": {
                "MessageSid": _STRING,
                "AccountSid": _STRING,
                "From": _STRING,
                "To": _STRING,
                "Body": _STRING,
                "NumMedia": _STRING,
                "MediaUrl0": _STRING,
                "MediaContentType0": _STRING,
            },
            "additionalProperties": _STRING,
        },
    ),
    Channel.email: (
        "application/json",
        {
            "type": "object",
            "required": ["MessageID", "From"],
            "properties": {
                "MessageID": _STRING,
                "From": _STRING,
                "FromFull": {
                    "type": "object",
                    "properties": {"Email": _STRING, "Name": _STRING, "MailboxHash": _STRING},
                },
                "To": _STRING,
                "Subject": _STRING,
                "Date": _STRING,
                "TextBody": _STRING,
                "HtmlBody": _STRING,
                "Headers": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"Name": _STRING, "Value": _STRING},
                    },
                },
                "Attachments": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "Name": _STRING,
                            "ContentType": _STRING,
                            "ContentLength": {"type": "integer"},
                        },
                    },
                },
            },
        },
    ),
    Channel.chat: (
        "application/json",
        {
            "type": "object",
            "required": ["conversation_id", "message_id", "handle"],
            "properties": {
                "conversation_id": _STRING,
                "message_id": _STRING,
                "handle": _STRING,
                "text": _STRING,
                "sent_at": {"type": "string", "format": "date-time"},
                "attachments": _ATTACHMENTS,
                **_SIGNED_IDENTITY,
            },
        },
    ),
    Channel.web: (
        "application/json",
        {
            "type": "object",
            "required": ["submission_id", "email"],
            "properties": {
                "submission_id": _STRING,
                "email": {"type": "string", "format": "email"},
                "name": _STRING,
                "subject": _STRING,
                "message": _STRING,
                "order_number": {"oneOf": [_STRING, {"type": "integer"}]},
                **_SIGNED_IDENTITY,
            },
        },
    ),
    Channel.social: (
        "application/json",
        {
            "type": "object",
            "required": ["platform", "message_id", "handle"],
            "properties": {
                "platform": _STRING,
                "message_id": _STRING,
                "handle": _STRING,
                "text": _STRING,
                "attachments": _ATTACHMENTS,
            },
        },
    ),
}

_HEADERS: dict[Channel, list[tuple[str, str]]] = {
    Channel.sms: [
        ("X-Twilio-Signature", "Twilio's request signature (base64 HMAC)"),
        ("X-Twilio-Webhooks-Signature-Settings", "e.g. algorithm=HMAC_SHA256"),
    ],
    Channel.email: [("Authorization", "HTTP Basic credentials from the webhook URL")],
    Channel.chat: [("Authorization", "Bearer token of the merchant's relay, if configured")],
    Channel.web: [("Authorization", "Bearer token of the merchant's relay, if configured")],
    Channel.social: [("X-Hub-Signature-256", "sha256=<hex HMAC-SHA256 of the body>")],
}


def request(channel: Channel) -> dict[str, Any]:
    media, schema = _BODIES[channel]
    return {
        "requestBody": {"required": True, "content": {media: {"schema": schema}}},
        "parameters": [
            {
                "name": name,
                "in": "header",
                "required": False,
                "description": description,
                "schema": _STRING,
            }
            for name, description in _HEADERS[channel]
        ],
    }


_ERROR: dict[str, Any] = {
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["error"],
                "properties": {"error": _STRING, "field": _STRING},
            }
        }
    }
}

RESPONSES: dict[int | str, dict[str, Any]] = {
    202: {"description": "Temporal holds the message (or already did: duplicate)"},
    401: {"description": "credentials missing or wrong", **_ERROR},
    403: {"description": "the webhook's signature is missing or wrong", **_ERROR},
    413: {"description": "the body is too large", **_ERROR},
    415: {"description": "the wrong Content-Type", **_ERROR},
    422: {"description": "the body or a field cannot be used; the field is named", **_ERROR},
    503: {"description": "Temporal is unavailable: retry", **_ERROR},
}
