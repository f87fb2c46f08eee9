"""The playbooks' rules as pure functions, called directly (no Temporal): what "shipped"
means, when a message goes to a person, the course of a followed parcel, the proof and
tier branches of a not-received claim, cancellations, items, the escalation ladder and the
reopen window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from desk.config import PolicyConfig
from desk.models import (
    Address,
    Carrier,
    CarrierCase,
    CarrierReading,
    Customer,
    EscalationReason,
    ExceptionKind,
    Intent,
    Order,
    OrderLine,
    OrderStatus,
    ResolutionKind,
    ScanEvent,
    ScanStatus,
    Shipment,
    Tier,
    Understanding,
)
from desk.policy import delivered_not_received as dnr
from desk.policy import escalation as ladder
from desk.policy import where_is_my_order as wismo
from desk.policy.address import complete_address
from desk.policy.after_resolution import Reaction, dispute_reason, reaction
from desk.policy.cancellation import plan_cancellation
from desk.policy.intents import handover, unclear
from desk.policy.items import has_photo, lines_named, return_label_needed
from desk.policy.reship_or_refund import whole_order
from desk.policy.rules import Rule
from desk.policy.shipped import has_shipped, is_carrier_scan, shipped_skus

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
CFG = PolicyConfig()
HOME = Address(line1="9 Oak Ave", city="Austin", postal_code="78701", country="US")
TEE = OrderLine(sku="TEE-BLK-M", name="Black tee, M", qty=2, unit_price=32.0)
LAMP = OrderLine(sku="LAMP-9", name="Desk lamp", qty=1, unit_price=89.0)


def _shipment(*statuses: ScanStatus, skus: list[str] | None = None) -> Shipment:
    return Shipment(
        carrier=Carrier.ups,
        tracking="1Z999AA10123456784",
        skus=skus or [],
        events=[ScanEvent(at=NOW, status=s) for s in statuses],
    )


def _order(*lines: OrderLine, shipments: list[Shipment] | None = None) -> Order:
    return Order(
        number="52011",
        customer_id="C-1",
        placed_at=NOW - timedelta(days=3),
        status=OrderStatus.fulfilled,
        shipping_cost=6.5,
        address=HOME,
        lines=list(lines),
        shipments=shipments or [],
    )


def _reads(**kw: object) -> Understanding:
    base: dict[str, object] = {"intent": Intent.where_is_my_order, "confidence": 0.9}
    return Understanding.model_validate(base | kw)


# ---------------------------------------------------------------- one definition of shipped


def test_a_label_alone_is_not_shipped_the_first_carrier_scan_is() -> None:
    assert not is_carrier_scan(ScanStatus.label_created)
    assert is_carrier_scan(ScanStatus.accepted)
    assert not has_shipped(_shipment(ScanStatus.label_created))
    assert has_shipped(_shipment(ScanStatus.label_created, ScanStatus.accepted))


def test_shipped_skus_are_the_lines_of_scanned_shipments_only() -> None:
    order = _order(TEE, LAMP)
    lamp_only = _shipment(ScanStatus.accepted, skus=["LAMP-9"])
    tee_label = _shipment(ScanStatus.label_created, skus=["TEE-BLK-M"])
    assert shipped_skus(order, [lamp_only, tee_label]) == {"LAMP-9"}
    # A shipment that names no SKUs carries the whole order.
    assert shipped_skus(order, [_shipment(ScanStatus.in_transit)]) == {"TEE-BLK-M", "LAMP-9"}


# ---------------------------------------------------------------- intents


def test_a_threat_outranks_a_request_for_a_person() -> None:
    assert handover(_reads(sensitive=True, wants_human=True)) == (
        EscalationReason.sensitive,
        "legal or chargeback threat",
    )
    assert handover(_reads(wants_human=True))[0] == EscalationReason.customer_requested_human  # type: ignore[index]
    assert handover(_reads()) is None


def test_unclear_means_other_or_under_the_confidence_threshold() -> None:
    assert unclear(_reads(), CFG) is None
    assert "other" in (unclear(_reads(intent=Intent.other), CFG) or "")
    assert "0.55" in (unclear(_reads(confidence=0.55), CFG) or "")
    assert unclear(_reads(confidence=0.55), PolicyConfig(min_intent_confidence=0.5)) is None


# ---------------------------------------------------------------- where_is_my_order


def test_ship_by_and_unshipped_too_long() -> None:
    order = _order(TEE).model_copy(update={"placed_at": datetime(2026, 11, 20, 9, tzinfo=UTC)})
    assert wismo.ship_by(order, CFG).weekday() == 1  # Friday + 2 business days: Tuesday
    assert not wismo.unshipped_too_long(order, order.placed_at + timedelta(days=5), CFG)
    assert wismo.unshipped_too_long(order, order.placed_at + timedelta(days=5, hours=1), CFG)


@pytest.mark.parametrize(
    ("reading", "course"),
    [
        (
            CarrierReading(status="exception", exception=ExceptionKind.return_to_sender),
            wismo.Course.returning,
        ),
        (CarrierReading(status="exception", exception=ExceptionKind.lost), wismo.Course.lost),
        (CarrierReading(status="exception", exception=ExceptionKind.damaged), wismo.Course.lost),
        (CarrierReading(status="in_transit", late=True, stalled=True), wismo.Course.lost),
        (CarrierReading(status="delivered", proof="weak"), wismo.Course.delivered),
        (CarrierReading(status="in_transit", expected_delivery=NOW), wismo.Course.on_time),
        (CarrierReading(status="in_transit", late=True, expected_delivery=NOW), wismo.Course.late),
        # No expected date: nothing to wait for, so it is re-checked like a late parcel.
        (CarrierReading(status="in_transit"), wismo.Course.late),
    ],
)
def test_the_course_of_a_followed_parcel(reading: CarrierReading, course: wismo.Course) -> None:
    assert wismo.course(reading) == course


def test_the_next_check_is_the_day_after_the_eta_by_configuration() -> None:
    reading = CarrierReading(status="in_transit", expected_delivery=NOW)
    assert wismo.next_check(reading, CFG) == NOW + timedelta(days=1)
    assert wismo.next_check(reading, PolicyConfig(recheck_after_expected_days=2)) == NOW + (
        timedelta(days=2)
    )


# ---------------------------------------------------------------- delivered_not_received


def test_weak_proof_course_by_tier() -> None:
    assert dnr.weak_proof_course(Tier.vip) == dnr.WeakProofCourse.resolve
    assert dnr.weak_proof_course(Tier.b2b) == dnr.WeakProofCourse.escalate
    assert dnr.weak_proof_course(Tier.standard) == dnr.WeakProofCourse.await_carrier
    assert dnr.weak_proof_course(Tier.new) == dnr.WeakProofCourse.await_carrier
    assert dnr.goodwill_despite_proof(Tier.vip) and not dnr.goodwill_despite_proof(Tier.new)


def test_early_claim_window_ends_early_claim_hours_after_the_scan() -> None:
    reading = CarrierReading(status="delivered", proof="weak", delivered_at=NOW)
    assert dnr.early_claim_until(reading, CFG) == NOW + timedelta(hours=24)


def test_the_carrier_found_it_by_search_result_or_a_newer_delivery_scan() -> None:
    case = CarrierCase(
        case_number="MMS-1",
        carrier=Carrier.usps,
        tracking="9400",
        kind="missing_mail_search",
        reason="delivered, not received",
        filed_at=NOW,
    )
    same = CarrierReading(status="delivered", delivered_at=NOW)
    newer = CarrierReading(status="delivered", delivered_at=NOW + timedelta(hours=30))
    assert not dnr.carrier_found_it(case, same, NOW)
    assert dnr.carrier_found_it(case, newer, NOW)
    assert dnr.carrier_found_it(case.model_copy(update={"status": "found"}), same, NOW)
    assert dnr.search_came_back_empty(case.model_copy(update={"status": "not_found"}))
    assert not dnr.search_came_back_empty(case) and not dnr.search_came_back_empty(None)


# ---------------------------------------------------------------- cancel_order


def test_cancelling_an_unshipped_order_refunds_lines_and_shipping() -> None:
    plan = plan_cancellation(_order(TEE, LAMP), set(), Tier.standard)
    assert plan.proposal is not None and plan.rule == Rule.cancel_1
    assert plan.proposal.kind == ResolutionKind.cancelled
    assert plan.proposal.refund_amount == 64.0 + 89.0 + 6.5
    assert plan.proposal.refund_shipping == 6.5
    assert not plan.partial and not plan.needs_person


def test_a_partial_cancellation_refunds_only_the_unshipped_lines_without_shipping() -> None:
    plan = plan_cancellation(_order(TEE, LAMP), {"LAMP-9"}, Tier.vip)
    assert plan.proposal is not None and plan.partial and plan.rule == Rule.cancel_2
    assert [ln.sku for ln in plan.proposal.refund_lines] == ["TEE-BLK-M"]
    assert plan.proposal.refund_amount == 64.0 and plan.proposal.refund_shipping == 0


def test_nothing_to_cancel_once_all_shipped_and_b2b_goes_to_a_person() -> None:
    denied = plan_cancellation(_order(TEE), {"TEE-BLK-M"}, Tier.standard)
    assert denied.proposal is None and denied.rule == Rule.cancel_3
    assert plan_cancellation(_order(TEE), set(), Tier.b2b).needs_person


# ---------------------------------------------------------------- items, address


def test_lines_named_by_sku_or_a_word_of_the_product_name() -> None:
    order = _order(TEE, LAMP)
    assert lines_named(order, ["The LAMP arrived broken"]) == ["LAMP-9"]
    assert lines_named(order, ["got the wrong tee-blk-m size"]) == ["TEE-BLK-M"]
    assert lines_named(order, ["wrong item", "it is red"]) == []  # none named: every line
    assert whole_order(order, []) and whole_order(order, ["TEE-BLK-M", "LAMP-9"])
    assert not whole_order(order, ["LAMP-9"])


def test_return_label_above_the_tiers_threshold_and_photo_from_any_message() -> None:
    assert not return_label_needed(50.0, Tier.standard, CFG)
    assert return_label_needed(50.01, Tier.standard, CFG)
    assert not return_label_needed(99.0, Tier.vip, CFG)
    assert has_photo([_reads(), _reads(has_image=True)])
    assert not has_photo([_reads()])


def test_a_new_address_without_country_takes_the_orders() -> None:
    moved = Address(line1="1 Main St", city="Dallas", postal_code="75201", country="")
    assert complete_address(moved, _order(TEE)).country == "US"
    abroad = moved.model_copy(update={"country": "CA"})
    assert complete_address(abroad, _order(TEE)).country == "CA"


# ---------------------------------------------------------------- escalation ladder


def test_sla_by_tier_and_the_slower_reminders_past_the_top_level() -> None:
    vip = Customer(id="C", name="V", tier=Tier.vip)
    assert ladder.sla_hours(vip, CFG) == 4
    assert ladder.sla_hours(None, CFG) == 24  # no customer yet: standard
    assert ladder.first_level(0) == 1 and ladder.first_level(2) == 2
    assert ladder.reminder_wait_hours(2, 4, CFG) == 4
    assert ladder.reminder_wait_hours(3, 4, CFG) == 24
    assert ladder.reminder_wait_hours(3, 48, CFG) == 48
    assert ladder.next_level(3, CFG) == 3 and ladder.next_level(1, CFG) == 2
    assert ladder.holding_reply_due(3, CFG) and not ladder.holding_reply_due(4, CFG)
    assert not ladder.holding_reply_due(1, PolicyConfig(holding_replies_max=0))


# ---------------------------------------------------------------- after resolution


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({"thanks": True}, Reaction.close),
        ({"thanks": True, "still_missing": True}, Reaction.dispute),
        ({"found_it": True}, Reaction.record),
        ({"dispute": True}, Reaction.dispute),
        ({"wants_human": True}, Reaction.dispute),
        ({}, Reaction.ignore),
    ],
)
def test_what_a_message_in_the_reopen_window_does(kw: dict[str, bool], expected: Reaction) -> None:
    assert reaction(_reads(**kw)) == expected


def test_a_threat_after_resolution_is_sensitive_not_a_plain_dispute() -> None:
    assert dispute_reason(_reads(sensitive=True)) == EscalationReason.sensitive
    assert dispute_reason(_reads(dispute=True)) == EscalationReason.customer_disputes


# ---------------------------------------------------------------- rule ids


def test_rule_ids_name_policy_rules_in_the_pages_own_words() -> None:
    assert Rule.wismo_1 == "where_is_my_order step 1"
    assert Rule.reship_or_refund_4.because("over the limit") == (
        "Reship or refund rule 4: over the limit"
    )
    assert Rule.who_is_asking.from_policy and not Rule.long_life.from_policy
    assert len({r.value for r in Rule}) == len(list(Rule))
