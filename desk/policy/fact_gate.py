"""The fact gate (the desk's rule "the claim must fit the order's facts"): before any
action, the claim the customer makes must be one the order's facts support.

- not received needs a delivered scan; otherwise the message is a status question;
- a wrong or damaged item needs a delivered shipment carrying the lines concerned;
- a cancellation needs lines that have not shipped (cancel_order step 3 answers the rest);
- an address change needs a new address from a verified message (change_address asks).

A claim that does not pass is answered as what it is (a status question) and is never
counted by the fraud gate.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel

from desk.config import PolicyConfig
from desk.models import Address, CarrierReading, Order, Shipment
from desk.policy.carrier_record import read_carrier_record


class Instead(StrEnum):
    """What a claim the facts do not support is answered as."""

    status = "status"  # not shipped: the status and ship-by date (where_is_my_order step 1)
    follow = "follow"  # with the carrier: follow the parcel (where_is_my_order steps 2-5)


class Gate(BaseModel):
    passes: bool
    why: str
    instead: Instead | None = None


def not_received_gate(reading: CarrierReading) -> Gate:
    if reading.status == "delivered":
        return Gate(passes=True, why="the carrier scanned it delivered")
    if reading.status == "not_shipped":
        return Gate(passes=False, why="it has not shipped yet", instead=Instead.status)
    return Gate(
        passes=False,
        why=f"the carrier has it, not delivered ({reading.status})",
        instead=Instead.follow,
    )


def delivered_with_lines(
    order: Order,
    traced: Iterable[Shipment],
    skus: list[str],
    now: datetime,
    cfg: PolicyConfig,
) -> Gate:
    """A wrong or damaged item needs a delivered shipment carrying the lines concerned
    (none named: any line of the order)."""
    wanted = set(skus) or {ln.sku for ln in order.lines}
    statuses = []
    for shipment in traced:
        reading = read_carrier_record(shipment, order.address, now, cfg)
        carries = set(shipment.skus or [ln.sku for ln in order.lines])
        if reading.status == "delivered" and carries & wanted:
            return Gate(passes=True, why=f"{shipment.tracking} was delivered with those items")
        statuses.append(reading.status)
    if not statuses or all(s == "not_shipped" for s in statuses):
        return Gate(passes=False, why="nothing has shipped yet", instead=Instead.status)
    return Gate(
        passes=False,
        why="no shipment with those items has been delivered yet",
        instead=Instead.follow,
    )


def has_new_address(address: Address | None) -> bool:
    return address is not None
