"""Money moves exactly once, even when the worker dies between paying and reporting."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities.resolution import ResolutionActivities
from desk.adapters.sandbox import SandboxShop
from desk.config import PolicyConfig
from desk.models import ContactState, InboundMessage, LineRef, ResolutionKind
from desk.routing import INTAKE_WORKFLOW, intake_workflow_id
from devtools.scenarios.format import load_scenario
from devtools.scenarios.loader import load_scenario_into
from devtools.test_server import start_test_server
from tests.senders import AUTHENTICATED
from tests.waiting import until
from workers.worker import build_worker
from workflows.contact import ContactWorkflow

ROOT = Path(__file__).resolve().parents[1]
TASK_QUEUE = "exactly-once"


@pytest.fixture
async def env() -> AsyncIterator[WorkflowEnvironment]:
    env = await start_test_server()
    async with env:
        yield env


async def test_worker_killed_after_the_refund_still_refunds_once(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    shop_url = f"sqlite:///{tmp_path / 'shop.db'}"
    shop = SandboxShop(shop_url)
    shop.create_all()
    scenario = load_scenario(ROOT / "scenarios" / "wismo-lost-exception.yaml")
    load_scenario_into(shop, scenario, await env.get_current_time())
    target = env.client.service_client.config.target_host
    doomed = subprocess.Popen(
        [sys.executable, "-m", "tests.crashing_worker", target, TASK_QUEUE, shop_url], cwd=ROOT
    )
    try:
        first = scenario.messages[0]
        message = InboundMessage(
            message_id="crash-1",
            channel=first.channel,
            sender=first.sender,
            text=first.text,
            auth=AUTHENTICATED,
        )
        await env.client.start_workflow(
            INTAKE_WORKFLOW, message, id=intake_workflow_id(message), task_queue=TASK_QUEUE
        )

        async def died() -> bool:
            return doomed.poll() is not None

        await until(died)
        assert doomed.returncode == -9, "the worker should have been killed mid-activity"
        assert len(shop.refunds()) == 1  # the side effect happened before the death
    finally:
        if doomed.poll() is None:
            doomed.kill()

    contact = env.client.get_workflow_handle("contact-order-90901")
    async with build_worker(env.client, shop, TASK_QUEUE, PolicyConfig()):
        # The test server does not skip time while an activity is in flight, so the dead
        # attempt's 30 s start-to-close timeout passes in real time before the retry. The
        # shop's outbox tells when the desk has told the customer (queries would go to the
        # dead worker's sticky queue until the contact moves on).
        async def customer_told() -> bool:
            return any("refunded" in m.body for m in shop.outbox("contact-order-90901"))

        await until(customer_told, seconds=120)

        # The reply is in the outbox a moment before the contact records its resolution.
        async def resolved() -> bool:
            snap = await contact.query(ContactWorkflow.snapshot)
            return snap.state == ContactState.resolved

        await until(resolved)
        snap = await contact.query(ContactWorkflow.snapshot)
    refunds = shop.refunds()
    assert len(refunds) == 1
    assert refunds[0].amount == 46.0
    assert snap.resolution == ResolutionKind.refund
    assert snap.refund_total == 46.0
    assert shop.refund_total() == 46.0
    shop.close()


def test_a_retried_refund_activity_returns_the_first_result(tmp_path: Path) -> None:
    shop = SandboxShop(f"sqlite:///{tmp_path / 'shop.db'}")
    shop.create_all()
    scenario = load_scenario(ROOT / "scenarios" / "wismo-lost-exception.yaml")
    from datetime import UTC, datetime

    load_scenario_into(shop, scenario, datetime.now(UTC))
    acts = ResolutionActivities(shop, shop, shop)
    env = ActivityEnvironment()
    lines = [LineRef(sku="BAG-9", name="Tote bag", qty=1, unit_price=40.0)]
    first = env.run(acts.issue_refund, "90901", 46.0, lines, "lost", "contact-x:d1:refund")
    again = env.run(acts.issue_refund, "90901", 46.0, lines, "lost", "contact-x:d1:refund")
    assert first == again
    assert len(shop.refunds()) == 1
    other = env.run(acts.issue_refund, "90901", 10.0, lines, "goodwill", "contact-x:d2:refund")
    assert other.refund_id != first.refund_id
    assert shop.refund_total() == 56.0
    shop.close()
