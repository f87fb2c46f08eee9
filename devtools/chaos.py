"""``make chaos``: contacts through the embedded desk while its parts are knocked over.

On loopback only, in ``<data_dir>/chaos`` (fresh each run):

- the dev server (``temporal server start-dev --db-filename``) on its SQLite file,
  **stopped and started again** on that file mid-run;
- the workers (two by default), each in its own process (devtools/chaos_worker.py),
  **killed with SIGKILL** in turn several times and each started again at once (as a
  supervisor such as systemd would);
- the ingest API in this process, fed with every contact's messages in the channels'
  vendor formats (devtools/simulator.py); a 503 while Temporal is down is retried with
  the same provider message id, as a vendor retries a webhook. The desk sets the pace: a
  new contact is sent only while fewer than ``max_working`` are being worked, so a slow or
  shared machine is not buried under a backlog it would need far longer to clear; the
  chaos events fire at shares of the contacts sent, so they land while the desk is busy;
- the sandbox shop on a SQLite file, **refusing service** for a while: this process holds
  the database's exclusive lock (``BEGIN EXCLUSIVE``), so every statement of the worker
  fails with "database is locked" after its busy timeout. SQLite has no server that could
  refuse a connection; a lock held by another process is the real way its database
  becomes unavailable, and the worker sees a real driver error, not an injected one.

Afterwards every contact is checked: its intake workflow routed the message, the contact
holds it, and the contact is finished or waiting as it should (on the customer, a carrier
or a supervisor). The ledger is checked against each contact's own record: one refund and
one replacement at most per decision key, refund totals and replacement orders equal to
what the contact believes it did, and as many replies in the outbox as it sent. It prints
the figures and exits 1 unless nothing was lost and nothing duplicated, 2 if the run did
not finish in its time limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import signal
import sqlite3
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import httpx
from pydantic import SecretStr
from sqlalchemy.engine import make_url
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter

from desk.adapters.sandbox import SandboxShop
from desk.codec import new_key
from desk.config import Settings
from desk.data_converter import data_converter_for
from desk.models import ContactSnapshot, ContactState, RoutedMessage
from desk.routing import CONTACT_WORKFLOW, INTAKE_WORKFLOW
from desk.temporal_client import connect
from devtools.chaos_traffic import seed_chaos_shop
from devtools.demo import DEMO_TIME_SCALE, demo_secrets
from devtools.demo_shop.contacts import DemoContact
from devtools.embedded_temporal import EmbeddedTemporal
from devtools.net import free_port as _free_port
from devtools.simulator import vendor_payload
from ingest.app import create_app
from starters.serving import api_server
from supervisor.report import table
from workflows.contact import ContactWorkflow

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
# A contact is finished, or waits as it should: on the customer, a carrier, a supervisor
# or a person who took it over (resolved: inside its reopen window).
WAITING = {
    ContactState.awaiting_customer,
    ContactState.awaiting_carrier,
    ContactState.escalated,
    ContactState.human_owned,
    ContactState.resolved,
}
FINAL = {ContactState.resolved, ContactState.closed}
BUSY = {ContactState.new, ContactState.investigating}


@dataclass(frozen=True)
class ChaosPlan:
    contacts: int = 500
    traffic_s: float = 60.0  # first messages no faster than contacts / traffic_s a second
    max_working: int = 100  # nor while this many intakes and contacts are being worked
    workers: int = 2  # worker processes on the task queue; the kills take them in turn
    kills: int = 5
    server_restarts: int = 2
    shop_outages: int = 1
    outage_s: float = 25.0
    outage_at: float = 0.1  # the first outage once this share of the contacts is sent
    time_limit_s: float = 1200.0
    settle_quiet_s: float = 10.0
    time_scale: float = DEMO_TIME_SCALE
    seed: int = 11


@dataclass
class Figures:
    contacts: int = 0
    messages: int = 0
    accepted: int = 0
    ingest_retries: int = 0
    kills: int = 0
    worker_exits: int = 0  # exits this run did not cause
    server_restarts: int = 0
    shop_outages: int = 0
    shop_errors: int = 0  # activity attempts the locked shop database refused
    final: int = 0
    waiting: int = 0
    lost: int = 0
    unsettled: int = 0  # still reading or acting when the time was up: neither lost nor done
    duplicated: int = 0
    refunds: int = 0
    replacements: int = 0
    replies: int = 0
    decisions: int = 0
    states: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0


def _say(text: str) -> None:
    print(f"[chaos {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- the parts


class WorkerProcess:
    """The desk worker as a child process, restarted whenever it dies."""

    def __init__(self, env: dict[str, str], origin: datetime, time_scale: float, log: Path):
        self._env = env
        self._args = [
            sys.executable,
            "-m",
            "devtools.chaos_worker",
            origin.isoformat(),
            repr(time_scale),
        ]
        self._log_path = log
        self._log: IO[bytes] | None = None
        self.process: asyncio.subprocess.Process | None = None
        self.killing = False
        self.unexpected_exits = 0

    async def start(self) -> None:
        if self._log is None:
            self._log = self._log_path.open("ab")
        self.process = await asyncio.create_subprocess_exec(
            *self._args,
            cwd=ROOT,
            env=self._env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
            start_new_session=True,
        )

    async def kill(self) -> None:
        """SIGKILL, then a new worker straight away."""
        assert self.process is not None
        self.killing = True
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGKILL)
        await self.process.wait()
        self.killing = False
        await self.start()

    async def watch(self) -> None:
        """Restart the worker if it exits by itself (and count it)."""
        while True:
            process = self.process
            assert process is not None
            await process.wait()
            if not self.killing and self.process is process:
                self.unexpected_exits += 1
                _say(f"worker exited by itself (code {process.returncode}); restarting")
                await self.start()
            await asyncio.sleep(0.2)

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), timeout=10)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None


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


class TcpProxy:
    """127.0.0.1:<port> forwarding to the shop's PostgreSQL: the worker connects through
    it. ``refuse()`` closes the listener and cuts every connection, so the worker's next
    connection attempt is refused (ECONNREFUSED) and pooled ones are dead; ``serve()``
    listens again on the same port."""

    def __init__(self, host: str, port: int):
        self._target = (host, port)
        self.port = _free_port()
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.StreamWriter] = set()

    async def serve(self) -> None:
        self._server = await asyncio.start_server(self._link, HOST, self.port)

    async def refuse(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._links):
            writer.transport.abort()
        self._links.clear()

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.transport.abort()
            return
        self._links |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._links -= {writer, up_writer}


def _fresh_postgres(url: str, name: str = "desk_chaos") -> tuple[str, str, int]:
    """A fresh database ``name`` on the server of ``url`` (dropped first if a previous run
    left it): (its URL, host, port). The database named in ``url`` is only connected to."""
    import psycopg
    from sqlalchemy.engine import make_url

    from desk.adapters.sandbox import database_url

    given = database_url(url)
    host, port = given.host or HOST, given.port or 5432
    if host not in (HOST, "localhost"):
        raise SystemExit(f"chaos: loopback only; {host} is not 127.0.0.1")
    dsn = given.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as db:
        db.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        db.execute(f"CREATE DATABASE {name}")
    fresh = make_url(str(given.render_as_string(hide_password=False))).set(database=name)
    return fresh.render_as_string(hide_password=False), host, port


# ---------------------------------------------------------------- the run


class ChaosRun:
    def __init__(self, plan: ChaosPlan, data_dir: Path, database_url: str | None = None):
        self.plan = plan
        self.data = data_dir
        self.figures = Figures()
        self.intake_ids: dict[str, str] = {}  # message id -> intake workflow id
        self.send_problems: list[str] = []  # messages ingest never accepted: lost
        self.first_sent = 0
        self.sending_done = False
        self.working = 0
        self.origin = datetime.now(UTC)
        key = f"chaos:{new_key()}"
        self.settings = Settings(
            data_dir=str(data_dir),
            database_url=None,
            task_queue="chaos",
            temporal_port=_free_port(),
            ui_port=_free_port(),
            ingest_host=HOST,
            ingest_port=_free_port(),
            codec_keys=SecretStr(key),
            **demo_secrets(),  # type: ignore[arg-type]
        )
        self.settings = self.settings.model_copy(
            update={"temporal_address": f"{HOST}:{self.settings.temporal_port}"}
        )
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DESK_", "TEMPORAL_"))},
            "DESK_DATA_DIR": str(data_dir),
            "DESK_TASK_QUEUE": self.settings.task_queue,
            "DESK_TEMPORAL_ADDRESS": self.settings.temporal_address,
            "DESK_CODEC_KEYS": key,
            "PYTHONPATH": str(ROOT),
        }
        self.shop_path = data_dir / "shop.db"
        self.shop_url = f"sqlite:///{self.shop_path}"
        self.proxy: TcpProxy | None = None
        if database_url is not None:
            # PostgreSQL: a fresh database, and the workers reach it through the proxy.
            self.shop_url, host, port = _fresh_postgres(database_url)
            self.proxy = TcpProxy(host, port)
            proxied = make_url(self.shop_url).set(host=HOST, port=self.proxy.port)
            self.env["DESK_DATABASE_URL"] = proxied.render_as_string(hide_password=False)

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

    async def watch_load(self, client: Client) -> None:
        """``self.working``: intakes running and contacts reading or acting, from visibility
        every second (the sender's back-pressure)."""
        while True:
            with contextlib.suppress(Exception):  # the server may be restarting
                self.working = await self.busy(client)
            await asyncio.sleep(1)

    async def send(self, traffic: list[DemoContact]) -> None:
        """Every contact's first message in order, at most one per ``traffic_s / contacts``
        and only while fewer than ``max_working`` are being worked (the desk sets the pace,
        so a slow or shared machine is not buried under a backlog); each follow-up its
        scaled hours after its contact's first message was accepted."""
        plan = self.plan
        scale = plan.time_scale
        self.figures.messages = sum(1 + len(c.follow_ups) for c in traffic)
        base = f"http://{HOST}:{self.settings.ingest_port}"
        interval = plan.traffic_s / max(1, plan.contacts)
        deadline = time.monotonic() + plan.time_limit_s * 0.7
        later: list[asyncio.Task[None]] = []
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            for _ in range(100):
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get("/healthz")).status_code == 200:
                        break
                await asyncio.sleep(0.1)

            async def post(message_id: str, parts: Any) -> bool:
                channel, sender, text, subject, attachments = parts
                path, kwargs = vendor_payload(
                    channel,
                    sender,
                    text,
                    subject,
                    attachments,
                    message_id,
                    settings=self.settings,
                    base_url=base,
                )
                delay = 0.5
                while time.monotonic() < deadline:
                    try:
                        response = await http.post(path, **kwargs)
                    except httpx.TransportError:
                        response = None
                    if response is not None and response.status_code == 202:
                        self.intake_ids[message_id] = response.json()["intake_workflow_id"]
                        self.figures.accepted += 1
                        return True
                    if response is not None and response.status_code not in (502, 503, 504):
                        self.send_problems.append(
                            f"{message_id}: ingest answered {response.status_code}"
                        )
                        return False
                    self.figures.ingest_retries += 1
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 5.0)
                self.send_problems.append(f"{message_id}: never accepted by ingest")
                return False

            async def follow_up(after_s: float, message_id: str, parts: Any) -> None:
                await asyncio.sleep(after_s)
                await post(message_id, parts)

            for c in traffic:
                next_at = time.monotonic() + interval
                while self.working >= plan.max_working and time.monotonic() < deadline:
                    await asyncio.sleep(0.25)
                first = (c.channel, c.sender, c.text, c.subject, c.attachments)
                if await post(c.message_id, first):
                    self.working += 1  # until visibility catches up
                    for f in c.follow_ups:
                        parts = (f.channel, f.sender, f.text, None, f.attachments)
                        later.append(
                            asyncio.create_task(
                                follow_up(f.after_hours * 3600 * scale, f.message_id, parts)
                            )
                        )
                self.first_sent += 1
                if self.first_sent % 50 == 0:
                    _say(f"sent {self.first_sent}/{plan.contacts} contacts")
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            self.sending_done = True
            await asyncio.gather(*later)
        _say(
            f"sent {self.figures.accepted}/{self.figures.messages} messages "
            f"({self.figures.ingest_retries} retried after a 503 or a refused connection)"
        )

    # ---- checks

    async def busy(self, client: Client) -> int:
        """Running intakes plus contacts still reading or working (visibility: a hint only;
        the verdict comes from the workflows themselves)."""
        running = 'ExecutionStatus = "Running"'
        intakes = await client.count_workflows(f'WorkflowType = "{INTAKE_WORKFLOW}" AND {running}')
        states = ", ".join(f'"{s.value}"' for s in BUSY)
        contacts = await client.count_workflows(
            f'WorkflowType = "{CONTACT_WORKFLOW}" AND {running} AND ContactState IN ({states})'
        )
        return intakes.count + contacts.count

    async def settle(self, client: Client, deadline: float) -> None:
        quiet_since: float | None = None
        while time.monotonic() < deadline:
            try:
                busy = await self.busy(client)
            except Exception as err:  # noqa: BLE001 - the server may be mid-restart
                _say(f"visibility not answering ({type(err).__name__})")
                busy = -1
            if busy == 0:
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since >= self.plan.settle_quiet_s:
                    return
            else:
                quiet_since = None
            await asyncio.sleep(2)

    async def verify(self, client: Client, shop: SandboxShop) -> Figures:
        """Lost and duplicated, from the workflows and the ledger (not from visibility)."""
        f = self.figures
        f.lost = f.duplicated = f.final = f.waiting = f.unsettled = 0
        f.states = Counter()
        problems = list(self.send_problems)
        unsettled: list[str] = []
        f.lost += len(problems)
        routed: dict[str, RoutedMessage] = {}

        async def intake(message_id: str, workflow_id: str) -> None:
            handle = client.get_workflow_handle(workflow_id, result_type=RoutedMessage)
            try:
                routed[message_id] = await asyncio.wait_for(handle.result(), timeout=20)
            except TimeoutError:
                unsettled.append(f"{message_id}: intake {workflow_id} still running")
            except Exception as err:  # noqa: BLE001 - reported as lost
                problems.append(f"{message_id}: intake {workflow_id} not routed ({err})")

        await _bounded(intake(m, w) for m, w in self.intake_ids.items())
        f.lost = len(problems)
        by_contact: dict[str, list[RoutedMessage]] = defaultdict(list)
        for r in routed.values():
            by_contact[r.contact_id].append(r)
        f.contacts = len(by_contact)
        snaps: dict[str, ContactSnapshot] = {}

        async def contact(contact_id: str) -> None:
            handle = client.get_workflow_handle(contact_id, result_type=ContactSnapshot)
            try:
                status = (await handle.describe()).status
                if status == WorkflowExecutionStatus.COMPLETED:
                    # A finished contact returns its snapshot: read from history, no replay.
                    snap = await asyncio.wait_for(handle.result(), timeout=30)
                else:
                    snap = await asyncio.wait_for(
                        handle.query(ContactWorkflow.snapshot), timeout=30
                    )
            except TimeoutError:
                unsettled.append(f"{contact_id}: no answer to a query within 30s")
                return
            except Exception as err:  # noqa: BLE001 - reported as lost
                problems.append(f"{contact_id}: not queryable ({type(err).__name__}: {err})")
                return
            snaps[contact_id] = snap
            f.states[snap.state.value] += 1
            held = {m.message_id for m in snap.messages}
            missing = [
                r.message.message_id
                for r in by_contact[contact_id]
                if r.held_back is None and r.message.message_id not in held
            ]
            if missing:
                problems.append(f"{contact_id}: messages never reached it: {missing}")
            if status in (
                WorkflowExecutionStatus.FAILED,
                WorkflowExecutionStatus.TERMINATED,
                WorkflowExecutionStatus.TIMED_OUT,
                WorkflowExecutionStatus.CANCELED,
            ):
                problems.append(f"{contact_id}: workflow {status.name}")
            elif status == WorkflowExecutionStatus.COMPLETED or snap.state == ContactState.closed:
                f.final += 1
            elif snap.state in WAITING:
                f.waiting += 1
            else:
                unsettled.append(f"{contact_id}: still {snap.state.value}")

        await _bounded(contact(c) for c in by_contact)
        f.lost = len(problems)
        f.duplicated, dup_problems, lost_effects = _ledger_check(shop, snaps)
        f.lost += len(lost_effects)
        f.unsettled = len(unsettled)
        f.problems = problems + lost_effects + dup_problems + unsettled
        f.refunds = len(shop.refunds())
        f.replacements = len(shop.replacements())
        f.replies = len(shop.outbox())
        f.decisions = len(
            {k.rsplit(":", 1)[0] for k in _effect_keys(shop) if re.search(r":d\d+:", k)}
        )
        return f

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


