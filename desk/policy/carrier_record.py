"""POLICY.md "Reading the carrier record": status, proof strength, late and stalled."""

from __future__ import annotations

import math
import re
from datetime import datetime

from desk.config import PolicyConfig
from desk.models import Address, CarrierReading, ScanEvent, ScanStatus, Shipment

# A hand-off to a person or a secured place is strong proof even without photo or GPS;
# carriers often say so only in the scan's text (USPS "Left with Individual").
_SECURED = re.compile(
    r"left with individual|individual picked up|front desk|reception|receptionist|concierge|"
    r"mail ?room|parcel (?:room|locker)|package (?:room|locker)|locker|leasing office|"
    r"handed (?:directly )?to|signed for|residence/?business|agent|secured",
    re.IGNORECASE,
)
_EARTH_RADIUS_M = 6_371_000.0


def with_merchant_record(traced: Shipment, record: Shipment | None) -> Shipment:
    """A carrier's trace on the merchant's record of the parcel: carriers do not know which
    SKUs are inside or the shop's service code (partial cancellations and replacements need
    both), so those come from the record; the carrier's expected date wins over the
    merchant's; a label either side voided is void."""
    if record is None:
        return traced
    return traced.model_copy(
        update={
            "skus": list(record.skus) or list(traced.skus),
            "service": record.service or traced.service,
            "label_voided": traced.label_voided or record.label_voided,
            "expected_delivery": traced.expected_delivery or record.expected_delivery,
        }
    )


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_M * math.asin(math.sqrt(a))


def delivery_proof(scan: ScanEvent, address: Address, cfg: PolicyConfig) -> tuple[str, list[str]]:
    """Proof strength of a delivery scan, with the facts that decided it."""
    gps = None
    if None not in (scan.lat, scan.lon, address.lat, address.lon):
        gps = distance_m(scan.lat, scan.lon, address.lat, address.lon)  # type: ignore[arg-type]
    # GPS far from the address outranks a photo: the photo is of someone else's door.
    if gps is not None and gps > cfg.misdelivery_m:
        return "misdelivered", [
            f"scan GPS {gps:.0f} m from the address (> {cfg.misdelivery_m:.0f} m)"
        ]
    facts: list[str] = []
    if scan.photo:
        facts.append("delivery photo")
    if scan.signature:
        facts.append("signature")
    if gps is not None and gps <= cfg.gps_match_m:
        facts.append(f"scan GPS {gps:.0f} m from the address")
    if _SECURED.search(scan.description):
        facts.append(f"handed off: {scan.description!r}")
    if facts:
        return "strong", facts
    weak = [f"left unattended: {scan.description!r}", "no photo, signature or matching GPS"]
    if gps is not None:
        weak.append(f"scan GPS {gps:.0f} m from the address (neither match nor misdelivery)")
    return "weak", weak


def read_carrier_record(
    shipment: Shipment | None, address: Address, now: datetime, cfg: PolicyConfig
) -> CarrierReading:
    if shipment is None:
        return CarrierReading(status="not_shipped")
    scans = [e for e in shipment.events if e.status != ScanStatus.label_created]
    base = {
        "expected_delivery": shipment.expected_delivery,
        "tracking": shipment.tracking,
        "carrier": shipment.carrier,
    }
    if not scans:
        return CarrierReading(status="not_shipped", **base)
    last = scans[-1]
    if last.status == ScanStatus.delivered:
        proof, facts = delivery_proof(last, address, cfg)
        return CarrierReading(
            status="delivered",
            proof=proof,
            proof_facts=facts,
            last_scan=last,  # type: ignore[arg-type]
            delivered_at=last.at,
            **base,
        )
    if last.status == ScanStatus.exception:
        return CarrierReading(status="exception", exception=last.exception, last_scan=last, **base)
    expected = shipment.expected_delivery
    late = expected is not None and now > expected
    scan_age_days = (now - last.at).total_seconds() / 86400
    if expected is None:
        stalled = scan_age_days > cfg.stall_days
    else:
        days_late = (now - expected).total_seconds() / 86400
        stalled = scan_age_days > cfg.stall_days and days_late >= cfg.lost_after_late_days
    return CarrierReading(status="in_transit", late=late, stalled=stalled, last_scan=last, **base)


def primary_shipment(shipments: list[Shipment], tracking_hint: list[str]) -> Shipment | None:
    """The shipment a contact is about: the one the customer named, else the latest one."""
    for s in shipments:
        if s.tracking in tracking_hint:
            return s
    return shipments[-1] if shipments else None
