"""FedEx Track API (``POST /track/v1/trackingnumbers``) with OAuth 2.0 client credentials.

What FedEx sends, and how the desk reads it (``/work/shared/vendors/ups_fedex_track.md``,
FedEx's Track OpenAPI):

- ``output.completeTrackResults[].trackResults[]``: one number can return several results
  (FedEx reuses numbers; the one with the latest scan is read) and a per-number ``error``
  inside an HTTP 200 (``TRACKING.TRACKINGNUMBER.NOTFOUND``: ``TrackingNotFound``).
- ``scanEvents[]`` newest first, ``date`` ISO with an offset (occasionally without one:
  read in the offset of the other events), ``eventType`` (DL delivered, OD out for
  delivery, PU picked up, OC shipment information sent, RS return to shipper, DE / SE /
  DY exceptions and delays), ``derivedStatusCode``, ``eventDescription``,
  ``exceptionDescription``. An exception is the desk's exception only when its words
  name a loss, damage or a return; a delay stays in transit.
- Proof on ``deliveryDetails``: ``signedByName`` (a signature), ``receivedByName`` (a person:
  "handed to <name>"), ``locationType`` (RECEPTIONIST_OR_FRONT_DESK, MAILROOM,
  SHIPPING_RECEIVING, GUARD_OR_SECURITY_STATION, LEASING_OFFICE ...: a hand-off to a
  secured place; RESIDENCE / OTHER: not), ``locationDescription`` ("Front Door"). A
  ``specialHandlings`` signature option on a delivered parcel counts as a signature. The
  Track API carries no delivery photo and no GPS coordinates; ``availableImages``
  SIGNATURE_PROOF_OF_DELIVERY alone is not a signature (FedEx offers the letter for
  deliveries without one).
- ``dateAndTimes[]`` ESTIMATED_DELIVERY (else COMMITMENT): the expected delivery.
- No public API files a trace or claim: ``file_search`` raises ``SearchNeedsOperator``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timezone
from typing import Any

import httpx
from pydantic import BaseModel, Field, SecretStr

from desk.adapters.carriers.base import CarrierAdapter, json_body
from desk.adapters.carriers.common import (
    CarrierErrorResponse,
    CarrierFormatError,
    TrackingNotFound,
    describe,
    exception_from_text,
    expected_from,
    obj,
    objs,
    oldest_first,
    parse_instant,
    received_words,
    require_object,
    service_code,
    settings_from_env,
    text,
    token_lifetime,
    with_proof,
)
from desk.adapters.carriers.search import DetailsLookup, ShipFromSettings
from desk.adapters.http import RateLimit, short_message
from desk.identities import normalise_tracking
from desk.models import Carrier, ExceptionKind, ScanEvent, ScanStatus, Shipment, TraceResult
from desk.ports import Refused, Unavailable

VENDOR = "FedEx Track"

# deliveryDetails.locationType → the words the desk's proof reading knows; None: a place
# where a parcel is left unattended.
LOCATION_WORDS: dict[str, str | None] = {
    "RECEPTIONIST_OR_FRONT_DESK": "left at the receptionist/front desk",
    "SHIPPING_RECEIVING": "handed to shipping/receiving",
    "MAILROOM": "left in the mailroom",
    "GUARD_OR_SECURITY_STATION": "handed to the guard/security station",
    "FEDEX_LOCATION": "held at a FedEx location (secured)",
    "IN_BOND_OR_CAGE": "left in bond or cage (secured)",
    "PHARMACY": "handed to the pharmacy",
    "GATE_HOUSE": "handed to the gate house",
    "MANAGER_OFFICE": "handed to the manager's office",
    "MAIN_OFFICE": "handed to the main office",
    "LEASING_OFFICE": "left at the leasing office",
    "RENTAL_OFFICE": "handed to the rental office",
    "APARTMENT_OFFICE": "handed to the apartment office",
    "RESIDENCE": None,
    "OTHER": None,
}
_EXPECTED_TYPES = ("ESTIMATED_DELIVERY", "APPOINTMENT_DELIVERY", "COMMITMENT")


class FedexSettings(BaseModel):
    """``DESK_FEDEX_CLIENT_ID`` (API key), ``DESK_FEDEX_CLIENT_SECRET`` (secret key),
    ``DESK_FEDEX_BASE_URL`` (``https://apis-sandbox.fedex.com`` for the sandbox),
    ``DESK_FEDEX_RATE_PER_SECOND`` (FedEx allows 1400 transactions per 10 s per project),
    ``DESK_FEDEX_TIMEOUT``."""

    client_id: str = Field(min_length=1)
    client_secret: SecretStr
    base_url: str = "https://apis.fedex.com"
    rate_per_second: float = Field(20.0, gt=0)
    timeout: float = Field(15.0, gt=0)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> FedexSettings:
        return settings_from_env(cls, "DESK_FEDEX_", env)


# ---------------------------------------------------------------- reading a response


def parse(payload: Any, tracking: str | None = None) -> Shipment:
    """A FedEx Track response as the desk's ``Shipment`` (the result for ``tracking``, or
    the first number's). ``TrackingNotFound`` for a per-number error,
    ``CarrierErrorResponse`` for a request-level error, ``CarrierFormatError`` when it is
    not a FedEx Track response at all."""
    body = require_object(payload, VENDOR)
    if "output" not in body:
        errors = objs(body.get("errors"))
        if errors:
            raise CarrierErrorResponse(
                VENDOR, text(errors[0].get("code")), text(errors[0].get("message"))
            )
        keys = ", ".join(sorted(body)[:8]) or "none"
        raise CarrierFormatError(VENDOR, "output", f"missing (top-level keys: {keys})")
    complete = obj(body["output"]).get("completeTrackResults")
    if not isinstance(complete, list):
        raise CarrierFormatError(VENDOR, "output.completeTrackResults", "a list is needed")
    wanted = normalise_tracking(tracking) if tracking else None
    entries = objs(complete)
    if not entries:
        raise TrackingNotFound(
            "FedEx", wanted or "", "EMPTY", text(obj(body["output"]).get("alerts"))
        )
    entry = next(
        (e for e in entries if normalise_tracking(text(e.get("trackingNumber"))) == wanted),
        entries[0],
    )
    results = objs(entry.get("trackResults"))
    # A result with an error and no record is "not found"; one carrying scans is read even
    # when it also has an error object (FedEx's own documentation example does).
    good = [
        r
        for r in results
        if not obj(r.get("error")) or objs(r.get("scanEvents")) or obj(r.get("latestStatusDetail"))
    ]
    if not good:
        error = obj(results[0].get("error")) if results else {}
        number = wanted or text(entry.get("trackingNumber"))
        raise TrackingNotFound(
            "FedEx", number, text(error.get("code")) or "NO_RESULTS", text(error.get("message"))
        )
    chosen = max(enumerate(good), key=lambda pair: (_latest(pair[1]), -pair[0]))[1]
    shipment = _result(chosen)
    if not shipment.tracking:
        shipment = shipment.model_copy(update={"tracking": text(entry.get("trackingNumber"))})
    return shipment


def _offset_of(rows: list[dict[str, Any]]) -> timezone | None:
    for row in rows:
        moment = text(row.get("date"))
        try:
            parsed = datetime.fromisoformat(moment.replace("Z", "+00:00"))
        except ValueError:
            continue
        if parsed.tzinfo is not None:
            offset = parsed.utcoffset()
            return timezone(offset) if offset is not None else None
    return None


def _latest(result: dict[str, Any]) -> datetime:
    rows = objs(result.get("scanEvents"))
    offset = _offset_of(rows)
    known = [s for s in (parse_instant(r.get("date"), offset) for r in rows) if s is not None]
    if not known:  # no scans: the dates FedEx gives (ship, estimated delivery)
        dates = objs(result.get("dateAndTimes"))
        known = [s for s in (parse_instant(d.get("dateTime"), offset) for d in dates) if s]
    return max(known) if known else datetime.min.replace(tzinfo=UTC)


def event_status(row: dict[str, Any]) -> tuple[ScanStatus, ExceptionKind | None]:
    kind = text(row.get("eventType")).upper()
    derived = text(row.get("derivedStatusCode")).upper()
    words = (text(row.get("eventDescription")), text(row.get("exceptionDescription")))
    if kind == "DL":
        return ScanStatus.delivered, None
    if kind == "RS" or derived == "RS":
        return ScanStatus.exception, ExceptionKind.return_to_sender
    if kind == "OC" or derived in {"IN", "OC"}:
        return ScanStatus.label_created, None
    named = exception_from_text(*words)
    if named is not None:
        return ScanStatus.exception, named
    if kind == "OD":
        return ScanStatus.out_for_delivery, None
    if kind == "PU" or derived == "PU":
        return ScanStatus.accepted, None
    return ScanStatus.in_transit, None


def _event(row: dict[str, Any], offset: timezone | None) -> ScanEvent | None:
    at = parse_instant(row.get("date"), offset)
    if at is None:
        return None
    status, exception = event_status(row)
    return ScanEvent(
        at=at,
        status=status,
        description=describe(
            text(row.get("eventDescription")) or text(row.get("derivedStatus")),
            text(row.get("exceptionDescription")),
        ),
        city=text(obj(row.get("scanLocation")).get("city")) or None,
        exception=exception,
    )


def _result(result: dict[str, Any]) -> Shipment:
    rows = objs(result.get("scanEvents"))
    offset = _offset_of(rows)
    events = oldest_first(e for e in (_event(r, offset) for r in reversed(rows)) if e is not None)
    details = obj(result.get("deliveryDetails"))
    signer = text(details.get("signedByName"))
    handlings = {text(h.get("type")).upper() for h in objs(result.get("specialHandlings"))}
    signature_required = any(
        h.endswith("SIGNATURE_REQUIRED") and not h.startswith("NO_") for h in handlings
    )
    location_type = text(details.get("locationType")).upper()
    location_words = LOCATION_WORDS.get(location_type)
    if location_type and location_type not in LOCATION_WORDS:
        location_words = f"location type: {location_type.lower().replace('_', ' ')}"
    description = text(details.get("locationDescription"))
    events = with_proof(
        events,
        signature=bool(signer) or signature_required,
        words=[
            f"signed for by {signer}" if signer else None,
            received_words(details.get("receivedByName")) if not signer else None,
            location_words,
            f"left at: {description}" if description else None,
        ],
    )
    expected = None
    dates = {
        text(d.get("type")).upper(): d.get("dateTime") for d in objs(result.get("dateAndTimes"))
    }
    for kind in _EXPECTED_TYPES:
        expected = expected_from(dates.get(kind), offset)
        if expected is not None:
            break
    if expected is None:
        window = obj(obj(result.get("estimatedDeliveryTimeWindow")).get("window"))
        expected = expected_from(window.get("ends"), offset)
    service = obj(result.get("serviceDetail"))
    return Shipment(
        carrier=Carrier.fedex,
        tracking=text(obj(result.get("trackingNumberInfo")).get("trackingNumber")),
        service=service_code(text(service.get("type")) or text(service.get("description"))),
        expected_delivery=expected,
        events=events,
    )


# ---------------------------------------------------------------- the adapter


class FedexTracking(CarrierAdapter):
    """``CarrierTracking`` over the FedEx Track API."""

    vendor = "FedEx"

    def __init__(
        self,
        settings: FedexSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        ship_from: ShipFromSettings | None = None,
        details: DetailsLookup | None = None,
    ) -> None:
        self.settings = settings
        client, token = self._oauth_client(
            self._fetch_token,
            base_url=settings.base_url,
            timeout=settings.timeout,
            rate=RateLimit(per_second=settings.rate_per_second, burst=10),
            transport=transport,
            sleep=sleep,
            clock=clock,
        )
        super().__init__(client, token, ship_from=ship_from, details=details)

    def carrier_of(self, tracking: str) -> Carrier:
        return Carrier.fedex

    def current(self, tracking: str) -> TraceResult:
        number = normalise_tracking(tracking)
        response = self.call(
            "POST",
            "/track/v1/trackingnumbers",
            json={
                "includeDetailedScans": True,
                "trackingInfo": [{"trackingNumberInfo": {"trackingNumber": number}}],
            },
            headers={"x-locale": "en_US", "x-customer-transaction-id": uuid.uuid4().hex},
            expect=(400, 404),
        )
        body = json_body(response, self.vendor)
        if response.status_code in (400, 404):
            errors = objs(obj(body).get("errors"))
            code = text(errors[0].get("code")) if errors else str(response.status_code)
            message = text(errors[0].get("message")) if errors else short_message(response)
            if "NOTFOUND" in code.upper() or response.status_code == 404:
                raise TrackingNotFound("FedEx", number, code, message)
            raise Refused(f"FedEx POST track {number}: HTTP 400: {code} {message}"[:400])
        try:
            shipment = parse(body, number)
        except TrackingNotFound:
            raise
        except (CarrierFormatError, CarrierErrorResponse) as err:
            raise Unavailable(f"FedEx answered with a body the desk cannot read: {err}") from None
        return TraceResult(shipment=shipment.model_copy(update={"tracking": number}))

    def _fetch_token(self) -> tuple[str, float]:
        response = self._auth_client.request(
            "POST",
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": self.settings.client_id,
                "client_secret": self.settings.client_secret.get_secret_value(),
            },
        )
        body = obj(json_body(response, "FedEx OAuth"))
        token = text(body.get("access_token"))
        if not token:
            raise Unavailable("FedEx OAuth answered without an access_token")
        return token, token_lifetime(body.get("expires_in"), 3599)
