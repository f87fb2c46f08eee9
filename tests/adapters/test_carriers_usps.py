"""USPS Tracking v3: the recorded shapes (vendor notes, usps_tracking_v3.md) read by the
desk as the sandbox's scans are; OAuth token caching and refresh; the errors USPS answers;
the Missing Mail search handed to a person."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx
from pydantic import SecretStr

from activities.carrier_search import CarrierSearchActivities
from desk.adapters.carriers import usps
from desk.adapters.carriers.common import CarrierErrorResponse, CarrierFormatError
from desk.adapters.carriers.search import (
    ParcelDetails,
    Party,
    SearchNeedsOperator,
    ShipFromSettings,
    earliest_filing,
    missing_fields,
)
from desk.adapters.carriers.usps import UspsSettings, UspsTracking
from desk.adapters.http import VendorAuthError
from desk.adapters.sandbox import SandboxShop
from desk.config import ConfigError
from desk.models import Address, Carrier, ExceptionKind, ScanStatus
from desk.ports import Refused, Unavailable
from tests.adapters.carrier_kit import Clock, Sleeps, payload, reading

BASE = "https://apis.usps.test"
NUMBER = "9261290289104185136058"
TRACK = f"{BASE}/tracking/v3/tracking/{NUMBER}"
TOKEN = f"{BASE}/oauth2/v3/token"


def adapter(**kw: Any) -> tuple[UspsTracking, Sleeps, Clock]:
    sleeps, clock = Sleeps(), Clock()
    settings = UspsSettings(
        client_id="consumer-key", client_secret=SecretStr("s3cr3t"), base_url=BASE
    )
    return UspsTracking(settings, sleep=sleeps, clock=clock, **kw), sleeps, clock


def token(value: str = "usps-access-token-1", expires: str = "14399") -> httpx.Response:
    body = payload("usps_token.json") | {"access_token": value, "expires_in": expires}
    return httpx.Response(200, json=body)


# ---------------------------------------------------------------- parse (no HTTP)


def test_a_mailbox_delivery_is_weak_proof_and_events_come_oldest_first() -> None:
    shipment = usps.parse(payload("usps_delivered_mailbox.json"))
    assert shipment.carrier == Carrier.usps and shipment.tracking == NUMBER
    assert [e.status for e in shipment.events] == [
        ScanStatus.label_created,
        ScanStatus.out_for_delivery,
        ScanStatus.delivered,
    ]
    delivered = shipment.events[-1]
    assert delivered.at == datetime(2024, 11, 23, 19, 10, 9, tzinfo=UTC)  # GMTTimestamp
    assert delivered.city == "MILWAUKEE" and not delivered.photo and not delivered.signature
    read = reading(shipment)
    assert read.status == "delivered" and read.proof == "weak"
    assert read.delivered_at == delivered.at


def test_an_event_without_gmt_fields_is_read_in_the_offset_the_others_give() -> None:
    label = usps.parse(payload("usps_delivered_mailbox.json")).events[0]
    # "2024-11-19T09:27:00" local, no GMTTimestamp/GMTOffset; the others say -06:00.
    assert label.at == datetime(2024, 11, 19, 15, 27, tzinfo=UTC)


@pytest.mark.parametrize(
    ("fixture", "proof"),
    [
        ("usps_delivered_mailbox.json", "weak"),
        ("usps_delivered_front_door.json", "weak"),
        ("usps_delivered_parcel_locker.json", "strong"),
        ("usps_delivered_left_with_individual.json", "strong"),
    ],
)
def test_the_delivery_place_is_read_from_the_event_text(fixture: str, proof: str) -> None:
    read = reading(usps.parse(payload(fixture)))
    assert read.status == "delivered" and read.proof == proof


def test_a_signer_name_is_a_signature() -> None:
    body = payload("usps_delivered_mailbox.json")
    body["trackingEvents"][0] |= {"name": "J SMITH", "authorizedAgent": "false"}
    delivered = usps.parse(body).events[-1]
    assert delivered.signature and "signed for by J SMITH" in delivered.description
    read = reading(usps.parse(body))
    assert read.proof == "strong" and "signature" in read.proof_facts


def test_booleans_as_strings_services_as_a_string_and_unknown_fields_are_fine() -> None:
    body = payload("usps_delivered_parcel_locker.json")
    assert isinstance(body["services"], str)
    body["trackingEvents"][0] |= {"veriPoint": "true", "brandNewField": {"x": 1}}
    body["somethingNew"] = [1, 2]
    shipment = usps.parse(body)
    assert shipment.service == "ground_advantage"  # "USPS Ground Advantage<SUP>&#153;</SUP>"
    assert "veriPoint" in shipment.events[-1].description


def test_in_transit_with_an_expected_date_is_late_the_day_after_and_stalled_later() -> None:
    shipment = usps.parse(payload("usps_in_transit.json"))
    # "2024-11-29T00:00:00": a date; by the end of that day, local (-05:00).
    assert shipment.expected_delivery == datetime(2024, 11, 30, 4, 59, 59, tzinfo=UTC)
    assert [e.status for e in shipment.events][1:] == [ScanStatus.accepted, ScanStatus.in_transit]
    on_the_day = reading(shipment, datetime(2024, 11, 29, 20, tzinfo=UTC))
    assert on_the_day.status == "in_transit" and not on_the_day.late
    late = reading(shipment, datetime(2024, 12, 1, tzinfo=UTC))
    assert late.late and not late.stalled
    stalled = reading(shipment, datetime(2024, 12, 4, tzinfo=UTC))
    assert stalled.late and stalled.stalled


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Alert: item could not be located, presumed lost", ExceptionKind.lost),
        ("Addressee Unknown, Return to Sender Processed", ExceptionKind.return_to_sender),
        ("Delivered, To Original Sender", ExceptionKind.return_to_sender),
        ("Item Damaged", ExceptionKind.damaged),
    ],
)
def test_exceptions_are_read_from_the_words(text: str, kind: ExceptionKind) -> None:
    body = payload("usps_in_transit.json")
    body["trackingEvents"][0] |= {"eventType": text, "eventCode": ""}
    read = reading(usps.parse(body))
    assert read.status == "exception" and read.exception == kind


def test_a_delay_alert_stays_in_transit() -> None:
    body = payload("usps_in_transit.json")
    body["trackingEvents"][0] |= {"eventType": "In Transit, Arriving Late", "eventCode": ""}
    assert reading(usps.parse(body)).status == "in_transit"


def test_not_yet_available_is_a_shipment_with_no_scans() -> None:
    shipment = usps.parse(payload("usps_not_yet_available.json"))
    assert shipment.events == [] and reading(shipment).status == "not_shipped"


def test_a_file_that_is_not_usps_names_the_field() -> None:
    with pytest.raises(CarrierFormatError, match="trackingNumber"):
        usps.parse(payload("ups_delivered_front_door.json"))
    with pytest.raises(CarrierFormatError, match="trackingEvents"):
        usps.parse({"trackingNumber": NUMBER, "trackingEvents": "nope"})
    with pytest.raises(CarrierErrorResponse, match="429"):
        usps.parse(payload("usps_429.json"))


# ---------------------------------------------------------------- the adapter over HTTP


@respx.mock
def test_the_token_is_fetched_once_and_reused_then_refreshed_before_it_expires() -> None:
    auth = respx.post(TOKEN).mock(side_effect=[token("t1", "3600"), token("t2", "3600")])
    track = respx.get(TRACK).mock(
        return_value=httpx.Response(200, json=payload("usps_delivered_mailbox.json"))
    )
    usps_api, _, clock = adapter()
    now = datetime(2024, 12, 1, tzinfo=UTC)
    usps_api.trace(NUMBER, now)
    usps_api.trace(NUMBER, now)
    assert auth.call_count == 1 and track.call_count == 2
    form = dict(httpx.QueryParams(auth.calls[0].request.content.decode()))
    assert form == {
        "grant_type": "client_credentials",
        "client_id": "consumer-key",
        "client_secret": "s3cr3t",
        "scope": "tracking",
    }
    assert track.calls[0].request.headers["authorization"] == "Bearer t1"
    assert track.calls[0].request.url.params["expand"] == "DETAIL"
    clock.now += 3600  # past expiry (less the margin)
    usps_api.trace(NUMBER, now)
    assert auth.call_count == 2 and track.calls[-1].request.headers["authorization"] == "Bearer t2"


@respx.mock
def test_a_401_fetches_a_new_token_once_then_is_an_auth_error() -> None:
    respx.post(TOKEN).mock(side_effect=[token("old"), token("new"), token("newer")])
    unauthorized = httpx.Response(
        401, json={"apiVersion": "/tracking/v3", "error": {"code": "401"}}
    )
    respx.get(TRACK).mock(
        side_effect=[
            unauthorized,
            httpx.Response(200, json=payload("usps_delivered_mailbox.json")),
            unauthorized,
            unauthorized,
        ]
    )
    usps_api, _, _ = adapter()
    result = usps_api.trace(NUMBER, datetime(2024, 12, 1, tzinfo=UTC))
    assert result.shipment.events[-1].status == ScanStatus.delivered
    with pytest.raises(VendorAuthError):
        usps_api.trace(NUMBER, datetime(2024, 12, 1, tzinfo=UTC))


@respx.mock
def test_bad_credentials_are_an_auth_error_that_names_no_secret() -> None:
    respx.post(TOKEN).mock(
        return_value=httpx.Response(401, json=payload("usps_token_invalid.json"))
    )
    usps_api, _, _ = adapter()
    with pytest.raises(VendorAuthError) as err:
        usps_api.trace(NUMBER, datetime(2024, 12, 1, tzinfo=UTC))
    assert "invalid_client" in str(err.value) and "s3cr3t" not in str(err.value)


@respx.mock
def test_not_yet_available_over_http_is_no_scans_not_an_error() -> None:
    respx.post(TOKEN).mock(return_value=token())
    respx.get(TRACK).mock(
        return_value=httpx.Response(400, json=payload("usps_not_yet_available.json"))
    )
    usps_api, _, _ = adapter()
    result = usps_api.trace(NUMBER, datetime(2024, 12, 1, tzinfo=UTC))
    assert result.shipment.tracking == NUMBER and result.shipment.events == []


@respx.mock
def test_another_400_is_refused_and_a_403_is_an_auth_error() -> None:
    respx.post(TOKEN).mock(return_value=token())
    respx.get(TRACK).mock(
        side_effect=[
            httpx.Response(
                400,
                json={
                    "apiVersion": "/tracking/v3",
                    "error": {"code": "400", "message": "Invalid tracking number"},
                },
            ),
            httpx.Response(403, json=payload("usps_403.json")),
        ]
    )
    usps_api, _, _ = adapter()
    with pytest.raises(Refused, match="Invalid tracking number"):
        usps_api.trace(NUMBER, datetime(2024, 12, 1, tzinfo=UTC))
    with pytest.raises(VendorAuthError, match="Access Controls"):
        usps_api.trace(NUMBER, datetime(2024, 12, 1, tzinfo=UTC))


@respx.mock
def test_a_429_waits_as_long_as_usps_asks_then_succeeds() -> None:
    respx.post(TOKEN).mock(return_value=token())
    respx.get(TRACK).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "30"}, json=payload("usps_429.json")),
            httpx.Response(200, json=payload("usps_delivered_mailbox.json")),
        ]
    )
    usps_api, sleeps, _ = adapter()
    usps_api.trace(NUMBER, datetime(2024, 12, 1, tzinfo=UTC))
    assert 30.0 in sleeps


@respx.mock
def test_a_quota_wait_longer_than_a_thread_should_is_left_to_the_retry_policy() -> None:
    respx.post(TOKEN).mock(return_value=token())
    respx.get(TRACK).mock(
        return_value=httpx.Response(
            429, headers={"Retry-After": "3600"}, json=payload("usps_429.json")
        )
    )
    usps_api, _, _ = adapter()
    with pytest.raises(Unavailable, match="asks to wait 3600s"):
        usps_api.trace(NUMBER, datetime(2024, 12, 1, tzinfo=UTC))


@respx.mock
def test_as_of_hides_what_the_carrier_scanned_later() -> None:
    respx.post(TOKEN).mock(return_value=token())
    respx.get(TRACK).mock(
        return_value=httpx.Response(200, json=payload("usps_delivered_mailbox.json"))
    )
    usps_api, _, _ = adapter()
    before = usps_api.trace(NUMBER, datetime(2024, 11, 23, 15, tzinfo=UTC))
    assert [e.status for e in before.shipment.events] == [
        ScanStatus.label_created,
        ScanStatus.out_for_delivery,
    ]


# ---------------------------------------------------------------- the Missing Mail search


SHIP_FROM = ShipFromSettings(
    name="Returns desk",
    company="Shop Inc",
    line1="1 Depot Rd",
    city="Chicago",
    region="IL",
    postal_code="60601",
    email="ops@shop.example",
    phone="+13125550100",
    container="box 12x10x4 in",
)


def details(tracking: str) -> ParcelDetails:
    return ParcelDetails(
        recipient=Party(
            name="Dana Reyes",
            address=Address(
                line1="12 Elm St", city="Milwaukee", region="WI", postal_code="53207", country="US"
            ),
            email="dana@example.com",
        ),
        contents=["Black tee, M x2"],
        value=64.0,
    )


@respx.mock
def test_file_search_hands_the_missing_mail_request_to_a_person() -> None:
    respx.post(TOKEN).mock(return_value=token())
    respx.get(TRACK).mock(return_value=httpx.Response(200, json=payload("usps_in_transit.json")))
    usps_api, _, _ = adapter(ship_from=SHIP_FROM, details=details)
    filed_at = datetime(2024, 12, 4, tzinfo=UTC)
    with pytest.raises(SearchNeedsOperator) as need:
        usps_api.file_search(NUMBER, "lost in transit", filed_at, "contact-order-41880:search")
    request = need.value.request
    assert request.carrier == Carrier.usps and request.tracking == NUMBER
    assert request.reason == "lost in transit"
    assert request.sender_name == "Returns desk, Shop Inc"
    assert request.sender_address == "1 Depot Rd, Chicago, IL, 60601, US"
    assert request.recipient_name == "Dana Reyes" and request.recipient_email == "dana@example.com"
    assert request.recipient_address == "12 Elm St, Milwaukee, WI, 53207, US"
    assert request.container == "box 12x10x4 in"
    assert request.mailing_date == datetime(2024, 11, 25, 14, 31, 2, tzinfo=UTC)  # acceptance
    assert request.contents == "Black tee, M x2" and request.value == 64.0
    assert missing_fields(request) == []
    assert earliest_filing(request) == datetime(2024, 12, 2, 14, 31, 2, tzinfo=UTC)


@respx.mock
def test_without_the_merchants_details_the_request_says_what_is_missing() -> None:
    respx.post(TOKEN).mock(return_value=token())
    respx.get(TRACK).mock(return_value=httpx.Response(503, text="down"))
    usps_api, _, _ = adapter()
    with pytest.raises(SearchNeedsOperator) as need:
        usps_api.file_search(NUMBER, "misdelivery", datetime(2024, 12, 4, tzinfo=UTC), "k")
    assert missing_fields(need.value.request) == [
        "sender_name",
        "sender_address",
        "recipient_name",
        "recipient_address",
        "mailing_date",
        "contents",
        "value",
    ]


@respx.mock
def test_the_carrier_search_activity_turns_it_into_one_task_for_a_person() -> None:
    respx.post(TOKEN).mock(return_value=token())
    respx.get(TRACK).mock(return_value=httpx.Response(200, json=payload("usps_in_transit.json")))
    store = SandboxShop("sqlite://")
    store.create_all()
    usps_api, _, _ = adapter(ship_from=SHIP_FROM, details=details)
    search = CarrierSearchActivities(usps_api, store)
    at = datetime(2024, 12, 4, tzinfo=UTC)
    case = search.file_carrier_search(NUMBER, "lost in transit", at, "contact-order-41880:search")
    again = search.file_carrier_search(NUMBER, "lost in transit", at, "contact-order-41880:search")
    assert case.case_number == again.case_number == "TASK-1"
    assert case.kind == "missing_mail_search"
    [task] = store.open_tasks()
    assert task.request.recipient_address.startswith("12 Elm St")
    assert task.request.sender_address.startswith("1 Depot Rd")


def test_settings_come_from_desk_usps_variables_and_name_a_bad_one() -> None:
    settings = UspsSettings.from_env(
        {
            "DESK_USPS_CLIENT_ID": "key",
            "DESK_USPS_CLIENT_SECRET": "hunter2",
            "DESK_USPS_QUOTA_PER_HOUR": "",
        }
    )
    assert settings.client_secret.get_secret_value() == "hunter2" and settings.quota_per_hour == 60
    assert "hunter2" not in repr(settings)
    with pytest.raises(ConfigError, match="DESK_USPS_CLIENT_SECRET"):
        UspsSettings.from_env({"DESK_USPS_CLIENT_ID": "key"})
    with pytest.raises(ConfigError, match="DESK_USPS_QUOTA_PER_HOUR"):
        UspsSettings.from_env(
            {
                "DESK_USPS_CLIENT_ID": "k",
                "DESK_USPS_CLIENT_SECRET": "s",
                "DESK_USPS_QUOTA_PER_HOUR": "0",
            }
        )


def test_summary_responses_are_read_from_their_sentences() -> None:
    # The older envelope in USPS's own README (S2), and the spec's TrackingSummary.
    older = {
        "TrackResults": {
            "RequestSeqNumber": None,
            "TrackInfo": {
                "@ID": "XXXXXXXXXXXXXXXXXXXX",
                "TrackSummary": "USPS is now in possession of your item as of 7:31 am on "
                "February 15, 2023 in RICHMOND, VA 23227.",
            },
        }
    }
    [accepted] = usps.parse(older).events
    assert accepted.status == ScanStatus.accepted and accepted.city == "RICHMOND"
    assert accepted.at == datetime(2023, 2, 15, 7, 31, tzinfo=UTC)
    summary = {
        "trackingNumber": NUMBER,
        "expectedDeliveryDate": "2024-11-23",
        "eventSummaries": [
            "Your item was delivered to an individual at the address at 1:10 pm on "
            "November 23, 2024 in MILWAUKEE, WI 53207.",
            "Your item is out for delivery at 8:28 am on November 23, 2024 in MILWAUKEE, WI 53207.",
        ],
    }
    shipment = usps.parse(summary)
    assert [e.status for e in shipment.events] == [
        ScanStatus.out_for_delivery,
        ScanStatus.delivered,
    ]
    assert reading(shipment).proof == "strong"  # "delivered to an individual"
