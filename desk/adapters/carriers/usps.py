"""USPS Tracking API v3 (``apis.usps.com/tracking/v3``) with OAuth 2.0 client credentials.

What USPS sends, and how the desk reads it (``/work/shared/vendors/usps_tracking_v3.md``):

- ``GET /tracking/v3/tracking/{n}?expand=DETAIL``; ``trackingEvents`` newest first, each
  with ``eventType`` (the text: "Delivered, In/At Mailbox"), ``eventCode`` (Pub 199;
  ``01`` delivered, ``OF`` out for delivery, ``GX`` label created, ``03`` accepted),
  ``GMTTimestamp`` (UTC) and ``GMTOffset``, or only a local ``eventTimestamp`` (label rows
  carry no GMT fields: they are read in the offset the other events give).
- Booleans come as strings ("false"); ``services`` a list or a string; extra fields.
- Proof: USPS gives the place in the text ("In/At Mailbox", "Front Door/Porch": weak;
  "Left with Individual", "Parcel Locker", "Front Desk/Reception/Mail Room": strong, read
  by the desk's proof reading from the description), the signer in ``name`` (a signature:
  "signed for by <name>"), ``authorizedAgent``, ``veriPoint`` (scan location certified,
  no coordinates). No photo and no GPS coordinates exist in v3.
- "A status update is not yet available" is HTTP 400 with ``errors[].code`` ``150001``
  (message "12: ..."): a shipment with no scans, not an error.
- No API files a Missing Mail search: ``file_search`` raises ``SearchNeedsOperator``.
"""

from __future__ import annotations

import re
import time
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
    as_bool,
    describe,
    empty_shipment,
    exception_from_text,
    expected_from,
    obj,
    objs,
    oldest_first,
    parse_instant,
    parse_offset,
    require_object,
    service_code,
    settings_from_env,
    text,
    token_lifetime,
)
from desk.adapters.carriers.search import DetailsLookup, ShipFromSettings
from desk.adapters.http import RateLimit
from desk.identities import normalise_tracking
from desk.models import Carrier, ExceptionKind, ScanEvent, ScanStatus, Shipment, TraceResult
from desk.ports import Refused, Unavailable

VENDOR = "USPS Tracking v3"
NOT_YET_AVAILABLE = "150001"


class UspsSettings(BaseModel):
    """``DESK_USPS_CLIENT_ID`` (the app's Consumer Key), ``DESK_USPS_CLIENT_SECRET``
    (Consumer Secret), ``DESK_USPS_BASE_URL`` (``https://apis-tem.usps.com`` for the test
    environment), ``DESK_USPS_SCOPE``, ``DESK_USPS_QUOTA_PER_HOUR`` (USPS's default quota is
    60 calls an hour per API), ``DESK_USPS_TIMEOUT`` seconds."""

    client_id: str = Field(min_length=1)
    client_secret: SecretStr
    base_url: str = "https://apis.usps.com"
    scope: str = "tracking"
    quota_per_hour: int = Field(60, ge=1)
    timeout: float = Field(15.0, gt=0)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> UspsSettings:
        return settings_from_env(cls, "DESK_USPS_", env)


# ---------------------------------------------------------------- reading a response


