"""damaged_item alone: a photo first (asked for, reminded), then reship or refund."""

from __future__ import annotations

from datetime import timedelta

from desk.models import ClaimKind, Intent, ResolutionKind
from desk.policy.rules import Rule
from tests.playbooks.harness import PlaybookHarness
from tests.playbooks.kit import Desk, delivered, line, shipment

DAMAGED = Intent.damaged_item
VASE = line("VASE-1", 60.0, name="Glass vase")


def _setup(desk: Desk, t0, **kw) -> None:  # type: ignore[no-untyped-def]
    box = shipment(*delivered(t0, -24, "Delivered, Front Door/Porch", photo=True), t0=t0)
    desk.add(VASE, t0=t0, shipments=[box], **kw)


async def test_with_a_photo_the_item_is_reshipped_and_nothing_comes_back(desk: Desk) -> None:
    t0 = await desk.t0()
    _setup(desk, t0, stock={"VASE-1": 4})
    result = await desk.play(desk.routed("arrived smashed, photo attached", DAMAGED, images=1))
    assert (result.resolution, result.rule) == (ResolutionKind.reship, Rule.damaged_item_2)
    assert desk.shop.return_labels() == []
    # A damaged-item claim is recorded but is not one the fraud gate counts.
    assert [c[1] for c in desk.called("record_claim")] == [ClaimKind.damaged_item]


async def test_without_a_photo_it_asks_and_acts_when_the_photo_comes(desk: Desk) -> None:
    t0 = await desk.t0()
    _setup(desk, t0, stock={})
    async with desk.running(desk.routed("my vase arrived broken", DAMAGED)) as handle:
        await desk.env.sleep(timedelta(hours=6))
        await handle.signal(
            PlaybookHarness.customer_message, desk.routed("here you go", DAMAGED, images=1)
        )
        result = await handle.result()
    assert result.resolution == ResolutionKind.refund  # out of stock
    assert desk.shop.refund_total() == 60.0
    assert "photo" in desk.replies()[0].lower()


async def test_no_photo_after_a_reminder_closes_no_response(desk: Desk) -> None:
    t0 = await desk.t0()
    _setup(desk, t0)
    result = await desk.play(desk.routed("broken", DAMAGED))
    assert (result.resolution, result.rule) == (ResolutionKind.no_response, Rule.damaged_item_1)
    assert len(desk.replies()) == 2
    assert desk.shop.replacement_count() == 0 and desk.shop.refund_total() == 0
