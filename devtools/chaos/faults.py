"""The chaos run's faults, each once its share of the contacts has been sent:

- the dev server **stopped and started again** on its SQLite file mid-run;
- the workers **killed with SIGKILL** in turn several times and each started again at once
  (as a supervisor such as systemd would);
- the sandbox shop **refusing service** for a while: this process holds the database's
  exclusive lock (``BEGIN EXCLUSIVE``), so every statement of the worker fails with
  "database is locked" after its busy timeout. SQLite has no server that could refuse a
  connection; a lock held by another process is the real way its database becomes
  unavailable, and the worker sees a real driver error, not an injected one. (A PostgreSQL
  shop: the proxy in front of it refuses connections instead, rig.TcpProxy.)
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

from devtools.chaos.plan import _say
from devtools.chaos.rig import ChaosRig, WorkerProcess
from devtools.embedded_temporal import EmbeddedTemporal


class ShopOutage:
    """The shop's SQLite database held under an exclusive lock by this process."""

    def __init__(self, path: Path):
        self._path = path
        self._release = threading.Event()
        self._held = threading.Event()
        self._thread: threading.Thread | None = None

    def _hold(self) -> None:
        db = sqlite3.connect(self._path, isolation_level=None, timeout=60)
        try:
            db.execute("BEGIN EXCLUSIVE")
            self._held.set()
            self._release.wait()
            db.execute("ROLLBACK")
        finally:
            db.close()

    async def begin(self) -> None:
        self._release.clear()
        self._held.clear()
        self._thread = threading.Thread(target=self._hold, name="shop-outage", daemon=True)
        self._thread.start()
        await asyncio.to_thread(self._held.wait, 60)

    async def end(self) -> None:
        self._release.set()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 60)


class ChaosFaults(ChaosRig):
    """The events of a run: when each fires, and what it does."""

    # ---- events

    def schedule(self) -> list[tuple[float, str]]:
        """(share of the contacts sent, event): spread over the traffic, so the desk is hit
        while it is busy; every event happens before the last contact is sent."""
        p = self.plan
        events: list[tuple[float, str]] = []
        events += [((i + 0.5) / p.kills * 0.95, "kill") for i in range(p.kills)]
        events += [
            ((i + 1) / (p.server_restarts + 1) + 0.05, "restart") for i in range(p.server_restarts)
        ]
        events += [
            ((i + p.outage_at) / p.shop_outages * 0.9, "outage") for i in range(p.shop_outages)
        ]
        return sorted(events)

    async def chaos(self, temporal: EmbeddedTemporal, workers: list[WorkerProcess]) -> None:
        """Each event once its share of the contacts has been sent, on its own: an outage
        does not hold back a kill."""
        restarting = asyncio.Lock()  # one server restart at a time

        async def at(share: float, what: str) -> None:
            while self.first_sent < share * self.plan.contacts and not self.sending_done:
                await asyncio.sleep(0.2)
            if what == "kill":
                which = self.figures.kills % len(workers)  # each in turn
                self.figures.kills += 1
                await workers[which].kill()
                _say(
                    f"SIGKILL worker {which + 1} ({self.figures.kills}/{self.plan.kills}); "
                    "restarted"
                )
            elif what == "restart":
                async with restarting:
                    _say("stopping the dev server")
                    await temporal.stop()
                    await asyncio.sleep(2)
                    await temporal.start()
                    self.figures.server_restarts += 1
                    _say(f"dev server restarted on {temporal.db_path.name}")
            elif self.proxy is not None:
                await self.proxy.refuse()
                self.figures.shop_outages += 1
                _say(
                    f"shop database refusing connections (outage {self.figures.shop_outages}) "
                    f"for {self.plan.outage_s:.0f}s"
                )
                await asyncio.sleep(self.plan.outage_s)
                await self.proxy.serve()
                _say("shop database back")
            else:
                outage = ShopOutage(self.shop_path)
                await outage.begin()
                self.figures.shop_outages += 1
                _say(
                    f"shop database locked (outage {self.figures.shop_outages}) "
                    f"for {self.plan.outage_s:.0f}s"
                )
                await asyncio.sleep(self.plan.outage_s)
                await outage.end()
                _say("shop database back")

        await asyncio.gather(*(at(share, what) for share, what in self.schedule()))
