"""Fake USPS, UPS, FedEx, EasyPost and AfterShip APIs over a sandbox shop.

``router(shop, clock)`` serves each vendor's documented endpoints under a prefix, answering
in that vendor's response shape (``/work/shared/vendors/``) from the sandbox's own
``trace(tracking, clock())``, so the real adapters, pointed at ``http://127.0.0.1:<port>/
<vendor>``, see the scenario's scans as the workflow's clock reaches them:

| prefix | endpoints |
| --- | --- |
| ``/usps`` | ``POST /oauth2/v3/token``, ``GET /tracking/v3/tracking/{n}`` |
| ``/ups`` | ``POST /security/v1/oauth/token``, ``GET /api/track/v1/details/{n}`` |
| ``/fedex`` | ``POST /oauth/token``, ``POST /track/v1/trackingnumbers`` |
| ``/easypost/v2`` | ``GET``/``POST /trackers``, ``GET /trackers/{id}``, |
| | ``GET /shipments/{id}``, ``GET``/``POST /claims``, ``GET /claims/{id}`` |
| ``/aftership/tracking/2025-01`` | ``GET``/``POST /trackings`` |

Tokens are checked (a request without one the fake issued is a 401, and
``CarrierFakeState.revoke_tokens`` makes every issued token stale); UPS's ``transId`` /
``transactionSrc`` headers are required. An EasyPost claim goes through the sandbox's
``file_search`` (one per shipment), and its status follows the sandbox's search.

What a vendor's documented shape cannot carry is not invented: USPS, FedEx and EasyPost
have no delivery photo, and only AfterShip has GPS coordinates, so a sandbox scan's photo
or GPS reaches the desk only through the vendors that carry it (``CARRIES``). Times are
whole seconds (UPS's format has no fractions).
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select

from desk.adapters.carriers.common import exception_from_text
from desk.adapters.sandbox import SandboxShop
from desk.adapters.sandbox.tables import ShipmentRow
from desk.identities import normalise_tracking
from desk.models import (
    Carrier,
    CarrierCase,
    ExceptionKind,
    Order,
    ScanEvent,
    ScanStatus,
    TraceResult,
)
from desk.ports import NotFound
from devtools.vendor_fakes import Clock

# What each vendor's response can say about a delivery, besides its words.
CARRIES: dict[str, frozenset[str]] = {
    "usps": frozenset({"signature"}),
    "ups": frozenset({"photo", "signature"}),
    "fedex": frozenset({"signature"}),
    "easypost": frozenset({"signature"}),
    "aftership": frozenset({"signature", "gps"}),
}
AFTERSHIP_VERSION = "2025-01"
_PIXEL = base64.b64encode(b"\x89PNG\r\n\x1a\n fake image").decode()
_EXCEPTION_WORDS = {
    ExceptionKind.lost: "package could not be located",
    ExceptionKind.damaged: "package damaged",
    ExceptionKind.return_to_sender: "returning to sender",
}


@dataclass
class CarrierFakeState:
    """What the fakes remember between requests: issued tokens, registered trackers."""

    tokens: set[str] = field(default_factory=set)
    trackers: dict[str, datetime] = field(default_factory=dict)  # EasyPost: number → created
    trackings: dict[str, datetime] = field(default_factory=dict)  # AfterShip: number → created
    lock: threading.Lock = field(default_factory=threading.Lock)

    def issue(self, prefix: str) -> str:
        token = f"{prefix}_{secrets.token_hex(16)}"
        with self.lock:
            self.tokens.add(token)
        return token

    def valid(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        return scheme.lower() == "bearer" and token in self.tokens

    def revoke_tokens(self) -> None:
        """Every token issued so far stops working (a revoked or expired token)."""
        with self.lock:
            self.tokens.clear()


# ---------------------------------------------------------------- the sandbox's record


@dataclass
class Parcel:
    result: TraceResult
    order: Order | None
    recipient: str | None  # the customer's name, for a signature


def lookup(shop: SandboxShop, clock: Clock, tracking: str) -> Parcel | None:
    try:
        result = shop.trace(tracking, clock())
    except NotFound:
        return None
    with shop.unit_of_work() as session:
        row = session.scalars(
            select(ShipmentRow).where(ShipmentRow.tracking == normalise_tracking(tracking))
        ).first()
        number = row.order_number if row is not None else None
    order = shop.get_order(number) if number else None
    recipient = None
    if order is not None:
        customer = shop.find_customer_by_id(order.customer_id)
        recipient = customer.name if customer is not None else None
    return Parcel(result, order, recipient)


def signer_of(scan: ScanEvent, recipient: str | None) -> str:
    """Who signed: the name in the scan's words, else the recipient as drivers key it."""
    named = re.search(r"sign(?:ed)?(?: for)? by:?\s*([A-Za-z][\w.' -]*)", scan.description, re.I)
    if named:
        return named.group(1).strip()
    if recipient:
        parts = recipient.split()
        return f"{parts[0][0]} {parts[-1]}".upper() if len(parts) > 1 else recipient.upper()
    return "SIGNER"


