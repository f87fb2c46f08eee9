"""change_address alone: update an unshipped order, ask for the address, too late once
shipped."""

from __future__ import annotations

from datetime import timedelta

from desk.models import Address, Intent, OrderStatus, ResolutionKind, ScanStatus
from desk.policy.rules import Rule
from tests.playbooks.harness import PlaybookHarness
from tests.playbooks.kit import Desk, line, scan, shipment

MOVE = Intent.change_address
TEE = line("TEE-BLK-M", 32.0)
NEW = Address(line1="77 Pine Rd", city="Peoria", region="IL", postal_code="61602", country="")


async def test_an_unshipped_order_moves_to_the_new_address(desk: Desk) -> None:
    t0 = await desk.t0()
    desk.add(TEE, t0=t0, status=OrderStatus.unfulfilled)
    result = await desk.play(desk.routed("please ship to 77 Pine Rd...", MOVE, new_address=NEW))
    assert (result.resolution, result.rule) == (
        ResolutionKind.address_updated,
        Rule.change_address_1,
    )
    [update] = desk.called("update_order_address")
    assert update[1].country == "US"  # the order's own country where none was given
    assert desk.shop.get_order("41880").address.line1 == "77 Pine Rd"
    assert "77 Pine Rd" in desk.replies()[0]


async def test_without_an_address_it_asks_and_applies_the_answer(desk: Desk) -> None:
    t0 = await desk.t0()
    desk.add(TEE, t0=t0, status=OrderStatus.unfulfilled)
    async with desk.running(desk.routed("I moved, can you change the address?", MOVE)) as handle:
        await desk.env.sleep(timedelta(hours=2))
        await handle.signal(
            PlaybookHarness.customer_message, desk.routed("77 Pine Rd", MOVE, new_address=NEW)
        )
        result = await handle.result()
    assert result.resolution == ResolutionKind.address_updated
    assert len(desk.called("update_order_address")) == 1


async def test_no_address_after_a_reminder_closes_no_response(desk: Desk) -> None:
    t0 = await desk.t0()
    desk.add(TEE, t0=t0, status=OrderStatus.unfulfilled)
    result = await desk.play(desk.routed("change my address", MOVE))
    assert (result.resolution, result.rule) == (ResolutionKind.no_response, Rule.change_address_1)
    assert desk.called("update_order_address") == []


async def test_once_the_carrier_has_it_the_customer_is_told_how_to_redirect(desk: Desk) -> None:
    t0 = await desk.t0()
    box = shipment(scan(t0, -10, ScanStatus.accepted), t0=t0)
    desk.add(TEE, t0=t0, shipments=[box])
    result = await desk.play(desk.routed("send it to 77 Pine Rd", MOVE, new_address=NEW))
    assert (result.resolution, result.rule) == (ResolutionKind.info_only, Rule.change_address_2)
    assert desk.called("update_order_address") == []
