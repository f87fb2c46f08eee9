"""``desk simulate``: tier-1 traffic at a given arrival rate (or as fast as the desk takes
it) over a generated shop of any size, through the ingest API in the vendors' formats.

One run: a fresh dev server (its own SQLite file and free ports), a bulk shop
(``devtools.bulk_shop``), the desk's worker in processes of its own
(``devtools.sim_worker``: their CPU and memory are theirs), the ingest app in this process
(called in-process over ASGI, signatures and all), and the traffic. Timers are scaled
(``--time-scale``); the carriers' clock is set apart (``--carrier-clock``: how many times
faster than the wall clock their scans move; the default keeps pace with the timers, so a
parcel in transit reads delivered by the first trace; ``1`` keeps it in transit).

``Rig`` is what the benchmarks (``benchmarks/bench.py``) drive phase by phase.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from temporalio.client import Client

from desk.adapters.sandbox import SandboxShop
from desk.adapters.sandbox.tables import OutboxRow
from desk.config import PolicyConfig, Settings
from desk.data_converter import data_converter_for
from desk.models import RoutedMessage
from desk.temporal_client import connect
from devtools.bulk_shop import SimContact, mix_summary, seed_bulk_shop, traffic
from devtools.demo import DEMO_SLOW_REMINDER_HOURS, demo_secrets
from devtools.embedded_temporal import EmbeddedTemporal
from devtools.net import free_port
from devtools.progress import Progress
from devtools.sim_worker import SimWorkerConfig
from devtools.simulator import post_message
from ingest.app import create_app
from workers.worker import WorkerTuning

# 12 h of policy time (the carrier re-trace) in 4.3 s, 48 h (a customer's reply window) in
# 17 s: timers near zero, yet a contact waiting on a carrier does not spin (at 1e-5 one
# would re-trace twice a second and burn the run's CPU).
SIM_TIME_SCALE = 1e-4
# Done for now: resolved or closed, or with a person (escalated, owned).
DONE_STATES = ("resolved", "closed", "escalated", "human_owned")
# Settled: done, or parked on a durable timer waiting for the carrier or the customer. A
# waiting contact does no work until its timer fires (at the scaled pace, 24 h of policy
# time is 8.6 s), so for throughput it is handled: counting it in flight would measure the
# policy's waits, not the desk (the floor has none). Its later re-trace still runs, and its
# CPU still counts.
SETTLED_STATES = (*DONE_STATES, "awaiting_carrier", "awaiting_customer")
SETTLED_QUERY = (
    'WorkflowType = "ContactWorkflow" AND ContactState IN ('
    + ", ".join(f'"{s}"' for s in SETTLED_STATES)
    + ")"
)
CONTACTS_QUERY = 'WorkflowType = "ContactWorkflow"'
# Still running and not done: what a phase ends (terminates) so it does not load the next.
WAITING_QUERY = (
    'WorkflowType = "ContactWorkflow" AND ExecutionStatus = "Running" AND ContactState NOT IN ('
    + ", ".join(f'"{s}"' for s in DONE_STATES)
    + ")"
)
_TICKS = os.sysconf("SC_CLK_TCK")
POLL_S = 0.25  # visibility counts: often enough to keep the slots full, cheap for the server


class SimOptions(BaseModel):
    contacts: int = 300
    rate: float | None = None  # contacts a second, open loop; None: as fast as possible
    in_flight: int = 50  # as fast as possible: contacts unsettled at once
    shop_size: int | None = None  # orders; default: 4 per contact, at least 1,200
    time_scale: float = SIM_TIME_SCALE
    carrier_clock: float | None = None  # None: the timers' pace (1 / time_scale)
    seed: int = 7
    workers: int = 1
    tuning: WorkerTuning = Field(default_factory=WorkerTuning)
    data_dir: str | None = None
    settle_timeout_s: float = 300.0
    quiet_s: float = 15.0  # no contact settled for this long: the rest wait on the world


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (/proc/<pid>/stat)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS


def rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


@dataclass
class Sent:
    sim: SimContact
    contact_id: str
    intake_id: str
    accepted_at: datetime


@dataclass
class PhaseResult:
    contacts: int
    elapsed_s: float
    throughput: float
    worker_cpu_s: float
    server_cpu_s: float
    first_reply_s: list[float] = field(default_factory=list)
    unsettled: int = 0
    sent: list[Sent] = field(default_factory=list)
    ended_waiting: int = 0

    def latency(self) -> dict[str, float | None]:
        return {f"p{q}": percentile(self.first_reply_s, q) for q in (50, 95, 99)}


async def _drain(stream: asyncio.StreamReader, log: Any) -> None:
    """A worker's output to the log, so a full pipe never blocks it."""
    while line := await stream.readline():
        log.write(line)
        log.flush()