def words_for(scan: ScanEvent, default: str) -> str:
    """The scan's words, naming the exception kind when its words do not already."""
    text = scan.description or default
    kind = scan.exception
    if (
        scan.status == ScanStatus.exception
        and kind is not None
        and exception_from_text(text) != kind
    ):
        cue = _EXCEPTION_WORDS[kind]
        text = f"{text} - {cue}" if scan.description else cue.capitalize()
    return text


def _z(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _plain(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _offset(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _words(code: str) -> str:
    return " ".join(w.capitalize() if not w[0].isdigit() else w for w in code.split("_"))


def _id(prefix: str, *parts: str) -> str:
    return prefix + hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def _last_delivery(events: list[ScanEvent]) -> ScanEvent | None:
    return next((e for e in reversed(events) if e.status == ScanStatus.delivered), None)


# ---------------------------------------------------------------- USPS Tracking v3

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
        form = await _form_or_json(request)
        if (
            form.get("grant_type") != "client_credentials"
            or not form.get("client_id")
            or not form.get("client_secret")
        ):
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


# ---------------------------------------------------------------- UPS Track

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


# ---------------------------------------------------------------- FedEx Track

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
        form = await _form_or_json(request)
        if (
            form.get("grant_type") != "client_credentials"
            or not form.get("client_id")
            or not form.get("client_secret")
        ):
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


# ---------------------------------------------------------------- EasyPost

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


# ---------------------------------------------------------------- AfterShip

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


# ---------------------------------------------------------------- the router


def router(shop: SandboxShop, clock: Clock, state: CarrierFakeState | None = None) -> APIRouter:
    """Every carrier fake over ``shop``, as of ``clock()``, each under its vendor's prefix."""
    state = state or CarrierFakeState()
    api = APIRouter()
    api.include_router(_usps(shop, clock, state), prefix="/usps")
    api.include_router(_ups(shop, clock, state), prefix="/ups")
    api.include_router(_fedex(shop, clock, state), prefix="/fedex")
    api.include_router(_easypost(shop, clock, state), prefix="/easypost/v2")
    api.include_router(
        _aftership(shop, clock, state), prefix=f"/aftership/tracking/{AFTERSHIP_VERSION}"
    )
    return api


# ---------------------------------------------------------------- request bodies


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


async def _form_or_json(request: Request) -> dict[str, str]:
    if "json" in request.headers.get("content-type", ""):
        return {k: str(v) for k, v in (await _json(request)).items()}
    form = await request.form()
    return {k: str(v) for k, v in form.items()}


def _basic(request: Request) -> tuple[str, str]:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return "", ""
    try:
        user, _, secret = base64.b64decode(value).decode().partition(":")
    except ValueError:
        return "", ""
    return user, secret
