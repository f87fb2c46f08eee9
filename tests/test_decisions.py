"""Supervisor decisions reach a contact through the ``decide`` update, whose validator
refuses what does not fit, to its sender; the old ``supervisor_decision`` signal still
works for clients and contacts from before, recording a refusal on the timeline. Either
way a decision counts only when signed by a supervisor of the registry, fresh, within the
role's limit and within what the order can return.

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
from desk.supervisors import Supervisor, SupervisorRegistry, new_key, sign
from devtools.test_server import start_test_server
from tests.fakes.activities import mocked_activities
from tests.playbooks.kit import Desk, delivered, line, shipment
from tests.waiting import until
from workflows.contact import ContactWorkflow

SAM = Supervisor(id="sam@shop.example", role="agent", key=new_key())  # may move 100
KIM = Supervisor(id="kim@shop.example", role="manager", key=new_key())
REGISTRY = SupervisorRegistry(supervisors=[SAM, KIM])


@dataclass
class Escalated:
    desk: Desk
    handle: WorkflowHandle[ContactWorkflow, ContactSnapshot]

    async def signed(
        self, action: SupervisorAction, who: Supervisor = SAM, **kw: object
    ) -> SupervisorDecision:
        decision = SupervisorDecision.model_validate({"action": action, "by": who.id} | kw)
        return sign(self.handle.id, decision, who.key, await self.desk.env.get_current_time())

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
        desk.add(line("TEE", 130.0), t0=t0, shipments=[shipment(*delivered(t0), t0=t0)])
        first = desk.routed(
            "not here, I want a person", Intent.delivered_not_received, wants_human=True
        )
        async with Worker(
            env.client,
            task_queue=desk.queue,
            workflows=[ContactWorkflow],
            activities=mocked_activities(desk.shop, desk.calls, route=False, supervisors=REGISTRY),
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


async def test_a_decision_that_does_not_fit_is_refused_to_its_sender(escalated: Escalated) -> None:
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await escalated.handle.execute_update(
            ContactWorkflow.decide, await escalated.signed(SupervisorAction.approve)
        )
    assert "approve needs a proposed resolution" in str(refused.value.cause)
    with pytest.raises(WorkflowUpdateFailedError) as closing:
        await escalated.handle.execute_update(
            ContactWorkflow.decide, await escalated.signed(SupervisorAction.close)
        )
    assert "human has taken over" in str(closing.value.cause)
    snap = await escalated.snapshot()
    assert snap.state == ContactState.escalated and snap.decisions == []
    assert escalated.desk.called("issue_refund") == []


async def test_an_accepted_decision_is_acknowledged_and_carried_out_once(
    escalated: Escalated,
) -> None:
    decision = await escalated.signed(
        SupervisorAction.override, resolution=ResolutionKind.refund, amount=20, note="goodwill"
    )
    receipt = await escalated.handle.execute_update(ContactWorkflow.decide, decision)
    assert receipt.accepted and receipt.action == "override" and receipt.by == SAM.id
    assert receipt.role == "agent"
    await escalated.state_is(ContactState.resolved)
    snap = await escalated.snapshot()
    assert snap.resolution == ResolutionKind.refund and snap.autonomous is False
    assert snap.decisions[0].by == SAM.id and snap.decisions[0].role == "agent"
    assert escalated.desk.shop.refund_total() == 20.0
    # Now resolved: a second decision has nothing to decide.
    with pytest.raises(WorkflowUpdateFailedError) as again:
        await escalated.handle.execute_update(
            ContactWorkflow.decide, await escalated.signed(SupervisorAction.reject)
        )
    assert "not escalated" in str(again.value.cause)
    assert len(escalated.desk.called("issue_refund")) == 1


async def test_a_made_up_supervisor_with_a_huge_amount_moves_nothing(escalated: Escalated) -> None:
    """The attack: ``temporal workflow update/signal`` with a made-up ``by`` and 99999."""
    forged = SupervisorDecision(
        action=SupervisorAction.override,
        by="ceo@shop.example",
        resolution=ResolutionKind.refund,
        amount=99999,
    )
    with pytest.raises(WorkflowUpdateFailedError) as beyond:
        await escalated.handle.execute_update(ContactWorkflow.decide, forged)
    assert "more than order 41880 can return (136.50)" in str(beyond.value.cause)
    within = forged.model_copy(update={"amount": 30})
    with pytest.raises(WorkflowUpdateFailedError) as stranger:
        await escalated.handle.execute_update(ContactWorkflow.decide, within)
    assert "'ceo@shop.example' is not a supervisor" in str(stranger.value.cause)
    # Sam's name without Sam's key: still no.
    impostor = within.model_copy(update={"by": SAM.id})
    impostor = sign(
        escalated.handle.id, impostor, new_key(), await escalated.desk.env.get_current_time()
    )
    with pytest.raises(WorkflowUpdateFailedError) as unsigned:
        await escalated.handle.execute_update(ContactWorkflow.decide, impostor)
    assert "not signed with sam@shop.example's key" in str(unsigned.value.cause)
    await escalated.handle.signal(ContactWorkflow.supervisor_decision, within)

    async def refusal_recorded() -> bool:
        return any(e.kind == "decision_refused" for e in (await escalated.snapshot()).timeline)

    await until(refusal_recorded)
    snap = await escalated.snapshot()
    assert snap.state == ContactState.escalated and snap.decisions == []
    assert escalated.desk.shop.refund_total() == 0


async def test_a_role_caps_the_money_one_decision_moves(escalated: Escalated) -> None:
    too_much = await escalated.signed(
        SupervisorAction.override, SAM, resolution=ResolutionKind.refund, amount=120
    )
    with pytest.raises(WorkflowUpdateFailedError) as capped:
        await escalated.handle.execute_update(ContactWorkflow.decide, too_much)
    assert "(agent) may move at most 100.00 per decision; this one moves 120.00" in str(
        capped.value.cause
    )
    manager = await escalated.signed(
        SupervisorAction.override, KIM, resolution=ResolutionKind.refund, amount=120
    )
    receipt = await escalated.handle.execute_update(ContactWorkflow.decide, manager)
    assert receipt.role == "manager"
    await escalated.state_is(ContactState.resolved)
    assert escalated.desk.shop.refund_total() == 120.0


async def test_a_signed_decision_goes_stale(escalated: Escalated) -> None:
    stale = await escalated.signed(
        SupervisorAction.override, KIM, resolution=ResolutionKind.refund, amount=10
    )
    await escalated.desk.env.sleep(timedelta(minutes=20))
    with pytest.raises(WorkflowUpdateFailedError) as late:
        await escalated.handle.execute_update(ContactWorkflow.decide, stale)
    assert "stale" in str(late.value.cause)


async def test_the_old_signal_still_decides_and_records_a_refusal(escalated: Escalated) -> None:
    await escalated.handle.signal(
        ContactWorkflow.supervisor_decision, await escalated.signed(SupervisorAction.approve)
    )

    async def refusal_recorded() -> bool:
        return any(e.kind == "decision_refused" for e in (await escalated.snapshot()).timeline)

    await until(refusal_recorded)
    await escalated.handle.signal(
        ContactWorkflow.supervisor_decision,
        await escalated.signed(SupervisorAction.take_over, KIM, note="mine"),
    )
    await escalated.state_is(ContactState.human_owned)
    await escalated.desk.env.sleep(timedelta(hours=30))  # messages and days pass; nothing acts
    await escalated.handle.execute_update(
        ContactWorkflow.decide,
        await escalated.signed(SupervisorAction.close, KIM, note="sorted by phone"),
    )
    await escalated.state_is(ContactState.closed)
    snap = await escalated.snapshot()
    assert [d.action for d in snap.decisions] == [
        SupervisorAction.take_over,
        SupervisorAction.close,
    ]
    assert [d.role for d in snap.decisions] == ["manager", "manager"]
    assert escalated.desk.shop.refund_total() == 0
