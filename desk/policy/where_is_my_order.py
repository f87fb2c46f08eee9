"""POLICY.md where_is_my_order: the ship-by date, and the course of a parcel being followed."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from desk.config import PolicyConfig
from desk.models import CarrierReading, ExceptionKind, Order
from desk.policy.ship_by import add_business_days


def ship_by(order: Order, cfg: PolicyConfig) -> datetime:
    """Step 1: placed date plus ``handling_days`` business days."""
    return add_business_days(order.placed_at, cfg.handling_days)


def unshipped_too_long(order: Order, now: datetime, cfg: PolicyConfig) -> bool:
    """Step 1: still unshipped longer than ``unshipped_escalate_days`` after placing."""
    return now - order.placed_at > timedelta(days=cfg.unshipped_escalate_days)


class Course(StrEnum):
    """Where a followed parcel stands (steps 2 to 5)."""

    returning = "returning"  # step 5: exception return to sender
    lost = "lost"  # step 4: stalled, or an exception (lost, damaged in transit)
    delivered = "delivered"  # step 2: it arrived
    on_time = "on_time"  # step 2: moving, not yet due
    late = "late"  # step 3: late but moving (or no expected date to wait for)


def course(reading: CarrierReading) -> Course:
    if reading.exception == ExceptionKind.return_to_sender:
        return Course.returning
    if reading.status == "exception" or reading.stalled:
        return Course.lost
    if reading.status == "delivered":
        return Course.delivered
    if not reading.late and reading.expected_delivery is not None:
        return Course.on_time
    return Course.late


def lost_because(reading: CarrierReading) -> str:
    return f"exception {reading.exception.value}" if reading.exception else "stalled"


def next_check(reading: CarrierReading, cfg: PolicyConfig) -> datetime:
    """Step 2: the day after the expected delivery date."""
    assert reading.expected_delivery is not None
    return reading.expected_delivery + timedelta(days=cfg.recheck_after_expected_days)
