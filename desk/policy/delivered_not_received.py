"""POLICY.md delivered_not_received: the early-claim window, and what each proof and tier
leads to."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from desk.config import PolicyConfig
from desk.models import CarrierCase, CarrierReading, Tier


def early_claim_until(reading: CarrierReading, cfg: PolicyConfig) -> datetime:
    """Step 5: carriers often scan early, so a weak-proof claim waits until this mark."""
    assert reading.delivered_at is not None
    return reading.delivered_at + timedelta(hours=cfg.early_claim_hours)


class WeakProofCourse(StrEnum):
    resolve = "resolve"  # vip: reship/refund at once, the search runs for recovery
    escalate = "escalate"  # b2b: a person decides, with the proposal
    await_carrier = "await_carrier"  # standard, new: wait for the carrier's search


def weak_proof_course(tier: Tier) -> WeakProofCourse:
    """Step 3, by tier."""
    if tier == Tier.vip:
        return WeakProofCourse.resolve
    if tier == Tier.b2b:
        return WeakProofCourse.escalate
    return WeakProofCourse.await_carrier


def waits_for_carrier(tier: Tier) -> bool:
    return weak_proof_course(tier) == WeakProofCourse.await_carrier


def carrier_found_it(
    case: CarrierCase | None, latest: CarrierReading, first_delivered_at: datetime | None
) -> bool:
    """Step 3: the search reports it found, or a new delivery scan appeared."""
    new_scan = (
        latest.delivered_at is not None
        and first_delivered_at is not None
        and latest.delivered_at > first_delivered_at
    )
    return (case is not None and case.status == "found") or new_scan


def search_came_back_empty(case: CarrierCase | None) -> bool:
    """The desk's own rule: a search that closed not found ends the wait early."""
    return case is not None and case.status == "not_found"


def goodwill_despite_proof(tier: Tier) -> bool:
    """Step 4: still missing despite strong proof: vip gets reship/refund as goodwill,
    the others go to a person."""
    return tier == Tier.vip
