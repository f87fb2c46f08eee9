"""The contact workflow: one customer problem about one order, from first message to close.

The orchestrator only: identity → playbook → outcome → escalation or reopen window →
close, with continue-as-new for contacts that wait on a person for long. The playbooks
(``playbooks/``), the shared steps (``calls``, ``waiting``, ``identity``, ``escalation``,
``reopen``, ``resolution``) and the rules (``desk.policy``) do the rest. The contact's
whole state is one ``ContactRecord``; a running contact keeps the ``PolicyConfig`` it
started with.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from desk.contact import ContactInput, ContactRecord, DecisionReceipt, Stage
    from desk.models import (
        CarrierCaseFiled,
        ContactSnapshot,
        ContactState,
        EscalationReason,
        RoutedMessage,
        SupervisorDecision,
    )
    from desk.policy.intents import unclear
    from desk.policy.rules import Rule
    from desk.routing import CONTACT_WORKFLOW, CUSTOMER_MESSAGE_SIGNAL

from workflows import metrics
from workflows.contact import calls, escalation, identity, reopen
from workflows.contact.context import Contact
from workflows.contact.outcome import Closed, Escalate, Final, Outcome, Reread, Resolved
from workflows.contact.patches import Patch, patched
from workflows.contact.playbooks import PLAYBOOKS


@workflow.defn(name=CONTACT_WORKFLOW)
class ContactWorkflow:
    @workflow.init
    def __init__(self, input: ContactInput) -> None:
        # The record exists before any handler runs: a message signalled with the start,
        # or in the first task of a continued run, lands in it and is never lost.
        self.c = Contact(input.contact_id, input.policy, input.memory or ContactRecord())

    # ------------------------------------------------------------ handlers

    @workflow.signal(name=CUSTOMER_MESSAGE_SIGNAL)
    def customer_message(self, routed: RoutedMessage) -> None:
        self.c.receive(routed)

    @workflow.update
    async def decide(self, decision: SupervisorDecision) -> DecisionReceipt:
        """A supervisor's decision. One that does not fit is refused by the validator (its
        sender sees why; the history holds nothing of it); one the registry does not back
        (signature, freshness, role limit) fails with the reason."""
        decision = await escalation.authorize(self.c, decision)
        self.c.rec.pending_decision = decision
        return DecisionReceipt(
            contact_id=self.c.id,
            action=decision.action.value,
            by=decision.by,
            role=decision.role,
            state=self.c.rec.state,
        )

    @decide.validator
    def _decision_fits(self, decision: SupervisorDecision) -> None:
        if why_not := escalation.why_refused(self.c, decision):
            raise ApplicationError(f"decision refused: {why_not}", type="DecisionRefused")

    @workflow.signal
    async def supervisor_decision(self, decision: SupervisorDecision) -> None:
        """The decision as a signal, for contacts and clients from before ``decide``: the
        same checks, but a refusal can only be recorded on the timeline."""
        why_not = escalation.why_refused(self.c, decision)
        if why_not is None and patched(Patch.decision_authority):
            try:
                decision = await escalation.authorize(self.c, decision)
            except ApplicationError as err:
                why_not = err.message
        if why_not:
            self.c.note(
                "decision_refused",
                f"{decision.action.value} by {decision.by}: {why_not}",
                by=decision.by,
            )
            return
        self.c.rec.pending_decision = decision

    @workflow.signal
    def carrier_case_filed(self, filed: CarrierCaseFiled) -> None:
        """A person filed the carrier search the desk prepared (a carrier with no API for
        it): the carrier's case number replaces the task's."""
        c = self.c
        case = c.rec.case
        if case is None:
            c.note("carrier_search", f"case {filed.case_number} arrived for no search", by=filed.by)
            return
        c.rec.case = case.model_copy(update={"case_number": filed.case_number})
        c.upsert()
        c.note(
            "carrier_search",
            f"{case.kind} filed by hand: case {filed.case_number} (task {case.case_number})",
            Rule.carrier_search,
            filed.by,
        )

    @workflow.query
    def snapshot(self) -> ContactSnapshot:
        return self.c.rec.snapshot(self.c.id)

    # ------------------------------------------------------------ the run

    @workflow.run
    async def run(self, input: ContactInput) -> ContactSnapshot:
        c = self.c
        if input.memory is not None and input.memory.stage is not None:
            stage = input.memory.stage
            final = await self._refusals_to_a_person(lambda: self._resume(stage))
        else:
            final = await self._from_first_message()
        reopened = isinstance(final, Resolved) and final.opens_reopen_window
        if reopened and (after := await reopen.window(c)):
            # A correction is read again; a dispute goes to a person. No second window.
            read = await self._read(after.message) if isinstance(after, Reread) else after
            await self._conclude(read)
        await calls.helpdesk_close(c)
        resolution = c.rec.resolution.value if c.rec.resolution else "no resolution"
        c.note("closed", f"contact finished: {c.rec.state.value}, {resolution}")
        return c.rec.snapshot(c.id)

    async def _from_first_message(self) -> Final:
        c = self.c
        await workflow.wait_condition(lambda: bool(c.rec.routed))
        message = c.rec.take_message()
        assert message is not None
        metrics.contact_started(message.message.channel.value)
        c.adopt(message)
        if identity.needs_verifying(message):
            verified = await identity.verify(c, message)
            if isinstance(verified, Resolved):
                return await self._conclude(verified)
            message = verified
        await calls.helpdesk_open(c)

        async def read_and_conclude() -> Final:
            return await self._conclude(await self._read(message))

        return await self._refusals_to_a_person(read_and_conclude)

    async def _refusals_to_a_person(self, step: Callable[[], Awaitable[Final]]) -> Final:
        """``step``, with every refusal of an action going to a person.

        A shop or carrier that refuses an action for good (the parcel shipped between our
        check and the cancellation, an order that vanished, a declined refund) must not fail
        the contact: a person takes it from there, with the refusal on the timeline. That
        holds for the action a supervisor approved too, and in a continued run, so the
        escalation repeats until an action goes through or a person closes the contact.
        """
        c = self.c
        while True:
            try:
                return await step()
            except ActivityError as err:
                cause = str(err.cause) if err.cause else str(err)
                c.note("action_failed", f"{err.activity_type} refused: {cause}")
                refused = Escalate(
                    EscalationReason.unclear_request,
                    Rule.refused_action,
                    f"{err.activity_type}: {cause}",
                )
                step = functools.partial(self._conclude, refused)

    async def _read(self, message: RoutedMessage) -> Resolved | Escalate | Closed:
        """The playbook for the request, and again for each correction the customer makes
        (up to ``max_rereads``, then a person reads it)."""
        c = self.c
        outcome = await self._playbook(message)
        corrections = 0
        while isinstance(outcome, Reread):
            corrections += 1
            if corrections > c.cfg.max_rereads:
                return Escalate(
                    EscalationReason.unclear_request,
                    Rule.confirm,
                    f"still unsure what was asked after {c.cfg.max_rereads} corrections",
                )
            c.note(
                "reread", "reading the contact again from the customer's correction", Rule.confirm
            )
            outcome = await self._playbook(outcome.message)
        return outcome

    async def _playbook(self, message: RoutedMessage) -> Outcome:
        c, u = self.c, message.understanding
        c.take_request(message)
        c.set_state(ContactState.investigating)
        if handover := identity.hand_over_if_asked(message):
            return handover
        if why := unclear(u, c.cfg):
            if u.topic:  # not a tier-1 request (account, billing, a product question...)
                return Escalate(EscalationReason.unclear_request, Rule.out_of_scope, why)
            return Escalate(EscalationReason.unclear_request, Rule.intents, why)
        if c.rec.order is None:
            return Escalate(
                EscalationReason.unclear_request,
                Rule.unknown_order,
                f"no order matched ({message.match.problem}); a person must identify it",
            )
        playbook = PLAYBOOKS.get(u.intent)
        if playbook is None or (playbook.patch is not None and not patched(playbook.patch)):
            return Escalate(
                EscalationReason.unclear_request,
                Rule.not_automated,
                f"{u.intent.value} was not automated when this contact began; a person decides",
            )
        return await playbook.run(c)

    async def _resume(self, stage: Stage) -> Final:
        """A continued run picks up where the last one stopped: waiting on a person."""
        c = self.c
        c.upsert()
        c.note("resumed", f"run {c.rec.runs} of this contact", Rule.long_life)
        if stage == "escalated":
            return self._finish(await escalation.await_decision(c))
        return await escalation.human_owned(c)

    async def _conclude(self, outcome: Resolved | Escalate | Closed) -> Final:
        """An escalation goes to a person first; a resolution is recorded."""
        if isinstance(outcome, Escalate):
            outcome = await escalation.escalate(self.c, outcome)
        return self._finish(outcome)

    def _finish(self, final: Final) -> Final:
        if not isinstance(final, Resolved):
            return final  # a person closed it; the close is already recorded
        rec = self.c.rec
        rec.resolution = final.kind
        rec.mark_all_read()  # what arrived before the resolution was part of the decision
        rec.autonomous = (not rec.decisions) if final.autonomous is None else final.autonomous
        self.c.set_state(final.kind.final_state)
        metrics.resolved(rec)
        who = "autonomous" if rec.autonomous else "supervisor"
        why = f": {final.why}" if final.why else ""
        self.c.note("resolved", f"{final.kind.value} ({who}){why}", final.rule)
        return final
