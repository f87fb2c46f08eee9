"""Long-lived contacts: when history grows while a person is involved, the contact
continues as new and loses nothing — state, messages, proposal, pending decisions."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment

from desk.adapters.sandbox import SandboxShop
from desk.adapters.wiring import Ports
from desk.config import PolicyConfig
from desk.models import (
    Channel,
    ContactSnapshot,
    ContactState,
    ExecutionResult,
    InboundMessage,
    LineRef,
    ResolutionKind,
    RoutedMessage,
    SupervisorAction,
    SupervisorDecision,
)
from desk.ports import Refused
from desk.routing import INTAKE_WORKFLOW, intake_workflow_id
from devtools.scenarios.format import load_scenario
from devtools.scenarios.loader import load_scenario_into
from devtools.test_server import start_test_server
from tests.senders import AUTHENTICATED, KIM, SUPERVISORS, signed
from tests.waiting import until
from workers.worker import build_worker
from workflows.contact import ContactWorkflow

ROOT = Path(__file__).resolve().parents[1]
TASK_QUEUE = "long"
CONTACT = "contact-order-91301"


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[tuple[WorkflowEnvironment, SandboxShop]]:
    env = await start_test_server()
    shop = SandboxShop(f"sqlite:///{tmp_path / 'shop.db'}")
    shop.create_all()
    async with env:
        scenario = load_scenario(ROOT / "scenarios" / "human-requested.yaml")
        load_scenario_into(shop, scenario, await env.get_current_time())
        policy = PolicyConfig(max_history_events=200)
        async with build_worker(env.client, shop, TASK_QUEUE, policy, supervisors=SUPERVISORS):
            yield env, shop
    shop.close()


async def _say(env: WorkflowEnvironment, n: int, text: str) -> None:
    message = InboundMessage(
        message_id=f"long-{n}",
        channel=Channel.email,
        sender="oli@example.com",
        text=text,
        auth=AUTHENTICATED,
    )
    wid = intake_workflow_id(message)
    await env.client.start_workflow(INTAKE_WORKFLOW, message, id=wid, task_queue=TASK_QUEUE)

    async def routed() -> bool:
        return (await env.client.get_workflow_handle(wid).describe()).close_time is not None

    await until(routed)
    await env.client.get_workflow_handle(wid, result_type=RoutedMessage).result()


async def _snap(env: WorkflowEnvironment) -> ContactSnapshot:
    handle = env.client.get_workflow_handle(CONTACT)
    return await handle.query(ContactWorkflow.snapshot)


async def _state_is(env: WorkflowEnvironment, state: ContactState) -> None:
    async def reached() -> bool:
        try:
            return (await _snap(env)).state == state
        except Exception:
            return False

    await until(reached)


async def _first_run_continued(env: WorkflowEnvironment, first_run: str) -> bool:
    history = await env.client.get_workflow_handle(CONTACT, run_id=first_run).fetch_history()
    return history.events[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW


async def _chatty_escalated_contact(env: WorkflowEnvironment) -> tuple[str, int]:
    await _say(env, 0, "Order 91301 says delivered but it is not here. I want a real person.")
    await _state_is(env, ContactState.escalated)
    first_run = (await env.client.get_workflow_handle(CONTACT).describe()).run_id
    assert first_run
    count = 60
    for n in range(1, count + 1):
        await _say(env, n, f"any news? message {n}")
    return first_run, count + 1


async def test_escalated_contact_continues_as_new_and_keeps_everything(desk: Any) -> None:
    env, shop = desk
    first_run, messages = await _chatty_escalated_contact(env)
    await env.sleep(timedelta(hours=5))  # one vip SLA period: the safe point

    async def continued() -> bool:
        return await _first_run_continued(env, first_run)

    await until(continued)
    snap = await _snap(env)
    assert snap.state == ContactState.escalated
    assert snap.escalation_reason and snap.escalation_reason.value == "customer_requested_human"
    assert len(snap.messages) == messages
    assert snap.escalation_level == 2
    assert [e.kind for e in snap.timeline if e.kind in ("continued", "resumed")] == [
        "continued",
        "resumed",
    ]
    alerts = shop.supervisor_alerts(CONTACT)
    assert alerts[0][0] == 1 and alerts[0][1].startswith("new escalation: customer_requested")
    assert alerts[1][0] == 2 and alerts[1][1].startswith("reminder: no decision for 1 SLA")

    decision = SupervisorDecision(
        action=SupervisorAction.override,
        by="sam@shop.example",
        note="goodwill",
        resolution=ResolutionKind.refund,
        amount=30,
    )
    decision = signed(CONTACT, decision, await env.get_current_time())
    await env.client.get_workflow_handle(CONTACT).execute_update(ContactWorkflow.decide, decision)
    await _state_is(env, ContactState.resolved)
    snap = await _snap(env)
    assert snap.resolution == ResolutionKind.refund and snap.autonomous is False
    assert shop.refund_total(["91301"]) == 30.0
    # Replies keep counting across runs, so reply keys never repeat.
    assert len(shop.outbox(CONTACT)) == snap.replies_sent


async def test_contact_owned_by_a_person_continues_as_new_until_closed(desk: Any) -> None:
    env, shop = desk
    await _say(env, 0, "Order 91301 says delivered but it is not here. I want a real person.")
    await _state_is(env, ContactState.escalated)
    handle = env.client.get_workflow_handle(CONTACT)
    take_over = SupervisorDecision(action=SupervisorAction.take_over, by="kim")
    await handle.execute_update(
        ContactWorkflow.decide, signed(CONTACT, take_over, await env.get_current_time(), KIM)
    )
    await _state_is(env, ContactState.human_owned)
    first_run = (await handle.describe()).run_id
    assert first_run
    for n in range(1, 61):
        await _say(env, n, f"hello? {n}")
    await env.sleep(timedelta(days=1, hours=1))

    async def continued() -> bool:
        return await _first_run_continued(env, first_run)

    await until(continued)
    assert (await _snap(env)).state == ContactState.human_owned
    # The signal still works for clients from before the update.
    close = SupervisorDecision(action=SupervisorAction.close, by="kim", note="sorted by phone")
    await handle.signal(
        ContactWorkflow.supervisor_decision,
        signed(CONTACT, close, await env.get_current_time(), KIM),
    )
    await _state_is(env, ContactState.closed)
    snap = await _snap(env)
    assert len(snap.messages) == 61
    assert snap.decisions[-1].note == "sorted by phone"
    assert shop.refund_total() == 0


class DecliningFirstRefund:
    """The payment processor declining the first refund asked of it (a card closed since
    the order, say), then paying: Stripe's card_declined, on the sandbox's ledger."""

    def __init__(self, shop: SandboxShop) -> None:
        self.shop = shop
        self.declined: list[str] = []

    def refund(
        self, order_number: str, amount: float, lines: list[LineRef], reason: str, key: str
    ) -> ExecutionResult:
        if not self.declined:
            self.declined.append(key)
            raise Refused("card_declined: the card on the order no longer accepts refunds")
        return self.shop.refund(order_number, amount, lines, reason, key)


async def test_a_declined_refund_in_a_continued_run_goes_back_to_a_person(
    tmp_path: Path,
) -> None:
    env = await start_test_server()
    shop = SandboxShop(f"sqlite:///{tmp_path / 'shop.db'}")
    shop.create_all()
    payments = DecliningFirstRefund(shop)
    ports = dataclasses.replace(Ports.sandbox(shop), payments=payments)
    async with env:
        scenario = load_scenario(ROOT / "scenarios" / "human-requested.yaml")
        load_scenario_into(shop, scenario, await env.get_current_time())
        policy = PolicyConfig(max_history_events=200)
        async with build_worker(env.client, ports, TASK_QUEUE, policy, supervisors=SUPERVISORS):
            first_run, _ = await _chatty_escalated_contact(env)
            await env.sleep(timedelta(hours=5))

            async def continued() -> bool:
                return await _first_run_continued(env, first_run)

            await until(continued)
            handle = env.client.get_workflow_handle(CONTACT)
            refund = SupervisorDecision(
                action=SupervisorAction.override,
                by="sam@shop.example",
                note="goodwill",
                resolution=ResolutionKind.refund,
                amount=30,
            )
            await handle.execute_update(
                ContactWorkflow.decide, signed(CONTACT, refund, await env.get_current_time())
            )

            async def back_with_a_person() -> bool:
                snap = await _snap(env)
                return snap.state == ContactState.escalated and any(
                    e.kind == "action_failed" for e in snap.timeline
                )

            await until(back_with_a_person)
            snap = await _snap(env)
            failed = [e.text for e in snap.timeline if e.kind == "action_failed"]
            assert failed == [
                "issue_refund refused: Refused: card_declined: the card on the order no longer "
                "accepts refunds"
            ]
            assert snap.resolution is None and shop.refund_total(["91301"]) == 0
            # The person tries again (the customer gave a new card): it goes through, once.
            await handle.execute_update(
                ContactWorkflow.decide, signed(CONTACT, refund, await env.get_current_time())
            )
            await _state_is(env, ContactState.resolved)
            assert shop.refund_total(["91301"]) == 30.0
            assert (await _snap(env)).resolution == ResolutionKind.refund
    shop.close()
