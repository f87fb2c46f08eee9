"""EasyPost Trackers (any carrier) and EasyPost claims (``/work/shared/vendors/aggregators.md``).

Tracking:

- ``GET /v2/trackers?tracking_codes[]=…&carrier=…`` finds the Tracker already registered
  for the number (the most recently updated one); otherwise ``POST /v2/trackers``
  ``{"tracker": {"tracking_code", "carrier"}}`` registers it (EasyPost bills a tracker fee
  per new Tracker, so the list comes first). HTTP Basic with the API key as the user.
- ``tracking_details[]`` (oldest first) with ``status`` (pre_transit, in_transit,
  out_for_delivery, delivered, available_for_pickup, return_to_sender, failure,
  cancelled, error, unknown), ``status_detail``, ``message``, ``datetime`` (UTC),
  ``tracking_location.city``. ``failure`` is the desk's exception only when the detail
  or the words name a loss or damage; otherwise a failed attempt, still in transit.
- Proof: only ``signed_by`` (a signature, "signed for by <name>"); the carrier's own words
  in ``message``. No photo, no coordinates. ``est_delivery_date``: the expected delivery.

Claims (``file_search``): EasyPost's Claims API ``POST /v2/claims`` (type ``loss``,
``tracking_code``, ``amount``, ``description``, ``contact_email``) for shipments insured
through EasyPost; the case number is the claim id. A claim already filed for the number
(``GET /v2/claims``) is returned instead of a second one (EasyPost has no idempotency
key). The amount is the insured amount of the Tracker's shipment
(``GET /v2/shipments/{id}``), else the merchant's ``ParcelDetails.value``. When EasyPost
refuses the claim (not insured, outside the filing window: HTTP 422) or nothing gives an
amount or a contact email, ``SearchNeedsOperator`` hands the search to a person.
A claim's status comes back with every trace: submitted / in_review → open; approved →
not_found (the parcel is paid as lost); rejected → found when EasyPost's reason says it
was delivered, else not_found; cancelled → not_found.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Literal

import httpx
from pydantic import BaseModel, Field, SecretStr

from desk.adapters.carriers.base import CarrierAdapter, json_body, port_errors
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
from desk.adapters.carriers.search import (
    DetailsLookup,
    SearchNeedsOperator,
    ShipFromSettings,
)
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
from desk.ports import NotFound, Refused, Unavailable

VENDOR = "EasyPost Tracker"

# The desk's carrier → EasyPost's carrier name for a new Tracker.
EASYPOST_CARRIER: dict[Carrier, str] = {
    Carrier.usps: "USPS",
    Carrier.ups: "UPS",
    Carrier.fedex: "FedEx",
    Carrier.dhl: "DHLExpress",
}
CaseStatus = Literal["open", "found", "not_found"]
_DESK_KEY = re.compile(r"\s*\(desk request [^)]*\)$")


class EasypostSettings(BaseModel):
    """``DESK_EASYPOST_API_KEY``, ``DESK_EASYPOST_BASE_URL``, ``DESK_EASYPOST_CLAIMS``
    (file claims through EasyPost: true/false), ``DESK_EASYPOST_CLAIM_EMAIL`` (the claims'
    contact email, required by EasyPost), ``DESK_EASYPOST_RATE_PER_SECOND`` (EasyPost limits
    list endpoints to 5 a second), ``DESK_EASYPOST_TIMEOUT``."""

    api_key: SecretStr
    base_url: str = "https://api.easypost.com/v2"
    claims: bool = True
    claim_email: str | None = None
    rate_per_second: float = Field(4.0, gt=0)
    timeout: float = Field(15.0, gt=0)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> EasypostSettings:
        return settings_from_env(cls, "DESK_EASYPOST_", env)


# ---------------------------------------------------------------- reading a response


def carrier_named(name: str) -> Carrier | None:
    """EasyPost's carrier name (USPS, UPS, UPSDAP, FedEx, FedExDefault, DHLExpress ...)."""
    lowered = name.strip().lower()
    for prefix, carrier in (
        ("usps", Carrier.usps),
        ("ups", Carrier.ups),
        ("fedex", Carrier.fedex),
        ("dhl", Carrier.dhl),
    ):
        if lowered.startswith(prefix):
            return carrier
    return None


