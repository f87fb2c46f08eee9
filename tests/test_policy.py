"""The policy functions, called directly: the rules of POLICY.md without Temporal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from desk.config import ConfigError, PolicyConfig, load_policy
from desk.models import (
    Address,
    Carrier,
    Claim,
    ClaimKind,
    ContactState,
    ExceptionKind,
    Order,
    OrderLine,
    OrderStatus,
    ProposedResolution,
    ResolutionKind,
    ScanEvent,
    ScanStatus,
    Shipment,
    SupervisorAction,
    SupervisorDecision,
    Tier,
)
from desk.policy.carrier_record import distance_m, read_carrier_record
from desk.policy.fraud_gate import earlier_claims, needs_fraud_review
from desk.policy.reship_or_refund import Loss, affected_lines, plan_reship_or_refund
from desk.policy.rules import Rule
from desk.policy.ship_by import add_business_days
from desk.policy.supervisor_decisions import refusal
from workflows.contact.waiting import policy_time

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
CFG = PolicyConfig()
HOME = Address(
    line1="12 Elm St",
    city="Springfield",
    region="IL",
    postal_code="62701",
    country="US",
    lat=39.7990,
    lon=-89.6440,
)


def scan(status: ScanStatus, days_ago: float, description: str = "", **kw: object) -> ScanEvent:
    return ScanEvent(
        at=NOW - timedelta(days=days_ago), status=status, description=description, **kw
    )  # type: ignore[arg-type]


def shipment(*events: ScanEvent, expected_days_ago: float = 2) -> Shipment:
    return Shipment(
        carrier=Carrier.usps,
        tracking="9400111899223100012345",
        expected_delivery=NOW - timedelta(days=expected_days_ago),
        events=list(events),
    )


def delivered(description: str, **kw: object) -> Shipment:
    return shipment(
        scan(ScanStatus.accepted, 5, "USPS in possession of item"),
        scan(ScanStatus.delivered, 2, description, **kw),
    )


# ---------------------------------------------------------------- reading the carrier record


@pytest.mark.parametrize(
    ("description", "extra", "proof"),
    [
        ("Delivered, In/At Mailbox", {}, "weak"),
        ("Delivered, Front Door/Porch", {}, "weak"),
        ("Delivered, In/At Mailbox", {"photo": True}, "strong"),
        ("Delivered, Front Door/Porch", {"signature": True}, "strong"),
        ("Delivered, Left with Individual", {}, "strong"),
        ("Delivered, Front Desk/Reception/Mail Room", {}, "strong"),
        ("Delivered, Parcel Locker", {}, "strong"),
        ("Delivered, Front Door/Porch", {"lat": 39.7991, "lon": -89.6441}, "strong"),
        ("Delivered, Front Door/Porch", {"lat": 39.8200, "lon": -89.6440}, "misdelivered"),
        (
            "Delivered, Front Door/Porch",
            {"lat": 39.8200, "lon": -89.6440, "photo": True},
            "misdelivered",
        ),
        # 150-400 m: GPS neither confirms nor contradicts; no photo: weak.
        ("Delivered, In/At Mailbox", {"lat": 39.8015, "lon": -89.6440}, "weak"),
    ],
)
def test_delivery_proof_strength(description: str, extra: dict, proof: str) -> None:
    reading = read_carrier_record(delivered(description, **extra), HOME, NOW, CFG)
    assert reading.status == "delivered"
    assert reading.proof == proof
    assert reading.proof_facts


def test_distance_is_metres() -> None:
    assert 2300 < distance_m(39.7990, -89.6440, 39.8200, -89.6440) < 2400


def test_not_shipped_when_only_a_label_exists() -> None:
    s = shipment(scan(ScanStatus.label_created, 1, "Shipping label created"))
    assert read_carrier_record(s, HOME, NOW, CFG).status == "not_shipped"
    assert read_carrier_record(None, HOME, NOW, CFG).status == "not_shipped"


def test_in_transit_on_time_late_and_stalled() -> None:
    moving = shipment(
        scan(ScanStatus.accepted, 2), scan(ScanStatus.in_transit, 1), expected_days_ago=-2
    )
    r = read_carrier_record(moving, HOME, NOW, CFG)
    assert (r.status, r.late, r.stalled) == ("in_transit", False, False)

    late = shipment(
        scan(ScanStatus.accepted, 6), scan(ScanStatus.in_transit, 1), expected_days_ago=4
    )
    r = read_carrier_record(late, HOME, NOW, CFG)
    assert (r.late, r.stalled) == (True, False)  # last scan is recent: still moving

    stalled = shipment(
        scan(ScanStatus.accepted, 13), scan(ScanStatus.in_transit, 11), expected_days_ago=6
    )
    r = read_carrier_record(stalled, HOME, NOW, CFG)
    assert (r.late, r.stalled) == (True, True)

    # Old last scan but only 2 days late: not yet presumed lost.
    quiet = shipment(
        scan(ScanStatus.accepted, 9), scan(ScanStatus.in_transit, 6), expected_days_ago=2
    )
    assert read_carrier_record(quiet, HOME, NOW, CFG).stalled is False


def test_exception_is_read_with_its_kind() -> None:
    s = shipment(
        scan(ScanStatus.accepted, 4),
        scan(ScanStatus.exception, 1, "Return to sender", exception=ExceptionKind.return_to_sender),
    )
    r = read_carrier_record(s, HOME, NOW, CFG)
    assert (r.status, r.exception) == ("exception", ExceptionKind.return_to_sender)


def test_scans_after_now_are_the_tracers_business_not_the_readers() -> None:
    # The reader trusts what trace returned; trace filters by as_of. Newest last wins.
    s = shipment(scan(ScanStatus.accepted, 3), scan(ScanStatus.delivered, 1, "Delivered, Mailbox"))
    assert read_carrier_record(s, HOME, NOW, CFG).delivered_at == NOW - timedelta(days=1)


# ---------------------------------------------------------------- fraud gate


def test_fraud_gate_counts_claims_in_window_only() -> None:
    claims = [
        Claim(kind=ClaimKind.delivered_not_received, at=NOW - timedelta(days=120)),
        Claim(kind=ClaimKind.wrong_item, at=NOW - timedelta(days=30)),
        Claim(kind=ClaimKind.delivered_not_received, at=NOW - timedelta(days=400)),
        Claim(kind=ClaimKind.damaged_item, at=NOW - timedelta(days=10)),
        Claim(kind=ClaimKind.delivered_not_received, at=NOW, contact_id="this-contact"),
    ]
    assert earlier_claims(claims, NOW, "this-contact", CFG) == 2
    assert needs_fraud_review(claims, NOW, "this-contact", CFG)
    assert not needs_fraud_review(claims[:1], NOW, "this-contact", CFG)


# ---------------------------------------------------------------- reship or refund


def order(*lines: OrderLine, shipping: float = 6.5, prior_reships: int = 0) -> Order:
    return Order(
        number="41880",
        customer_id="C-1",
        placed_at=NOW - timedelta(days=10),
        status=OrderStatus.fulfilled,
        shipping_cost=shipping,
        prior_reships=prior_reships,
        address=HOME,
        lines=list(lines),
    )


TEE = OrderLine(sku="TEE", name="Black tee", qty=2, unit_price=32.0)
MUG = OrderLine(sku="MUG", name="Mug", qty=1, unit_price=18.0)


def plan(
    o: Order,
    stock: dict[str, int],
    tier: Tier = Tier.standard,
    preference: str | None = None,
    loss: Loss = Loss.missing,
):
    return plan_reship_or_refund(
        order=o,
        lines=affected_lines(o, None),
        loss=loss,
        tier=tier,
        stock=stock,
        preference=preference,  # type: ignore[arg-type]
        whole_order_in_shipment=True,
        service="ground",
        cfg=CFG,
    )


def test_in_stock_reships_same_service_and_costs_items_plus_shipping() -> None:
    p = plan(order(TEE), {"TEE": 5})
    assert p.proposal.kind == ResolutionKind.reship
    assert p.proposal.service == "ground"
    assert p.proposal.money_at_stake == 70.5
    assert p.within_limit


def test_vip_gets_the_fastest_service() -> None:
    assert plan(order(TEE), {"TEE": 5}, tier=Tier.vip).proposal.service == CFG.fastest_service


def test_out_of_stock_refunds_those_lines_and_reships_the_rest() -> None:
    p = plan(order(TEE, MUG), {"TEE": 5})
    assert p.proposal.kind == ResolutionKind.reship_and_refund
    assert [ln.sku for ln in p.proposal.refund_lines] == ["MUG"]
    assert p.proposal.refund_amount == 18.0  # shipping is not refunded while something reships


def test_full_refund_of_a_lost_whole_order_includes_shipping() -> None:
    p = plan(order(TEE), {}, loss=Loss.lost)
    assert p.proposal.kind == ResolutionKind.refund
    assert p.proposal.refund_amount == 70.5


def test_customer_preference_wins() -> None:
    assert plan(order(TEE), {"TEE": 5}, preference="refund").proposal.kind == ResolutionKind.refund


def test_a_stated_preference_comes_before_the_already_reshipped_rule() -> None:
    p = plan(order(TEE, prior_reships=1), {"TEE": 5}, preference="reship")
    assert p.proposal.kind == ResolutionKind.reship
    assert p.proposal.rule.startswith(Rule.reship_or_refund_1)


def test_second_loss_of_a_reshipped_order_refunds() -> None:
    p = plan(order(TEE, prior_reships=1), {"TEE": 5})
    assert p.proposal.kind == ResolutionKind.refund
    assert p.proposal.rule.startswith(Rule.reship_or_refund_2)


@pytest.mark.parametrize(
    ("tier", "within"),
    [(Tier.vip, True), (Tier.standard, False), (Tier.new, False), (Tier.b2b, False)],
)
def test_value_limit_per_tier(tier: Tier, within: bool) -> None:
    jacket = OrderLine(sku="JKT", name="Jacket", qty=1, unit_price=340.0)
    p = plan(order(jacket, shipping=12.0), {"JKT": 4}, tier=tier)
    assert p.proposal.money_at_stake == 352.0
    assert p.within_limit is within


# ---------------------------------------------------------------- supervisor decisions


def test_decisions_that_do_not_fit_are_refused_with_a_reason() -> None:
    approve = SupervisorDecision(action=SupervisorAction.approve, by="sam")
    proposal = ProposedResolution(kind=ResolutionKind.reship)
    assert refusal(approve, ContactState.escalated, proposal) is None
    assert "no" in (refusal(approve, ContactState.escalated, None) or "")
    assert "not escalated" in (refusal(approve, ContactState.resolved, proposal) or "")
    override = SupervisorDecision(
        action=SupervisorAction.override, by="sam", resolution=ResolutionKind.refund
    )
    assert "amount" in (refusal(override, ContactState.escalated, proposal) or "")
    close = SupervisorDecision(action=SupervisorAction.close, by="sam")
    assert refusal(close, ContactState.escalated, proposal) is not None
    assert refusal(close, ContactState.human_owned, None) is None


# ---------------------------------------------------------------- ship-by and configuration


def test_ship_by_counts_business_days() -> None:
    friday = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    assert add_business_days(friday, 2).weekday() == 1  # Tuesday


def test_policy_config_names_the_bad_field(tmp_path) -> None:
    bad = tmp_path / "policy.yaml"
    bad.write_text("gps_match_m: -3\nauto_approve_limit: {vip: 500}\n")
    with pytest.raises(ConfigError) as err:
        load_policy(bad, env={})
    assert "gps_match_m" in str(err.value)
    with pytest.raises(ConfigError, match="time_scale"):
        load_policy(None, env={"DESK_TIME_SCALE": "zero"})
    assert load_policy(None, env={"DESK_POLICY_STALL_DAYS": "7"}).stall_days == 7


def test_timers_scale_for_demos() -> None:
    assert policy_time(PolicyConfig(time_scale=0.5), 48) == timedelta(hours=24)
    assert policy_time(PolicyConfig(), 12) == timedelta(hours=12)


def test_a_bad_policy_setting_stops_the_desk_at_start_with_the_field_named() -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    desk = str(Path(sys.executable).parent / "desk")
    env = {**os.environ, "DESK_POLICY_GPS_MATCH_M": "-5"}
    run = subprocess.run([desk, "worker"], capture_output=True, text=True, timeout=60, env=env)
    assert run.returncode == 2
    assert "gps_match_m" in run.stderr
