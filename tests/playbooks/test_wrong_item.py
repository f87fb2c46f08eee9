"""wrong_item alone: the fraud gate, reship or refund the named lines, the return label."""

from __future__ import annotations

from desk.models import ClaimKind, EscalationReason, Intent, ResolutionKind, Tier
from desk.policy.rules import Rule
from tests.playbooks.kit import Desk, delivered, line, shipment

WRONG = Intent.wrong_item
TEE = line("TEE-BLK-M", 42.0, name="Black tee, M")
LAMP = line("LAMP-9", 89.0, name="Desk lamp")


def _setup(desk: Desk, t0, *lines, **kw) -> None:  # type: ignore[no-untyped-def]
    box = shipment(*delivered(t0, -48, "Delivered, Front Door/Porch", photo=True), t0=t0)
    desk.add(*(lines or (TEE,)), t0=t0, shipments=[box], **kw)


async def test_the_ordered_item_is_reshipped_and_a_cheap_wrong_one_kept(desk: Desk) -> None:
    t0 = await desk.t0()
    _setup(desk, t0, stock={"TEE-BLK-M": 3})
    result = await desk.play(desk.routed("you sent me a white tee instead", WRONG))
    assert (result.resolution, result.rule) == (ResolutionKind.reship, Rule.wrong_item_2)
    assert "not needed" in result.why
    assert desk.shop.replacement_count() == 1 and desk.shop.return_labels() == []
    assert [c[1] for c in desk.called("record_claim")] == [ClaimKind.wrong_item]


async def test_a_wrong_item_worth_more_than_the_threshold_comes_back_with_a_label(
    desk: Desk,
) -> None:
    t0 = await desk.t0()
    _setup(desk, t0, LAMP, stock={"LAMP-9": 3})
    result = await desk.play(desk.routed("this is not my lamp", WRONG))
    assert result.resolution == ResolutionKind.reship and "needed" in result.why
    assert len(desk.shop.return_labels()) == 1


async def test_only_the_named_line_is_replaced_and_out_of_stock_is_refunded(desk: Desk) -> None:
    t0 = await desk.t0()
    _setup(desk, t0, TEE, LAMP, stock={})
    result = await desk.play(desk.routed("the lamp in the box is the wrong one", WRONG))
    assert result.resolution == ResolutionKind.refund
    assert [ln.sku for r in desk.shop.refunds() for ln in r.lines] == ["LAMP-9"]
    assert desk.shop.refund_total() == 89.0  # the line's price, no shipping


async def test_repeat_claims_hold_a_wrong_item_for_fraud_review(desk: Desk) -> None:
    t0 = await desk.t0()
    _setup(
        desk,
        t0,
        claims=[(ClaimKind.wrong_item, -30), (ClaimKind.delivered_not_received, -90)],
    )
    result = await desk.play(desk.routed("wrong item again", WRONG))
    assert result.reason == EscalationReason.fraud_review and result.rule == Rule.wrong_item_1
    assert desk.shop.replacement_count() == 0


async def test_over_the_tiers_limit_it_is_proposed_to_a_person(desk: Desk) -> None:
    t0 = await desk.t0()
    tv = line("TV-55", 480.0, name="Television")
    _setup(desk, t0, tv, tier=Tier.new, stock={"TV-55": 2})
    result = await desk.play(desk.routed("wrong tv model", WRONG))
    assert result.outcome == "escalate" and result.reason == EscalationReason.over_limit
    assert result.proposal is not None and result.proposal.return_label
