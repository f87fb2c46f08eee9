"""A chaos run from start to end: the shop seeded; the dev server, the workers and ingest
started; the traffic sent while the faults fire; the contacts left to settle and checked.
``run_chaos`` prints the figures and returns 1 unless nothing was lost and nothing
duplicated, 2 if the run did not finish in its time limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from pathlib import Path

from desk.adapters.sandbox import SandboxShop
from desk.data_converter import data_converter_for
from desk.temporal_client import connect
from devtools.chaos.checks import _REFUSALS, _count_in, ok
from devtools.chaos.faults import ChaosFaults
from devtools.chaos.plan import ChaosPlan, Figures, _say
from devtools.chaos.report import render
from devtools.chaos.rig import HOST, WorkerProcess, _polling, _quiet_runtime
from devtools.chaos.traffic import ChaosTraffic
from devtools.chaos_traffic import seed_chaos_shop
from devtools.embedded_temporal import EmbeddedTemporal
from ingest.app import create_app
from starters.serving import api_server

# ---------------------------------------------------------------- the run


class ChaosRun(ChaosFaults, ChaosTraffic):
    """One run: the rig (rig.py) with its faults (faults.py), traffic (traffic.py) and
    checks (checks.py), put together by ``run``."""

    async def run(self) -> Figures:
        plan = self.plan
        begun = time.monotonic()
        hard_deadline = begun + plan.time_limit_s
        self.data.mkdir(parents=True, exist_ok=True)
        shop = SandboxShop(
            self.shop_url,
            clock_origin=self.origin,
            clock_speed=1 / plan.time_scale,
        )
        shop.create_all()
        traffic = seed_chaos_shop(
            shop, self.origin, plan.contacts, seed=plan.seed, spread_s=plan.traffic_s
        )
        where = self.shop_path if self.proxy is None else f"{shop.url.database} (PostgreSQL)"
        _say(f"shop seeded: {plan.contacts} customers and orders in {where}")
        if self.proxy is not None:
            await self.proxy.serve()
        converter = data_converter_for(self.settings)
        temporal = EmbeddedTemporal(self.settings, data_converter=converter)
        workers = [
            WorkerProcess(self.env, self.origin, plan.time_scale, self.data / f"worker-{i}.log")
            for i in range(1, plan.workers + 1)
        ]
        await temporal.start()
        _say(f"dev server on {temporal.address}, db {temporal.db_path}")
        client = await connect(temporal.settings, converter, runtime=_quiet_runtime())
        for w in workers:
            await w.start()
        await _polling([self.data / f"worker-{i}.log" for i in range(1, plan.workers + 1)])
        watchers = [asyncio.create_task(w.watch()) for w in workers]
        server = api_server(create_app(client, self.settings), HOST, self.settings.ingest_port)
        serving = asyncio.create_task(server.serve())
        try:
            load = asyncio.create_task(self.watch_load(client))
            try:
                await asyncio.wait_for(
                    asyncio.gather(self.send(traffic), self.chaos(temporal, workers)),
                    timeout=max(1.0, hard_deadline - time.monotonic()),
                )
            finally:
                load.cancel()
            _say("chaos over; waiting for the contacts to settle")
            await self.settle(client, hard_deadline - 60)
            figures = await asyncio.wait_for(
                self.verify(client, shop), timeout=max(1.0, hard_deadline - time.monotonic())
            )
            while not ok(figures) and time.monotonic() < hard_deadline - 60:
                # A contact caught mid-step (a refund paid, its activity not yet reported):
                # give the desk a little longer, then look again. What stays is the verdict.
                _say(
                    f"lost {figures.lost}, unsettled {figures.unsettled}, duplicated "
                    f"{figures.duplicated}; looking again in 10s"
                )
                await asyncio.sleep(10)
                figures = await self.verify(client, shop)
        finally:
            server.should_exit = True
            for watcher in watchers:
                watcher.cancel()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(serving, timeout=10)
            for w in workers:
                await w.stop()
            if self.proxy is not None:
                await self.proxy.refuse()
            await temporal.stop()
            shop.close()
        figures.worker_exits = sum(w.unexpected_exits for w in workers)
        figures.shop_errors = sum(
            _count_in(self.data / f"worker-{i}.log", _REFUSALS) for i in range(1, plan.workers + 1)
        )
        figures.elapsed_s = time.monotonic() - begun
        return figures


async def run_chaos(plan: ChaosPlan, data_dir: Path, database_url: str | None = None) -> int:
    import shutil

    from desk.logs import configure_logging

    # Errors only: the run prints its own progress; ingest's 503 warnings are counted.
    configure_logging(logging.ERROR)
    shutil.rmtree(data_dir, ignore_errors=True)
    run = ChaosRun(plan, data_dir, database_url)
    try:
        figures = await asyncio.wait_for(run.run(), timeout=plan.time_limit_s + 30)
    except TimeoutError:
        print(f"FAIL: the chaos run did not finish within {plan.time_limit_s:.0f}s", flush=True)
        return 2
    print(render(figures, plan), flush=True)
    if ok(figures):
        return 0
    return 2 if figures.unsettled and not (figures.lost or figures.duplicated) else 1
