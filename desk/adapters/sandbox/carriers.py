"""CarrierTracking over the sandbox database: traces as of a time, carrier searches."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from desk.adapters.sandbox.database import SandboxDatabase, _now
from desk.adapters.sandbox.tables import CarrierCaseRow, ScanEventRow, ShipmentRow, as_utc
from desk.identities import normalise_tracking
from desk.models import (
    Carrier,
    CarrierCase,
    ExceptionKind,
    ScanEvent,
    ScanStatus,
    Shipment,
    TraceResult,
)
from desk.ports import NotFound

FOUND_BY_SEARCH = "Delivered, Left with Individual (found by carrier search)"
_CASE_PREFIX = {
    Carrier.usps: "MMS-",
    Carrier.ups: "UPS-TRACE-",
    Carrier.fedex: "FEDEX-TRACE-",
    Carrier.dhl: "DHL-TRACE-",
}


def case_number_for(carrier: Carrier, tracking: str, key: str) -> str:
    """Stable across retries: derived from the request, not from a sequence."""
    digest = int(hashlib.sha256(f"{tracking}|{key}".encode()).hexdigest(), 16) % 10**10
    return f"{_CASE_PREFIX[carrier]}{digest:010d}"


class SandboxCarrierTracking(SandboxDatabase):
    """The CarrierTracking port, and the filed searches as a read-out."""

    def _carrier_time(self, moment: datetime) -> datetime:
        moment = as_utc(moment)
        if self._clock_origin is None or self._clock_speed == 1.0:
            return moment
        return self._clock_origin + (moment - self._clock_origin) * self._clock_speed

    def trace(self, tracking: str, as_of: datetime) -> TraceResult:
        as_of = self._carrier_time(as_of)
        with self.unit_of_work() as session:
            ship = self._shipment_row(session, tracking)
            events = [_scan(e) for e in ship.events if e.at <= as_of]
            carrier_case = None
            # A trace as of a moment shows only the searches filed by then.
            if ship.case is not None and as_utc(ship.case.filed_at) <= as_of:
                carrier_case = _carrier_case(ship.case, ship, as_of)
                if carrier_case.status == "found":
                    events.append(_found_scan(ship, ship.case))
                    events.sort(key=lambda e: e.at)
            return TraceResult(shipment=_shipment(ship, events), case=carrier_case)

    def file_search(self, tracking: str, reason: str, filed_at: datetime, key: str) -> CarrierCase:
        filed_at = self._carrier_time(filed_at)

        def existing(session: Session) -> CarrierCase | None:
            ship = self._shipment_row(session, tracking)
            return _carrier_case(ship.case, ship, filed_at) if ship.case is not None else None

        def create(session: Session) -> CarrierCase:
            ship = self._shipment_row(session, tracking)
            carrier = Carrier(ship.carrier)
            row = CarrierCaseRow(
                shipment=ship,
                case_number=case_number_for(carrier, ship.tracking, key),
                carrier=carrier.value,
                kind="missing_mail_search" if carrier == Carrier.usps else "trace",
                reason=reason,
                filed_at=filed_at,
                key=key,
            )
            session.add(row)
            session.flush()
            return _carrier_case(row, ship, filed_at)

        return self._once(existing, create)

    def carrier_cases(self, as_of: datetime | None = None) -> list[CarrierCase]:
        """Every filed search; status as of ``as_of`` (default: the wall clock)."""
        moment = as_utc(as_of) if as_of is not None else _now()
        with self.unit_of_work() as session:
            rows = session.scalars(select(CarrierCaseRow).order_by(CarrierCaseRow.id))
            return [_carrier_case(row, row.shipment, moment) for row in rows]

    def known_shipment(self, tracking: str) -> Shipment | None:
        """The shop's record of a parcel (carrier, SKUs, service), without its scans: what
        a ``CarrierRouter`` asks the merchant when the carriers are real."""
        with self.unit_of_work() as session:
            try:
                return _shipment(self._shipment_row(session, tracking), [])
            except NotFound:
                return None

    def _shipment_row(self, session: Session, tracking: str) -> ShipmentRow:
        key = normalise_tracking(tracking)
        row = session.scalars(select(ShipmentRow).where(ShipmentRow.tracking == key)).first()
        if row is None:
            raise NotFound(f"no shipment with tracking {key}")
        return row


# ---------------------------------------------------------------- rows -> models


def _shipment(row: ShipmentRow, events: list[ScanEvent]) -> Shipment:
    return Shipment(
        carrier=Carrier(row.carrier),
        tracking=row.tracking,
        service=row.service,
        skus=list(row.skus),
        expected_delivery=row.expected_delivery,
        events=events,
        label_voided=row.label_voided,
    )


def _scan(row: ScanEventRow) -> ScanEvent:
    return ScanEvent(
        at=row.at,
        status=ScanStatus(row.status),
        description=row.description,
        city=row.city,
        photo=row.photo,
        signature=row.signature,
        lat=row.lat,
        lon=row.lon,
        exception=ExceptionKind(row.exception) if row.exception else None,
    )


def _search_concludes_at(ship: ShipmentRow, row: CarrierCaseRow) -> datetime | None:
    if ship.search_result is None or ship.search_after_seconds is None:
        return None
    return row.filed_at + timedelta(seconds=ship.search_after_seconds)


def _carrier_case(row: CarrierCaseRow, ship: ShipmentRow, as_of: datetime) -> CarrierCase:
    concludes = _search_concludes_at(ship, row)
    status: Literal["open", "found", "not_found"] = "open"
    if concludes is not None and as_of >= concludes:
        status = "found" if ship.search_result == "found" else "not_found"
    return CarrierCase(
        case_number=row.case_number,
        carrier=Carrier(row.carrier),
        tracking=ship.tracking,
        kind=row.kind,
        reason=row.reason,
        filed_at=row.filed_at,
        status=status,
    )


def _found_scan(ship: ShipmentRow, row: CarrierCaseRow) -> ScanEvent:
    """How "the carrier finds it later" looks: a delivery with proof, when the search ends."""
    at = _search_concludes_at(ship, row)
    assert at is not None  # only called for a concluded search
    return ScanEvent(
        at=at,
        status=ScanStatus.delivered,
        description=FOUND_BY_SEARCH,
        city=ship.order.city,
        photo=True,
    )