class Rig:
    """A dev server, a bulk shop, worker processes and the in-process ingest app."""

    def __init__(self, options: SimOptions, settings: Settings | None = None) -> None:
        self.o = options
        base = settings or Settings()
        self.data = Path(options.data_dir or Path(base.data_dir) / "simulate")
        self.policy = PolicyConfig().model_copy(
            update={
                "time_scale": options.time_scale,
                "escalation_slow_reminder_hours": DEMO_SLOW_REMINDER_HOURS,
            }
        )
        self.carrier_speed = options.carrier_clock or 1 / options.time_scale
        self.now = datetime.now(UTC)
        # Its own server on free ports and its own shop: never the desk's own data.
        self.settings = base.model_copy(
            update={
                "data_dir": str(self.data),
                "database_url": None,
                "temporal_port": free_port(),
                "ui_port": free_port(),
                "task_queue": "contact-desk-sim",
                **demo_secrets(),
            }
        )
        self.workers: list[asyncio.subprocess.Process] = []
        self._drains: list[asyncio.Task[None]] = []
        self.temporal: EmbeddedTemporal | None = None
        self.client: Client | None = None
        self.http: httpx.AsyncClient | None = None
        self.shop: SandboxShop | None = None
        self._traffic: list[SimContact] = []
        self.shop_orders = 0
        self.shop_customers = 0

    # ------------------------------------------------------------ set-up

    async def start(self, *, seed_contacts: int) -> Rig:
        shutil.rmtree(self.data, ignore_errors=True)
        self.data.mkdir(parents=True)
        self.shop = SandboxShop(
            self.settings.shop_url, clock_origin=self.now, clock_speed=self.carrier_speed
        )
        self.shop.create_all()
        size = self.o.shop_size or max(1200, 4 * seed_contacts)
        bulk = seed_bulk_shop(self.shop, self.now, size, seed=self.o.seed)
        self.shop_orders, self.shop_customers = bulk.orders, bulk.customers
        self._traffic = traffic(bulk, seed_contacts, seed=self.o.seed)
        converter = data_converter_for(self.settings)
        self.temporal = EmbeddedTemporal(self.settings, data_converter=converter)
        await self.temporal.start()
        self.settings = self.temporal.settings
        self.client = await connect(self.settings, converter)
        app = create_app(self.client, self.settings)
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url=f"http://{self.settings.ingest_host}:{self.settings.ingest_port}",
            timeout=60,
        )
        await self.start_workers(self.o.workers)
        return self

    def worker_config(self, tuning: WorkerTuning | None = None) -> SimWorkerConfig:
        return SimWorkerConfig(
            data_dir=str(self.data),
            temporal_address=self.settings.temporal_address,
            task_queue=self.settings.task_queue,
            shop_url=self.settings.shop_url,
            policy=self.policy,
            clock_origin=self.now,
            carrier_speed=self.carrier_speed,
            tuning=tuning or self.o.tuning,
        )

    async def start_workers(self, n: int, tuning: WorkerTuning | None = None) -> None:
        config = self.worker_config(tuning).model_dump_json()
        log = (self.data / "workers.log").open("ab")
        for _ in range(n):
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "devtools.sim_worker",
                config,
                stdout=asyncio.subprocess.PIPE,
                stderr=log,
                stdin=asyncio.subprocess.DEVNULL,
            )
            assert proc.stdout is not None
            self.workers.append(proc)  # known before it is ready: a stop now stops it too
            deadline = time.monotonic() + 60
            while True:
                line = await asyncio.wait_for(
                    proc.stdout.readline(), timeout=max(0.1, deadline - time.monotonic())
                )
                if not line:
                    raise RuntimeError(f"worker did not start; see {self.data / 'workers.log'}")
                if line.strip() == b"ready":
                    break
                log.write(line)
            self._drains.append(asyncio.create_task(_drain(proc.stdout, log)))

    async def stop_workers(self, *, kill: bool = False) -> None:
        for proc in self.workers:
            if proc.returncode is None:
                proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        for proc in self.workers:
            try:
                await asyncio.wait_for(proc.wait(), timeout=30)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        self.workers = []

    async def stop(self) -> None:
        await self.stop_workers()
        if self.http is not None:
            await self.http.aclose()
        if self.temporal is not None:
            await self.temporal.stop()
        if self.shop is not None:
            self.shop.close()

    async def __aenter__(self) -> Rig:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------ measures

    @property
    def server_pid(self) -> int:
        assert self.temporal is not None and self.temporal._process is not None
        return self.temporal._process.pid

    def cpu(self) -> tuple[float, float]:
        """(worker processes', dev server's) CPU seconds so far."""
        return sum(cpu_seconds(p.pid) for p in self.workers), cpu_seconds(self.server_pid)

    def worker_rss(self) -> int:
        return sum(rss_bytes(p.pid) for p in self.workers)

    def db_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.data.glob("temporal.db*") if p.is_file())

    async def settled(self) -> int:
        assert self.client is not None
        return (await self.client.count_workflows(SETTLED_QUERY)).count

    def take(self, n: int) -> list[SimContact]:
        taken, self._traffic = self._traffic[:n], self._traffic[n:]
        if len(taken) < n:
            raise ValueError("the rig was started with fewer contacts than its phases send")
        return taken

    # ------------------------------------------------------------ traffic

    async def send(self, sim: SimContact) -> Sent:
        assert self.http is not None
        c = sim.contact
        accepted = await post_message(
            self.http,
            c.channel,
            c.sender,
            c.text,
            c.subject,
            c.attachments,
            message_id=c.message_id,
            settings=self.settings,
        )
        return Sent(
            sim,
            f"contact-order-{c.order_number}",
            accepted["intake_workflow_id"],
            datetime.now(UTC),
        )

    async def phase(
        self,
        contacts: list[SimContact],
        *,
        rate: float | None = None,
        in_flight: int = 50,
        label: str = "contacts",
        progress: bool = True,
        end_waiting: bool = False,
    ) -> PhaseResult:
        """Send ``contacts`` (open loop at ``rate`` a second, or keeping ``in_flight``
        unsettled) and wait until all have settled; throughput is from the first message
        to the last contact settled."""
        baseline = await self.settled()
        bar = Progress(label, len(contacts)) if progress else None
        w0, s0 = self.cpu()
        started = time.monotonic()
        sent: list[Sent] = []
        tasks: list[asyncio.Task[None]] = []
        done = 0
        rng = random.Random(self.o.seed)

        async def one(sim: SimContact) -> None:
            sent.append(await self.send(sim))

        next_at = started
        for sim in contacts:
            if rate is not None:
                next_at += rng.expovariate(rate)
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            else:
                while len(tasks) - done >= in_flight:
                    done = await self.settled() - baseline
                    if bar:
                        bar.update(done, f"{len(tasks)} sent")
                    if len(tasks) - done >= in_flight:
                        await asyncio.sleep(POLL_S)
            tasks.append(asyncio.create_task(one(sim)))
        await asyncio.gather(*tasks)
        deadline = time.monotonic() + self.o.settle_timeout_s
        last_change, last = time.monotonic(), -1
        cpu_at_last = self.cpu()
        while True:
            done = await self.settled() - baseline
            if done != last:
                last_change, last = time.monotonic(), done
                cpu_at_last = self.cpu()
            if bar:
                bar.update(done, f"{len(sent)} sent")
            if done >= len(contacts) or time.monotonic() > deadline:
                break
            if done > 0 and time.monotonic() - last_change > self.o.quiet_s:
                break  # the rest wait on carriers or customers for longer than a run
            await asyncio.sleep(POLL_S)
        # Up to the last contact that settled: a quiet wait for stragglers is not work.
        elapsed = max(1e-3, last_change - started)
        w1, s1 = cpu_at_last
        if bar:
            bar.finish(done, f"settled in {elapsed:.1f}s")
        result = PhaseResult(
            contacts=len(contacts),
            elapsed_s=elapsed,
            throughput=min(done, len(contacts)) / elapsed,
            worker_cpu_s=w1 - w0,
            server_cpu_s=s1 - s0,
            unsettled=max(0, len(contacts) - done),
            sent=sent,
        )
        result.first_reply_s = await self.first_replies(sent)
        if end_waiting:
            result.ended_waiting = await self.end_waiting()
        return result

    async def end_waiting(self) -> int:
        """Contacts still waiting on a carrier or a customer when a phase ends are
        terminated, so their scaled timers do not load the phases after it."""
        assert self.client is not None
        ended = 0
        async for wf in self.client.list_workflows(WAITING_QUERY):
            with contextlib.suppress(Exception):
                await self.client.get_workflow_handle(wf.id).terminate("benchmark phase over")
                ended += 1
        return ended

    async def first_replies(self, sent: list[Sent]) -> list[float]:
        """Seconds from a message's 202 to its contact's first reply in the outbox."""
        assert self.shop is not None and self.client is not None
        with self.shop.unit_of_work() as session:
            rows = session.execute(
                select(OutboxRow.contact_id, func.min(OutboxRow.created_at)).group_by(
                    OutboxRow.contact_id
                )
            ).all()
        first = {cid: at.replace(tzinfo=at.tzinfo or UTC) for cid, at in rows}
        missing = [s for s in sent if s.contact_id not in first]
        routed = await asyncio.gather(
            *(
                asyncio.wait_for(
                    self.client.get_workflow_handle(
                        s.intake_id, result_type=RoutedMessage
                    ).result(),
                    timeout=30,
                )
                for s in missing
            ),
            return_exceptions=True,
        )
        for s, r in zip(missing, routed, strict=True):
            if isinstance(r, RoutedMessage):
                s.contact_id = r.contact_id
        return [
            max(0.0, (first[s.contact_id] - s.accepted_at).total_seconds())
            for s in sent
            if s.contact_id in first
        ]

    async def outcomes(self) -> Counter[tuple[str, str]]:
        """(intent, state) of every contact, from visibility."""
        assert self.client is not None
        counts: Counter[tuple[str, str]] = Counter()
        async for wf in self.client.list_workflows(CONTACTS_QUERY):
            attrs = wf.search_attributes
            intent = (attrs.get("ContactIntent") or ["unknown"])[0]
            state = (attrs.get("ContactState") or ["started"])[0]
            counts[(str(intent), str(state))] += 1
        return counts

    async def history_shape(self, sent: list[Sent], sample: int = 60) -> dict[str, float]:
        """Mean activities and events per contact (its intake's and its own), over a sample."""
        assert self.client is not None
        picked = sent[:: max(1, len(sent) // sample)][:sample]
        activities, events, size = [], [], []
        for s in picked:
            acts = evs = nbytes = 0
            for wid in (s.intake_id, s.contact_id):
                history = await self.client.get_workflow_handle(wid).fetch_history()
                evs += len(history.events)
                nbytes += len(json.dumps(history.to_json_dict()))
                for e in history.events:
                    if e.HasField("activity_task_scheduled_event_attributes") or (
                        e.HasField("marker_recorded_event_attributes")
                        and e.marker_recorded_event_attributes.marker_name == "core_local_activity"
                    ):
                        acts += 1
            activities.append(acts)
            events.append(evs)
            size.append(nbytes)
        return {
            "activities": statistics.fmean(activities) if activities else 0.0,
            "events": statistics.fmean(events) if events else 0.0,
            "history_bytes": statistics.fmean(size) if size else 0.0,
        }


# ---------------------------------------------------------------- desk simulate


def report_text(report: dict[str, Any]) -> str:
    lat = report["first_reply_s"]

    def s(v: float | None) -> str:
        return "—" if v is None else f"{v:.2f} s"

    rows = [
        "",
        "=== desk simulate ===",
        f"shop: {report['shop_orders']} orders, {report['shop_customers']} customers; "
        f"timers x{report['time_scale']:g}, carriers' clock x{report['carrier_clock']:g}",
        f"arrivals: {report['arrivals']}; worker processes: {report['workers']}",
        f"contacts: {report['contacts']} sent, {report['contacts'] - report['unsettled']} "
        f"settled in {report['elapsed_s']:.1f} s: {report['throughput']:.2f} contacts/s",
        f"first reply (message accepted to first reply): p50 {s(lat['p50'])}, "
        f"p95 {s(lat['p95'])}, p99 {s(lat['p99'])}",
        f"CPU per contact: worker {report['worker_cpu_ms']:.0f} ms, "
        f"dev server {report['server_cpu_ms']:.0f} ms",
        "",
        "traffic mix: " + ", ".join(f"{k} {v}" for k, v in report["mix"].items()),
        "",
        f"{'intent':<24} {'state':<16} contacts",
    ]
    for row in report["outcomes"]:
        rows.append(f"{row['intent']:<24} {row['state']:<16} {row['contacts']}")
    return "\n".join(rows)


async def run_simulate(options: SimOptions, json_path: str | None = None) -> int:
    rig = Rig(options)
    try:
        await rig.start(seed_contacts=options.contacts)
        contacts = rig.take(options.contacts)
        result = await rig.phase(contacts, rate=options.rate, in_flight=options.in_flight)
        outcomes = await rig.outcomes()
        report: dict[str, Any] = {
            "contacts": result.contacts,
            "unsettled": result.unsettled,
            "elapsed_s": result.elapsed_s,
            "throughput": result.throughput,
            "first_reply_s": result.latency(),
            "worker_cpu_ms": 1000 * result.worker_cpu_s / max(1, result.contacts),
            "server_cpu_ms": 1000 * result.server_cpu_s / max(1, result.contacts),
            "arrivals": f"open loop at {options.rate}/s"
            if options.rate
            else f"as fast as possible, {options.in_flight} in flight",
            "workers": options.workers,
            "time_scale": options.time_scale,
            "carrier_clock": rig.carrier_speed,
            "shop_orders": rig.shop_orders,
            "shop_customers": rig.shop_customers,
            "mix": mix_summary(contacts),
            "outcomes": [
                {"intent": i, "state": s, "contacts": n}
                for (i, s), n in sorted(outcomes.items(), key=lambda kv: -kv[1])
            ],
        }
        print(report_text(report), flush=True)
        if json_path:
            Path(json_path).write_text(json.dumps(report, indent=2) + "\n")
    finally:
        await rig.stop()
    return 0
