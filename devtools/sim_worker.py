"""A worker process for ``desk simulate`` and ``make bench``: the desk's worker (and the
floor's, on its own task queue) over the simulation's shop, until SIGTERM.

    python -m devtools.sim_worker CONFIG_JSON

Its own process so its CPU time and memory are its own (``/proc/<pid>``).
"""

from __future__ import annotations

import asyncio
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from pydantic import BaseModel, Field
from temporalio.worker import Worker

from desk.adapters.sandbox import SandboxShop
from desk.config import PolicyConfig, Settings
from desk.temporal_client import connect
from devtools.floor import FLOOR_QUEUE, FloorWorkflow, floor_noop
from starters.serving import stop_event
from workers.worker import WorkerTuning, build_worker


class SimWorkerConfig(BaseModel):
    data_dir: str
    temporal_address: str
    task_queue: str
    shop_url: str
    policy: PolicyConfig
    clock_origin: datetime
    carrier_speed: float
    tuning: WorkerTuning = Field(default_factory=WorkerTuning)
    floor: bool = True


async def run(config: SimWorkerConfig) -> None:
    settings = Settings(
        data_dir=config.data_dir,
        temporal_address=config.temporal_address,
        task_queue=config.task_queue,
    )
    for attempt in range(60):  # a dev server just started may not be healthy yet
        try:
            client = await connect(settings)
            break
        except RuntimeError:
            if attempt == 59:
                raise
            await asyncio.sleep(0.5)
    shop = SandboxShop(
        config.shop_url, clock_origin=config.clock_origin, clock_speed=config.carrier_speed
    )
    workers = [build_worker(client, shop, config.task_queue, config.policy, tuning=config.tuning)]
    if config.floor:
        workers.append(
            Worker(
                client,
                task_queue=FLOOR_QUEUE,
                workflows=[FloorWorkflow],
                activities=[floor_noop],
                activity_executor=ThreadPoolExecutor(config.tuning.activity_threads),
                **config.tuning.worker_options(),
            )
        )
    stop = stop_event()
    tasks = [asyncio.create_task(w.run()) for w in workers]
    watch = asyncio.create_task(_orphaned(stop))
    print("ready", flush=True)
    await stop.wait()
    await asyncio.gather(*(w.shutdown() for w in workers))
    await asyncio.gather(*tasks, return_exceptions=True)
    watch.cancel()
    shop.close()


async def _orphaned(stop: asyncio.Event) -> None:
    """Stop with the process that started this one (a run killed outright leaves no worker)."""
    parent = os.getppid()
    while os.getppid() == parent:
        await asyncio.sleep(1)
    stop.set()


def main() -> None:
    config = SimWorkerConfig.model_validate_json(sys.argv[1])
    profile = os.environ.get("DESK_SIM_PROFILE")  # a file: where the worker's profile goes
    if not profile:
        asyncio.run(run(config))
        return
    import cProfile

    with cProfile.Profile() as prof:
        asyncio.run(run(config))
    prof.dump_stats(f"{profile}.{os.getpid()}")


if __name__ == "__main__":
    main()
