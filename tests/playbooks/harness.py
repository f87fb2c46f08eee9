"""Running one playbook alone on the time-skipping server.

``PlaybookHarness`` is a workflow that builds a running contact from a prepared record (the
customer, the order and the first message already matched) and runs the playbook the
registry holds for the message's intent, returning the outcome as data. It takes follow-up
messages by signal, like the contact workflow, so a test can answer a question the
playbook asks. Activities are the ones mocked by name in ``tests/fakes/activities.py``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from desk.config import PolicyConfig
    from desk.contact import ContactRecord
    from desk.models import (
        EscalationReason,
        ProposedResolution,
        ResolutionKind,
        RoutedMessage,
    )

from workflows.contact.context import Contact
from workflows.contact.outcome import Closed, Escalate, Reread, Resolved
from workflows.contact.playbooks import PLAYBOOKS


class HarnessInput(BaseModel):
    contact_id: str
    policy: PolicyConfig
    record: ContactRecord  # customer, order, shipment and the first message adopted


class PlaybookResult(BaseModel):
    outcome: Literal["resolved", "escalate", "closed", "reread"]
    resolution: ResolutionKind | None = None
    reason: EscalationReason | None = None
    rule: str | None = None
    why: str = ""
    proposal: ProposedResolution | None = None
    reread: RoutedMessage | None = None  # the correction to read the contact again from
    record: ContactRecord


@workflow.defn(name="PlaybookHarness")
class PlaybookHarness:
    @workflow.init
    def __init__(self, input: HarnessInput) -> None:
        self.c = Contact(input.contact_id, input.policy, input.record)

    @workflow.signal(name="customer_message")
    def customer_message(self, routed: RoutedMessage) -> None:
        self.c.receive(routed)

    @workflow.query
    def record(self) -> ContactRecord:
        return self.c.rec

    @workflow.run
    async def run(self, input: HarnessInput) -> PlaybookResult:
        c = self.c
        first = c.rec.take_message()
        assert first is not None, "the harness starts from a record with its first message"
        c.adopt(first)
        c.take_request(first)
        outcome = await PLAYBOOKS[first.understanding.intent].run(c)
        if isinstance(outcome, Reread):
            return PlaybookResult(outcome="reread", reread=outcome.message, record=c.rec)
        if isinstance(outcome, Resolved):
            return PlaybookResult(
                outcome="resolved",
                resolution=outcome.kind,
                rule=outcome.rule.value,
                why=outcome.why,
                record=c.rec,
            )
        if isinstance(outcome, Escalate):
            return PlaybookResult(
                outcome="escalate",
                reason=outcome.reason,
                rule=outcome.rule.value,
                why=outcome.why,
                proposal=outcome.proposal,
                record=c.rec,
            )
        assert isinstance(outcome, Closed)
        return PlaybookResult(outcome="closed", record=c.rec)
