"""cancel_order alone: unshipped, partly shipped, shipped, a label only, b2b."""

from __future__ import annotations

from desk.models import EscalationReason, Intent, OrderStatus, ResolutionKind, ScanStatus, Tier
from desk.policy.rules import Rule
from tests.playbooks.kit import Desk, line, scan, shipment

CANCEL = Intent.cancel_order
TEE = line("TEE-BLK-M", 32.0, qty=2)
LAMP = line("LAMP-9", 89.0)


async def test_an_unshipped_order_is_cancelled_and_refunded_in_full(desk: Desk) -> None:
    t0 = await desk.t0()
    desk.add(TEE, LAMP, t0=t0, status=OrderStatus.unfulfilled, placed_hours=-3)
    result = await desk.play(desk.routed("please cancel my order", CANCEL))
    assert (result.resolution, result.rule) == (ResolutionKind.cancelled, Rule.cancel_1)
    [cancel] = desk.called("cancel_order_lines")
    assert cancel[1] == ["TEE-BLK-M", "LAMP-9"] and cancel[2].endswith(":d1:cancel")
    assert desk.shop.refund_total() == 64.0 + 89.0 + 6.5  # lines and the shipping paid
    assert "cancelled" in desk.replies()[0].lower()


async def test_a_label_is_not_shipped_so_the_order_still_cancels(desk: Desk) -> None:
    t0 = await desk.t0()
    label = shipment(scan(t0, -5, ScanStatus.label_created, "Label created"), t0=t0)
    desk.add(TEE, t0=t0, shipments=[label], status=OrderStatus.unfulfilled)
    result = await desk.play(desk.routed("cancel it", CANCEL))
    assert result.resolution == ResolutionKind.cancelled
    assert desk.shop.get_order("41880").shipments[0].label_voided


async def test_a_partly_shipped_order_cancels_only_what_has_not_shipped(desk: Desk) -> None:
    t0 = await desk.t0()
    lamp_box = shipment(scan(t0, -20, ScanStatus.accepted), t0=t0, skus=["LAMP-9"])
    desk.add(TEE, LAMP, t0=t0, shipments=[lamp_box], status=OrderStatus.partially_fulfilled)
    result = await desk.play(desk.routed("cancel whatever you can", CANCEL))
    assert (result.resolution, result.rule) == (ResolutionKind.cancelled, Rule.cancel_2)
    assert desk.called("cancel_order_lines")[0][1] == ["TEE-BLK-M"]
    assert desk.shop.refund_total() == 64.0  # no shipping: part of the order ships


async def test_a_shipped_order_cannot_be_cancelled(desk: Desk) -> None:
    t0 = await desk.t0()
    box = shipment(scan(t0, -20, ScanStatus.accepted), scan(t0, -5, ScanStatus.in_transit), t0=t0)
    desk.add(TEE, t0=t0, shipments=[box])
    result = await desk.play(desk.routed("cancel", CANCEL))
    assert (result.resolution, result.rule) == (ResolutionKind.cancel_denied_shipped, Rule.cancel_3)
    assert desk.called("cancel_order_lines") == [] and desk.shop.refund_total() == 0
    assert "refuse" in desk.replies()[0].lower() or "return" in desk.replies()[0].lower()


async def test_a_b2b_cancellation_goes_to_a_person_with_the_proposal(desk: Desk) -> None:
    t0 = await desk.t0()
    desk.add(TEE, t0=t0, tier=Tier.b2b, status=OrderStatus.unfulfilled)
    result = await desk.play(desk.routed("cancel PO", CANCEL))
    assert result.outcome == "escalate" and result.reason == EscalationReason.b2b_account
    assert result.proposal is not None and result.proposal.refund_amount == 64.0 + 6.5
    assert desk.called("cancel_order_lines") == []
