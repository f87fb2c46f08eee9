"""FedEx Track, faked under ``/fedex``: ``POST /oauth/token``,
``POST /track/v1/trackingnumbers``.

A tracking request without a token the fake issued is a 401; each number's error (not
found) is in its own result, in a 200.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from desk.adapters.sandbox import SandboxShop
from desk.models import ExceptionKind, ScanEvent, ScanStatus
from devtools.vendor_fakes import Clock
from devtools.vendor_fakes.carriers.common import (
    CarrierFakeState,
    Parcel,
    _client_credentials,
    _json,
    _last_delivery,
    _offset,
    _words,
    lookup,
    signer_of,
    words_for,
)

_FEDEX_TYPE = {
    ScanStatus.label_created: ("OC", "IN", "Initiated"),
    ScanStatus.accepted: ("PU", "PU", "Picked up"),
    ScanStatus.in_transit: ("IT", "IT", "In transit"),
    ScanStatus.out_for_delivery: ("OD", "IT", "In transit"),
    ScanStatus.delivered: ("DL", "DL", "Delivered"),
}


def _fedex_event(scan: ScanEvent) -> dict[str, Any]:
    exception_code = exception_text = ""
    if scan.status == ScanStatus.exception:
        if scan.exception == ExceptionKind.return_to_sender:
            kind, derived, derived_text = "RS", "RS", "Return to shipper"
        else:
            kind, derived, derived_text = "SE", "SE", "Shipment exception"
            exception_code = "08"
            exception_text = words_for(scan, "Shipment exception")
    else:
        kind, derived, derived_text = _FEDEX_TYPE.get(scan.status, ("IT", "IT", "In transit"))
    description = scan.description or derived_text
    if scan.status == ScanStatus.exception and kind == "RS":
        description = words_for(scan, derived_text)
    return {
        "date": _offset(scan.at),
        "eventType": kind,
        "eventDescription": description,
        "exceptionCode": exception_code,
        "exceptionDescription": exception_text if exception_text != description else "",
        "scanLocation": {
            "streetLines": [""],
            "city": scan.city or "",
            "countryCode": "US",
            "residential": False,
            "countryName": "United States",
        },
        "locationType": "DELIVERY_LOCATION" if scan.status == ScanStatus.delivered else "VEHICLE",
        "derivedStatusCode": derived,
        "derivedStatus": derived_text,
    }


def fedex_result(parcel: Parcel) -> dict[str, Any]:
    shipment = parcel.result.shipment
    scans = [_fedex_event(scan) for scan in reversed(shipment.events)]
    result: dict[str, Any] = {
        "trackingNumberInfo": {
            "trackingNumber": shipment.tracking,
            "trackingNumberUniqueId": f"12028~{shipment.tracking}~FDEG",
            "carrierCode": "FDXG",
        },
        "scanEvents": scans,
        "serviceDetail": {
            "type": f"FEDEX_{shipment.service.upper()}",
            "description": f"FedEx {_words(shipment.service)}",
        },
        "dateAndTimes": [],
    }
    if scans:
        latest = scans[0]
        result["latestStatusDetail"] = {
            "code": latest["eventType"],
            "derivedCode": latest["derivedStatusCode"],
            "statusByLocale": latest["derivedStatus"],
            "description": latest["eventDescription"],
        }
    delivered = _last_delivery(shipment.events)
    if delivered is not None:
        result["dateAndTimes"].append(
            {"type": "ACTUAL_DELIVERY", "dateTime": _offset(delivered.at)}
        )
        result["availableImages"] = [{"type": "SIGNATURE_PROOF_OF_DELIVERY"}]
        details: dict[str, Any] = {"deliveryAttempts": "0"}
        if delivered.signature:
            name = signer_of(delivered, parcel.recipient)
            details |= {"signedByName": name, "receivedByName": name}
        result["deliveryDetails"] = details
    if shipment.expected_delivery is not None:
        result["dateAndTimes"].append(
            {"type": "ESTIMATED_DELIVERY", "dateTime": _offset(shipment.expected_delivery)}
        )
    return result


def _fedex(shop: SandboxShop, clock: Clock, state: CarrierFakeState) -> APIRouter:
    api = APIRouter()

    @api.post("/oauth/token")
    async def token(request: Request) -> JSONResponse:
        form = await _client_credentials(request)
        if form is None:
            return JSONResponse(
                {
                    "transactionId": str(uuid.uuid4()),
                    "errors": [
                        {
                            "code": "NOT.AUTHORIZED.ERROR",
                            "message": "The given client credentials were not valid.",
                        }
                    ],
                },
                status_code=401,
            )
        return JSONResponse(
            {
                "access_token": state.issue("fedex"),
                "token_type": "bearer",
                "expires_in": 3599,
                "scope": "CXS-TP",
            }
        )

    @api.post("/track/v1/trackingnumbers")
    async def track(request: Request) -> JSONResponse:
        transaction = str(uuid.uuid4())
        if not state.valid(request):
            return JSONResponse(
                {
                    "transactionId": transaction,
                    "errors": [
                        {
                            "code": "NOT.AUTHORIZED.ERROR",
                            "message": "Access token expired. Please modify your request and "
                            "try again.",
                        }
                    ],
                },
                status_code=401,
            )
        body = await _json(request)
        numbers = [
            str((item.get("trackingNumberInfo") or {}).get("trackingNumber") or "")
            for item in (body.get("trackingInfo") or [])
            if isinstance(item, dict)
        ]
        numbers = [n for n in numbers if n]
        if not numbers:
            return JSONResponse(
                {
                    "transactionId": transaction,
                    "errors": [
                        {
                            "code": "TRACKING.TRACKINGNUMBER.EMPTY",
                            "message": "Please provide tracking number.",
                        }
                    ],
                },
                status_code=400,
            )
        complete = []
        missing = False
        for number in numbers[:30]:
            parcel = lookup(shop, clock, number)
            if parcel is None:
                missing = True
                error = {
                    "code": "TRACKING.TRACKINGNUMBER.NOTFOUND",
                    "message": "Tracking number cannot be found. Please correct the tracking "
                    "number and try again.",
                }
                results = [
                    {
                        "trackingNumberInfo": {
                            "trackingNumber": number,
                            "trackingNumberUniqueId": "",
                            "carrierCode": "",
                        },
                        "error": error,
                    }
                ]
            else:
                results = [fedex_result(parcel)]
            complete.append({"trackingNumber": number, "trackResults": results})
        output: dict[str, Any] = {"completeTrackResults": complete}
        if missing:
            output["alerts"] = "TRACKING.DATA.NOTFOUND -  Tracking data unavailable"
        return JSONResponse({"transactionId": transaction, "output": output})

    return api