def tracker_of(payload: Any) -> dict[str, Any]:
    """The Tracker in a saved response: a Tracker, a ``tracker.updated`` webhook Event, or a
    list of Trackers (the most recently updated)."""
    body = require_object(payload, VENDOR)
    if text(body.get("object")) == "Event" and isinstance(body.get("result"), dict):
        body = body["result"]
    if "trackers" in body and "tracking_details" not in body:
        trackers = objs(body.get("trackers"))
        if not trackers:
            raise CarrierFormatError(VENDOR, "trackers", "the list is empty")
        body = max(trackers, key=lambda t: text(t.get("updated_at")))
    if "tracking_details" not in body and text(body.get("object")) != "Tracker":
        error = obj(body.get("error"))
        if error:
            raise CarrierErrorResponse(VENDOR, text(error.get("code")), text(error.get("message")))
        keys = ", ".join(sorted(body)[:8]) or "none"
        raise CarrierFormatError(
            VENDOR, "tracking_details", f"missing, and object is not 'Tracker' (keys: {keys})"
        )
    if body.get("tracking_details") is not None and not isinstance(
        body.get("tracking_details"), list
    ):
        raise CarrierFormatError(VENDOR, "tracking_details", "a list is needed")
    return body


def parse(payload: Any, carrier: Carrier | None = None) -> Shipment:
    """An EasyPost Tracker as the desk's ``Shipment``. ``carrier`` is used when EasyPost's
    carrier name is not one the desk knows (usps, ups, fedex, dhl)."""
    tracker = tracker_of(payload)
    name = text(tracker.get("carrier"))
    known = carrier_named(name) or carrier
    if known is None:
        raise CarrierFormatError(
            VENDOR, "carrier", f"{name!r} is not a carrier the desk knows (usps, ups, fedex, dhl)"
        )
    events = [e for e in (_event(d) for d in objs(tracker.get("tracking_details"))) if e]
    events = oldest_first(events)
    signer = text(tracker.get("signed_by"))
    if signer:
        person = person_name(signer)
        events = with_proof(
            events,
            signature=person is not None,
            words=[f"signed for by {person}" if person else f"received as: {signer}"],
        )
    details = obj(tracker.get("carrier_detail"))
    expected = parse_instant(tracker.get("est_delivery_date"))
    if expected is None:
        local = text(details.get("est_delivery_date_local"))
        clock = text(details.get("est_delivery_time_local"))
        expected = expected_from(f"{local}T{clock}" if local and clock else local)
    return Shipment(
        carrier=known,
        tracking=text(tracker.get("tracking_code")),
        service=service_code(details.get("service")),
        expected_delivery=expected,
        events=events,
        label_voided=text(tracker.get("status")) == "cancelled",
    )


def detail_status(detail: dict[str, Any]) -> tuple[ScanStatus, ExceptionKind | None]:
    status = text(detail.get("status")).lower()
    sub = text(detail.get("status_detail")).lower()
    words = (text(detail.get("message")), text(detail.get("description")))
    if status == "return_to_sender" or sub in {"return", "returned", "return_to_sender"}:
        return ScanStatus.exception, ExceptionKind.return_to_sender
    if status == "delivered":
        if exception_from_text(*words) == ExceptionKind.return_to_sender:
            return ScanStatus.exception, ExceptionKind.return_to_sender
        return ScanStatus.delivered, None
    if status in {"pre_transit", "cancelled"}:
        return ScanStatus.label_created, None
    if sub == "lost":
        return ScanStatus.exception, ExceptionKind.lost
    if sub == "damaged":
        return ScanStatus.exception, ExceptionKind.damaged
    named = exception_from_text(*words)
    if named is not None:
        return ScanStatus.exception, named
    if status == "out_for_delivery":
        return ScanStatus.out_for_delivery, None
    lowered = " ".join(words).lower()
    if any(w in lowered for w in ("accepted", "acceptance", "in possession", "picked up")):
        return ScanStatus.accepted, None
    return ScanStatus.in_transit, None


