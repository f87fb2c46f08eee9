"""AfterShip Tracking: checkpoints with GPS (near: strong, far: misdelivered), tags and
subtags, delivery_location_type, 4003 / 4004."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx
from pydantic import SecretStr

from desk.adapters.carriers import aftership
from desk.adapters.carriers.aftership import AftershipSettings, AftershipTracking
from desk.adapters.carriers.common import CarrierFormatError, TrackingNotFound
from desk.adapters.carriers.search import SearchNeedsOperator
from desk.models import Address, Carrier, ExceptionKind, ScanStatus
from desk.ports import NotFound
from tests.adapters.carrier_kit import Sleeps, payload, reading

BASE = "https://api.aftership.test/tracking/2025-01"
NUMBER = "9405511202575421535949"
NOW = datetime(2025, 3, 5, tzinfo=UTC)
# The delivered checkpoint's coordinate is 30.27, -97.74.
NEAR = Address(
    line1="1 Congress Ave",
    city="Austin",
    postal_code="78701",
    country="US",
    lat=30.2705,
    lon=-97.7402,
)
FAR = Address(
    line1="9 Far Rd", city="Austin", postal_code="78701", country="US", lat=30.30, lon=-97.74
)


def tracking(**changes: Any) -> dict[str, Any]:
    body = payload("aftership_delivered.json")
    body["data"] |= changes
    return body


def test_a_porch_delivery_with_gps_at_the_door_is_strong_and_far_is_misdelivered() -> None:
    shipment = aftership.parse(payload("aftership_delivered.json"))
    delivered = shipment.events[-1]
    assert delivered.status == ScanStatus.delivered and (delivered.lat, delivered.lon) == (
        30.27,
        -97.74,
    )
    assert delivered.at == datetime(2025, 3, 4, 18, 2, tzinfo=UTC)
    assert reading(shipment).proof == "weak"  # no address coordinates: the porch alone
    assert reading(shipment, address=NEAR).proof == "strong"
    far = reading(shipment, address=FAR)
    assert far.proof == "misdelivered" and "from the address" in far.proof_facts[0]


@pytest.mark.parametrize(
    ("changes", "proof"),
    [
        ({"signed_by": "M GARCIA"}, "strong"),
        ({"delivery_location_type": "locker"}, "strong"),
        ({"delivery_location_type": "mailbox"}, "weak"),
    ],
)
def test_signed_by_and_the_location_type(changes: dict[str, Any], proof: str) -> None:
    body = tracking(**changes)
    body["data"]["checkpoints"][0].pop("coordinate")
    assert reading(aftership.parse(body)).proof == proof


def test_exception_subtags_and_words() -> None:
    body = payload("aftership_delivered.json")
    point = body["data"]["checkpoints"][0]
    point |= {"tag": "Exception", "subtag": "Exception_011", "message": "Returned to shipper"}
    read = reading(aftership.parse(body))
    assert read.status == "exception" and read.exception == ExceptionKind.return_to_sender
    point |= {"subtag": "Exception_005", "message": "Delayed (weather)"}
    assert reading(aftership.parse(body)).status == "in_transit"


def test_not_found_and_other_files() -> None:
    with pytest.raises(TrackingNotFound, match="4004"):
        aftership.parse(payload("aftership_not_found.json"))
    with pytest.raises(CarrierFormatError, match="checkpoints"):
        aftership.parse(payload("fedex_delivered.json"))


@respx.mock
def test_a_registered_tracking_is_found_or_registered_once() -> None:
    sleeps = Sleeps()
    api = AftershipTracking(
        AftershipSettings(api_key=SecretStr("as-key"), base_url=BASE), sleep=sleeps
    )
    empty = {"meta": {"code": 200}, "data": {"trackings": []}}
    found = {
        "meta": {"code": 200},
        "data": {"trackings": [payload("aftership_delivered.json")["data"]]},
    }
    listed = respx.get(f"{BASE}/trackings").mock(
        side_effect=[httpx.Response(200, json=empty), httpx.Response(200, json=found)]
    )
    exists = {
        "meta": {"code": 4003, "message": "Tracking already exists.", "type": "BadRequest"},
        "data": {},
    }
    created = respx.post(f"{BASE}/trackings").mock(return_value=httpx.Response(400, json=exists))
    result = api.trace(NUMBER, NOW, carrier=Carrier.usps)
    assert result.shipment.events[-1].status == ScanStatus.delivered
    assert json.loads(created.calls[0].request.content) == {
        "tracking_number": NUMBER,
        "slug": "usps",
    }
    assert listed.calls[0].request.headers["as-api-key"] == "as-key"
    assert listed.calls[0].request.url.params["tracking_numbers"] == NUMBER


@respx.mock
def test_an_unknown_number_is_not_found_and_searches_go_to_a_person() -> None:
    api = AftershipTracking(AftershipSettings(api_key=SecretStr("as-key"), base_url=BASE))
    respx.get(f"{BASE}/trackings").mock(
        return_value=httpx.Response(200, json={"meta": {"code": 200}, "data": {"trackings": []}})
    )
    invalid = {
        "meta": {
            "code": 4005,
            "message": "The value of `tracking_number` is invalid.",
            "type": "BadRequest",
        },
        "data": {},
    }
    respx.post(f"{BASE}/trackings").mock(return_value=httpx.Response(400, json=invalid))
    with pytest.raises(NotFound, match="4005"):
        api.trace("NOPE", NOW)
    with pytest.raises(SearchNeedsOperator) as need:
        api.file_search("NOPE", "lost", NOW, "k", carrier=Carrier.dhl)
    assert need.value.request.carrier == Carrier.dhl
