"""UPS Track API (``/api/track/v1/details/{n}``) with OAuth 2.0 client credentials.

What UPS sends, and how the desk reads it (``/work/shared/vendors/ups_fedex_track.md``;
the status codes are UPS's "Status/Description Codes" table):

- ``trackResponse.shipment[].package[]``; ``activity[]`` newest first, each with ``date``
  (YYYYMMDD) and ``time`` (HHMMSS) local, ``gmtDate`` / ``gmtTime`` / ``gmtOffset`` when
  given, ``location.address``, and ``status{type, code, description, statusCode}``:
  ``type`` D delivered, I in transit (out for delivery by ``statusCode`` 006/021/...),
  M / MV billing information (a label; MV voided), P pickup, X exception (lost, damaged or
  returning only when the code or words say so; otherwise a delay, still in transit).
- Proof on the package's ``deliveryInformation``: ``deliveryPhoto`` (photo),
  ``signature.image`` (signature, asked with ``returnSignature=true``), ``receivedBy``
  (a person: "handed to <name>"; "DRIVER RELEASE" and places kept as words), ``location``
  ("Front Door", "Front Desk" ... into the description). No GPS coordinates.
- ``deliveryDate[]`` (RDD rescheduled, SDD scheduled) with ``deliveryTime.endTime``: the
  expected delivery.
- Not found is HTTP 200 with ``shipment[].warnings[{code: TW0001}]`` (or a 404 with it).
- No public API files a trace or claim: ``file_search`` raises ``SearchNeedsOperator``.
"""

from __future__ import annotations

import base64
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
    as_bool,
    describe,
    exception_from_text,
    obj,
    objs,
    oldest_first,
    parse_offset,
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

VENDOR = "UPS Track"
NOT_FOUND = "TW0001"

# UPS "Status/Description Codes" (statusCode, three digits in the payload).
_OUT_FOR_DELIVERY = {"006", "021", "037", "089", "091", "146", "162", "072", "078"}
_ACCEPTED = {"038", "160", "167", "168", "169"}
_LABEL = {"003", "157", "079", "080", "166"}
_VOIDED = {"007"}
_DAMAGED = {"059", "081"}
_RETURNING = {"033", "034", "035", "036", "067", "118", "119"}
_LOST = {"068"}


class UpsSettings(BaseModel):
    """``DESK_UPS_CLIENT_ID``, ``DESK_UPS_CLIENT_SECRET`` (the app's credentials),
    ``DESK_UPS_MERCHANT_ID`` (optional ``x-merchant-id``), ``DESK_UPS_BASE_URL``
    (``https://wwwcie.ups.com`` for the test environment), ``DESK_UPS_TRANSACTION_SRC``
    (the ``transactionSrc`` header), ``DESK_UPS_RATE_PER_SECOND``, ``DESK_UPS_TIMEOUT``."""

    client_id: str = Field(min_length=1)
    client_secret: SecretStr
    merchant_id: str | None = None
    base_url: str = "https://onlinetools.ups.com"
    transaction_src: str = Field("contact-desk", min_length=1, max_length=32)
    rate_per_second: float = Field(5.0, gt=0)
    timeout: float = Field(15.0, gt=0)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> UpsSettings:
        return settings_from_env(cls, "DESK_UPS_", env)


# ---------------------------------------------------------------- reading a response