def _event(detail: dict[str, Any]) -> ScanEvent | None:
    at = parse_instant(detail.get("datetime"))
    if at is None:
        return None
    status, exception = detail_status(detail)
    return ScanEvent(
        at=at,
        status=status,
        description=describe(text(detail.get("message")), text(detail.get("description"))),
        city=text(obj(detail.get("tracking_location")).get("city")) or None,
        exception=exception,
    )


def claim_status(claim: dict[str, Any]) -> CaseStatus:
    status = text(claim.get("status")).lower()
    if status in {"approved", "approved_partial", "cancelled"}:
        return "not_found"
    if status == "rejected":
        reason = text(claim.get("status_detail")).lower()
        found = any(w in reason for w in ("delivered", "found", "located", "recovered"))
        return "found" if found else "not_found"
    return "open"


# ---------------------------------------------------------------- the adapter


class EasypostTracking(CarrierAdapter):
    """``CarrierTracking`` over EasyPost Trackers and Claims, for any carrier EasyPost
    tracks. ``trace`` and ``file_search`` take the carrier as an optional hint (the
    router passes it; without it EasyPost detects the carrier from the number)."""

    vendor = "EasyPost"

    def __init__(
        self,
        settings: EasypostSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        ship_from: ShipFromSettings | None = None,
        details: DetailsLookup | None = None,
    ) -> None:
        self.settings = settings
        key = settings.api_key.get_secret_value()
        basic = {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}
        client = VendorClient(
            vendor="EasyPost",
            base_url=settings.base_url,
            auth=lambda: basic,
            rate=RateLimit(per_second=settings.rate_per_second, burst=4),
            transport=transport,
            sleep=sleep,
            timeout=settings.timeout,
        )
        super().__init__(client, None, ship_from=ship_from, details=details)
        self._carriers: dict[str, Carrier] = {}

    # ------------------------------------------------------------ tracking

    def trace(self, tracking: str, as_of: datetime, carrier: Carrier | None = None) -> TraceResult:
        if carrier is not None:
            self._carriers[normalise_tracking(tracking)] = carrier
        return super().trace(tracking, as_of)

    def current(self, tracking: str) -> TraceResult:
        number = normalise_tracking(tracking)
        hint = self._carriers.get(number)
        tracker = self._tracker(number, hint)
        if carrier_named(text(tracker.get("carrier"))) is None and hint is None:
            # A Tracker EasyPost could not place yet ("unknown", no carrier): no scans.
            if objs(tracker.get("tracking_details")):
                raise Unavailable(f"EasyPost tracks {number} with no carrier the desk knows")
            shipment = empty_shipment(Carrier.usps, number)
        else:
            try:
                shipment = parse(tracker, hint)
            except (CarrierFormatError, CarrierErrorResponse) as err:
                raise Unavailable(
                    f"EasyPost answered with a Tracker the desk cannot read: {err}"
                ) from None
        case = self._case(number, shipment.carrier) if self.settings.claims else None
        return TraceResult(shipment=shipment.model_copy(update={"tracking": number}), case=case)

    def carrier_of(self, tracking: str) -> Carrier:
        number = normalise_tracking(tracking)
        known = self._carriers.get(number)
        if known is not None:
            return known
        tracker = self._find_tracker(number, None)
        found = carrier_named(text(tracker.get("carrier"))) if tracker else None
        return found or Carrier.usps

    def _find_tracker(self, number: str, carrier: Carrier | None) -> dict[str, Any] | None:
        params: dict[str, str] = {"tracking_codes[]": number, "page_size": "20"}
        if carrier is not None:
            params["carrier"] = EASYPOST_CARRIER[carrier]
        response = self.call("GET", "/trackers", params=params)
        listed = [
            t
            for t in objs(obj(json_body(response, self.vendor)).get("trackers"))
            if normalise_tracking(text(t.get("tracking_code"))) == number
        ]
        return max(listed, key=lambda t: text(t.get("updated_at"))) if listed else None

    def _tracker(self, number: str, carrier: Carrier | None) -> dict[str, Any]:
        found = self._find_tracker(number, carrier)
        if found is not None:
            return found
        request: dict[str, str] = {"tracking_code": number}
        if carrier is not None:
            request["carrier"] = EASYPOST_CARRIER[carrier]
        response = self.call("POST", "/trackers", json={"tracker": request}, expect=(404, 422))
        body = obj(json_body(response, self.vendor))
        if response.status_code in (404, 422):
            error = obj(body.get("error"))
            raise TrackingNotFound(
                "EasyPost",
                number,
                text(error.get("code")) or str(response.status_code),
                text(error.get("message")) or short_message(response),
            )
        return body

    # ------------------------------------------------------------ claims

    def file_search(
        self,
        tracking: str,
        reason: str,
        filed_at: datetime,
        key: str,
        carrier: Carrier | None = None,
    ) -> CarrierCase:
        """A loss claim through EasyPost's Claims API; at most one per number (a claim
        already filed is returned)."""
        with port_errors():
            return self._file_claim(tracking, reason, filed_at, key, carrier)

    def _file_claim(
        self, tracking: str, reason: str, filed_at: datetime, key: str, carrier: Carrier | None
    ) -> CarrierCase:
        number = normalise_tracking(tracking)
        if carrier is not None:
            self._carriers[number] = carrier
        carrier = carrier or self.carrier_of(number)
        if not self.settings.claims:
            raise self.needs_operator(carrier, number, reason)
        existing = self._claim_for(number)
        if existing is not None:  # the first claim, with its own reason and time
            return self._as_case(existing, number, carrier, "", filed_at)
        email = self.settings.claim_email or (self.ship_from.email if self.ship_from else None)
        amount = self._claim_amount(number, carrier)
        if not email or amount is None:
            raise self.needs_operator(carrier, number, reason)
        response = self.call(
            "POST",
            "/claims",
            json={
                "type": "loss",
                "tracking_code": number,
                "amount": f"{amount:.2f}",
                "description": f"{reason} (desk request {key})",
                "contact_email": email,
            },
            expect=(422,),
        )
        body = obj(json_body(response, self.vendor))
        if response.status_code == 422:
            operator = self.needs_operator(carrier, number, reason)
            error = obj(body.get("error"))
            note = text(error.get("message")) or short_message(response)
            raise SearchNeedsOperator(
                operator.request.model_copy(
                    update={"reason": f"{reason}; EasyPost refused the claim: {note}"}
                )
            )
        if not text(body.get("id")):
            raise Unavailable("EasyPost answered the claim without an id")
        return self._as_case(body, number, carrier, reason, filed_at)

    def _claims(self) -> list[dict[str, Any]]:
        response = self.call("GET", "/claims", params={"page_size": "100"})
        return objs(obj(json_body(response, self.vendor)).get("claims"))

    def _claim_for(self, number: str) -> dict[str, Any] | None:
        mine = [
            c for c in self._claims() if normalise_tracking(text(c.get("tracking_code"))) == number
        ]
        return min(mine, key=lambda c: text(c.get("created_at"))) if mine else None

    def _case(self, number: str, carrier: Carrier) -> CarrierCase | None:
        try:
            claim = self._claim_for(number)
        except (Refused, NotFound, Unavailable):
            return None  # a key without claim rights, or claims down: the trace still counts
        if claim is None:
            return None
        return self._as_case(claim, number, carrier, text(claim.get("description")), None)

    def _as_case(
        self,
        claim: dict[str, Any],
        number: str,
        carrier: Carrier,
        reason: str,
        filed_at: datetime | None,
    ) -> CarrierCase:
        created = parse_instant(claim.get("created_at")) or filed_at or datetime.now(UTC)
        described = _DESK_KEY.sub("", text(claim.get("description")))
        return CarrierCase(
            case_number=text(claim.get("id")),
            carrier=carrier,
            tracking=number,
            kind="claim",
            reason=reason or described,
            filed_at=created,
            status=claim_status(claim),
        )

    def _claim_amount(self, number: str, carrier: Carrier) -> float | None:
        tracker = self._tracker(number, carrier)
        shipment_id = text(tracker.get("shipment_id"))
        if shipment_id:
            response = self.call("GET", f"/shipments/{shipment_id}", expect=(404,))
            if response.status_code == 200:
                insured = as_float(obj(json_body(response, self.vendor)).get("insurance"))
                if insured:
                    return insured
        details = self.details(number) if self.details is not None else None
        return details.value if details and details.value else None
