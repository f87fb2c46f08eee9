"""UPS Track: the documented shapes (ups_fedex_track.md) read as the desk reads the
sandbox's scans; deliveryInformation as proof; TW0001 not found in a 200; OAuth."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx
from pydantic import SecretStr

from desk.adapters.carriers import ups
from desk.adapters.carriers.common import (
    CarrierErrorResponse,
    CarrierFormatError,
    TrackingNotFound,
)
from desk.adapters.carriers.search import SearchNeedsOperator
from desk.adapters.carriers.ups import UpsSettings, UpsTracking
from desk.adapters.http import VendorAuthError
from desk.models import Carrier, ExceptionKind, ScanStatus
from desk.ports import NotFound, Refused
from tests.adapters.carrier_kit import Clock, Sleeps, payload, reading

BASE = "https://onlinetools.ups.test"
NUMBER = "1Z999AA10123456784"
TRACK = f"{BASE}/api/track/v1/details/{NUMBER}"
TOKEN = f"{BASE}/security/v1/oauth/token"
NOW = datetime(2024, 6, 20, tzinfo=UTC)


def adapter(**kw: Any) -> tuple[UpsTracking, Sleeps]:
    sleeps = Sleeps()
    settings = UpsSettings(
        client_id="ups-client",
        client_secret=SecretStr("ups-s3cr3t"),
        merchant_id="A1B2C3",
        base_url=BASE,
    )
    return UpsTracking(settings, sleep=sleeps, clock=Clock(), **kw), sleeps


def token() -> httpx.Response:
    return httpx.Response(200, json=payload("ups_token.json"))


def delivered(**info: Any) -> dict[str, Any]:
    body = payload("ups_delivered_front_door.json")
    body["trackResponse"]["shipment"][0]["package"][0]["deliveryInformation"] |= info
    return body


# ---------------------------------------------------------------- parse (no HTTP)


def test_a_front_door_delivery_without_photo_or_signature_is_weak() -> None:
    shipment = ups.parse(payload("ups_delivered_front_door.json"))
    assert shipment.carrier == Carrier.ups and shipment.service == "ground"
    assert [e.status for e in shipment.events] == [
        ScanStatus.label_created,
        ScanStatus.accepted,
        ScanStatus.in_transit,
        ScanStatus.out_for_delivery,
        ScanStatus.delivered,
    ]
    last = shipment.events[-1]
    assert last.at == datetime(2024, 6, 12, 18, 32, 8, tzinfo=UTC)  # gmtDate + gmtTime
    assert "left at: Front Door" in last.description and last.city == "ATLANTA"
    read = reading(shipment)
    assert read.status == "delivered" and read.proof == "weak"


def test_an_activity_without_gmt_fields_uses_the_offset_of_the_others() -> None:
    label = ups.parse(payload("ups_delivered_front_door.json")).events[0]
    assert label.at == datetime(2024, 6, 10, 13, 12, tzinfo=UTC)  # 09:12 at -04:00


def test_the_expected_date_is_the_scheduled_day_until_the_windows_end() -> None:
    shipment = ups.parse(payload("ups_delivered_front_door.json"))
    assert shipment.expected_delivery == datetime(2024, 6, 12, 18, 32, 8, tzinfo=UTC)


@pytest.mark.parametrize(
    ("info", "proof", "fact"),
    [
        (
            {"deliveryPhoto": {"photo": "iVBORw0KGgo=", "photoCaptureInd": "Y"}},
            "strong",
            "delivery photo",
        ),
        ({"signature": {"image": "iVBORw0KGgo="}, "receivedBy": "J SMITH"}, "strong", "signature"),
        ({"receivedBy": "MARIA LOPEZ"}, "strong", "handed to MARIA LOPEZ"),
        ({"location": "Front Desk"}, "strong", "Front Desk"),
        ({"receivedBy": "DRIVER RELEASE"}, "weak", "DRIVER RELEASE"),
        ({"location": "Garage"}, "weak", "Garage"),
    ],
)
def test_delivery_information_is_the_proof(info: dict[str, Any], proof: str, fact: str) -> None:
    read = reading(ups.parse(delivered(**info)))
    assert read.proof == proof
    assert any(fact in f for f in read.proof_facts), read.proof_facts


def test_the_spec_example_customs_release_is_in_transit_with_its_proof_kept() -> None:
    shipment = ups.parse(payload("ups_spec_example.json"))
    assert [e.status for e in shipment.events] == [ScanStatus.in_transit]
    assert reading(shipment).status == "in_transit"


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (
            {"type": "X", "statusCode": "035", "description": "Returning to Sender"},
            ExceptionKind.return_to_sender,
        ),
        (
            {"type": "X", "statusCode": "059", "description": "Damage reported"},
            ExceptionKind.damaged,
        ),
        (
            {
                "type": "X",
                "statusCode": "013",
                "description": "Exception: the package cannot be located.",
            },
            ExceptionKind.lost,
        ),
    ],
)
def test_exceptions_by_status_code_and_words(status: dict[str, str], kind: ExceptionKind) -> None:
    body = payload("ups_delivered_front_door.json")
    package = body["trackResponse"]["shipment"][0]["package"][0]
    package["activity"] = package["activity"][1:]  # not delivered
    package.pop("deliveryInformation")
    package["activity"][0]["status"] = status
    read = reading(ups.parse(body))
    assert read.status == "exception" and read.exception == kind


def test_a_delay_exception_stays_in_transit() -> None:
    body = payload("ups_delivered_front_door.json")
    package = body["trackResponse"]["shipment"][0]["package"][0]
    package["activity"] = package["activity"][1:]
    package["activity"][0]["status"] = {"type": "X", "statusCode": "048", "description": "Delay"}
    assert reading(ups.parse(body)).status == "in_transit"


def test_not_found_is_a_200_with_tw0001() -> None:
    with pytest.raises(TrackingNotFound, match="TW0001"):
        ups.parse(payload("ups_not_found.json"))


def test_errors_and_other_vendors_files_are_told_apart() -> None:
    with pytest.raises(CarrierErrorResponse, match="TV1002"):
        ups.parse(payload("ups_invalid_number.json"))
    with pytest.raises(CarrierFormatError, match="trackResponse"):
        ups.parse(payload("fedex_delivered.json"))


# ---------------------------------------------------------------- the adapter over HTTP


@respx.mock
def test_oauth_with_basic_credentials_and_the_required_headers() -> None:
    auth = respx.post(TOKEN).mock(return_value=token())
    track = respx.get(TRACK).mock(
        return_value=httpx.Response(200, json=delivered(deliveryPhoto={"photo": "x"}))
    )
    ups_api, _ = adapter()
    result = ups_api.trace(NUMBER, NOW)
    assert reading(result.shipment).proof == "strong"
    sent = auth.calls[0].request
    assert (
        sent.headers["authorization"]
        == "Basic " + base64.b64encode(b"ups-client:ups-s3cr3t").decode()
    )
    assert sent.headers["x-merchant-id"] == "A1B2C3"
    assert sent.content == b"grant_type=client_credentials"
    request = track.calls[0].request
    assert request.headers["authorization"] == "Bearer ups-access-token-1"
    assert (
        request.headers["transactionSrc"] == "contact-desk"
        and len(request.headers["transId"]) <= 32
    )
    assert request.url.params["returnSignature"] == "true"


@respx.mock
def test_tw0001_in_a_200_or_a_404_is_not_found() -> None:
    respx.post(TOKEN).mock(return_value=token())
    respx.get(TRACK).mock(
        side_effect=[
            httpx.Response(200, json=payload("ups_not_found.json")),
            httpx.Response(404, json=payload("ups_not_found.json")),
        ]
    )
    ups_api, _ = adapter()
    for _ in range(2):
        with pytest.raises(NotFound, match="TW0001"):
            ups_api.trace(NUMBER, NOW)


@respx.mock
def test_an_invalid_number_is_refused_and_bad_auth_refreshes_then_fails() -> None:
    respx.post(TOKEN).mock(return_value=token())
    respx.get(TRACK).mock(
        side_effect=[
            httpx.Response(400, json=payload("ups_invalid_number.json")),
            httpx.Response(401, json=payload("ups_auth_error.json")),
            httpx.Response(401, json=payload("ups_auth_error.json")),
        ]
    )
    ups_api, _ = adapter()
    with pytest.raises(Refused, match="TV1002"):
        ups_api.trace(NUMBER, NOW)
    with pytest.raises(VendorAuthError, match="250003"):
        ups_api.trace(NUMBER, NOW)


@respx.mock
def test_a_429_on_the_token_endpoint_is_retried_after_the_wait() -> None:
    respx.post(TOKEN).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "2"}, json=payload("ups_quota.json")),
            token(),
        ]
    )
    respx.get(TRACK).mock(return_value=httpx.Response(200, json=delivered()))
    ups_api, sleeps = adapter()
    ups_api.trace(NUMBER, NOW)
    assert 2.0 in sleeps


@respx.mock
def test_ups_has_no_trace_api_so_a_person_files_it() -> None:
    respx.post(TOKEN).mock(return_value=token())
    respx.get(TRACK).mock(return_value=httpx.Response(200, json=delivered()))
    ups_api, _ = adapter()
    with pytest.raises(SearchNeedsOperator) as need:
        ups_api.file_search(NUMBER, "misdelivery", NOW, "c-1:search")
    request = need.value.request
    assert request.carrier == Carrier.ups and request.tracking == NUMBER
    assert request.mailing_date == datetime(2024, 6, 10, 21, 30, tzinfo=UTC)  # the pickup scan
