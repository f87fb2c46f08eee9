"""POLICY.md "Reship or refund", the step several playbooks end in: plan the resolution,
check it against the tier's value limit, carry it out and tell the customer."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from desk import reply_text as say
    from desk.models import EscalationReason
    from desk.policy.confirmation import describe
    from desk.policy.reship_or_refund import (
        Loss,
        Plan,
        affected_lines,
        plan_reship_or_refund,
        whole_order,
    )
    from desk.policy.rules import Rule

from workflows.contact import calls
from workflows.contact.confirmation import confirmed
from workflows.contact.context import Contact
from workflows.contact.outcome import Escalate, Outcome, Resolved


async def plan(c: Contact, loss: Loss, skus: list[str] | None = None) -> Plan:
    """What the rules would do for these lines (None: the contact's shipment's lines)."""
    order, shipment = c.order, c.rec.shipment
    if skus is None:
        skus = shipment.skus if shipment and shipment.skus else None
    lines = affected_lines(order, skus)
    stock = await calls.check_stock([ln.sku for ln in lines])
    return plan_reship_or_refund(
        order=order,
        lines=lines,
        loss=loss,
        tier=c.customer.tier,
        stock=stock,
        preference=c.rec.preference,  # type: ignore[arg-type]
        whole_order_in_shipment=whole_order(order, skus),
        service=shipment.service if shipment else "ground",
        cfg=c.cfg,
    )


async def reship_or_refund(
    c: Contact,
    loss: Loss,
    rule: Rule,
    why: str,
    skus: list[str] | None = None,
    return_label: bool = False,
) -> Outcome:
    planned = await plan(c, loss, skus)
    proposal = planned.proposal
    if return_label:
        proposal = proposal.model_copy(update={"return_label": True})
    facts = ", ".join(f"{k}={v}" for k, v in proposal.facts.items())
    if not planned.within_limit:
        return Escalate(
            EscalationReason.over_limit,
            Rule.reship_or_refund_4,
            f"{rule.because(why)}; {proposal.money_at_stake:.2f} over the limit ({facts})",
            proposal,
        )
    c.note("decision", f"{proposal.kind.value}: {proposal.rule} ({facts})", rule)
    if (instead := await confirmed(c, describe(proposal, c.order))) is not None:
        return instead
    replacement = await calls.execute(c, proposal)
    await calls.reply(c, say.resolution_done(proposal, replacement, c.rec.return_label))
    return Resolved(proposal.kind, rule, f"{why}; {proposal.rule}")