async def _polling(logs: list[Path], timeout_s: float = 90) -> None:
    """Until every worker says it polls (a slow machine takes seconds to import one)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if all("polling" in log.read_text(errors="replace") for log in logs if log.exists()):
            return
        await asyncio.sleep(0.5)
    _say("not every worker is polling yet; going on")


def _quiet_runtime() -> Runtime:
    """The SDK's own warnings (every retried call while the server is down) would bury the
    run's progress lines: errors only."""
    return Runtime(
        telemetry=TelemetryConfig(
            logging=LoggingConfig(filter=TelemetryFilter(core_level="ERROR", other_level="ERROR"))
        )
    )


async def _bounded(coros: Any, at_once: int = 24) -> None:
    gate = asyncio.Semaphore(at_once)

    async def one(c: Awaitable[None]) -> None:
        async with gate:
            await c

    await asyncio.gather(*(one(c) for c in coros))


# How the shop's driver says it is refused: SQLite locked, PostgreSQL not answering.
_REFUSALS = ("database is locked", "Connection refused", "server closed the connection")


def _count_in(path: Path, texts: tuple[str, ...]) -> int:
    """Lines of a log naming one of ``texts``, once per error (a traceback names it twice:
    its driver's error and SQLAlchemy's; only the latter, "...OperationalError)", counts)."""
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return 0
    return sum(1 for line in lines if "OperationalError)" in line and any(t in line for t in texts))


