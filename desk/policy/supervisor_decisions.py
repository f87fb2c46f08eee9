"""POLICY.md "Escalation" rule 3: which supervisor decisions fit a contact's state."""

from __future__ import annotations

from desk.models import ContactState, ProposedResolution, SupervisorAction, SupervisorDecision

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
