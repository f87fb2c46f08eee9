"""EasyPost, faked under ``/easypost/v2``: ``GET``/``POST /trackers``,
``GET /trackers/{id}``, ``GET /shipments/{id}``, ``GET``/``POST /claims``,
``GET /claims/{id}``.

The API key is HTTP Basic's user (a request without one is a 401). An EasyPost claim goes
through the sandbox's ``file_search`` (one per shipment), and its status follows the
sandbox's search.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from desk.adapters.sandbox import SandboxShop
from desk.identities import normalise_tracking
from desk.models import Carrier, CarrierCase, ExceptionKind, ScanEvent, ScanStatus
from devtools.vendor_fakes import Clock
from devtools.vendor_fakes.carriers.common import (
    CarrierFakeState,
    Parcel,
    _basic,
    _id,
    _json,
    _last_delivery,
    _plain,
    _words,
    _z,
    lookup,
    signer_of,
    words_for,
)

EASYPOST_NAMES = {
    Carrier.usps: "USPS",
    Carrier.ups: "UPS",
    Carrier.fedex: "FedEx",
    Carrier.dhl: "DHLExpress",
}
_EASYPOST_STATUS = {
    ScanStatus.label_created: ("pre_transit", "label_created"),
    ScanStatus.accepted: ("in_transit", "received_at_origin_facility"),
    ScanStatus.in_transit: ("in_transit", "arrived_at_facility"),
    ScanStatus.out_for_delivery: ("out_for_delivery", "out_for_delivery"),
    ScanStatus.delivered: ("delivered", "arrived_at_destination"),
}
_EASYPOST_EXCEPTION = {
    ExceptionKind.return_to_sender: ("return_to_sender", "return"),
    ExceptionKind.lost: ("failure", "lost"),
    ExceptionKind.damaged: ("failure", "damaged"),
}
_CLAIM_STATUS = {
    "open": ("submitted", "Claim was created."),
    "not_found": ("approved", "The claim was approved: the package is lost."),
    "found": ("rejected", "Claim rejected: the carrier reports the package delivered."),
}


def _easypost_status(scan: ScanEvent) -> tuple[str, str]:
    if scan.status == ScanStatus.exception and scan.exception is not None:
        return _EASYPOST_EXCEPTION[scan.exception]
    return _EASYPOST_STATUS.get(scan.status, ("in_transit", "status_update"))


def easypost_tracker(
    parcel: Parcel | None, number: str, created: datetime, now: datetime
) -> dict[str, Any]:
    """A Tracker for the number: the sandbox's record, or ``unknown`` with no details."""
    tracker_id = _id("trk_", number)
    if parcel is None:
        return {
            "id": tracker_id,
            "object": "Tracker",
            "mode": "test",
            "tracking_code": number,
            "status": "unknown",
            "status_detail": "unknown",
            "created_at": _z(created),
            "updated_at": _z(now),
            "signed_by": None,
            "est_delivery_date": None,
            "shipment_id": None,
            "carrier": None,
            "tracking_details": [],
            "carrier_detail": None,
            "fees": [],
        }
    shipment = parcel.result.shipment
    details = []
    for scan in shipment.events:
        status, detail = _easypost_status(scan)
        details.append(
            {
                "object": "TrackingDetail",
                "message": words_for(scan, _words(scan.status.value)),
                "description": "",
                "status": status,
                "status_detail": detail,
                "datetime": _z(scan.at),
                "source": EASYPOST_NAMES[shipment.carrier],
                "carrier_code": "",
                "tracking_location": {
                    "object": "TrackingLocation",
                    "city": scan.city.upper() if scan.city else None,
                    "state": None,
                    "country": None,
                    "zip": None,
                },
            }
        )
    last = details[-1] if details else None
    delivered = _last_delivery(shipment.events)
    return {
        "id": tracker_id,
        "object": "Tracker",
        "mode": "test",
        "tracking_code": shipment.tracking,
        "status": last["status"] if last else "unknown",
        "status_detail": last["status_detail"] if last else "unknown",
        "created_at": _z(created),
        "updated_at": _z(now),
        "signed_by": (
            signer_of(delivered, parcel.recipient) if delivered and delivered.signature else None
        ),
        "weight": None,
        "est_delivery_date": _z(shipment.expected_delivery) if shipment.expected_delivery else None,
        "shipment_id": _id("shp_", shipment.tracking) if parcel.order else None,
        "carrier": EASYPOST_NAMES[shipment.carrier],
        "tracking_details": details,
        "fees": [],
        "carrier_detail": {
            "object": "CarrierDetail",
            "service": _words(shipment.service),
            "container_type": None,
            "est_delivery_date_local": None,
            "est_delivery_time_local": None,
        },
        "public_url": f"https://track.easypost.test/{tracker_id}",
    }


def easypost_claim(
    case: CarrierCase, amount: float | None, email: str | None = None
) -> dict[str, Any]:
    status, detail = _CLAIM_STATUS[case.status]
    money = f"{amount:.2f}" if amount is not None else None
    return {
        "id": _id("clm_", case.case_number),
        "object": "Claim",
        "mode": "test",
        "type": "loss",
        "status": status,
        "status_detail": detail,
        "tracking_code": case.tracking,
        "shipment_id": _id("shp_", case.tracking),
        "insurance_amount": money,
        "requested_amount": money,
        "approved_amount": money if status == "approved" else None,
        "contact_email": email,
        "description": case.reason,
        "attachments": [],
        "history": [
            {"status": status, "status_detail": detail, "timestamp": _plain(case.filed_at)}
        ],
        "created_at": _plain(case.filed_at),
        "updated_at": _plain(case.filed_at),
        "carrier_case": case.case_number,
    }