def _effect_keys(shop: SandboxShop) -> list[str]:
    return [r.key for r in shop.refunds()] + [r.key for r in shop.replacements()]


def _ledger_check(
    shop: SandboxShop, snaps: dict[str, ContactSnapshot]
) -> tuple[int, list[str], list[str]]:
    """(duplicated side effects, their descriptions, side effects a contact believes it made
    that the ledger lacks)."""
    duplicated = 0
    dups: list[str] = []
    lost: list[str] = []
    refunds: dict[str, list[Any]] = defaultdict(list)
    for r in shop.refunds():
        refunds[r.key.split(":", 1)[0]].append(r)
    replacements: dict[str, list[Any]] = defaultdict(list)
    for x in shop.replacements():
        replacements[x.key.split(":", 1)[0]].append(x)
    replies: Counter[str] = Counter()
    reply_keys: Counter[str] = Counter()
    for m in shop.outbox():
        if re.fullmatch(rf"{re.escape(m.contact_id)}:r\d+", m.key):
            replies[m.contact_id] += 1
            reply_keys[m.key] += 1
    # One refund and one replacement at most per decision (contact:dN).
    for kind, rows in (("refund", refunds), ("replacement", replacements)):
        per_decision = Counter(r.key.rsplit(":", 1)[0] for rs in rows.values() for r in rs)
        for decision, n in per_decision.items():
            if n > 1:
                duplicated += n - 1
                dups.append(f"{decision}: {n} {kind}s")
    for key, n in reply_keys.items():
        if n > 1:
            duplicated += n - 1
            dups.append(f"reply {key} sent {n} times")
    for contact_id, snap in snaps.items():
        paid = round(sum(r.amount for r in refunds.get(contact_id, [])), 2)
        if paid > round(snap.refund_total, 2) + 0.005:
            extra = len(refunds[contact_id]) - (1 if snap.refund_total else 0)
            duplicated += max(1, extra)
            dups.append(
                f"{contact_id}: refunded {paid:.2f}, the contact says {snap.refund_total:.2f}"
            )
        elif paid + 0.005 < round(snap.refund_total, 2):
            lost.append(
                f"{contact_id}: the contact refunded {snap.refund_total:.2f}, ledger {paid:.2f}"
            )
        made = {x.number for x in replacements.get(contact_id, [])}
        believed = set(snap.replacement_orders)
        if made - believed:
            duplicated += len(made - believed)
            dups.append(f"{contact_id}: replacements {sorted(made - believed)} unknown to it")
        if believed - made:
            lost.append(f"{contact_id}: replacements {sorted(believed - made)} not in the ledger")
        sent = replies.get(contact_id, 0)
        if sent > snap.replies_sent:
            duplicated += sent - snap.replies_sent
            dups.append(f"{contact_id}: {sent} replies in the outbox, it sent {snap.replies_sent}")
        elif sent < snap.replies_sent:
            lost.append(f"{contact_id}: sent {snap.replies_sent} replies, outbox {sent}")
    return duplicated, dups, lost


