"""POLICY.md "After resolution": what a message in the reopen window does."""

from __future__ import annotations

from enum import StrEnum

from desk.config import PolicyConfig
from desk.models import EscalationReason, Intent, ResolutionKind, Understanding


class Reaction(StrEnum):
    close = "close"  # "thanks": the contact closes
    record = "record"  # found it after a reship or refund: recorded, no clawback
    dispute = "dispute"  # "still not here", "not what I asked": a person looks again
    ignore = "ignore"  # anything else: the window runs on


def reaction(u: Understanding) -> Reaction:
    if u.thanks and not (u.dispute or u.still_missing):
        return Reaction.close
    if u.found_it:
        return Reaction.record
    if u.dispute or u.still_missing or u.wants_human or u.sensitive:
        return Reaction.dispute
    return Reaction.ignore


def dispute_reason(u: Understanding) -> EscalationReason:
    return EscalationReason.sensitive if u.sensitive else EscalationReason.customer_disputes


# Resolutions that moved no money or goods: a misreading behind them can still be put right
# by reading the contact again.
_NOTHING_MOVED = {
    ResolutionKind.info_only,
    ResolutionKind.cancel_denied_shipped,
    ResolutionKind.found_by_customer,
    ResolutionKind.carrier_found,
}


def is_correction(
    u: Understanding,
    answered: Understanding,
    resolution: ResolutionKind | None,
    cfg: PolicyConfig,
) -> bool:
    """ "That's not what I asked" after an answer that moved nothing, asking for something
    else than what was answered: the desk misread the request."""
    return (
        resolution in _NOTHING_MOVED
        and not u.still_missing
        and u.intent not in (Intent.other, answered.intent)
        and u.confidence >= cfg.min_intent_confidence
    )
