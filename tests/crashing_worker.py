"""A desk worker that dies (SIGKILL) right after a refund's side effect, before the
activity can report completion: the worst moment for a worker to die.

Run as ``python -m tests.crashing_worker TARGET TASK_QUEUE SHOP_URL`` by
tests/test_exactly_once.py.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from concurrent.futures import ThreadPoolExecutor

from temporalio import activity
from temporalio.client import Client
from temporalio.worker import Worker

from desk.adapters.sandbox import SandboxShop
from desk.config import PolicyConfig
from desk.data_converter import DATA_CONVERTER
from desk.models import ExecutionResult, LineRef
from workers.worker import WORKFLOWS, desk_activities


async def main(target: str, task_queue: str, shop_url: str) -> None:
    client = await Client.connect(target, data_converter=DATA_CONVERTER)
    shop = SandboxShop(shop_url)

    @activity.defn(name="issue_refund")
    async def refund_then_die(
        order_number: str, amount: float, lines: list[LineRef], reason: str, key: str
    ) -> ExecutionResult:
        shop.refund(order_number, amount, lines, reason, key)
        os.kill(os.getpid(), signal.SIGKILL)
        raise AssertionError("unreachable")

    activities = [
        a
        for a in desk_activities(client, shop, task_queue, PolicyConfig())
        if getattr(a, "__name__", "") != "issue_refund"
    ]
    # No workflow cache, so no sticky queue: the time-skipping test server never moves a
    # dead worker's sticky workflow tasks back to the shared queue, a real cluster does.
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=[*activities, refund_then_die],
        activity_executor=ThreadPoolExecutor(4),
        max_cached_workflows=0,
    ):
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