def render(figures: Figures, plan: ChaosPlan) -> str:
    f = figures
    rows: list[list[object]] = [
        ["contacts", f.contacts, f"{f.messages} messages, {f.accepted} accepted by ingest"],
        [
            "kills",
            f.kills,
            f"a worker SIGKILLed and restarted, {plan.workers} in turn "
            f"({f.worker_exits} other exits)",
        ],
        ["restarts", f.server_restarts, "dev server stopped and started on its database"],
        [
            "shop outages",
            f.shop_outages,
            f"database unavailable {plan.outage_s:.0f}s each; {f.shop_errors} activity attempts "
            "refused",
        ],
        ["final", f.final, "contacts finished (resolved or closed)"],
        ["waiting", f.waiting, "contacts waiting as they should (customer, carrier, supervisor)"],
        ["lost", f.lost, "must be 0"],
        ["unsettled", f.unsettled, "still being worked when the time was up; must be 0"],
        ["duplicated", f.duplicated, "duplicated side effects; must be 0"],
        ["refunds", f.refunds, "ledger rows, one per decision"],
        ["replacements", f.replacements, "ledger rows, one per decision"],
        ["replies", f.replies, "outbox rows, one per reply key"],
        ["decisions", f.decisions, "decisions that refunded or reshipped (contact:dN keys)"],
    ]
    states = ", ".join(f"{k} {v}" for k, v in sorted(f.states.items()))
    lines = [
        "",
        "=== contact desk: chaos run ===",
        "",
        table(["", "count", ""], rows),
        "",
        f"contact states: {states}",
        f"ingest retries: {f.ingest_retries}; elapsed {f.elapsed_s:.0f}s",
    ]
    if f.problems:
        lines += ["", "problems:", *(f"  {p}" for p in f.problems[:40])]
    if ok(f):
        lines.append("PASS: 0 lost, 0 duplicated")
    elif f.unsettled and not (f.lost or f.duplicated):
        lines.append(
            f"FAIL: {f.unsettled} contacts still being worked at the time limit "
            f"({plan.time_limit_s:.0f}s): the machine is too slow or too busy for this run"
        )
    else:
        lines.append("FAIL")
    return "\n".join(lines)