def parse(payload: Any, tracking: str | None = None) -> Shipment:
    """A UPS Track response as the desk's ``Shipment`` (the package ``tracking`` names, or
    the first). ``TrackingNotFound`` for TW0001, ``CarrierErrorResponse`` for UPS's error
    envelope, ``CarrierFormatError`` when it is not a UPS Track response at all."""
    body = require_object(payload, VENDOR)
    if "trackResponse" not in body:
        errors = objs(obj(body.get("response")).get("errors"))
        if errors:
            raise CarrierErrorResponse(
                VENDOR, text(errors[0].get("code")), text(errors[0].get("message"))
            )
        keys = ", ".join(sorted(body)[:8]) or "none"
        raise CarrierFormatError(VENDOR, "trackResponse", f"missing (top-level keys: {keys})")
    shipments = obj(body["trackResponse"]).get("shipment")
    if not isinstance(shipments, list | dict):
        raise CarrierFormatError(VENDOR, "trackResponse.shipment", "a list is needed")
    wanted = normalise_tracking(tracking) if tracking else None
    packages: list[dict[str, Any]] = []
    warnings: list[dict[str, Any]] = []
    for ship in objs(shipments):
        packages.extend(objs(ship.get("package")))
        warnings.extend(objs(ship.get("warnings")))
    if not packages:
        found = next((w for w in warnings if text(w.get("code")) == NOT_FOUND), None)
        if found is not None or warnings:
            warning = found or warnings[0]
            raise TrackingNotFound(
                "UPS", wanted or "", text(warning.get("code")), text(warning.get("message"))
            )
        raise CarrierFormatError(VENDOR, "trackResponse.shipment[].package", "no package")
    package = next(
        (p for p in packages if normalise_tracking(text(p.get("trackingNumber"))) == wanted),
        packages[0],
    )
    return _package(package)


def _package(package: dict[str, Any]) -> Shipment:
    rows = objs(package.get("activity"))
    offset = next((o for o in (parse_offset(r.get("gmtOffset")) for r in rows) if o), None)
    events = [e for e in (_event(r, offset) for r in reversed(rows)) if e is not None]
    events = oldest_first(events)
    info = obj(package.get("deliveryInformation"))
    if info:
        photo_info = obj(info.get("deliveryPhoto"))
        photo = bool(text(photo_info.get("photo"))) or as_bool(photo_info.get("photoCaptureInd"))
        signature = bool(text(obj(info.get("signature")).get("image")))
        location = text(info.get("location"))
        events = with_proof(
            events,
            photo=photo,
            signature=signature,
            words=[
                f"left at: {location}" if location else None,
                received_words(info.get("receivedBy")),
            ],
        )
    current = obj(package.get("currentStatus"))
    voided = text(current.get("type")) == "MV" or text(current.get("statusCode")) in _VOIDED
    return Shipment(
        carrier=Carrier.ups,
        tracking=text(package.get("trackingNumber")),
        service=service_code(obj(package.get("service")).get("description")),
        expected_delivery=_expected(package, offset),
        events=events,
        label_voided=voided,
    )


def event_status(status: dict[str, Any]) -> tuple[ScanStatus, ExceptionKind | None]:
    kind = text(status.get("type")).upper()
    code = text(status.get("statusCode")).zfill(3) if text(status.get("statusCode")) else ""
    words = " ".join(
        text(status.get(k)) for k in ("description", "simplifiedTextDescription")
    ).strip()
    if code in _RETURNING:
        return ScanStatus.exception, ExceptionKind.return_to_sender
    if code in _DAMAGED:
        return ScanStatus.exception, ExceptionKind.damaged
    if code in _LOST:
        return ScanStatus.exception, ExceptionKind.lost
    if kind == "D" or code == "011":
        return ScanStatus.delivered, None
    # A billing-information row is the label; a statusCode alone decides only when UPS
    # gives no activity type (the type is the carrier's scan, the code its wording).
    if kind in {"M", "MV"} or (not kind and (code in _LABEL or code in _VOIDED)):
        return ScanStatus.label_created, None
    named = exception_from_text(text(status.get("description")))
    if named is not None:
        return ScanStatus.exception, named
    if code in _OUT_FOR_DELIVERY or "out for delivery" in words.lower():
        return ScanStatus.out_for_delivery, None
    if (
        kind == "P"
        or code in _ACCEPTED
        or any(w in words.lower() for w in ("picked up", "pickup scan", "origin scan", "drop-off"))
    ):
        return ScanStatus.accepted, None
    return ScanStatus.in_transit, None


def _event(row: dict[str, Any], offset: timezone | None) -> ScanEvent | None:
    status = obj(row.get("status"))
    at = _when(row, offset)
    if at is None:
        return None
    scan_status, exception = event_status(status)
    address = obj(obj(row.get("location")).get("address"))
    return ScanEvent(
        at=at,
        status=scan_status,
        description=describe(text(status.get("description")))
        or text(status.get("simplifiedTextDescription")),
        city=text(address.get("city")) or None,
        exception=exception,
    )


