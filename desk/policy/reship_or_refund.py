"""POLICY.md "Reship or refund": what to send or pay back, and whether it is within limits."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel

from desk.config import PolicyConfig
from desk.models import LineRef, Order, Preference, ProposedResolution, ResolutionKind, Tier
from desk.policy.rules import Rule


class Loss(StrEnum):
    """Why goods are being replaced; decides the amounts (rule 5) and rule 2."""

    lost = "lost"  # lost in transit, stalled, or an exception
    missing = "missing"  # delivered-not-received
    misdelivered = "misdelivered"
    wrong_item = "wrong_item"
    damaged = "damaged"


class Plan(BaseModel):
    proposal: ProposedResolution
    within_limit: bool
    limit: float


def affected_lines(order: Order, skus: list[str] | None) -> list[LineRef]:
    chosen = [ln for ln in order.lines if not ln.cancelled and (not skus or ln.sku in skus)]
    return [
        LineRef(sku=ln.sku, name=ln.name, qty=ln.qty, unit_price=ln.unit_price) for ln in chosen
    ]


def whole_order(order: Order, skus: list[str] | None) -> bool:
    """The lines concerned are every open line of the order (none named means all)."""
    return not skus or {ln.sku for ln in order.lines if not ln.cancelled} <= set(skus)


def _total(lines: list[LineRef]) -> float:
    return round(sum(ln.total for ln in lines), 2)


def plan_reship_or_refund(
    *,
    order: Order,
    lines: list[LineRef],
    loss: Loss,
    tier: Tier,
    stock: dict[str, int],
    preference: Preference | None,
    whole_order_in_shipment: bool,
    service: str,
    cfg: PolicyConfig,
) -> Plan:
    facts: dict[str, str] = {"tier": tier.value, "loss": loss.value}
    in_stock = [ln for ln in lines if stock.get(ln.sku, 0) >= ln.qty]
    out_of_stock = [ln for ln in lines if ln not in in_stock]
    facts["in_stock"] = ", ".join(ln.sku for ln in in_stock) or "none"
    already_reshipped = (
        loss in (Loss.lost, Loss.missing, Loss.misdelivered) and order.prior_reships > 0
    )

    reship: list[LineRef]
    refund: list[LineRef]
    # Rule order is POLICY.md's: the customer's stated preference (1) comes before the
    # already-reshipped rule (2), which comes before stock (3).
    if preference == "refund":
        reship, refund = [], lines
        rule = Rule.reship_or_refund_1.because("customer asked for a refund")
    elif preference == "reship":
        reship, refund = in_stock, out_of_stock
        rule = Rule.reship_or_refund_1.because("customer asked for a replacement (in-stock lines)")
    elif already_reshipped:
        reship, refund = [], lines
        rule = Rule.reship_or_refund_2.because(
            f"order already reshipped {order.prior_reships}x for a lost parcel"
        )
    else:
        reship, refund = in_stock, out_of_stock
        rule = Rule.reship_or_refund_3.because("reship what is in stock, refund the rest")

    refund_shipping = 0.0
    # Rule 5: shipping is refunded only for a lost/missing parcel that held the whole order,
    # and only when the money goes back (a reship re-sends at the merchant's cost).
    lost_whole = whole_order_in_shipment and loss in (Loss.lost, Loss.missing, Loss.misdelivered)
    if refund and not reship and lost_whole:
        refund_shipping = order.shipping_cost
    refund_amount = round(_total(refund) + refund_shipping, 2)
    reship_cost = round(_total(reship) + (order.shipping_cost if reship else 0.0), 2)
    money = round(refund_amount + reship_cost, 2)

    if reship and refund:
        kind = ResolutionKind.reship_and_refund
    elif reship:
        kind = ResolutionKind.reship
    else:
        kind = ResolutionKind.refund
    limit = cfg.auto_approve_limit[tier]
    facts["money_at_stake"] = f"{money:.2f}"
    facts["auto_approve_limit"] = f"{limit:.2f}"
    proposal = ProposedResolution(
        kind=kind,
        reship_lines=reship,
        refund_lines=refund,
        refund_amount=refund_amount,
        refund_shipping=refund_shipping,
        service=(cfg.fastest_service if tier == Tier.vip else service) if reship else None,
        delivery_note=(
            "Previous parcel was scanned delivered at the wrong location; confirm the address"
            if loss == Loss.misdelivered and reship
            else None
        ),
        money_at_stake=money,
        rule=rule,
        facts=facts,
    )
    return Plan(proposal=proposal, within_limit=money <= limit, limit=limit)


_OVERRIDE = Rule.escalation_3.because("supervisor override")


def override_proposal(
    resolution: ResolutionKind, amount: float | None, base: ProposedResolution | None, order: Order
) -> ProposedResolution:
    """A supervisor's override: their resolution and amount, lines from the proposal if any."""
    lines = (base.reship_lines + base.refund_lines) if base else affected_lines(order, None)
    if resolution == ResolutionKind.refund:
        return ProposedResolution(
            kind=resolution,
            refund_lines=lines,
            refund_amount=amount or 0.0,
            money_at_stake=amount or 0.0,
            rule=_OVERRIDE,
        )
    if resolution == ResolutionKind.reship:
        return ProposedResolution(
            kind=resolution,
            reship_lines=lines,
            service=(base.service if base else None),
            money_at_stake=_total(lines),
            rule=_OVERRIDE,
        )
    if resolution == ResolutionKind.reship_and_refund and base is not None:
        return base.model_copy(update={"refund_amount": amount or 0.0, "rule": _OVERRIDE})
    return ProposedResolution(
        kind=resolution,
        refund_amount=amount or 0.0,
        money_at_stake=amount or 0.0,
        rule=_OVERRIDE,
    )
