"""FedEx Track: the real captured delivered response (ups_fedex_track.md, F1) and the
documented errors: a per-number error inside a 200, several results for one number,
timestamps without an offset; deliveryDetails as proof; OAuth."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx
from pydantic import SecretStr

from desk.adapters.carriers import fedex
from desk.adapters.carriers.common import CarrierErrorResponse, TrackingNotFound
from desk.adapters.carriers.fedex import FedexSettings, FedexTracking
from desk.models import Carrier, ExceptionKind, ScanStatus
from desk.ports import NotFound, Refused
from tests.adapters.carrier_kit import Clock, Sleeps, payload, reading

BASE = "https://apis.fedex.test"
NUMBER = "738488882438"
TRACK = f"{BASE}/track/v1/trackingnumbers"
TOKEN = f"{BASE}/oauth/token"
NOW = datetime(2024, 8, 21, tzinfo=UTC)


def adapter() -> tuple[FedexTracking, Sleeps, Clock]:
    sleeps, clock = Sleeps(), Clock()
    settings = FedexSettings(
        client_id="api-key", client_secret=SecretStr("fx-s3cr3t"), base_url=BASE
    )
    return FedexTracking(settings, sleep=sleeps, clock=clock), sleeps, clock


def result_of(body: dict[str, Any]) -> dict[str, Any]:
    return body["output"]["completeTrackResults"][0]["trackResults"][0]  # type: ignore[no-any-return]


def with_details(**details: Any) -> dict[str, Any]:
    body = payload("fedex_delivered.json")
    result_of(body)["deliveryDetails"] = details
    return body


# ---------------------------------------------------------------- parse (no HTTP)


def test_the_real_delivered_response_reads_as_delivered_oldest_first() -> None:
    shipment = fedex.parse(payload("fedex_delivered.json"))
    assert shipment.carrier == Carrier.fedex and shipment.tracking == NUMBER
    assert shipment.service == "ground"
    assert [e.status for e in shipment.events] == [
        ScanStatus.accepted,
        ScanStatus.out_for_delivery,
        ScanStatus.delivered,
    ]
    assert shipment.events[-1].at == datetime(2024, 8, 20, 16, 41, 57, tzinfo=UTC)


def test_a_scan_without_an_offset_takes_the_offset_of_the_others() -> None:
    picked_up = fedex.parse(payload("fedex_delivered.json")).events[0]
    assert picked_up.at == datetime(2024, 8, 15, 4, 0, tzinfo=UTC)  # 00:00 at -04:00


def test_received_by_a_person_is_a_hand_off() -> None:
    read = reading(fedex.parse(payload("fedex_delivered.json")))
    assert read.proof == "strong" and read.proof_facts == [
        "handed off: 'Delivered; handed to CREILLY'"
    ]


def test_a_signature_proof_document_alone_is_not_a_signature() -> None:
    body = with_details(deliveryAttempts="0")  # availableImages still lists SPOD
    read = reading(fedex.parse(body))
    assert read.proof == "weak"


@pytest.mark.parametrize(
    ("details", "proof", "fact"),
    [
        ({"signedByName": "L.MOSS", "receivedByName": "L.MOSS"}, "strong", "signature"),
        ({"locationType": "RECEPTIONIST_OR_FRONT_DESK"}, "strong", "front desk"),
        ({"locationType": "MAILROOM"}, "strong", "mailroom"),
        ({"locationType": "SHIPPING_RECEIVING"}, "strong", "handed to shipping"),
        ({"locationType": "RESIDENCE", "locationDescription": "Front Door"}, "weak", "Front Door"),
    ],
)
def test_delivery_details_are_the_proof(details: dict[str, Any], proof: str, fact: str) -> None:
    read = reading(fedex.parse(with_details(**details)))
    assert read.proof == proof
    assert any(fact in f for f in read.proof_facts), read.proof_facts


def test_a_required_signature_on_a_delivered_parcel_is_a_signature() -> None:
    body = with_details()
    result_of(body)["specialHandlings"] = [
        {"type": "ADULT_SIGNATURE_REQUIRED", "description": "Adult Signature Required"}
    ]
    assert fedex.parse(body).events[-1].signature


def test_several_results_for_one_number_read_the_latest() -> None:
    body = payload("fedex_delivered.json")
    older = copy.deepcopy(result_of(body))
    older["trackingNumberInfo"]["trackingNumberUniqueId"] = "12017~738488882438~FDEG"
    older["scanEvents"] = [
        dict(older["scanEvents"][2], date="2023-02-01T09:00:00-05:00", eventDescription="Picked up")
    ]
    older["deliveryDetails"] = {}
    older["dateAndTimes"] = [{"type": "SHIP", "dateTime": "2023-01-31T00:00:00-05:00"}]
    body["output"]["completeTrackResults"][0]["trackResults"] = [older, result_of(body)]
    shipment = fedex.parse(body)
    assert shipment.events[-1].status == ScanStatus.delivered


def test_exceptions_are_the_desks_only_when_named() -> None:
    body = payload("fedex_delivered.json")
    result = result_of(body)
    result["scanEvents"] = result["scanEvents"][1:]
    result["deliveryDetails"] = {}
    delay = {
        "date": "2024-08-20T15:00:00-04:00",
        "eventType": "DE",
        "eventDescription": "Delivery exception",
        "exceptionCode": "A52",
        "exceptionDescription": "Package delayed",
    }
    result["scanEvents"].insert(0, delay)
    assert reading(fedex.parse(body)).status == "in_transit"
    result["scanEvents"][0] = dict(delay, eventType="SE", exceptionDescription="Package damaged")
    read = reading(fedex.parse(body))
    assert read.status == "exception" and read.exception == ExceptionKind.damaged
    result["scanEvents"][0] = dict(delay, eventType="RS", eventDescription="Return to shipper")
    assert reading(fedex.parse(body)).exception == ExceptionKind.return_to_sender


def test_a_per_number_error_inside_a_200_is_not_found() -> None:
    with pytest.raises(TrackingNotFound, match="TRACKING.TRACKINGNUMBER.NOTFOUND"):
        fedex.parse(payload("fedex_not_found.json"))


def test_a_request_error_is_not_a_tracking_record() -> None:
    with pytest.raises(CarrierErrorResponse, match="TRACKINGNUMBER.EMPTY"):
        fedex.parse(payload("fedex_request_error.json"))


# ---------------------------------------------------------------- the adapter over HTTP


@respx.mock
def test_the_track_request_and_the_token_it_uses() -> None:
    auth = respx.post(TOKEN).mock(
        return_value=httpx.Response(200, json=payload("fedex_token.json"))
    )
    track = respx.post(TRACK).mock(
        return_value=httpx.Response(200, json=payload("fedex_delivered.json"))
    )
    fx, _, _ = adapter()
    fx.trace(NUMBER, NOW)
    fx.trace(NUMBER, NOW)
    assert auth.call_count == 1  # expires_in 3599 as a number
    form = dict(httpx.QueryParams(auth.calls[0].request.content.decode()))
    assert form == {
        "grant_type": "client_credentials",
        "client_id": "api-key",
        "client_secret": "fx-s3cr3t",
    }
    sent = json.loads(track.calls[0].request.content)
    assert sent == {
        "includeDetailedScans": True,
        "trackingInfo": [{"trackingNumberInfo": {"trackingNumber": NUMBER}}],
    }
    assert track.calls[0].request.headers["authorization"] == "Bearer fedex-access-token-1"


@respx.mock
def test_not_found_inside_a_200_and_a_request_error() -> None:
    respx.post(TOKEN).mock(return_value=httpx.Response(200, json=payload("fedex_token.json")))
    respx.post(TRACK).mock(
        side_effect=[
            httpx.Response(200, json=payload("fedex_not_found.json")),
            httpx.Response(400, json=payload("fedex_request_error.json")),
        ]
    )
    fx, _, _ = adapter()
    with pytest.raises(NotFound):
        fx.trace("39936862321", NOW)
    with pytest.raises(Refused, match="TRACKINGNUMBER.EMPTY"):
        fx.trace(NUMBER, NOW)


@respx.mock
def test_an_expired_token_is_refreshed_once() -> None:
    respx.post(TOKEN).mock(
        side_effect=[
            httpx.Response(200, json=payload("fedex_token.json")),
            httpx.Response(200, json=payload("fedex_token.json") | {"access_token": "fresh"}),
        ]
    )
    expired = {"errors": [{"code": "NOT.AUTHORIZED.ERROR", "message": "Access token expired."}]}
    track = respx.post(TRACK).mock(
        side_effect=[
            httpx.Response(401, json=expired),
            httpx.Response(200, json=payload("fedex_delivered.json")),
        ]
    )
    fx, _, _ = adapter()
    fx.trace(NUMBER, NOW)
    assert track.calls[-1].request.headers["authorization"] == "Bearer fresh"


@respx.mock
def test_the_rate_limit_429_is_retried_after_the_wait() -> None:
    respx.post(TOKEN).mock(return_value=httpx.Response(200, json=payload("fedex_token.json")))
    too_many = {
        "errors": [
            {
                "code": "TOO.MANY.REQUESTS.ERROR",
                "message": "We have received too many requests in a short duration. "
                "Please wait a while to try again.",
            }
        ]
    }
    respx.post(TRACK).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "10"}, json=too_many),
            httpx.Response(200, json=payload("fedex_delivered.json")),
        ]
    )
    fx, sleeps, _ = adapter()
    fx.trace(NUMBER, NOW)
    assert 10.0 in sleeps
