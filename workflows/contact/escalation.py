"""POLICY.md "Escalation": hand the decision to a person, keep the SLA, apply what they
decide. Supervisors decide by an update (validated: a decision that does not fit is refused
to its sender) or, for clients and contacts from before the update, by a signal."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, FailureError

with workflow.unsafe.imports_passed_through():
    from desk import reply_text as say
    from desk.models import (
        ContactState,
        DecisionCheck,
        ResolutionKind,
        SupervisorAction,
        SupervisorDecision,
    )
    from desk.policy import escalation as ladder
    from desk.policy.rules import Rule
    from desk.policy.supervisor_decisions import (
        beyond_the_order,
        decided_proposal,
        money_moved,
        refusal,
    )

from workflows import metrics
from workflows.contact import calls, waiting
from workflows.contact.context import Contact
from workflows.contact.long_life import continue_as_new_if_long
from workflows.contact.outcome import Closed, Escalate, Final, Resolved
from workflows.contact.patches import Patch, patched

# Resolutions a supervisor's decision carries out (the others are statements of fact).
_EXECUTED = {
    ResolutionKind.reship,
    ResolutionKind.refund,
    ResolutionKind.reship_and_refund,
    ResolutionKind.cancelled,
}


def why_refused(c: Contact, decision: SupervisorDecision) -> str | None:
    """Why a decision cannot be taken now (rule 3), or None when it can: it must fit the
    contact's state and proposal, and refund no more than the order can return."""
    rec = c.rec
    why_not = refusal(decision, rec.state, rec.proposal) or beyond_the_order(
        decision, rec.proposal, rec.order, rec.refund_total
    )
    if why_not is None and rec.pending_decision is not None:
        why_not = "another decision is already being applied"
    return why_not


async def authorize(c: Contact, decision: SupervisorDecision) -> SupervisorDecision:
    """The decision with the role that allows it, once the registry has checked the
    supervisor's signature and role limit; refused: ``ApplicationError`` saying why."""
    check = DecisionCheck(
        contact_id=c.id,
        decision=decision,
        money_moved=money_moved(decision, c.rec.proposal, c.rec.order),
        now=c.now(),
    )
    try:
        authority = await calls.authorize_decision(c, check)
    except ActivityError as err:
        why = err.cause.message if isinstance(err.cause, FailureError) else str(err)
        raise ApplicationError(why, type="DecisionRefused") from None
    # The contact may have moved on while the registry was asked.
    if why_not := why_refused(c, decision):
        raise ApplicationError(f"decision refused: {why_not}", type="DecisionRefused")
    return decision.model_copy(update={"role": authority.role})


async def escalate(c: Contact, esc: Escalate) -> Final:
    """Rules 1 and 2: escalated with the reason and proposal, supervisors alerted, the
    customer told when to expect an answer; then wait for the decision."""
    rec = c.rec
    rec.escalation_reason = esc.reason
    rec.proposal = esc.proposal
    rec.escalated_at = c.now()
    rec.escalation_level = ladder.first_level(rec.escalation_level)
    rec.autonomous = False  # whatever comes next, a supervisor decides it
    c.set_state(ContactState.escalated)
    metrics.escalated(rec)
    p = esc.proposal
    what = f"; proposed {p.kind.value} ({p.money_at_stake:.2f})" if p else ""
    c.note("escalated", f"{esc.reason.value}{what}" + (f": {esc.why}" if esc.why else ""), esc.rule)
    sla = ladder.sla_hours(rec.customer, c.cfg)
    await calls.alert_supervisors(c, f"new escalation: {esc.reason.value}{what}")
    await calls.reply(c, say.escalated(c.now() + timedelta(hours=sla)))
    rec.sla_breaches = 0
    return await await_decision(c)


async def await_decision(c: Contact) -> Final:
    """Rule 4: each SLA period without a decision reminds the supervisors, raises the
    level and (a few times) sends the customer a holding reply."""
    rec = c.rec
    sla = ladder.sla_hours(rec.customer, c.cfg)
    tier = rec.customer.tier.value if rec.customer else "standard"
    while rec.pending_decision is None:
        wait = ladder.reminder_wait_hours(rec.escalation_level, sla, c.cfg)
        decided = await waiting.condition(
            c,
            lambda: rec.pending_decision is not None,
            waiting.hours(c, wait),
            f"escalation SLA {wait:g}h ({tier})",
        )
        if decided:
            break
        rec.sla_breaches += 1
        rec.escalation_level = ladder.next_level(rec.escalation_level, c.cfg)
        c.upsert()
        c.note(
            "sla_breached",
            f"no decision for {rec.sla_breaches} SLA period(s): "
            f"supervisors reminded, level {rec.escalation_level}",
            Rule.escalation_4,
        )
        await calls.alert_supervisors(
            c,
            f"reminder: no decision for {rec.sla_breaches} SLA period(s) "
            f"({wait:g}h each), escalation level {rec.escalation_level}",
        )
        if ladder.holding_reply_due(rec.sla_breaches, c.cfg):
            await calls.reply(c, say.holding(c.now() + timedelta(hours=wait)))
        continue_as_new_if_long(c, "escalated")
    return await apply_decision(c)


async def apply_decision(c: Contact) -> Final:
    """Rule 3: approve, override, reject or take over, recorded with who and why."""
    rec = c.rec
    decision = rec.pending_decision
    assert decision is not None
    rec.pending_decision = None
    rec.mark_all_read()  # messages while escalated were shown to the supervisor (rule 5)
    rec.decisions.append(decision)
    role = f" ({decision.role})" if decision.role else ""
    c.note(
        "decision",
        f"{decision.action.value}{role}: {decision.note}",
        Rule.escalation_3,
        decision.by,
    )
    if decision.action == SupervisorAction.reject:
        if decision.note:
            await calls.reply(c, decision.note)
        return Resolved(
            ResolutionKind.rejected, Rule.escalation_3, f"reject by {decision.by}", autonomous=False
        )
    if decision.action == SupervisorAction.take_over:
        c.set_state(ContactState.human_owned)
        await calls.reply(c, say.human_taking_over())
        return await human_owned(c)
    proposal = decided_proposal(decision, rec.proposal, rec.order)
    assert proposal is not None, "approve and override carry a proposal (rule 3)"
    if proposal.kind in _EXECUTED:
        replacement = await calls.execute(c, proposal)
        await calls.reply(c, say.resolution_done(proposal, replacement, rec.return_label))
    return Resolved(
        proposal.kind,
        Rule.escalation_3,
        f"{decision.action.value} by {decision.by}",
        autonomous=False,
    )


async def human_owned(c: Contact) -> Closed:
    """A person owns the contact: record messages, act on nothing, until they close it."""
    rec = c.rec
    if patched(Patch.human_owned_check):
        while not await waiting.condition(
            c,
            lambda: rec.pending_decision is not None,
            waiting.hours(c, c.cfg.human_owned_check_hours),
            "owned by a person (daily history check)",
        ):
            continue_as_new_if_long(c, "human_owned")
    else:
        await waiting.condition(c, lambda: rec.pending_decision is not None, None, "")
    closing = rec.pending_decision
    assert closing is not None
    rec.pending_decision = None
    rec.decisions.append(closing)
    rec.resolution = closing.resolution
    rec.autonomous = False
    c.set_state(ContactState.closed)
    if rec.resolution is not None:
        metrics.resolved(rec)
    c.note("closed_by_human", closing.note, Rule.escalation_3, closing.by)
    return Closed(by=closing.by)