def parse(payload: Any) -> Shipment:
    """A USPS Tracking v3 DETAIL response (or its "not yet available" error) as the desk's
    ``Shipment``, events oldest first. Raises ``CarrierFormatError`` when the payload is not
    a USPS tracking response at all, ``CarrierErrorResponse`` for another USPS error."""
    body = require_object(payload, VENDOR)
    if "error" in body and "trackingEvents" not in body:
        if not_yet_available(body):
            return empty_shipment(Carrier.usps, text(body.get("trackingNumber")))
        error = obj(body.get("error"))
        raise CarrierErrorResponse(VENDOR, text(error.get("code")), text(error.get("message")))
    if "TrackResults" in body:
        return _summary(body)
    if "eventSummaries" in body and "trackingEvents" not in body:
        return _summary_sentences(
            text(body.get("trackingNumber")),
            [text(v) for v in body.get("eventSummaries") or [] if text(v)],
            expected_from(body.get("expectedDeliveryDate")),
        )
    if "trackingEvents" not in body and "trackingNumber" not in body:
        keys = ", ".join(sorted(body)[:8]) or "none"
        raise CarrierFormatError(
            VENDOR, "trackingNumber", f"missing, and no trackingEvents (top-level keys: {keys})"
        )
    raw_events = body.get("trackingEvents", [])
    if raw_events is not None and not isinstance(raw_events, list):
        raise CarrierFormatError(VENDOR, "trackingEvents", "a list of events is needed")
    rows = objs(raw_events)
    offset = next((o for o in (parse_offset(r.get("GMTOffset")) for r in rows) if o), None)
    events = [e for e in (_event(r, offset) for r in reversed(rows)) if e is not None]
    expected = None
    for name in (
        "expectedDeliveryTimeStamp",
        "expectedDeliveryDate",
        "predictedDeliveryDate",
        "guaranteedDeliveryDate",
    ):
        expected = expected_from(body.get(name), offset)
        if expected is not None:
            break
    return Shipment(
        carrier=Carrier.usps,
        tracking=text(body.get("trackingNumber")),
        service=service_code(body.get("mailClass")),
        expected_delivery=expected,
        events=oldest_first(events),
    )


_WAS_DELIVERED = re.compile(r"\b(?:was|has been) delivered\b")
_SENTENCE_TIME = re.compile(
    r"(\d{1,2}:\d{2}\s*[ap]\.?m\.?)\s+on\s+([A-Z][a-z]+ \d{1,2},? \d{4})", re.IGNORECASE
)
_SENTENCE_PLACE = re.compile(r"\bin ([A-Z][A-Z .'-]+?)(?:,\s*[A-Z]{2})?(?:\s+\d{5})?\.?$")


def _summary(body: dict[str, Any]) -> Shipment:
    """A SUMMARY response (the older ``TrackResults`` envelope): its sentences, newest
    first, are the only events (times in the sentences, read as UTC: no offset is given)."""
    info = obj(obj(body.get("TrackResults")).get("TrackInfo"))
    if not info:
        raise CarrierFormatError(VENDOR, "TrackResults.TrackInfo", "missing")
    sentences = [text(info.get("TrackSummary"))]
    details = info.get("TrackDetail")
    sentences += [text(d) for d in (details if isinstance(details, list) else [details])]
    return _summary_sentences(text(info.get("@ID")), [t for t in sentences if t], None)


def _summary_sentences(number: str, sentences: list[str], expected: Any) -> Shipment:
    events = []
    for sentence in reversed(sentences):
        when = _SENTENCE_TIME.search(sentence)
        if when is None:
            continue
        clock, day = when.group(1).replace(".", "").upper(), when.group(2).replace(",", "")
        try:
            at = datetime.strptime(f"{day} {clock.replace(' ', '')}", "%B %d %Y %I:%M%p")
        except ValueError:
            continue
        status, exception = event_status(sentence, "")
        place = _SENTENCE_PLACE.search(sentence)
        # The sentence for "Delivered, Left with Individual" says "to an individual".
        handed = (
            "Left with Individual" if "delivered to an individual" in sentence.lower() else None
        )
        events.append(
            ScanEvent(
                at=at.replace(tzinfo=UTC),
                status=status,
                description=describe(sentence, handed),
                city=place.group(1).strip() if place else None,
                exception=exception,
            )
        )
    return Shipment(
        carrier=Carrier.usps,
        tracking=number,
        expected_delivery=expected,
        events=oldest_first(events),
    )


def not_yet_available(body: Any) -> bool:
    """The 400 USPS answers for a number it has no scans for yet (code 150001, "12: A
    status update is not yet available ...")."""
    error = obj(obj(body).get("error"))
    codes = {text(error.get("code"))} | {text(e.get("code")) for e in objs(error.get("errors"))}
    return NOT_YET_AVAILABLE in codes or text(error.get("message")).startswith("12:")