def _when(row: dict[str, Any], offset: timezone | None) -> datetime | None:
    """The activity's time: GMT date and time when UPS gives them, else local with the
    activity's (or the payload's) offset."""
    gmt = _stamp(text(row.get("gmtDate")), text(row.get("gmtTime")), UTC)
    if gmt is not None:
        return gmt
    local = parse_offset(row.get("gmtOffset")) or offset or UTC
    return _stamp(text(row.get("date")), text(row.get("time")), local)


def _stamp(day: str, clock: str, zone: timezone) -> datetime | None:
    digits = clock.replace(":", "")
    if len(day) != 8 or not day.isdigit():
        return None
    digits = (digits + "000000")[:6] if digits.isdigit() else "000000"
    try:
        local = datetime.strptime(day + digits, "%Y%m%d%H%M%S").replace(tzinfo=zone)
    except ValueError:
        return None
    return local.astimezone(UTC)


def _expected(package: dict[str, Any], offset: timezone | None) -> datetime | None:
    dates = {
        text(d.get("type")).upper(): text(d.get("date")) for d in objs(package.get("deliveryDate"))
    }
    day = dates.get("RDD") or dates.get("SDD")
    if not day:
        return None
    window = obj(package.get("deliveryTime"))
    end = text(window.get("endTime")) or "235959"
    return _stamp(day, end, offset or UTC)


# ---------------------------------------------------------------- the adapter


class UpsTracking(CarrierAdapter):
    """``CarrierTracking`` over the UPS Track API."""

    vendor = "UPS"

    def __init__(
        self,
        settings: UpsSettings,
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
            rate=RateLimit(per_second=settings.rate_per_second, burst=5),
            transport=transport,
            sleep=sleep,
            clock=clock,
        )
        super().__init__(client, token, ship_from=ship_from, details=details)

    def carrier_of(self, tracking: str) -> Carrier:
        return Carrier.ups

    def current(self, tracking: str) -> TraceResult:
        number = normalise_tracking(tracking)
        response = self.call(
            "GET",
            f"/api/track/v1/details/{number}",
            params={
                "locale": "en_US",
                "returnSignature": "true",
                "returnMilestones": "false",
                "returnPOD": "false",
            },
            headers={
                "transId": uuid.uuid4().hex,
                "transactionSrc": self.settings.transaction_src,
                "Accept": "application/json",
            },
            expect=(400, 404),
        )
        body = json_body(response, self.vendor)
        if response.status_code == 400:
            errors = objs(obj(obj(body).get("response")).get("errors"))
            message = text(errors[0].get("message")) if errors else short_message(response)
            code = text(errors[0].get("code")) if errors else "400"
            raise Refused(f"UPS GET track {number}: HTTP 400: {code} {message}"[:400])
        try:
            shipment = parse(body, number)
        except TrackingNotFound:
            raise
        except (CarrierFormatError, CarrierErrorResponse) as err:
            if response.status_code == 404:
                raise TrackingNotFound("UPS", number, "404", str(err)) from None
            raise Unavailable(f"UPS answered with a body the desk cannot read: {err}") from None
        return TraceResult(shipment=shipment.model_copy(update={"tracking": number}))

    def _fetch_token(self) -> tuple[str, float]:
        secret = self.settings.client_secret.get_secret_value()
        basic = base64.b64encode(f"{self.settings.client_id}:{secret}".encode()).decode()
        headers = {"Authorization": f"Basic {basic}"}
        if self.settings.merchant_id:
            headers["x-merchant-id"] = self.settings.merchant_id
        response = self._auth_client.request(
            "POST",
            "/security/v1/oauth/token",
            data={"grant_type": "client_credentials"},
            headers=headers,
        )
        body = obj(json_body(response, "UPS OAuth"))
        token = text(body.get("access_token"))
        if not token:
            raise Unavailable("UPS OAuth answered without an access_token")
        return token, token_lifetime(body.get("expires_in"), 14399)
