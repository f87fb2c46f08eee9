"""USPS Tracking v3, faked under ``/usps``: ``POST /oauth2/v3/token``,
``GET /tracking/v3/tracking/{n}``.

A tracking request without a token the fake issued is a 401; a number without scans is
USPS's 400 "not yet available" (``150001``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from desk.adapters.sandbox import SandboxShop
from desk.models import ScanStatus
from devtools.vendor_fakes import Clock
from devtools.vendor_fakes.carriers.common import (
    CarrierFakeState,
    Parcel,
    _client_credentials,
    _plain,
    _words,
    _z,
    lookup,
    signer_of,
    words_for,
)

_USPS_CODE = {
    ScanStatus.label_created: "GX",
    ScanStatus.accepted: "03",
    ScanStatus.out_for_delivery: "OF",
    ScanStatus.delivered: "01",
}
_USPS_CATEGORY = {
    ScanStatus.label_created: "Pre-Shipment",
    ScanStatus.accepted: "Accepted",
    ScanStatus.in_transit: "Moving Through Network",
    ScanStatus.out_for_delivery: "Out for Delivery",
    ScanStatus.delivered: "Delivered",
    ScanStatus.exception: "Alert",
}


def usps_payload(parcel: Parcel) -> dict[str, Any]:
    shipment = parcel.result.shipment
    events = []
    for scan in reversed(shipment.events):
        row: dict[str, Any] = {
            "eventType": words_for(scan, _words(scan.status.value)),
            "eventTimestamp": _plain(scan.at),
        }
        if scan.status != ScanStatus.label_created:  # as USPS: label rows have no GMT fields
            row |= {"GMTTimestamp": _z(scan.at), "GMTOffset": "+00:00"}
        row |= {
            "eventCountry": None,
            "eventCity": scan.city.upper() if scan.city else None,
            "eventState": None,
            "eventZIP": None,
            "firm": None,
            "name": signer_of(scan, parcel.recipient) if scan.signature else None,
            "authorizedAgent": "false",
            "eventCode": _USPS_CODE.get(scan.status),
            "additionalProp": None,
        }
        events.append(row)
    last = shipment.events[-1] if shipment.events else None
    address = parcel.order.address if parcel.order else None
    body: dict[str, Any] = {
        "trackingNumber": shipment.tracking,
        "mailClass": f"USPS {_words(shipment.service)}",
        "mailType": "DM",
        "destinationCity": address.city.upper() if address else None,
        "destinationState": address.region if address else None,
        "destinationZIP": address.postal_code if address else None,
        "emailEnabled": "true",
        "proofOfDeliveryEnabled": "false",
        "services": ["USPS Tracking<SUP>&#174;</SUP>"],
        "status": events[0]["eventType"] if events else "",
        "statusCategory": _USPS_CATEGORY[last.status] if last else "",
        "trackingEvents": events,
    }
    if shipment.expected_delivery is not None:
        body["expectedDeliveryTimeStamp"] = _plain(shipment.expected_delivery)
    return body


def usps_not_yet_available() -> dict[str, Any]:
    message = (
        "12: A status update is not yet available on your package. It will be available when "
        "the shipper provides an update or the package is given to USPS. Check back soon. - "
    )
    return {
        "apiVersion": "/tracking/v3",
        "error": {
            "code": "400",
            "message": message,
            "errors": [{"title": message, "detail": "", "code": "150001"}],
        },
    }


def _usps(shop: SandboxShop, clock: Clock, state: CarrierFakeState) -> APIRouter:
    api = APIRouter()

    @api.post("/oauth2/v3/token")
    async def token(request: Request) -> JSONResponse:
        form = await _client_credentials(request)
        if form is None:
            return JSONResponse(
                {
                    "error": "invalid_client",
                    "error_description": "Client authentication failed.",
                    "error_uri": "https://datatracker.ietf.org/doc/html/rfc6749#page-45",
                },
                status_code=401,
            )
        issued = str(int(clock().timestamp() * 1000))
        return JSONResponse(
            {
                "access_token": state.issue("usps"),
                "token_type": "Bearer",
                "issued_at": issued,
                "expires_in": "28799",
                "status": "approved",
                "scope": form.get("scope") or "tracking",
                "issuer": "api.usps.com",
                "client_id": form["client_id"],
                "application_name": "contact-desk-fake",
                "api_products": "[Public Access]",
                "public_key": "",
            }
        )

    @api.get("/tracking/v3/tracking/{number}")
    def tracking(number: str, request: Request) -> JSONResponse:
        if not state.valid(request):
            return JSONResponse(
                {"apiVersion": "/tracking/v3", "error": {"code": "401", "message": "Unauthorized"}},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="https://api.usps.com"'},
            )
        parcel = lookup(shop, clock, number)
        if parcel is None or not parcel.result.shipment.events:
            return JSONResponse(usps_not_yet_available(), status_code=400)
        return JSONResponse(usps_payload(parcel))

    return api
