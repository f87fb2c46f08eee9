"""UPS Track, faked under ``/ups``: ``POST /security/v1/oauth/token``,
``GET /api/track/v1/details/{n}``.

A tracking request without a token the fake issued is a 401; UPS's ``transId`` /
``transactionSrc`` headers are required. A number the sandbox does not know is a
``TW0001`` warning in a 200. The only vendor here with a delivery photo (``CARRIES``).
"""

from __future__ import annotations

import base64
from datetime import UTC
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from desk.adapters.sandbox import SandboxShop
from desk.models import ExceptionKind, ScanEvent, ScanStatus
from devtools.vendor_fakes import Clock
from devtools.vendor_fakes.carriers.common import (
    CarrierFakeState,
    Parcel,
    _basic,
    _form_or_json,
    _last_delivery,
    _words,
    lookup,
    signer_of,
    words_for,
)

_PIXEL = base64.b64encode(b"\x89PNG\r\n\x1a\n fake image").decode()
_UPS_STATUS: dict[ScanStatus, tuple[str, str, str]] = {  # type, code, statusCode
    ScanStatus.label_created: ("M", "MP", "003"),
    ScanStatus.accepted: ("P", "PU", "038"),
    ScanStatus.in_transit: ("I", "AR", "005"),
    ScanStatus.out_for_delivery: ("I", "OT", "021"),
    ScanStatus.delivered: ("D", "FS", "011"),
}
_UPS_EXCEPTION = {
    ExceptionKind.return_to_sender: ("X", "RS", "035"),
    ExceptionKind.damaged: ("X", "DM", "059"),
    ExceptionKind.lost: ("X", "XL", "013"),
}


def _ups_status(scan: ScanEvent) -> dict[str, str]:
    if scan.status == ScanStatus.exception and scan.exception is not None:
        kind, code, status_code = _UPS_EXCEPTION[scan.exception]
    else:
        kind, code, status_code = _UPS_STATUS.get(scan.status, ("I", "AR", "005"))
    text = words_for(scan, _words(scan.status.value))
    return {
        "type": kind,
        "code": code,
        "description": text,
        "simplifiedTextDescription": _words(scan.status.value),
        "statusCode": status_code,
    }


def ups_payload(parcel: Parcel) -> dict[str, Any]:
    shipment = parcel.result.shipment
    activity = [
        {
            "date": scan.at.astimezone(UTC).strftime("%Y%m%d"),
            "time": scan.at.astimezone(UTC).strftime("%H%M%S"),
            "gmtDate": scan.at.astimezone(UTC).strftime("%Y%m%d"),
            "gmtTime": scan.at.astimezone(UTC).strftime("%H:%M:%S"),
            "gmtOffset": "+00:00",
            "location": {
                "address": {"city": scan.city or "", "countryCode": "US", "country": "US"},
                "slic": "0000",
            },
            "status": _ups_status(scan),
        }
        for scan in reversed(shipment.events)
    ]
    package: dict[str, Any] = {
        "trackingNumber": shipment.tracking,
        "activity": activity,
        "service": {"code": "003", "description": f"UPS {_words(shipment.service)}"},
        "packageCount": 1,
    }
    if activity:
        package["currentStatus"] = activity[0]["status"]
    dates = []
    if shipment.expected_delivery is not None:
        expected = shipment.expected_delivery.astimezone(UTC)
        dates.append({"type": "SDD", "date": expected.strftime("%Y%m%d")})
        package["deliveryTime"] = {"type": "EDW", "endTime": expected.strftime("%H%M%S")}
    delivered = _last_delivery(shipment.events)
    if delivered is not None:
        dates.append({"type": "DEL", "date": delivered.at.astimezone(UTC).strftime("%Y%m%d")})
        photo = {
            "isNonPostalCodeCountry": False,
            "photoCaptureInd": "N",
            "photoDispositionCode": "N",
        }
        if delivered.photo:
            photo = {
                "isNonPostalCodeCountry": False,
                "photo": _PIXEL,
                "photoCaptureInd": "Y",
                "photoDispositionCode": "V",
            }
        info: dict[str, Any] = {"location": "", "receivedBy": "", "deliveryPhoto": photo}
        if delivered.signature:
            info["receivedBy"] = signer_of(delivered, parcel.recipient)
            info["signature"] = {"image": _PIXEL}
        package["deliveryInformation"] = info
    if dates:
        package["deliveryDate"] = dates
    return {
        "trackResponse": {
            "shipment": [
                {
                    "inquiryNumber": shipment.tracking,
                    "package": [package],
                    "userRelation": [],
                    "warnings": [],
                }
            ]
        }
    }


def _ups(shop: SandboxShop, clock: Clock, state: CarrierFakeState) -> APIRouter:
    api = APIRouter()

    @api.post("/security/v1/oauth/token")
    async def token(request: Request) -> JSONResponse:
        form = await _form_or_json(request)
        user, secret = _basic(request)
        if not user or not secret or form.get("grant_type") != "client_credentials":
            return JSONResponse(
                {"response": {"errors": [{"code": "10401", "message": "ClientId is Invalid"}]}},
                status_code=401,
            )
        return JSONResponse(
            {
                "token_type": "Bearer",
                "issued_at": str(int(clock().timestamp() * 1000)),
                "client_id": user,
                "access_token": state.issue("ups"),
                "scope": "",
                "expires_in": "14399",
                "refresh_count": "0",
                "status": "approved",
            }
        )

    @api.get("/api/track/v1/details/{number}")
    def details(number: str, request: Request) -> JSONResponse:
        if not state.valid(request):
            return JSONResponse(
                {"response": {"errors": [{"code": "250002", "message": "Invalid Auth Info"}]}},
                status_code=401,
            )
        if not request.headers.get("transId") or not request.headers.get("transactionSrc"):
            return JSONResponse(
                {
                    "response": {
                        "errors": [
                            {"code": "TV1001", "message": "Missing transId or transactionSrc"}
                        ]
                    }
                },
                status_code=400,
            )
        parcel = lookup(shop, clock, number)
        if parcel is None:
            warning = {"code": "TW0001", "message": "Tracking Information Not Found"}
            return JSONResponse(
                {"trackResponse": {"shipment": [{"inquiryNumber": number, "warnings": [warning]}]}}
            )
        return JSONResponse(ups_payload(parcel))

    return api
