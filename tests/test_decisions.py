"""Supervisor decisions reach a contact through the ``decide`` update, whose validator
refuses what does not fit, to its sender; the old ``supervisor_decision`` signal still
works for clients and contacts from before, recording a refusal on the timeline.

The real contact workflow runs on the time-skipping server with every activity mocked by
name over the in-memory shop."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.worker import Worker

from desk.config import PolicyConfig
from desk.contact import ContactInput
from desk.models import (
    ContactSnapshot,
    ContactState,
    Intent,
    ResolutionKind,
    SupervisorAction,
    SupervisorDecision,
)
from desk.routing import CUSTOMER_MESSAGE_SIGNAL
from devtools.test_server import start_test_server
from tests.fakes.activities import mocked_activities
from tests.playbooks.kit import Desk, delivered, line, shipment
from tests.waiting import until
from workflows.contact import ContactWorkflow


@dataclass
class Escalated:
    desk: Desk
    handle: WorkflowHandle[ContactWorkflow, ContactSnapshot]

    async def snapshot(self) -> ContactSnapshot:
        return await self.handle.query(ContactWorkflow.snapshot)

    async def state_is(self, state: ContactState) -> None:
        async def reached() -> bool:
            return (await self.snapshot()).state == state

        await until(reached)


@pytest.fixture
async def escalated() -> AsyncIterator[Escalated]:
    """A contact escalated because the customer asked for a person (no proposal)."""
    env = await start_test_server()
    async with env:
        desk = Desk(env)
        t0 = await desk.t0()
        desk.add(line("TEE", 30.0), t0=t0, shipments=[shipment(*delivered(t0), t0=t0)])
        first = desk.routed(
            "not here, I want a person", Intent.delivered_not_received, wants_human=True
        )
        async with Worker(
            env.client,
            task_queue=desk.queue,
            workflows=[ContactWorkflow],
            activities=mocked_activities(desk.shop, desk.calls, route=False),
        ):
            handle = await env.client.start_workflow(
                ContactWorkflow.run,
                ContactInput(contact_id=first.contact_id, policy=PolicyConfig()),
                id=first.contact_id,
                task_queue=desk.queue,
                start_signal=CUSTOMER_MESSAGE_SIGNAL,
                start_signal_args=[first],
            )
            contact = Escalated(desk, handle)
            await contact.state_is(ContactState.escalated)
            yield contact


def _decision(action: SupervisorAction, **kw: object) -> SupervisorDecision:
    return SupervisorDecision.model_validate({"action": action, "by": "sam@shop.example"} | kw)


async def test_a_decision_that_does_not_fit_is_refused_to_its_sender(escalated: Escalated) -> None:
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await escalated.handle.execute_update(
            ContactWorkflow.decide, _decision(SupervisorAction.approve)
        )
    assert "approve needs a proposed resolution" in str(refused.value.cause)
    with pytest.raises(WorkflowUpdateFailedError) as closing:
        await escalated.handle.execute_update(
            ContactWorkflow.decide, _decision(SupervisorAction.close)
        )
    assert "human has taken over" in str(closing.value.cause)
    snap = await escalated.snapshot()
    assert snap.state == ContactState.escalated and snap.decisions == []
    assert escalated.desk.called("issue_refund") == []


async def test_an_accepted_decision_is_acknowledged_and_carried_out_once(
    escalated: Escalated,
) -> None:
    receipt = await escalated.handle.execute_update(
        ContactWorkflow.decide,
        _decision(
            SupervisorAction.override, resolution=ResolutionKind.refund, amount=20, note="goodwill"
        ),
    )
    assert receipt.accepted and receipt.action == "override" and receipt.by == "sam@shop.example"
    await escalated.state_is(ContactState.resolved)
    snap = await escalated.snapshot()
    assert snap.resolution == ResolutionKind.refund and snap.autonomous is False
    assert escalated.desk.shop.refund_total() == 20.0
    # Now resolved: a second decision has nothing to decide.
    with pytest.raises(WorkflowUpdateFailedError) as again:
        await escalated.handle.execute_update(
            ContactWorkflow.decide, _decision(SupervisorAction.reject)
        )
    assert "not escalated" in str(again.value.cause)
    assert len(escalated.desk.called("issue_refund")) == 1


async def test_the_old_signal_still_decides_and_records_a_refusal(escalated: Escalated) -> None:
    await escalated.handle.signal(
        ContactWorkflow.supervisor_decision, _decision(SupervisorAction.approve)
    )

    async def refusal_recorded() -> bool:
        return any(e.kind == "decision_refused" for e in (await escalated.snapshot()).timeline)

    await until(refusal_recorded)
    await escalated.handle.signal(
        ContactWorkflow.supervisor_decision, _decision(SupervisorAction.take_over, note="mine")
    )
    await escalated.state_is(ContactState.human_owned)
    await escalated.desk.env.sleep(timedelta(hours=30))  # messages and days pass; nothing acts
    await escalated.handle.execute_update(
        ContactWorkflow.decide, _decision(SupervisorAction.close, note="sorted by phone")
    )
    await escalated.state_is(ContactState.closed)
    snap = await escalated.snapshot()
    assert [d.action for d in snap.decisions] == [
        SupervisorAction.take_over,
        SupervisorAction.close,
    ]
    assert escalated.desk.shop.refund_total() == 0
