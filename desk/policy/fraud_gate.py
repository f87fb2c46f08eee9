"""POLICY.md delivered_not_received / wrong_item step 1: the repeat-claim fraud gate."""

from __future__ import annotations

from datetime import datetime, timedelta

from desk.config import PolicyConfig
from desk.models import Claim, ClaimKind

_COUNTED = {ClaimKind.delivered_not_received, ClaimKind.wrong_item}


def earlier_claims(claims: list[Claim], now: datetime, contact_id: str, cfg: PolicyConfig) -> int:
    """Not-received and wrong-item claims in the window, this contact's own claim excluded."""
    since = now - timedelta(days=cfg.claim_window_days)
    return sum(
        1
        for c in claims
        if c.kind in _COUNTED and since <= c.at <= now and c.contact_id != contact_id
    )


def needs_fraud_review(
    claims: list[Claim], now: datetime, contact_id: str, cfg: PolicyConfig
) -> bool:
    return earlier_claims(claims, now, contact_id, cfg) >= cfg.repeat_claim_limit
