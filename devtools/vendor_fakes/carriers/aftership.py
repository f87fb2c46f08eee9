"""AfterShip Tracking, faked under ``/aftership/tracking/2025-01``
(``AFTERSHIP_VERSION``): ``GET``/``POST /trackings``.

A request without an ``as-api-key`` header is a 401. The only vendor here with a scan's
GPS coordinates (``CARRIES``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from desk.adapters.sandbox import SandboxShop
from desk.identities import normalise_tracking
from desk.models import Carrier, ExceptionKind, ScanStatus
from devtools.vendor_fakes import Clock
from devtools.vendor_fakes.carriers.common import (
    CarrierFakeState,
    Parcel,
    _id,
    _json,
    _last_delivery,
    _offset,
    _words,
    _z,
    lookup,
    signer_of,
    words_for,
)

AFTERSHIP_VERSION = "2025-01"
_AFTERSHIP_TAG = {
    ScanStatus.label_created: ("InfoReceived", "InfoReceived_001"),
    ScanStatus.accepted: ("InTransit", "InTransit_002"),
    ScanStatus.in_transit: ("InTransit", "InTransit_001"),
    ScanStatus.out_for_delivery: ("OutForDelivery", "OutForDelivery_001"),
    ScanStatus.delivered: ("Delivered", "Delivered_001"),
}
_AFTERSHIP_EXCEPTION = {
    ExceptionKind.return_to_sender: ("Exception", "Exception_011"),
    ExceptionKind.lost: ("Exception", "Exception_001"),
    ExceptionKind.damaged: ("Exception", "Exception_001"),
}
AFTERSHIP_SLUGS = {
    Carrier.usps: "usps",
    Carrier.ups: "ups",
    Carrier.fedex: "fedex",
    Carrier.dhl: "dhl",
}


def aftership_tracking(
    parcel: Parcel | None, number: str, slug: str, created: datetime, now: datetime
) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": _id("", "aftership", number),
        "tracking_number": number,
        "slug": slug,
        "active": True,
        "created_at": _z(created),
        "updated_at": _z(now),
        "checkpoints": [],
        "tag": "Pending",
        "subtag": "Pending_001",
        "subtag_message": "Pending",
        "signed_by": None,
    }
    if parcel is None:
        return base
    shipment = parcel.result.shipment
    checkpoints = []
    for scan in shipment.events:
        if scan.status == ScanStatus.exception and scan.exception is not None:
            tag, subtag = _AFTERSHIP_EXCEPTION[scan.exception]
        else:
            tag, subtag = _AFTERSHIP_TAG.get(scan.status, ("InTransit", "InTransit_001"))
        if scan.status == ScanStatus.delivered and scan.signature:
            subtag = "Delivered_003"
        point: dict[str, Any] = {
            "slug": AFTERSHIP_SLUGS[shipment.carrier],
            "checkpoint_time": _offset(scan.at),
            "created_at": _offset(scan.at),
            "city": scan.city,
            "location": scan.city,
            "message": words_for(scan, _words(scan.status.value)),
            "tag": tag,
            "subtag": subtag,
            "subtag_message": _words(scan.status.value),
            "raw_tag": "",
            "events": [],
            "source": "carrier",
        }
        if scan.lat is not None and scan.lon is not None:
            point["coordinate"] = {"latitude": scan.lat, "longitude": scan.lon}
        checkpoints.append(point)
    last = checkpoints[-1] if checkpoints else None
    delivered = _last_delivery(shipment.events)
    base |= {
        "slug": AFTERSHIP_SLUGS[shipment.carrier],
        "checkpoints": checkpoints,
        "tag": last["tag"] if last else "Pending",
        "subtag": last["subtag"] if last else "Pending_001",
        "subtag_message": last["subtag_message"] if last else "Pending",
        "signed_by": signer_of(delivered, parcel.recipient)
        if delivered and delivered.signature
        else None,
        "shipment_type": _words(shipment.service),
        "active": delivered is None,
    }
    if shipment.expected_delivery is not None:
        base["latest_estimated_delivery"] = {
            "type": "specific",
            "source": "Carrier EDD",
            "datetime": _offset(shipment.expected_delivery),
        }
    return base


def _aftership(shop: SandboxShop, clock: Clock, state: CarrierFakeState) -> APIRouter:
    api = APIRouter()

    def meta(code: int, message: str, kind: str) -> dict[str, Any]:
        return {"code": code, "message": message, "type": kind}

    def authorised(request: Request) -> bool:
        return bool(request.headers.get("as-api-key"))

    def unauthorised() -> JSONResponse:
        return JSONResponse(
            {"meta": meta(401, "Invalid API key.", "Unauthorized"), "data": {}}, status_code=401
        )

    def tracking_for(number: str) -> dict[str, Any]:
        parcel = lookup(shop, clock, number)
        slug = AFTERSHIP_SLUGS[parcel.result.shipment.carrier] if parcel else "unrecognized"
        return aftership_tracking(parcel, number, slug, state.trackings[number], clock())

    @api.get("/trackings")
    def list_trackings(request: Request) -> JSONResponse:
        if not authorised(request):
            return unauthorised()
        raw = request.query_params.get("tracking_numbers", "")
        wanted = {normalise_tracking(n) for n in raw.split(",") if n.strip()}
        with state.lock:
            numbers = [n for n in state.trackings if not wanted or n in wanted]
        data = {
            "trackings": [tracking_for(n) for n in numbers],
            "pagination": {"total": len(numbers)},
        }
        return JSONResponse({"meta": meta(200, "OK", "OK"), "data": data})

    @api.post("/trackings")
    async def create_tracking(request: Request) -> JSONResponse:
        if not authorised(request):
            return unauthorised()
        body = await _json(request)
        number = normalise_tracking(str(body.get("tracking_number") or ""))
        if not number:
            return JSONResponse(
                {
                    "meta": meta(4005, "The value of `tracking_number` is invalid.", "BadRequest"),
                    "data": {},
                },
                status_code=400,
            )
        with state.lock:
            exists = number in state.trackings
            state.trackings.setdefault(number, clock())
        if exists:
            return JSONResponse(
                {"meta": meta(4003, "Tracking already exists.", "BadRequest"), "data": {}},
                status_code=400,
            )
        return JSONResponse(
            {"meta": meta(201, "Created", "Created"), "data": tracking_for(number)}, status_code=201
        )

    return api
