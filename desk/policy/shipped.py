"""What "shipped" means, once for the whole desk: the carrier has scanned the parcel.

A label alone is not shipped (it can still be voided), so a cancellation or an address
change is still possible until the carrier's first acceptance scan.
"""

from __future__ import annotations

from collections.abc import Iterable

from desk.models import Order, ScanEvent, ScanStatus, Shipment


def is_carrier_scan(status: ScanStatus) -> bool:
    """A scan made by the carrier (anything but the merchant's own label creation)."""
    return status != ScanStatus.label_created


def carrier_scans(shipment: Shipment) -> list[ScanEvent]:
    return [e for e in shipment.events if is_carrier_scan(e.status)]


def has_shipped(shipment: Shipment) -> bool:
    return any(is_carrier_scan(e.status) for e in shipment.events)


def shipped_skus(order: Order, traced: Iterable[Shipment]) -> set[str]:
    """SKUs the carrier has accepted, from shipments traced as of now. A shipment that
    names no SKUs carries every line of the order."""
    shipped: set[str] = set()
    for shipment in traced:
        if has_shipped(shipment):
            shipped.update(shipment.skus or [ln.sku for ln in order.lines])
    return shipped
