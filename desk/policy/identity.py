"""POLICY.md "Who is asking", as the desk runs it: an unverified sender's attempts are
limited per sender and per order, with a lockout that cools down (docs/policy.md)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta

from desk.config import PolicyConfig
from desk.identities import identity_lookups
from desk.models import (
    AttemptLimits,
    AttemptVerdict,
    Channel,
    RoutedMessage,
    UnverifiedAttempt,
)


def sender_key(channel: Channel, sender: str) -> str:
    """One key per sender however they spell it, without keeping the identity itself."""
    lookups = identity_lookups(sender)
    canonical = lookups[0][1] if lookups else sender.strip().lower()
    return hashlib.sha256(f"{channel.value}|{canonical}".encode()).hexdigest()[:32]


def attempt_limits(cfg: PolicyConfig) -> AttemptLimits:
    return AttemptLimits(
        per_sender=cfg.unverified_attempts_per_sender,
        per_order=cfg.unverified_attempts_per_order,
        window_hours=cfg.unverified_window_hours,
    )


def attempt_verdict(
    attempt: UnverifiedAttempt,
    limits: AttemptLimits,
    by_sender: Sequence[datetime],
    by_order: Sequence[datetime],
) -> AttemptVerdict:
    """Allowed while fewer than the limit were counted in the window, for this sender and
    for the order it names. A refused attempt is not counted, so the lock lifts one window
    after the attempt that reached the limit (the cool-down), however often it is tried."""
    window = timedelta(hours=limits.window_hours)
    if len(by_sender) >= limits.per_sender:
        return AttemptVerdict(
            allowed=False,
            reason=f"{len(by_sender)} unverified messages from this sender in "
            f"{limits.window_hours:g} h (limit {limits.per_sender})",
            retry_after=sorted(by_sender)[-limits.per_sender] + window,
        )
    if attempt.order_number and len(by_order) >= limits.per_order:
        return AttemptVerdict(
            allowed=False,
            reason=f"{len(by_order)} unverified messages about this order in "
            f"{limits.window_hours:g} h (limit {limits.per_order})",
            retry_after=sorted(by_order)[-limits.per_order] + window,
        )
    return AttemptVerdict(allowed=True)


def as_carried(routed: RoutedMessage, cfg: PolicyConfig) -> RoutedMessage:
    """The message as it goes into its contact's history. From an unverified sender to an
    order's contact: a short reference (who, which channel, what it was read as; no text,
    subject, attachments or address), so no stranger can grow a customer's history or put
    words in it. Otherwise its text up to ``message_text_max_chars``."""
    message, understanding = routed.message, routed.understanding
    if not routed.match.verified and routed.match.claimed_order is not None:
        size = len(message.text)
        message = message.model_copy(
            update={
                "text": f"[unverified message, {size} characters, not copied]",
                "subject": None,
                "attachments": [],
            }
        )
        understanding = understanding.model_copy(
            update={"new_address": None, "preference": None, "has_image": False}
        )
    elif len(message.text) > cfg.message_text_max_chars:
        cut = message.text[: cfg.message_text_max_chars]
        message = message.model_copy(update={"text": f"{cut} [… cut at {len(cut)} characters]"})
    return routed.model_copy(update={"message": message, "understanding": understanding})
