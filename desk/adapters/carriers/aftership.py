"""AfterShip Tracking (dated API, e.g. ``/tracking/2025-01``) for any carrier
(``/work/shared/vendors/aggregators.md``, AfterShip's tracking SDK models).

- ``GET /trackings?tracking_numbers=…&slug=…`` finds the tracking already registered;
  otherwise ``POST /trackings`` ``{"tracking_number", "slug"}`` registers it (meta code
  4003 "already exists" is read as registered). Header ``as-api-key``. The envelope is
  ``{"meta": {"code", "message", "type"}, "data": {...}}``.
- ``checkpoints[]`` (oldest first) with ``tag`` (InfoReceived, InTransit, OutForDelivery,
  AttemptFail, Delivered, AvailableForPickup, Exception, Expired, Pending), ``subtag``
  (Delivered_001..005, Exception_0xx), ``message``, ``checkpoint_time`` (carrier's local
  time, with or without an offset), ``city``, ``coordinate{latitude, longitude}``.
- Proof: ``signed_by`` (a signature), subtag ``Delivered_003`` (signed by the customer),
  ``Delivered_002`` (picked up by the customer: a hand-off), ``delivery_location_type``
  (locker, mailroom, front desk: secured; mailbox, porch, safe place: not), the
  delivered checkpoint's ``coordinate`` (GPS). No photo.
- An Exception is the desk's exception only when its subtag or words name a return
  (``Exception_010`` returning, ``Exception_011`` returned), damage or a loss.
- ``latest_estimated_delivery`` (else ``courier_estimated_delivery_date``): expected.
- AfterShip files no carrier searches: ``file_search`` raises ``SearchNeedsOperator`` for
  the underlying carrier.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import httpx
from pydantic import BaseModel, Field, SecretStr

from desk.adapters.carriers.base import CarrierAdapter, json_body
from desk.adapters.carriers.common import (
    CarrierErrorResponse,
    CarrierFormatError,
    TrackingNotFound,
    as_float,
    describe,
    empty_shipment,
    exception_from_text,
    expected_from,
    obj,
    objs,
    oldest_first,
    parse_instant,
    person_name,
    require_object,
    service_code,
    settings_from_env,
    text,
    with_proof,
)
from desk.adapters.carriers.search import DetailsLookup, ShipFromSettings
from desk.adapters.http import RateLimit, VendorClient, short_message
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
from desk.ports import Unavailable

VENDOR = "AfterShip Tracking"
ALREADY_EXISTS = 4003
NOT_FOUND = 4004

SLUGS: dict[Carrier, str] = {
    Carrier.usps: "usps",
    Carrier.ups: "ups",
    Carrier.fedex: "fedex",
    Carrier.dhl: "dhl",
}
# delivery_location_type → words the desk's proof reading knows (None: unattended).
_SECURED_LOCATION = {
    "locker": "left in a parcel locker",
    "parcel_locker": "left in a parcel locker",
    "mailroom": "left in the mailroom",
    "mail_room": "left in the mailroom",
    "front_desk": "left at the front desk",
    "reception": "left at reception",
    "concierge": "left with the concierge",
    "leasing_office": "left at the leasing office",
    "pickup_point": "held at a pickup point (secured)",
    "access_point": "held at a pickup point (secured)",
}


class AftershipSettings(BaseModel):
    """``DESK_AFTERSHIP_API_KEY``, ``DESK_AFTERSHIP_BASE_URL`` (with the API version, e.g.
    ``https://api.aftership.com/tracking/2025-01``), ``DESK_AFTERSHIP_RATE_PER_SECOND``
    (AfterShip allows 5 a second on GET /trackings), ``DESK_AFTERSHIP_TIMEOUT``."""

    api_key: SecretStr
    base_url: str = "https://api.aftership.com/tracking/2025-01"
    rate_per_second: float = Field(4.0, gt=0)
    timeout: float = Field(15.0, gt=0)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AftershipSettings:
        return settings_from_env(cls, "DESK_AFTERSHIP_", env)


# ---------------------------------------------------------------- reading a response


def tracking_of(payload: Any) -> dict[str, Any]:
    """The tracking in a saved response: ``{"meta", "data": tracking}``, v4's
    ``data.tracking``, a list's ``data.trackings`` (the first), or a bare tracking."""
    body = require_object(payload, VENDOR)
    meta = obj(body.get("meta"))
    data = body.get("data") if "data" in body else body
    data = obj(data)
    if isinstance(data.get("tracking"), dict):
        data = data["tracking"]
    elif "trackings" in data and "checkpoints" not in data:
        listed = objs(data.get("trackings"))
        if not listed:
            raise TrackingNotFound("AfterShip", "", str(NOT_FOUND), "no tracking in the list")
        data = listed[0]
    code = as_float(meta.get("code"))
    if code is not None and code >= 400 and "checkpoints" not in data:
        if int(code) == NOT_FOUND:
            raise TrackingNotFound("AfterShip", "", str(NOT_FOUND), text(meta.get("message")))
        raise CarrierErrorResponse(VENDOR, str(int(code)), text(meta.get("message")))
    if "checkpoints" not in data and "tracking_number" not in data:
        keys = ", ".join(sorted(body)[:8]) or "none"
        raise CarrierFormatError(
            VENDOR, "data.checkpoints", f"missing, and no tracking_number (keys: {keys})"
        )
    if data.get("checkpoints") is not None and not isinstance(data.get("checkpoints"), list):
        raise CarrierFormatError(VENDOR, "checkpoints", "a list is needed")
    return data


def carrier_slug(slug: str) -> Carrier | None:
    lowered = slug.strip().lower()
    for prefix, carrier in (
        ("usps", Carrier.usps),
        ("ups", Carrier.ups),
        ("fedex", Carrier.fedex),
        ("dhl", Carrier.dhl),
    ):
        if lowered.startswith(prefix):
            return carrier
    return None


def parse(payload: Any, carrier: Carrier | None = None) -> Shipment:
    """An AfterShip tracking as the desk's ``Shipment``."""
    tracking = tracking_of(payload)
    slug = text(tracking.get("slug"))
    known = carrier_slug(slug) or carrier
    if known is None:
        raise CarrierFormatError(
            VENDOR, "slug", f"{slug!r} is not a carrier the desk knows (usps, ups, fedex, dhl)"
        )
    rows = objs(tracking.get("checkpoints"))
    events = oldest_first(e for e in (_event(r) for r in rows) if e is not None)
    delivered = [r for r in rows if text(r.get("tag")) == "Delivered"]
    subtag = text(delivered[-1].get("subtag")) if delivered else text(tracking.get("subtag"))
    signer = text(tracking.get("signed_by"))
    person = person_name(signer)
    location = text(tracking.get("delivery_location_type"))
    location_words = _SECURED_LOCATION.get(location.lower().replace(" ", "_").replace("-", "_"))
    if location and location_words is None:
        location_words = f"left at: {location.replace('_', ' ')}"
    events = with_proof(
        events,
        signature=person is not None or subtag == "Delivered_003",
        words=[
            f"signed for by {person}" if person else None,
            f"received as: {signer}" if signer and not person else None,
            "handed to the customer at pickup" if subtag == "Delivered_002" else None,
            location_words,
        ],
    )
    return Shipment(
        carrier=known,
        tracking=text(tracking.get("tracking_number")),
        service=service_code(tracking.get("shipment_type")),
        expected_delivery=_expected(tracking),
        events=events,
    )


def checkpoint_status(row: dict[str, Any]) -> tuple[ScanStatus, ExceptionKind | None]:
    tag = text(row.get("tag"))
    subtag = text(row.get("subtag"))
    words = (text(row.get("message")), text(row.get("subtag_message")))
    if subtag in {"Exception_010", "Exception_011"}:
        return ScanStatus.exception, ExceptionKind.return_to_sender
    if tag == "Delivered":
        return ScanStatus.delivered, None
    if tag in {"InfoReceived", "Pending"}:
        return ScanStatus.label_created, None
    named = exception_from_text(*words)
    if named is not None:
        return ScanStatus.exception, named
    if tag == "OutForDelivery":
        return ScanStatus.out_for_delivery, None
    lowered = " ".join(words).lower()
    if subtag == "InTransit_002" or any(
        w in lowered for w in ("accepted", "acceptance", "in possession", "picked up")
    ):
        return ScanStatus.accepted, None
    return ScanStatus.in_transit, None


def _event(row: dict[str, Any]) -> ScanEvent | None:
    at = parse_instant(row.get("checkpoint_time")) or parse_instant(row.get("created_at"))
    if at is None:
        return None
    status, exception = checkpoint_status(row)
    point = obj(row.get("coordinate"))
    lat, lon = as_float(point.get("latitude")), as_float(point.get("longitude"))
    if lat is None or lon is None:
        lat = lon = None
    return ScanEvent(
        at=at,
        status=status,
        description=describe(text(row.get("message")) or text(row.get("subtag_message"))),
        city=text(row.get("city")) or None,
        lat=lat,
        lon=lon,
        exception=exception,
    )


def _expected(tracking: dict[str, Any]) -> datetime | None:
    latest = obj(tracking.get("latest_estimated_delivery"))
    for value in (latest.get("datetime"), latest.get("datetime_max")):
        moment = expected_from(value)
        if moment is not None:
            return moment
    courier = obj(tracking.get("courier_estimated_delivery_date"))
    for value in (
        courier.get("estimated_delivery_date"),
        courier.get("estimated_delivery_date_max"),
    ):
        moment = expected_from(value)
        if moment is not None:
            return moment
    return expected_from(tracking.get("expected_delivery"))


# ---------------------------------------------------------------- the adapter


class AftershipTracking(CarrierAdapter):
    """``CarrierTracking`` over AfterShip Tracking, for any carrier AfterShip tracks."""

    vendor = "AfterShip"

    def __init__(
        self,
        settings: AftershipSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        ship_from: ShipFromSettings | None = None,
        details: DetailsLookup | None = None,
    ) -> None:
        self.settings = settings
        key = settings.api_key.get_secret_value()
        client = VendorClient(
            vendor="AfterShip",
            base_url=settings.base_url,
            auth=lambda: {"as-api-key": key},
            rate=RateLimit(per_second=settings.rate_per_second, burst=4),
            transport=transport,
            sleep=sleep,
            timeout=settings.timeout,
        )
        super().__init__(client, None, ship_from=ship_from, details=details)
        self._carriers: dict[str, Carrier] = {}

    def trace(self, tracking: str, as_of: datetime, carrier: Carrier | None = None) -> TraceResult:
        if carrier is not None:
            self._carriers[normalise_tracking(tracking)] = carrier
        return super().trace(tracking, as_of)

    def file_search(
        self,
        tracking: str,
        reason: str,
        filed_at: datetime,
        key: str,
        carrier: Carrier | None = None,
    ) -> CarrierCase:
        number = normalise_tracking(tracking)
        if carrier is not None:
            self._carriers[number] = carrier
        raise self.needs_operator(self.carrier_of(number), number, reason)

    def carrier_of(self, tracking: str) -> Carrier:
        return self._carriers.get(normalise_tracking(tracking), Carrier.usps)

    def current(self, tracking: str) -> TraceResult:
        number = normalise_tracking(tracking)
        hint = self._carriers.get(number)
        found = self._find(number, hint)
        if found is None:
            found = self._register(number, hint)
        if found is None:
            raise TrackingNotFound("AfterShip", number, str(NOT_FOUND), "not registered")
        if carrier_slug(text(found.get("slug"))) is None and hint is None:
            # A tracking AfterShip could not place yet ("unrecognized"): no scans.
            return TraceResult(shipment=empty_shipment(Carrier.usps, number))
        try:
            shipment = parse(found, hint)
        except (CarrierFormatError, CarrierErrorResponse) as err:
            raise Unavailable(
                f"AfterShip answered a tracking the desk cannot read: {err}"
            ) from None
        return TraceResult(shipment=shipment.model_copy(update={"tracking": number}))

    def _find(self, number: str, carrier: Carrier | None) -> dict[str, Any] | None:
        params = {"tracking_numbers": number}
        if carrier is not None:
            params["slug"] = SLUGS[carrier]
        response = self.call("GET", "/trackings", params=params)
        data = obj(obj(json_body(response, self.vendor)).get("data"))
        listed = [
            t
            for t in objs(data.get("trackings"))
            if normalise_tracking(text(t.get("tracking_number"))) == number
        ]
        return listed[0] if listed else None

    def _register(self, number: str, carrier: Carrier | None) -> dict[str, Any] | None:
        request = {"tracking_number": number}
        if carrier is not None:
            request["slug"] = SLUGS[carrier]
        response = self.call("POST", "/trackings", json=request, expect=(400, 404, 422))
        body = obj(json_body(response, self.vendor))
        if response.status_code >= 400:
            meta = obj(body.get("meta"))
            code = int(as_float(meta.get("code")) or response.status_code)
            if code == ALREADY_EXISTS:
                return self._find(number, carrier)
            raise TrackingNotFound(
                "AfterShip", number, str(code), text(meta.get("message")) or short_message(response)
            )
        return obj(body.get("data"))
