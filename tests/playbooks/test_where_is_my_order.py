"""where_is_my_order alone: status and ship-by, following the parcel, lost, returned."""

from __future__ import annotations

from datetime import timedelta

from desk.models import EscalationReason, Intent, OrderStatus, ResolutionKind, ScanStatus, Tier
from desk.policy.rules import Rule
from tests.playbooks.harness import PlaybookHarness
from tests.playbooks.kit import Desk, delivered, line, scan, shipment

WISMO = Intent.where_is_my_order
MUG = line("MUG-WHT", 18.0)


async def test_not_shipped_tells_the_ship_by_date(desk: Desk) -> None:
    t0 = await desk.t0()
    desk.add(MUG, t0=t0, placed_hours=-20, status=OrderStatus.unfulfilled)
    result = await desk.play(desk.routed("where is my order?", WISMO))
    assert (result.outcome, result.resolution, result.rule) == (
        "resolved",
        ResolutionKind.info_only,
        Rule.wismo_1,
    )
    [body] = desk.replies()
    assert "has not shipped yet" in body and "due to ship by" in body
    assert desk.called("trace_shipment") == []  # nothing to trace


async def test_unshipped_too_long_escalates_after_telling_the_customer(desk: Desk) -> None:
    t0 = await desk.t0()
    desk.add(MUG, t0=t0, placed_hours=-24 * 6, status=OrderStatus.unfulfilled)
    result = await desk.play(desk.routed("where is it??", WISMO))
    assert result.outcome == "escalate" and result.reason == EscalationReason.fulfillment_delay
    assert result.rule == Rule.wismo_1 and "unshipped 6 days" in result.why
    assert len(desk.replies()) == 1  # the status first; the escalation is the orchestrator's


async def test_delivered_and_not_said_missing_gives_the_delivery_details(desk: Desk) -> None:
    t0 = await desk.t0()
    desk.add(MUG, t0=t0, shipments=[shipment(*delivered(t0, -30), t0=t0, expected_hours=-30)])
    result = await desk.play(desk.routed("has my order arrived?", WISMO))
    assert (result.resolution, result.rule) == (ResolutionKind.info_only, Rule.intents)
    assert "was delivered" in desk.replies()[0]


async def test_in_transit_waits_until_the_day_after_the_eta_then_reads_delivered(
    desk: Desk,
) -> None:
    t0 = await desk.t0()
    events = [
        scan(t0, -48, ScanStatus.accepted, "Picked up"),
        scan(t0, 40, ScanStatus.delivered, "Delivered, front door", photo=True),
    ]
    desk.add(MUG, t0=t0, shipments=[shipment(*events, t0=t0, expected_hours=36)])
    result = await desk.play(desk.routed("when will it come?", WISMO))
    assert (result.resolution, result.rule) == (ResolutionKind.info_only, Rule.wismo_2)
    first, second = desk.replies()
    assert "on its way" in first and "was delivered" in second
    traces = desk.called("trace_shipment")
    assert len(traces) == 2
    # Re-traced the day after the expected delivery (ETA t0+36h, so t0+60h).
    assert traces[1][1] - t0 >= timedelta(hours=60)


async def test_a_parcel_that_stalls_is_lost_searched_and_reshipped(desk: Desk) -> None:
    t0 = await desk.t0()
    events = [scan(t0, -24 * 9, ScanStatus.accepted), scan(t0, -24 * 6, ScanStatus.in_transit)]
    desk.add(
        MUG,
        t0=t0,
        shipments=[shipment(*events, t0=t0, expected_hours=-24 * 4)],
        stock={"MUG-WHT": 5},
    )
    result = await desk.play(desk.routed("still nothing", WISMO))
    assert (result.resolution, result.rule) == (ResolutionKind.reship, Rule.wismo_4)
    assert "stalled" in result.why
    assert [c[1] for c in desk.called("file_carrier_search")] == ["lost in transit"]
    assert desk.shop.replacement_count() == 1 and desk.shop.refund_total() == 0


async def test_late_but_moving_apologises_once_and_rechecks_until_stalled(desk: Desk) -> None:
    t0 = await desk.t0()
    events = [scan(t0, -24 * 5, ScanStatus.accepted), scan(t0, -24 * 3, ScanStatus.in_transit)]
    desk.add(MUG, t0=t0, shipments=[shipment(*events, t0=t0, expected_hours=-24)])
    result = await desk.play(desk.routed("it's late", WISMO, preference="refund"))
    # Late now; re-checked every 48 h; stalled once the last scan is 5 days old and the ETA
    # 3 days gone: lost, refunded as asked.
    assert (result.resolution, result.rule) == (ResolutionKind.refund, Rule.wismo_4)
    late = [b for b in desk.replies() if "running late" in b]
    assert len(late) == 1
    assert desk.shop.refund_total() == 18.0 + 6.5  # the whole order was in it: shipping too


async def test_returning_to_sender_goes_to_a_person(desk: Desk) -> None:
    t0 = await desk.t0()
    events = [
        scan(t0, -24 * 4, ScanStatus.accepted),
        scan(t0, -24, ScanStatus.exception, "Return to sender", exception="return_to_sender"),
    ]
    desk.add(MUG, t0=t0, shipments=[shipment(*events, t0=t0, expected_hours=-24)])
    result = await desk.play(desk.routed("where is it", WISMO))
    assert result.outcome == "escalate" and result.reason == EscalationReason.returned_to_sender
    assert result.rule == Rule.wismo_5


async def test_the_customer_saying_it_arrived_ends_the_wait(desk: Desk) -> None:
    t0 = await desk.t0()
    events = [scan(t0, -24, ScanStatus.accepted)]
    desk.add(MUG, t0=t0, shipments=[shipment(*events, t0=t0, expected_hours=48)])
    async with desk.running(desk.routed("where is it", WISMO)) as handle:
        await desk.env.sleep(timedelta(hours=10))
        await handle.signal(
            PlaybookHarness.customer_message, desk.routed("got it, thanks", WISMO, found_it=True)
        )
        result = await handle.result()
    assert (result.resolution, result.rule) == (ResolutionKind.info_only, Rule.wismo_2)
    assert len(desk.called("trace_shipment")) == 1  # no re-trace was needed


async def test_a_lost_parcel_over_the_tiers_limit_is_proposed_not_executed(desk: Desk) -> None:
    t0 = await desk.t0()
    sofa = line("SOFA-1", 640.0)
    events = [
        scan(t0, -24 * 3, ScanStatus.accepted),
        scan(t0, -24, ScanStatus.exception, "Lost", exception="lost"),
    ]
    desk.add(
        sofa,
        t0=t0,
        tier=Tier.standard,
        shipments=[shipment(*events, t0=t0, expected_hours=-24)],
        stock={"SOFA-1": 2},
    )
    result = await desk.play(desk.routed("where is my sofa", WISMO))
    assert result.outcome == "escalate" and result.reason == EscalationReason.over_limit
    assert result.rule == Rule.reship_or_refund_4
    assert result.proposal is not None and result.proposal.kind == ResolutionKind.reship
    assert desk.shop.replacement_count() == 0 and desk.called("issue_refund") == []
    assert len(desk.called("file_carrier_search")) == 1  # the search still runs
