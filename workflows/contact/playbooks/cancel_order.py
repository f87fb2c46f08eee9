"""POLICY.md cancel_order: cancel what has not shipped and refund it; explain the rest."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from desk import reply_text as say
    from desk.models import EscalationReason, ResolutionKind
    from desk.policy.cancellation import plan_cancellation
    from desk.policy.confirmation import describe
    from desk.policy.rules import Rule
    from desk.policy.shipped import shipped_skus

from workflows.contact import calls
from workflows.contact.confirmation import confirmed
from workflows.contact.context import Contact
from workflows.contact.outcome import Escalate, Outcome, Resolved


async def cancel_order(c: Contact) -> Outcome:
    order = c.order
    shipped = shipped_skus(order, await calls.trace_all(c))
    cancellation = plan_cancellation(order, shipped, c.customer.tier)
    proposal = cancellation.proposal
    if proposal is None:
        await calls.reply(c, say.cancel_denied(order))
        return Resolved(ResolutionKind.cancel_denied_shipped, Rule.cancel_3, "already shipped")
    if cancellation.needs_person:
        return Escalate(
            EscalationReason.b2b_account,
            Rule.cancel_1,
            "b2b cancellations go to a person",
            proposal,
        )
    if (instead := await confirmed(c, describe(proposal, order))) is not None:
        return instead
    await calls.execute(c, proposal)
    await calls.reply(c, say.cancelled(order, proposal.refund_amount, cancellation.partial))
    return Resolved(ResolutionKind.cancelled, cancellation.rule, proposal.rule)
