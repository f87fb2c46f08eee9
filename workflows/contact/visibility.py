"""What operators see of a contact in the Temporal UI: the current-details card and the
search attributes. Built from the record; ids and states only in search attributes."""

from __future__ import annotations

from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate

with workflow.unsafe.imports_passed_through():
    from desk import search_attributes as sa
    from desk.contact import ContactRecord
    from desk.models import ContactState


def details_card(rec: ContactRecord) -> str:
    lines = [
        f"**{rec.state.value}**"
        + (
            f" — {rec.escalation_reason.value}"
            if rec.state == ContactState.escalated and rec.escalation_reason
            else ""
        )
    ]
    if rec.order:
        lines.append(
            f"order {rec.order.number}"
            + (f", {rec.customer.tier.value} customer {rec.customer.name}" if rec.customer else "")
        )
    if rec.evidence:
        lines.append(
            f"carrier: {rec.evidence.status}"
            + (f", proof {rec.evidence.proof}" if rec.evidence.proof else "")
        )
    if rec.case:
        lines.append(f"carrier case {rec.case.case_number} ({rec.case.status})")
    if rec.proposal:
        p = rec.proposal
        lines.append(f"proposed: {p.kind.value} {p.money_at_stake:.2f} — {p.rule}")
    if rec.resolution:
        who = "autonomous" if rec.autonomous else "supervisor"
        lines.append(f"resolution: {rec.resolution.value} ({who})")
    for entry in rec.timeline[-5:]:
        why = f" [{entry.rule}]" if entry.rule else ""
        lines.append(f"- {entry.at:%m-%d %H:%M} {entry.kind}: {entry.text[:140]}{why}")
    return "\n".join(lines)


def search_attribute_updates(rec: ContactRecord) -> list[SearchAttributeUpdate[Any]]:
    updates: list[SearchAttributeUpdate[Any]] = [sa.CONTACT_STATE.value_set(rec.state.value)]
    if rec.routed:
        updates.append(sa.INTENT.value_set(rec.routed[0].understanding.intent.value))
        updates.append(
            sa.CHANNELS.value_set(list(dict.fromkeys(r.message.channel.value for r in rec.routed)))
        )
    if rec.customer:
        updates.append(sa.CUSTOMER_TIER.value_set(rec.customer.tier.value))
    if rec.order:
        updates.append(sa.ORDER_NUMBER.value_set(rec.order.number))
    if rec.resolution:
        updates.append(sa.RESOLUTION.value_set(rec.resolution.value))
    if rec.autonomous is not None:
        updates.append(sa.AUTONOMOUS.value_set(rec.autonomous))
    if rec.escalation_reason:
        updates.append(sa.ESCALATION_REASON.value_set(rec.escalation_reason.value))
    if rec.case:
        updates.append(sa.CARRIER_CASE.value_set(rec.case.case_number))
    return updates
