"""The fact gate and the confirmation question, on the playbooks alone: a claim the
order's facts do not support is answered as a status question and counted nowhere; an
irreversible step on an unsure reading waits for the customer's yes."""

from __future__ import annotations

from datetime import timedelta

from desk.models import ClaimKind, Intent, OrderStatus, ResolutionKind, ScanStatus
from desk.policy.rules import Rule
from tests.playbooks.harness import PlaybookHarness
from tests.playbooks.kit import Desk, delivered, line, scan, shipment

TEE = line("TEE-BLK-M", 32.0, qty=2, name="Black tee, M")


# ---------------------------------------------------------------- the fact gate


async def test_not_received_before_it_ships_is_a_status_question(desk: Desk) -> None:
    t0 = await desk.t0()
    desk.add(TEE, t0=t0, status=OrderStatus.unfulfilled, placed_hours=-20)
    result = await desk.play(desk.routed("never got it", Intent.delivered_not_received))
    assert (result.resolution, result.rule) == (ResolutionKind.info_only, Rule.wismo_1)
    assert desk.called("record_claim") == []  # nothing counts against the customer
    assert desk.called("file_carrier_search") == []
    assert any(e.rule == Rule.fact_gate for e in result.record.timeline)
    assert "has not shipped yet" in desk.replies()[0]


async def test_not_received_in_transit_follows_the_parcel_without_a_claim(desk: Desk) -> None:
    t0 = await desk.t0()
    events = [
        scan(t0, -24, ScanStatus.accepted),
        scan(t0, 30, ScanStatus.delivered, "Delivered, front door", photo=True),
    ]
    desk.add(TEE, t0=t0, shipments=[shipment(*events, t0=t0, expected_hours=20)])
    result = await desk.play(desk.routed("it never arrived", Intent.delivered_not_received))
    assert (result.resolution, result.rule) == (ResolutionKind.info_only, Rule.wismo_2)
    assert desk.called("record_claim") == [] and desk.shop.replacement_count() == 0


async def test_a_wrong_item_needs_a_delivered_shipment_with_the_item(desk: Desk) -> None:
    t0 = await desk.t0()
    desk.add(TEE, t0=t0, status=OrderStatus.unfulfilled, placed_hours=-20, stock={"TEE-BLK-M": 4})
    result = await desk.play(desk.routed("wrong tee in the box", Intent.wrong_item))
    assert result.resolution == ResolutionKind.info_only
    assert desk.called("record_claim") == [] and desk.shop.replacement_count() == 0


async def test_a_damaged_item_still_with_the_carrier_is_not_reshipped(desk: Desk) -> None:
    t0 = await desk.t0()
    box = shipment(scan(t0, -10, ScanStatus.accepted), t0=t0, expected_hours=30)
    desk.add(TEE, t0=t0, shipments=[box], stock={"TEE-BLK-M": 4})
    async with desk.running(desk.routed("it is torn", Intent.damaged_item, images=1)) as handle:
        await desk.env.sleep(timedelta(hours=1))
        await handle.signal(
            PlaybookHarness.customer_message,
            desk.routed("ok it arrived now", Intent.where_is_my_order, found_it=True),
        )
        result = await handle.result()
    assert result.resolution == ResolutionKind.info_only
    assert desk.called("record_claim") == [] and desk.shop.replacement_count() == 0


async def test_a_delivered_claim_passes_the_gate_and_is_counted(desk: Desk) -> None:
    t0 = await desk.t0()
    box = shipment(*delivered(t0), t0=t0)
    desk.add(TEE, t0=t0, shipments=[box], stock={"TEE-BLK-M": 4})
    result = await desk.play(desk.routed("wrong size tee", Intent.wrong_item))
    assert result.resolution == ResolutionKind.reship
    assert [c[1] for c in desk.called("record_claim")] == [ClaimKind.wrong_item]


# ---------------------------------------------------------------- confirm before acting


async def test_an_unsure_cancellation_waits_for_a_yes(desk: Desk) -> None:
    t0 = await desk.t0()
    desk.add(TEE, t0=t0, status=OrderStatus.unfulfilled)
    unsure = desk.routed("cancel??", Intent.cancel_order, confidence=0.7)
    async with desk.running(unsure) as handle:
        await desk.env.sleep(timedelta(hours=2))
        assert desk.called("cancel_order_lines") == []  # nothing before the answer
        question = desk.replies()[-1]
        assert "cancel order 41880 and refund 70.50" in question and "Reply yes" in question
        await handle.signal(
            PlaybookHarness.customer_message,
            desk.routed("yes please", Intent.other, confidence=0.3, affirmative=True),
        )
        result = await handle.result()
    assert result.resolution == ResolutionKind.cancelled
    assert desk.shop.refund_total() == 70.5


async def test_no_answer_to_the_question_closes_no_response(desk: Desk) -> None:
    t0 = await desk.t0()
    desk.add(TEE, t0=t0, status=OrderStatus.unfulfilled)
    result = await desk.play(desk.routed("cancel maybe", Intent.cancel_order, confidence=0.7))
    assert (result.resolution, result.rule) == (ResolutionKind.no_response, Rule.confirm)
    assert desk.called("cancel_order_lines") == [] and desk.shop.refund_total() == 0
    assert len(desk.replies()) == 2  # the question and one reminder


async def test_a_correction_is_read_again_and_a_bare_no_asks_what_instead(desk: Desk) -> None:
    t0 = await desk.t0()
    desk.add(TEE, t0=t0, status=OrderStatus.unfulfilled)
    async with desk.running(desk.routed("cancel", Intent.cancel_order, confidence=0.7)) as h:
        await desk.env.sleep(timedelta(hours=1))
        await h.signal(
            PlaybookHarness.customer_message,
            desk.routed("no, just tell me where my order is please", Intent.where_is_my_order),
        )
        corrected = await h.result()
    assert corrected.outcome == "reread" and corrected.reread is not None
    assert corrected.reread.understanding.intent == Intent.where_is_my_order
    assert desk.called("cancel_order_lines") == []

    other = Desk(desk.env)
    other.add(TEE, t0=t0, status=OrderStatus.unfulfilled)
    async with other.running(other.routed("cancel", Intent.cancel_order, confidence=0.7)) as h:
        await other.env.sleep(timedelta(hours=1))
        await h.signal(
            PlaybookHarness.customer_message,
            other.routed("no", Intent.other, confidence=0.2, negative=True),
        )
        await other.env.sleep(timedelta(hours=1))
        assert "nothing has been changed" in other.replies()[-1]
        await h.signal(
            PlaybookHarness.customer_message,
            other.routed("change the address instead", Intent.change_address),
        )
        instead = await h.result()
    assert instead.outcome == "reread" and instead.reread is not None
    assert instead.reread.understanding.intent == Intent.change_address


async def test_a_sure_reading_on_a_named_order_acts_without_asking(desk: Desk) -> None:
    t0 = await desk.t0()
    desk.add(TEE, t0=t0, status=OrderStatus.unfulfilled)
    result = await desk.play(desk.routed("cancel order 41880", Intent.cancel_order))
    assert result.resolution == ResolutionKind.cancelled
    assert not any("Reply yes" in body for body in desk.replies())
    assert desk.replies()[0].startswith("You asked us to cancel order 41880.")