def event_status(kind: str, code: str) -> tuple[ScanStatus, ExceptionKind | None]:
    """A USPS event's status from its code and text."""
    lowered = kind.lower()
    if exception_from_text(kind) == ExceptionKind.return_to_sender or "original sender" in lowered:
        return ScanStatus.exception, ExceptionKind.return_to_sender
    delivered = lowered.startswith("delivered") or bool(_WAS_DELIVERED.search(lowered))
    if (code == "01" or delivered) and "for final delivery" not in lowered:
        return ScanStatus.delivered, None
    if code in {"GX", "MA"} or any(
        w in lowered for w in ("label created", "pre-shipment", "awaiting item", "pre shipment")
    ):
        return ScanStatus.label_created, None
    kind_of = exception_from_text(kind)
    if kind_of is not None:
        return ScanStatus.exception, kind_of
    if code == "OF" or "out for delivery" in lowered:
        return ScanStatus.out_for_delivery, None
    if code in {"03", "OA"} or any(
        w in lowered for w in ("in possession", "accepted", "acceptance", "picked up")
    ):
        return ScanStatus.accepted, None
    return ScanStatus.in_transit, None


def _event(row: dict[str, Any], offset: timezone | None) -> ScanEvent | None:
    local = parse_offset(row.get("GMTOffset")) or offset
    at = parse_instant(row.get("GMTTimestamp")) or parse_instant(row.get("eventTimestamp"), local)
    if at is None:
        return None  # an event USPS gives no time for cannot be placed
    kind = text(row.get("eventType"))
    status, exception = event_status(kind, text(row.get("eventCode")))
    description = kind
    if status == ScanStatus.delivered:
        signer = text(row.get("name"))
        description = describe(
            kind,
            f"signed for by {signer}" if signer else None,
            f"firm: {text(row.get('firm'))}" if text(row.get("firm")) else None,
            "signed by an authorized agent" if as_bool(row.get("authorizedAgent")) else None,
            "delivery scan location certified (veriPoint)"
            if as_bool(row.get("veriPoint"))
            else None,
        )
        signature = bool(signer)
    else:
        signature = False
    return ScanEvent(
        at=at,
        status=status,
        description=description,
        city=text(row.get("eventCity")) or None,
        signature=signature,
        exception=exception,
    )


# ---------------------------------------------------------------- the adapter


class UspsTracking(CarrierAdapter):
    """``CarrierTracking`` over USPS Tracking v3."""

    vendor = "USPS"

    def __init__(
        self,
        settings: UspsSettings,
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
            rate=RateLimit(
                per_second=settings.quota_per_hour / 3600, burst=settings.quota_per_hour
            ),
            transport=transport,
            sleep=sleep,
            clock=clock,
            margin=1800,
        )
        super().__init__(client, token, ship_from=ship_from, details=details)

    def carrier_of(self, tracking: str) -> Carrier:
        return Carrier.usps

    def current(self, tracking: str) -> TraceResult:
        number = normalise_tracking(tracking)
        response = self.call(
            "GET",
            f"/tracking/v3/tracking/{number}",
            params={"expand": "DETAIL"},
            headers={"Accept": "application/json"},
            expect=(400, 404),
        )
        body = json_body(response, self.vendor)
        if response.status_code in (400, 404):
            if not_yet_available(body):
                return TraceResult(shipment=empty_shipment(Carrier.usps, number))
            error = obj(obj(body).get("error"))
            message = text(error.get("message")) or response.reason_phrase
            if response.status_code == 404:
                raise TrackingNotFound("USPS", number, "404", message)
            raise Refused(f"USPS GET tracking {number}: HTTP 400: {message[:300]}")
        try:
            shipment = parse(body)
        except (CarrierFormatError, CarrierErrorResponse) as err:
            raise Unavailable(
                f"USPS answered 200 with a body the desk cannot read: {err}"
            ) from None
        return TraceResult(shipment=shipment.model_copy(update={"tracking": number}))

    def _fetch_token(self) -> tuple[str, float]:
        response = self._auth_client.request(
            "POST",
            "/oauth2/v3/token",
            data={
                "grant_type": "client_credentials",
                "client_id": self.settings.client_id,
                "client_secret": self.settings.client_secret.get_secret_value(),
                "scope": self.settings.scope,
            },
        )
        body = obj(json_body(response, "USPS OAuth"))
        token = text(body.get("access_token"))
        if not token:
            raise Unavailable("USPS OAuth answered without an access_token")
        return token, token_lifetime(body.get("expires_in"), 3600)
