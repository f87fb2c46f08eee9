"""``make bench``: the desk measured from outside, on one dev server, in one run.

    python benchmarks/bench.py [--quick] [--json FILE] [--contacts N] [--open N] ...

1. vs the floor: the full desk (ingest → intake → contact, timers scaled near zero), N
   contacts with 50 in flight, then a bare workflow (``devtools.floor``) with the same mean
   number of activities per contact, same server, same worker settings, same run: contacts/s
   against workflows/s and the ratio; worker and server CPU per contact; events, activities
   and history bytes per contact.
2. latency: message accepted (the ingest's 202) to the first reply in the outbox, p50/p95/p99,
   with open-loop arrivals at 50% and 90% of the capacity just measured.
3. workers: the same traffic with 1, 2 and 4 worker processes against the one server.
4. scale: N open contacts (real ContactWorkflows, escalated and waiting on their SLA timer
   and a supervisor, at real time scale) on a fresh server; worker RSS and server database
   size per 1,000; time for all of them to answer a query after the worker is killed and a
   new one started (every history replayed into an empty cache); histories replayed per
   second with ``temporalio.worker.Replayer``.
5. the classifier's per-message cost (``benchmarks/classifier_speed.py``).

Prints a table and writes JSON (``bench-results.json``). CPU-sensitive: the machine's load
is recorded with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import random
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowHistory
from temporalio.service import RPCError
from temporalio.worker import Replayer

from desk.config import PolicyConfig
from desk.contact import ContactInput
from desk.logs import configure_logging
from desk.models import (
    Channel,
    Customer,
    InboundMessage,
    Intent,
    RoutedMessage,
    SenderAuth,
    SenderMatch,
    Tier,
    Understanding,
)
from desk.policy.identity import as_carried
from desk.routing import CONTACT_WORKFLOW, CUSTOMER_MESSAGE_SIGNAL
from devtools.floor import FLOOR_QUEUE
from devtools.simulate import PhaseResult, Rig, SimOptions
from workers.worker import WORKFLOWS, WorkerTuning
from workflows.contact import ContactWorkflow

ROOT = Path(__file__).resolve().parent.parent

ESCALATED_QUERY = 'WorkflowType = "ContactWorkflow" AND ContactState = "escalated"'


class Sizes:
    def __init__(self, quick: bool, args: argparse.Namespace) -> None:
        self.desk = args.contacts or (6 if quick else 300)
        self.latency = args.latency_contacts or (3 if quick else 80)
        self.per_workers = args.worker_contacts or (3 if quick else 60)
        self.workers = [1] if quick else [int(n) for n in args.workers.split(",")]
        self.open = args.open if args.open is not None else (10 if quick else 500)
        self.replay = 5 if quick else 200
        self.data = Path(args.data_dir) if args.data_dir else ROOT / "data"
        self.in_flight = args.in_flight
        self.quiet_s = 5.0 if quick else 8.0


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# ---------------------------------------------------------------- 1. the floor


async def floor_phase(rig: Rig, n: int, mean_activities: float, in_flight: int) -> PhaseResult:
    """``n`` bare workflows, ``mean_activities`` no-op activities each on average."""
    assert rig.client is not None
    base = int(mean_activities)
    extra = round((mean_activities - base) * n)
    counts = [base + (1 if i < extra else 0) for i in range(n)]
    random.Random(1).shuffle(counts)
    slots = asyncio.Semaphore(in_flight)
    stamp = int(time.time())

    async def one(i: int, activities: int) -> None:
        async with slots:
            await rig.client.execute_workflow(  # type: ignore[union-attr]
                "FloorWorkflow", activities, id=f"floor-{stamp}-{i}", task_queue=FLOOR_QUEUE
            )

    w0, s0 = rig.cpu()
    started = time.monotonic()
    await asyncio.gather(*(one(i, a) for i, a in enumerate(counts)))
    elapsed = time.monotonic() - started
    w1, s1 = rig.cpu()
    return PhaseResult(n, elapsed, n / elapsed, w1 - w0, s1 - s0)


def per_contact_ms(cpu_s: float, n: int) -> float:
    return 1000 * cpu_s / max(1, n)


async def throughput_and_latency(sizes: Sizes, tuning: WorkerTuning) -> dict[str, Any]:
    total = sizes.desk + 2 * sizes.latency + sizes.per_workers * len(sizes.workers)
    rig = Rig(SimOptions(data_dir=str(sizes.data / "bench"), tuning=tuning, quiet_s=sizes.quiet_s))
    out: dict[str, Any] = {}
    try:
        await rig.start(seed_contacts=total)
        desk = await rig.phase(
            rig.take(sizes.desk), in_flight=sizes.in_flight, label="desk", end_waiting=True
        )
        shape = await rig.history_shape(desk.sent)
        floor = await floor_phase(rig, sizes.desk, shape["activities"], sizes.in_flight)
        out["vs_floor"] = {
            "contacts": sizes.desk,
            "in_flight": sizes.in_flight,
            "desk_contacts_per_s": desk.throughput,
            "floor_workflows_per_s": floor.throughput,
            "ratio": desk.throughput / floor.throughput,
            "desk_unsettled": desk.unsettled,
            "activities_per_contact": shape["activities"],
            "events_per_contact": shape["events"],
            "history_bytes_per_contact": shape["history_bytes"],
            "desk_worker_cpu_ms": per_contact_ms(desk.worker_cpu_s, sizes.desk - desk.unsettled),
            "desk_server_cpu_ms": per_contact_ms(desk.server_cpu_s, sizes.desk - desk.unsettled),
            "floor_worker_cpu_ms": per_contact_ms(floor.worker_cpu_s, sizes.desk),
            "floor_server_cpu_ms": per_contact_ms(floor.server_cpu_s, sizes.desk),
            "saturated_first_reply_s": desk.latency(),
            "load_average": load(),
        }
        capacity = max(desk.throughput, 0.1)
        latency: dict[str, Any] = {"capacity_contacts_per_s": capacity}
        for share in (0.5, 0.9):
            result = await rig.phase(
                rig.take(sizes.latency),
                rate=share * capacity,
                label=f"at {share:.0%}",
                end_waiting=True,
            )
            latency[f"{share:.0%}"] = {
                "rate": share * capacity,
                "contacts": sizes.latency,
                "first_reply_s": result.latency(),
                "replied": len(result.first_reply_s),
            }
        latency["load_average"] = load()
        out["latency"] = latency
        scaling: dict[str, Any] = {}
        for n in sizes.workers:
            await rig.stop_workers()
            await rig.start_workers(n, tuning)
            result = await rig.phase(
                rig.take(sizes.per_workers),
                in_flight=sizes.in_flight,
                label=f"{n} worker(s)",
                end_waiting=True,
            )
            scaling[str(n)] = {
                "contacts_per_s": result.throughput,
                "worker_cpu_ms": per_contact_ms(result.worker_cpu_s, sizes.per_workers),
                "server_cpu_ms": per_contact_ms(result.server_cpu_s, sizes.per_workers),
            }
        scaling["load_average"] = load()
        out["workers"] = scaling
    finally:
        await rig.stop()
    return out


# ---------------------------------------------------------------- 4. scale


def parked_message(i: int, policy: PolicyConfig) -> tuple[str, RoutedMessage]:
    """A verified customer asking about a parcel with no order on file: the contact
    escalates (``unknown_order``), alerts the supervisors, answers the customer and waits
    on its escalation SLA timer and a supervisor."""
    customer = Customer(id=f"B-{i:06d}", name="Bench Customer", tier=Tier.standard)
    message = InboundMessage(
        message_id=f"bench-open-{i}",
        channel=Channel.email,
        sender=f"bench{i}@shop.example",
        subject="my parcel",
        text="Where is my parcel? It has been a week.",
        received_at=datetime.now(UTC),
        auth=SenderAuth(method="email_authentication", authenticated=True, detail="dmarc=pass"),
    )
    routed = RoutedMessage(
        message=message,
        understanding=Understanding(intent=Intent.where_is_my_order, confidence=0.95),
        match=SenderMatch(customer=customer, verified=True, problem="no_order"),
        contact_id=f"contact-customer-{customer.id}",
    )
    return routed.contact_id, as_carried(routed, policy)


async def scale(sizes: Sizes, tuning: WorkerTuning) -> dict[str, Any]:
    rig = Rig(
        SimOptions(
            data_dir=str(sizes.data / "bench-scale"),
            time_scale=1.0,
            carrier_clock=1.0,
            shop_size=300,
            tuning=tuning,
        )
    )
    n = sizes.open
    out: dict[str, Any] = {"open_contacts": n}
    try:
        await rig.start(seed_contacts=0)
        client = rig.client
        assert client is not None
        policy = rig.policy
        db0, rss0 = rig.db_bytes(), rig.worker_rss()
        slots = asyncio.Semaphore(64)

        async def start(i: int) -> str:
            contact_id, routed = parked_message(i, policy)
            async with slots:
                await client.start_workflow(
                    CONTACT_WORKFLOW,
                    ContactInput(contact_id=contact_id, policy=policy),
                    id=contact_id,
                    task_queue=rig.settings.task_queue,
                    start_signal=CUSTOMER_MESSAGE_SIGNAL,
                    start_signal_args=[routed],
                )
            return contact_id

        started = time.monotonic()
        ids = await asyncio.gather(*(start(i) for i in range(n)))
        # Parking is bound by the dev server (10 to 40 a second on 2 cores): allow an hour,
        # or longer for a big run, and say how far it got every minute.
        deadline, said = max(3600.0, n * 0.5), started
        while (parked := (await client.count_workflows(ESCALATED_QUERY)).count) < n:
            now = time.monotonic()
            if now - started > deadline:
                break
            if now - said >= 60:
                said = now
                print(f"  scale: {parked}/{n} parked after {now - started:.0f} s", file=sys.stderr)
            await asyncio.sleep(1)
        took = time.monotonic() - started
        await asyncio.sleep(2)  # the last tasks' writes
        db1, rss1 = rig.db_bytes(), rig.worker_rss()
        out.update(
            {
                "parked": parked,
                "start_s": took,
                "started_per_s": parked / took,
                "worker_rss_mb": rss1 / 2**20,
                "worker_rss_mb_per_1000": (rss1 - rss0) / 2**20 / n * 1000,
                "worker_rss_mb_idle": rss0 / 2**20,
                "server_db_mb": db1 / 2**20,
                "server_db_mb_per_1000": (db1 - db0) / 2**20 / n * 1000,
                "cached_workflows_max": tuning.max_cached_workflows,
            }
        )
        # Resume: a worker killed outright, a new one started; every contact answers a query
        # (each replays its history into the new worker's cache).
        await rig.stop_workers(kill=True)
        restarted = time.monotonic()
        await rig.start_workers(1, tuning)
        worker_up = time.monotonic()
        answers = asyncio.Semaphore(64)
        unanswered: list[str] = []

        async def ask(contact_id: str) -> None:
            async with answers:
                for _ in range(5):  # a query may time out while the cache refills
                    try:
                        await client.get_workflow_handle(contact_id).query(ContactWorkflow.snapshot)
                        return
                    except RPCError:
                        continue
                unanswered.append(contact_id)  # reported, not fatal: the figures stand

        await asyncio.gather(*(ask(c) for c in ids))
        out["resume_all_s"] = time.monotonic() - restarted
        out["resume_unanswered"] = len(unanswered)
        out["resume_worker_start_s"] = worker_up - restarted
        out["worker_rss_mb_after_resume"] = rig.worker_rss() / 2**20
        # Replay: histories fetched, then replayed by the Replayer alone.
        sample = ids[:: max(1, n // sizes.replay)][: sizes.replay]
        histories = [await client.get_workflow_handle(c).fetch_history() for c in sample]
        runner = tuning.worker_options().get("workflow_runner")  # the worker's sandbox
        replayer = Replayer(
            workflows=WORKFLOWS,
            data_converter=client.data_converter,
            **({"workflow_runner": runner} if runner else {}),
        )

        async def each() -> AsyncIterator[WorkflowHistory]:
            for h in histories:
                yield h

        await replayer.replay_workflow(histories[0])  # the sandbox's first import, not timed
        t0 = time.monotonic()
        results = await replayer.replay_workflows(each(), raise_on_replay_failure=False)
        replay_s = time.monotonic() - t0
        failures = sum(1 for r in results.replay_failures.values() if r is not None)
        out.update(
            {
                "replayed": len(histories),
                "replay_failures": failures,
                "histories_replayed_per_s": len(histories) / replay_s,
                "events_per_open_contact": sum(len(h.events) for h in histories)
                / max(1, len(histories)),
                "load_average": load(),
            }
        )
    finally:
        await rig.stop()
    return out


# ---------------------------------------------------------------- report


def classifier() -> dict[str, Any]:
    run = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "classifier_speed.py")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return {"line": run.stdout.strip(), "within_budget": run.returncode == 0}


def fmt(v: Any, unit: str = "", digits: int = 2) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.{digits}f}{unit}"
    return f"{v}{unit}"


def table(results: dict[str, Any]) -> str:
    rows: list[tuple[str, str, str]] = []
    f = results.get("vs_floor")
    if f:
        rows += [
            ("vs the floor", "desk contacts/s", fmt(f["desk_contacts_per_s"])),
            ("", "floor workflows/s (same activities)", fmt(f["floor_workflows_per_s"])),
            ("", "ratio desk / floor (target >= 1.0)", fmt(f["ratio"])),
            (
                "",
                "activities / events per contact",
                f"{f['activities_per_contact']:.1f} / {f['events_per_contact']:.1f}",
            ),
            ("", "history bytes per contact", fmt(f["history_bytes_per_contact"], "", 0)),
            (
                "",
                "worker CPU per contact: desk / floor",
                f"{f['desk_worker_cpu_ms']:.0f} / {f['floor_worker_cpu_ms']:.0f} ms",
            ),
            (
                "",
                "server CPU per contact: desk / floor",
                f"{f['desk_server_cpu_ms']:.0f} / {f['floor_server_cpu_ms']:.0f} ms",
            ),
            (
                "",
                "first reply at saturation p50 / p99",
                f"{fmt(f['saturated_first_reply_s']['p50'], ' s')} / "
                f"{fmt(f['saturated_first_reply_s']['p99'], ' s')}",
            ),
        ]
    lat = results.get("latency")
    if lat:
        for share in ("50%", "90%"):
            r = lat[share]["first_reply_s"]
            rows.append(
                (
                    "latency" if share == "50%" else "",
                    f"first reply at {share} ({lat[share]['rate']:.2f}/s) p50/p95/p99",
                    f"{fmt(r['p50'])} / {fmt(r['p95'])} / {fmt(r['p99'])} s",
                )
            )
    w = results.get("workers")
    if w:
        for n, r in w.items():
            if n == "load_average":
                continue
            rows.append(
                (
                    "workers" if n == "1" else "",
                    f"{n} worker process(es)",
                    f"{r['contacts_per_s']:.2f} contacts/s",
                )
            )
    s = results.get("scale")
    if s:
        rows += [
            (
                "scale",
                "open contacts parked on timers",
                f"{s['parked']} of {s['open_contacts']} ({s['started_per_s']:.1f}/s to start)",
            ),
            (
                "",
                "worker RSS (total; per 1,000)",
                f"{s['worker_rss_mb']:.0f} MiB; {s['worker_rss_mb_per_1000']:.1f} MiB",
            ),
            (
                "",
                "server database (total; per 1,000)",
                f"{s['server_db_mb']:.1f} MiB; {s['server_db_mb_per_1000']:.1f} MiB",
            ),
            (
                "",
                "resume all after a worker restart",
                f"{s['resume_all_s']:.1f} s (worker up in {s['resume_worker_start_s']:.1f} s)"
                + (f"; {s['resume_unanswered']} unanswered" if s.get("resume_unanswered") else ""),
            ),
            ("", "histories replayed per second", fmt(s["histories_replayed_per_s"], "", 0)),
        ]
    c = results.get("classifier")
    if c:
        rows.append(("classifier", c["line"].split(":", 1)[-1].strip()[:60], ""))
    if not rows:
        return "(no figures: every part failed)"
    width = [max(len(r[i]) for r in rows) for i in range(3)]
    return "\n".join(f"{a:<{width[0]}}  {b:<{width[1]}}  {c_}" for a, b, c_ in rows)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    sizes = Sizes(args.quick, args)
    tuning = WorkerTuning.model_validate_json(args.tuning) if args.tuning else WorkerTuning()
    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_at_start": load(),
            "note": "CPU-sensitive figures: other work on the machine shares the cores",
        },
        "tuning": tuning.model_dump(),
    }
    began = time.monotonic()
    errors: dict[str, str] = {}
    # SIGINT (Ctrl-C) or SIGTERM cancels the part under way: its rig stops its dev server
    # and workers on the way out (``finally``), and no later part starts.
    interrupted: list[str] = []
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()

    def stop(sig: signal.Signals) -> None:
        if not interrupted:  # a second signal must not cut the clean-up short
            interrupted.append(sig.name)
            task.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop, sig)
    parts: list[tuple[str, Callable[[], Awaitable[None]]]] = []
    if "throughput" in args.only:

        async def throughput() -> None:
            results.update(await throughput_and_latency(sizes, tuning))

        parts.append(("throughput", throughput))
    if "scale" in args.only and sizes.open > 0:

        async def open_contacts() -> None:
            results["scale"] = await scale(sizes, tuning)

        parts.append(("scale", open_contacts))
    # A part that fails is reported as failed; the parts before it keep their figures.
    for name, part in parts:
        try:
            await part()
        except asyncio.CancelledError:
            if not interrupted:
                raise
        except Exception as err:
            errors[name] = repr(err)
        if interrupted:
            errors[name] = f"interrupted by {interrupted[0]}"
            break
    if "classifier" in args.only and not interrupted:
        results["classifier"] = classifier()
    results["took_s"] = time.monotonic() - began
    if errors:
        results["errors"] = errors
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="the smallest configuration (seconds)")
    p.add_argument("--json", default=str(ROOT / "bench-results.json"), help="results file")
    p.add_argument("--contacts", type=int, help="desk and floor contacts (default 300)")
    p.add_argument("--in-flight", type=int, default=50)
    p.add_argument("--latency-contacts", type=int, help="per latency run (default 80)")
    p.add_argument("--worker-contacts", type=int, help="per worker count (default 60)")
    p.add_argument("--workers", default="1,2,4", help="worker process counts")
    p.add_argument("--open", type=int, help="open contacts for the scale run (default 500)")
    p.add_argument("--tuning", help="WorkerTuning as JSON")
    p.add_argument("--data-dir", help="where the runs' servers and shops live (default data/)")
    p.add_argument(
        "--only", default="throughput,scale,classifier", help="parts: throughput,scale,classifier"
    )
    args = p.parse_args(argv)
    configure_logging(logging.WARNING)
    results = asyncio.run(run(args))
    print("\n" + table(results))
    print(
        f"\n(took {results['took_s']:.0f} s; load average at start "
        f"{results['machine']['load_average_at_start']}; results in {args.json})"
    )
    Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    for part, error in results.get("errors", {}).items():
        print(f"{part} failed: {error}", file=sys.stderr)
    if any(e.startswith("interrupted") for e in results.get("errors", {}).values()):
        return 130
    return 1 if results.get("errors") else 0


if __name__ == "__main__":
    sys.exit(main())
