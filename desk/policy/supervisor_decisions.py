"""POLICY.md "Escalation" rule 3: which supervisor decisions fit a contact's state."""

from __future__ import annotations

from desk.models import (
    ContactState,
    Order,
    ProposedResolution,
    SupervisorAction,
    SupervisorDecision,
)
from desk.policy.reship_or_refund import override_proposal
from desk.policy.rules import Rule

_OVERRIDABLE_WITHOUT_AMOUNT = {
    "reship",
    "found_by_customer",
    "carrier_found",
    "info_only",
    "cancel_denied_shipped",
    "address_updated",
    "no_response",
}


def refusal(
    decision: SupervisorDecision, state: ContactState, proposal: ProposedResolution | None
) -> str | None:
    """Why this decision cannot be applied now, or None when it can."""
    if decision.action == SupervisorAction.close:
        if state != ContactState.human_owned:
            return f"close applies to a contact a human has taken over; this one is {state.value}"
        return None
    if state != ContactState.escalated:
        return f"the contact is {state.value}, not escalated: there is nothing to decide"
    if decision.action == SupervisorAction.approve and proposal is None:
        return "approve needs a proposed resolution and this escalation has none; use override"
    if decision.action == SupervisorAction.override:
        if decision.resolution is None:
            return "override needs a resolution"
        if decision.resolution.value not in _OVERRIDABLE_WITHOUT_AMOUNT and decision.amount is None:
            return f"override to {decision.resolution.value} needs an amount"
    return None


def decided_proposal(
    decision: SupervisorDecision, proposal: ProposedResolution | None, order: Order | None
) -> ProposedResolution | None:
    """What an approve or override would carry out (None for reject, take over, close)."""
    if decision.action == SupervisorAction.approve:
        return proposal
    if decision.action != SupervisorAction.override or decision.resolution is None:
        return None
    if order is None:
        amount = decision.amount or 0.0
        return ProposedResolution(
            kind=decision.resolution,
            refund_amount=amount,
            money_at_stake=amount,
            rule=Rule.escalation_3.because("supervisor override"),
        )
    return override_proposal(decision.resolution, decision.amount, proposal, order)


def money_moved(
    decision: SupervisorDecision, proposal: ProposedResolution | None, order: Order | None
) -> float:
    """The money one decision moves (refund, or the value of goods reshipped): what a
    supervisor's role limit is compared with."""
    carried = decided_proposal(decision, proposal, order)
    if carried is None:
        return 0.0
    return round(max(carried.money_at_stake, carried.refund_amount), 2)


def refundable(order: Order, refunded: float) -> float:
    """What the order can still return: every line and the shipping paid, less what this
    contact has refunded already."""
    paid = sum(ln.total for ln in order.lines) + order.shipping_cost
    return round(max(paid - refunded, 0.0), 2)


def beyond_the_order(
    decision: SupervisorDecision,
    proposal: ProposedResolution | None,
    order: Order | None,
    refunded: float,
) -> str | None:
    """Why the decision would refund more than the order can return, or None."""
    carried = decided_proposal(decision, proposal, order)
    if carried is None or carried.refund_amount <= 0:
        return None
    if order is None:
        return "there is no order on this contact to refund"
    cap = refundable(order, refunded)
    if carried.refund_amount > cap + 0.005:
        return (
            f"a refund of {carried.refund_amount:.2f} is more than order {order.number} can "
            f"return ({cap:.2f})"
        )
    return None
