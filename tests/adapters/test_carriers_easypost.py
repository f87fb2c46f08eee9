"""EasyPost Trackers and Claims: the documented Tracker (aggregators.md, E1/E2/E3), a tracker
found before one is bought, claims filed once per number, and a refused claim handed to a
person."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx
from pydantic import SecretStr

from desk.adapters.carriers import easypost
from desk.adapters.carriers.common import CarrierErrorResponse, CarrierFormatError
from desk.adapters.carriers.easypost import EasypostSettings, EasypostTracking
from desk.adapters.carriers.search import ParcelDetails, SearchNeedsOperator
from desk.models import Carrier, ExceptionKind, ScanStatus
from desk.ports import Refused
from tests.adapters.carrier_kit import Sleeps, payload, reading

BASE = "https://api.easypost.test/v2"
NUMBER = "9405500207552011812894"
NOW = datetime(2024, 2, 1, tzinfo=UTC)


def adapter(**kw: Any) -> tuple[EasypostTracking, Sleeps]:
    sleeps = Sleeps()
    settings = EasypostSettings(
        api_key=SecretStr("EZTK-key"),
        base_url=BASE,
        claim_email=kw.pop("claim_email", "claims@shop.example"),
    )
    return EasypostTracking(settings, sleep=sleeps, **kw), sleeps


def listing(*trackers: dict[str, Any]) -> httpx.Response:
    return httpx.Response(200, json={"trackers": list(trackers), "has_more": False})


def claims(*found: dict[str, Any]) -> httpx.Response:
    return httpx.Response(200, json={"claims": list(found), "has_more": False})


# ---------------------------------------------------------------- parse (no HTTP)


def test_the_documented_pre_transit_tracker_is_not_shipped() -> None:
    shipment = easypost.parse(payload("easypost_tracker_pre_transit.json"))
    assert shipment.carrier == Carrier.usps and shipment.tracking == NUMBER
    assert [e.status for e in shipment.events] == [ScanStatus.label_created]
    assert shipment.events[0].city == "HOUSTON"
    assert shipment.service == "first_class_package_service"
    assert reading(shipment).status == "not_shipped"


def test_signed_by_is_a_signature_on_the_delivery() -> None:
    shipment = easypost.parse(payload("easypost_tracker_delivered.json"))
    assert [e.status for e in shipment.events] == [
        ScanStatus.label_created,
        ScanStatus.accepted,
        ScanStatus.in_transit,
        ScanStatus.out_for_delivery,
        ScanStatus.delivered,
    ]
    assert (
        shipment.events[-1].signature and "signed for by J SMITH" in shipment.events[-1].description
    )
    read = reading(shipment)
    assert read.proof == "strong" and "signature" in read.proof_facts


def test_without_a_signer_a_porch_delivery_is_weak() -> None:
    body = payload("easypost_tracker_delivered.json") | {"signed_by": None}
    assert reading(easypost.parse(body)).proof == "weak"


@pytest.mark.parametrize(
    ("detail", "kind"),
    [
        ({"status": "failure", "status_detail": "lost", "message": "Lost"}, ExceptionKind.lost),
        (
            {"status": "failure", "status_detail": "damaged", "message": "Damaged"},
            ExceptionKind.damaged,
        ),
        (
            {
                "status": "return_to_sender",
                "status_detail": "return",
                "message": "Return to sender",
            },
            ExceptionKind.return_to_sender,
        ),
    ],
)
def test_failures_that_name_a_kind_are_exceptions(
    detail: dict[str, str], kind: ExceptionKind
) -> None:
    body = payload("easypost_tracker_delivered.json")
    body["tracking_details"][-1] |= detail
    read = reading(easypost.parse(body))
    assert read.status == "exception" and read.exception == kind


def test_a_failed_attempt_is_still_in_transit() -> None:
    body = payload("easypost_tracker_delivered.json")
    body["tracking_details"][-1] |= {
        "status": "failure",
        "status_detail": "delivery_exception",
        "message": "Notice Left (No Authorized Recipient Available)",
    }
    assert reading(easypost.parse(body)).status == "in_transit"


def test_a_webhook_event_and_a_list_are_read_too() -> None:
    tracker = payload("easypost_tracker_delivered.json")
    event = {"object": "Event", "description": "tracker.updated", "result": tracker}
    assert easypost.parse(event).events[-1].status == ScanStatus.delivered
    older = payload("easypost_tracker_pre_transit.json")
    assert easypost.parse({"trackers": [older, tracker]}).events[-1].status == ScanStatus.delivered


def test_errors_and_other_files_are_told_apart() -> None:
    with pytest.raises(CarrierErrorResponse, match="PARAMETER.REQUIRED"):
        easypost.parse(payload("easypost_error.json"))
    with pytest.raises(CarrierFormatError, match="tracking_details"):
        easypost.parse(payload("usps_delivered_mailbox.json"))
    with pytest.raises(CarrierFormatError, match="carrier"):
        easypost.parse(payload("easypost_tracker_delivered.json") | {"carrier": "OnTrac"})


@pytest.mark.parametrize(
    ("status", "detail", "case"),
    [
        ("submitted", "Claim was created.", "open"),
        ("in_review", "", "open"),
        ("approved", "", "not_found"),
        ("rejected", "Claim rejected: the carrier reports the package delivered.", "found"),
        ("rejected", "Outside the filing window.", "not_found"),
        ("cancelled", "", "not_found"),
    ],
)
def test_claim_statuses_as_a_carrier_case(status: str, detail: str, case: str) -> None:
    claim = payload("easypost_claim.json") | {"status": status, "status_detail": detail}
    assert easypost.claim_status(claim) == case


# ---------------------------------------------------------------- trackers over HTTP


@respx.mock
def test_a_registered_tracker_is_found_before_a_new_one_is_bought() -> None:
    listed = respx.get(f"{BASE}/trackers").mock(
        return_value=listing(payload("easypost_tracker_delivered.json"))
    )
    created = respx.post(f"{BASE}/trackers")
    respx.get(f"{BASE}/claims").mock(return_value=claims())
    ep, _ = adapter()
    result = ep.trace(NUMBER, NOW, carrier=Carrier.usps)
    assert result.shipment.events[-1].status == ScanStatus.delivered and result.case is None
    assert not created.called
    request = listed.calls[0].request
    assert (
        request.url.params["tracking_codes[]"] == NUMBER and request.url.params["carrier"] == "USPS"
    )
    assert request.headers["authorization"] == "Basic " + base64.b64encode(b"EZTK-key:").decode()


@respx.mock
def test_an_unregistered_number_gets_a_tracker() -> None:
    respx.get(f"{BASE}/trackers").mock(return_value=listing())
    created = respx.post(f"{BASE}/trackers").mock(
        return_value=httpx.Response(201, json=payload("easypost_tracker_pre_transit.json"))
    )
    respx.get(f"{BASE}/claims").mock(return_value=claims())
    ep, _ = adapter()
    result = ep.trace(NUMBER, NOW, carrier=Carrier.usps)
    assert json.loads(created.calls[0].request.content) == {
        "tracker": {"tracking_code": NUMBER, "carrier": "USPS"}
    }
    assert [e.status for e in result.shipment.events] == [ScanStatus.label_created]


@respx.mock
def test_a_429_is_retried_after_the_wait() -> None:
    rate_limited = {"error": {"code": "RATE_LIMITED", "message": "Too many requests", "errors": []}}
    respx.get(f"{BASE}/trackers").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "1"}, json=rate_limited),
            listing(payload("easypost_tracker_delivered.json")),
        ]
    )
    respx.get(f"{BASE}/claims").mock(return_value=claims())
    ep, sleeps = adapter()
    ep.trace(NUMBER, NOW)
    assert 1.0 in sleeps


# ---------------------------------------------------------------- claims over HTTP


@respx.mock
def test_a_loss_claim_is_filed_with_the_insured_amount_and_its_id_is_the_case() -> None:
    tracker = payload("easypost_tracker_delivered.json")
    respx.get(f"{BASE}/trackers").mock(return_value=listing(tracker))
    respx.get(f"{BASE}/claims").mock(return_value=claims())
    respx.get(f"{BASE}/shipments/{tracker['shipment_id']}").mock(
        return_value=httpx.Response(200, json={"id": tracker["shipment_id"], "insurance": "100.00"})
    )
    claim = payload("easypost_claim.json") | {"type": "loss", "tracking_code": NUMBER}
    filed = respx.post(f"{BASE}/claims").mock(return_value=httpx.Response(201, json=claim))
    ep, _ = adapter()
    case = ep.file_search(
        NUMBER, "delivered, not received", NOW, "c-9:search", carrier=Carrier.usps
    )
    assert case.case_number == "clm_097eb623597146bab94e9ef701364d4f"
    assert case.kind == "claim" and case.status == "open" and case.carrier == Carrier.usps
    assert json.loads(filed.calls[0].request.content) == {
        "type": "loss",
        "tracking_code": NUMBER,
        "amount": "100.00",
        "description": "delivered, not received (desk request c-9:search)",
        "contact_email": "claims@shop.example",
    }


@respx.mock
def test_a_claim_already_filed_for_the_number_is_returned_not_filed_again() -> None:
    existing = payload("easypost_claim.json") | {"tracking_code": NUMBER, "status": "approved"}
    respx.get(f"{BASE}/trackers").mock(
        return_value=listing(payload("easypost_tracker_delivered.json"))
    )
    respx.get(f"{BASE}/claims").mock(return_value=claims(existing))
    filed = respx.post(f"{BASE}/claims")
    ep, _ = adapter()
    case = ep.file_search(NUMBER, "lost in transit", NOW, "another-key", carrier=Carrier.usps)
    assert case.case_number == existing["id"] and case.status == "not_found"
    assert case.reason == "Test description"  # the first claim's, as the port promises
    assert not filed.called
    traced = ep.trace(NUMBER, datetime(2024, 8, 1, tzinfo=UTC), carrier=Carrier.usps)
    assert traced.case is not None and traced.case.case_number == existing["id"]
    before = ep.trace(NUMBER, NOW, carrier=Carrier.usps)
    assert before.case is None  # filed after as_of


@respx.mock
def test_a_refused_claim_goes_to_a_person_with_easyposts_reason() -> None:
    tracker = payload("easypost_tracker_delivered.json") | {"shipment_id": None}
    respx.get(f"{BASE}/trackers").mock(return_value=listing(tracker))
    respx.get(f"{BASE}/claims").mock(return_value=claims())
    window = (
        "Claims for this insurance policy must be filed between 15-60 days relative to the "
        "date of insurance creation."
    )
    respx.post(f"{BASE}/claims").mock(
        return_value=httpx.Response(
            422, json={"error": {"code": "CLAIM.INVALID", "message": window, "errors": []}}
        )
    )
    ep, _ = adapter(details=lambda n: ParcelDetails(contents=["Sun hat"], value=45.0))
    with pytest.raises(SearchNeedsOperator) as need:
        ep.file_search(NUMBER, "lost in transit", NOW, "c-1:search", carrier=Carrier.usps)
    request = need.value.request
    assert request.carrier == Carrier.usps and "15-60 days" in request.reason
    assert request.contents == "Sun hat" and request.value == 45.0


@respx.mock
def test_without_an_amount_or_a_contact_email_no_claim_is_attempted() -> None:
    tracker = payload("easypost_tracker_delivered.json") | {"shipment_id": None}
    respx.get(f"{BASE}/trackers").mock(return_value=listing(tracker))
    respx.get(f"{BASE}/claims").mock(return_value=claims())
    filed = respx.post(f"{BASE}/claims")
    ep, _ = adapter()
    with pytest.raises(SearchNeedsOperator):
        ep.file_search(NUMBER, "lost in transit", NOW, "k", carrier=Carrier.usps)
    no_email, _ = adapter(claim_email=None, details=lambda n: ParcelDetails(value=20.0))
    with pytest.raises(SearchNeedsOperator):
        no_email.file_search(NUMBER, "lost in transit", NOW, "k", carrier=Carrier.usps)
    assert not filed.called


@respx.mock
def test_a_key_without_claim_rights_still_traces() -> None:
    respx.get(f"{BASE}/trackers").mock(
        return_value=listing(payload("easypost_tracker_delivered.json"))
    )
    respx.get(f"{BASE}/claims").mock(
        return_value=httpx.Response(403, json={"error": {"code": "FORBIDDEN", "message": "no"}})
    )
    ep, _ = adapter()
    assert ep.trace(NUMBER, NOW, carrier=Carrier.usps).case is None
    with pytest.raises(Refused):
        ep.file_search(NUMBER, "lost", NOW, "k", carrier=Carrier.usps)
