"""The floor: a bare workflow running N no-op activities one after another, with the
desk's activity options. ``make bench`` compares the desk with it on the same server, the
same worker settings and the same run: what the desk costs over Temporal's own minimum.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow
from temporalio.common import RetryPolicy

FLOOR_QUEUE = "bench-floor"


@activity.defn(name="floor_noop")
def floor_noop(step: int) -> int:
    return step


@workflow.defn(name="FloorWorkflow")
class FloorWorkflow:
    @workflow.run
    async def run(self, activities: int) -> int:
        for step in range(activities):
            await workflow.execute_activity(
                floor_noop,
                step,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1)),
            )
        return activities
