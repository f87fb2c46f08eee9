"""POLICY.md "After resolution": what a message in the reopen window does."""

from __future__ import annotations

from enum import StrEnum

from desk.models import EscalationReason, Understanding


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
