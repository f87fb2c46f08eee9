"""What ingest may listen on, given how each channel it serves is authenticated.

- Beyond loopback (any address but 127.0.0.1, ::1 or localhost), every channel endpoint
  served (``DESK_INGEST_CHANNELS``) needs its authentication configured; ingest refuses to
  start otherwise, naming what is missing (``desk`` exits 2).
- Development mode (``DESK_DEV_MODE``) trusts unsigned input on every channel, so it is
  allowed only on loopback, and is announced loudly at start.
"""

from __future__ import annotations

import sys
from typing import TextIO

from desk.config import ConfigError, Settings
from desk.loopback import is_loopback
from desk.models import Channel

# What each channel needs configured to authenticate its senders.
REQUIRED = {
    Channel.sms: "DESK_TWILIO_AUTH_TOKEN (Twilio's request signature)",
    Channel.email: "DESK_POSTMARK_WEBHOOK_USER and DESK_POSTMARK_WEBHOOK_PASSWORD "
    "(HTTP Basic credentials in Postmark's webhook URL)",
    Channel.chat: "DESK_IDENTITY_SECRET (identities signed by the merchant's widget)",
    Channel.web: "DESK_IDENTITY_SECRET (identities signed by the merchant's site)",
    Channel.social: "DESK_SOCIAL_WEBHOOK_SECRET (the platform's X-Hub-Signature-256)",
}

DEV_MODE_WARNING = (
    "WARNING: DESK_DEV_MODE is on. Ingest trusts UNSIGNED input on every channel: anyone who "
    "can reach {where} can write as any customer. For development on this machine only."
)


def how_authenticated(settings: Settings, channel: Channel) -> str | None:
    """How a served channel's senders are authenticated, None when nothing is configured."""
    if channel == Channel.sms and (settings.twilio_auth_token or settings.twilio_sha256_key):
        return "Twilio signature"
    if channel == Channel.email and settings.postmark_webhook_user:
        reads = (
            f"Authentication-Results by {settings.email_authserv_id}, "
            if settings.email_authserv_id
            else ""
        )
        return f"Postmark Basic credentials; sender by {reads}DKIM_VALID_AU, Received-SPF"
    if channel in (Channel.chat, Channel.web) and settings.identity_secret:
        return "signed identity (user_hash)"
    if channel == Channel.social and settings.social_webhook_secret:
        return "platform signature (X-Hub-Signature-256)"
    return None


def check_ingest_settings(settings: Settings) -> None:
    """Raise ``ConfigError`` naming the reason when ingest must not start as configured."""
    where = f"{settings.ingest_host}:{settings.ingest_port}"
    if is_loopback(settings.ingest_host):
        return
    if settings.dev_mode:
        raise ConfigError(
            f"DESK_DEV_MODE trusts unsigned input, so ingest runs in development mode only on "
            f"loopback (DESK_INGEST_HOST=127.0.0.1, ::1 or localhost), not on {where}"
        )
    missing = [
        f"{channel.value}: set {REQUIRED[channel]}"
        for channel in settings.ingest_channels
        if how_authenticated(settings, channel) is None
    ]
    if missing:
        raise ConfigError(
            f"ingest refuses to listen on {where}, beyond loopback, while a channel it serves "
            f"has no authentication configured ({'; '.join(missing)}); or serve only the "
            "authenticated channels with DESK_INGEST_CHANNELS"
        )


def channel_summary(settings: Settings) -> list[str]:
    """One line per channel for the start message: how it is authenticated, or not."""
    lines = []
    for channel in Channel:
        if channel not in settings.ingest_channels:
            lines.append(f"{channel.value:<7} not served (DESK_INGEST_CHANNELS)")
            continue
        how = how_authenticated(settings, channel)
        if how is not None:
            lines.append(f"{channel.value:<7} authenticated: {how}")
        elif settings.dev_mode:
            lines.append(f"{channel.value:<7} DEV MODE: unsigned input trusted")
        else:
            lines.append(
                f"{channel.value:<7} NOT authenticated (accepted, never verified): "
                f"set {REQUIRED[channel].split(' (')[0]}"
            )
    return lines


def announce(settings: Settings, out: TextIO | None = None) -> None:
    """Say loudly, on stderr, when development mode is on."""
    if not settings.dev_mode:
        return
    stream = out or sys.stderr
    where = f"http://{settings.ingest_host}:{settings.ingest_port}"
    banner = "!" * 78
    print(f"{banner}\n{DEV_MODE_WARNING.format(where=where)}\n{banner}", file=stream, flush=True)