def ok(figures: Figures) -> bool:
    return (
        figures.lost == 0
        and figures.duplicated == 0
        and figures.unsettled == 0
        and figures.contacts > 0
    )


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


def main(argv: list[str] | None = None) -> None:
    import argparse

    p = argparse.ArgumentParser(prog="chaos", description=__doc__.splitlines()[0])
    p.add_argument("--contacts", type=int, default=ChaosPlan.contacts)
    p.add_argument("--traffic-s", type=float, default=ChaosPlan.traffic_s)
    p.add_argument("--max-working", type=int, default=ChaosPlan.max_working)
    p.add_argument("--workers", type=int, default=ChaosPlan.workers)
    p.add_argument("--kills", type=int, default=ChaosPlan.kills)
    p.add_argument("--server-restarts", type=int, default=ChaosPlan.server_restarts)
    p.add_argument("--shop-outages", type=int, default=ChaosPlan.shop_outages)
    p.add_argument("--outage-s", type=float, default=ChaosPlan.outage_s)
    p.add_argument("--time-limit-s", type=float, default=ChaosPlan.time_limit_s)
    p.add_argument("--data-dir", default=str(Path(Settings().data_dir) / "chaos"))
    p.add_argument(
        "--database-url",
        default=os.environ.get("DESK_CHAOS_DATABASE_URL"),
        help="PostgreSQL on 127.0.0.1 for the shop (a fresh database desk_chaos is made "
        "there; the outage is a proxy refusing connections); default SQLite",
    )
    args = p.parse_args(argv)
    plan = ChaosPlan(
        contacts=args.contacts,
        traffic_s=args.traffic_s,
        max_working=args.max_working,
        workers=args.workers,
        kills=args.kills,
        server_restarts=args.server_restarts,
        shop_outages=args.shop_outages,
        outage_s=args.outage_s,
        time_limit_s=args.time_limit_s,
    )
    code = asyncio.run(run_chaos(plan, Path(args.data_dir).resolve(), args.database_url))
    sys.stdout.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
