"""POLICY.md cancel_order, with "Reship or refund" rule 5's amounts for a cancellation."""

from __future__ import annotations

from pydantic import BaseModel

from desk.models import Order, ProposedResolution, ResolutionKind, Tier
from desk.policy.reship_or_refund import affected_lines
from desk.policy.rules import Rule


class CancelPlan(BaseModel):
    """What cancelling would do: nothing (all shipped), or the proposal to carry out."""

    proposal: ProposedResolution | None  # None: everything has shipped (step 3)
    partial: bool = False
    rule: Rule
    needs_person: bool = False  # b2b cancellations go to a person (step 1)


def plan_cancellation(order: Order, shipped_skus: set[str], tier: Tier) -> CancelPlan:
    open_lines = [ln for ln in order.lines if not ln.cancelled]
    unshipped = [ln for ln in open_lines if ln.sku not in shipped_skus]
    if not unshipped:
        return CancelPlan(proposal=None, rule=Rule.cancel_3)
    partial = len(unshipped) < len(open_lines)
    # Rule 5: the cancelled lines, plus the shipping paid when nothing of the order ships.
    shipping = 0 if partial else order.shipping_cost
    refund = round(sum(ln.total for ln in unshipped) + shipping, 2)
    rule = Rule.cancel_2 if partial else Rule.cancel_1
    proposal = ProposedResolution(
        kind=ResolutionKind.cancelled,
        refund_lines=affected_lines(order, [ln.sku for ln in unshipped]),
        refund_amount=refund,
        refund_shipping=shipping,
        money_at_stake=refund,
        rule=rule.because("cancel the unshipped lines" if partial else "not shipped"),
        facts={"tier": tier.value, "unshipped": ", ".join(ln.sku for ln in unshipped)},
    )
    return CancelPlan(proposal=proposal, partial=partial, rule=rule, needs_person=tier == Tier.b2b)