def _shipment_value(parcel: Parcel) -> float | None:
    if parcel.order is None:
        return None
    skus = set(parcel.result.shipment.skus) or {ln.sku for ln in parcel.order.lines}
    return round(
        sum(ln.total for ln in parcel.order.lines if ln.sku in skus and not ln.cancelled), 2
    )


def _easypost_error(
    status: int, code: str, message: str, field_name: str | None = None
) -> JSONResponse:
    errors = [{"field": field_name, "message": message}] if field_name else []
    return JSONResponse(
        {"error": {"code": code, "message": message, "errors": errors}}, status_code=status
    )


def _easypost(shop: SandboxShop, clock: Clock, state: CarrierFakeState) -> APIRouter:
    api = APIRouter()

    def authorised(request: Request) -> bool:
        user, _ = _basic(request)
        return bool(user)

    def unauthorised() -> JSONResponse:
        return _easypost_error(401, "APIKEY.REQUIRED", "No API key provided.")

    def tracker_for(number: str) -> dict[str, Any]:
        created = state.trackers[number]
        return easypost_tracker(lookup(shop, clock, number), number, created, clock())

    @api.get("/trackers")
    def list_trackers(request: Request) -> JSONResponse:
        if not authorised(request):
            return unauthorised()
        codes = request.query_params.getlist("tracking_codes[]") or request.query_params.getlist(
            "tracking_code"
        )
        wanted = {normalise_tracking(c) for c in codes}
        with state.lock:
            numbers = [n for n in state.trackers if not wanted or n in wanted]
        return JSONResponse({"trackers": [tracker_for(n) for n in numbers], "has_more": False})

    @api.post("/trackers")
    async def create_tracker(request: Request) -> JSONResponse:
        if not authorised(request):
            return unauthorised()
        body = await _json(request)
        wrapped = body["tracker"] if isinstance(body.get("tracker"), dict) else {}
        code = normalise_tracking(str(wrapped.get("tracking_code") or ""))
        if not code:
            return _easypost_error(
                422, "PARAMETER.REQUIRED", "Missing required parameter.", "tracking_code"
            )
        with state.lock:
            state.trackers.setdefault(code, clock())
        return JSONResponse(tracker_for(code), status_code=201)

    @api.get("/trackers/{tracker_id}")
    def get_tracker(tracker_id: str, request: Request) -> JSONResponse:
        if not authorised(request):
            return unauthorised()
        number = next((n for n in state.trackers if _id("trk_", n) == tracker_id), None)
        if number is None:
            return _easypost_error(404, "NOT_FOUND", "The requested resource could not be found.")
        return JSONResponse(tracker_for(number))

    @api.get("/shipments/{shipment_id}")
    def get_shipment(shipment_id: str, request: Request) -> JSONResponse:
        if not authorised(request):
            return unauthorised()
        number = next((n for n in state.trackers if _id("shp_", n) == shipment_id), None)
        parcel = lookup(shop, clock, number) if number else None
        if parcel is None:
            return _easypost_error(404, "NOT_FOUND", "The requested resource could not be found.")
        value = _shipment_value(parcel)
        return JSONResponse(
            {
                "id": shipment_id,
                "object": "Shipment",
                "mode": "test",
                "tracking_code": parcel.result.shipment.tracking,
                "insurance": f"{value:.2f}" if value is not None else None,
                "status": "unknown",
            }
        )

    def claims_now() -> list[tuple[CarrierCase, float | None]]:
        out = []
        for case in shop.carrier_cases(clock()):
            parcel = lookup(shop, clock, case.tracking)
            out.append((case, _shipment_value(parcel) if parcel else None))
        return out

    @api.get("/claims")
    def list_claims(request: Request) -> JSONResponse:
        if not authorised(request):
            return unauthorised()
        claims = [easypost_claim(case, amount) for case, amount in claims_now()]
        claims.sort(key=lambda c: c["created_at"], reverse=True)
        return JSONResponse({"claims": claims, "has_more": False})

    @api.get("/claims/{claim_id}")
    def get_claim(claim_id: str, request: Request) -> JSONResponse:
        if not authorised(request):
            return unauthorised()
        for case, amount in claims_now():
            if _id("clm_", case.case_number) == claim_id:
                return JSONResponse(easypost_claim(case, amount))
        return _easypost_error(404, "NOT_FOUND", "The requested resource could not be found.")

    @api.post("/claims")
    async def create_claim(request: Request) -> JSONResponse:
        if not authorised(request):
            return unauthorised()
        body = await _json(request)
        for name in ("type", "tracking_code", "amount", "description", "contact_email"):
            if not body.get(name):
                return _easypost_error(422, "PARAMETER.REQUIRED", f"{name}: field required", name)
        if body["type"] in {"damage", "theft"}:
            return _easypost_error(
                422,
                "CLAIM.INVALID",
                "At least one supporting documentation attachment is required for theft or "
                "damage claims.",
                "supporting_documentation_attachments",
            )
        number = normalise_tracking(str(body["tracking_code"]))
        parcel = lookup(shop, clock, number)
        if parcel is None:
            return _easypost_error(
                422, "CLAIM.INVALID", "No insured shipment with this tracking code."
            )
        case = shop.file_search(
            number, str(body["description"]), clock(), f"easypost-claim:{number}"
        )
        claim = easypost_claim(case, _shipment_value(parcel), str(body["contact_email"]))
        return JSONResponse(claim, status_code=201)

    return api
