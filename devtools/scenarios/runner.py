"""``desk scenario run``: scenario files through the real worker on the time-skipping server.

Each scenario gets its own time-skipping test server, worker and sandbox database, so
scenarios are isolated and can run in parallel. Messages enter through the intake
workflow exactly as channel ingest sends them.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowUpdateFailedError
from temporalio.exceptions import FailureError
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter
from temporalio.testing import WorkflowEnvironment

from desk.adapters.sandbox import SandboxShop
from desk.adapters.wiring import Ports
from desk.config import PolicyConfig
from desk.identities import normalise_tracking
from desk.models import (
    ContactSnapshot,
    ContactState,
    InboundMessage,
    RoutedMessage,
    SenderAuth,
    SupervisorDecision,
)
from desk.routing import INTAKE_WORKFLOW, intake_workflow_id
from desk.supervisors import Supervisor, SupervisorRegistry, new_key, sign
from devtools.scenarios.fingerprint import fingerprint, pinned_t0
from devtools.scenarios.format import (
    Scenario,
    ScenarioDecision,
    ScenarioError,
    ScenarioMessage,
    load_scenario,
    scenario_files,
)
from devtools.scenarios.loader import load_scenario_into
from devtools.scenarios.vendors import seed_desk_claims, vendor_ports
from devtools.test_server import start_test_server
from workers.worker import build_worker
from workflows.contact import ContactWorkflow

TASK_QUEUE = "scenario"
SETTLE = timedelta(days=10)  # SCHEMA.md: the state ten days after the last scripted event


_RUNTIME: Runtime | None = None


def _quiet_runtime() -> Runtime:
    """One runtime for all scenarios, logging only the SDK core's errors (not its
    warnings about the test server's missing capabilities)."""
    global _RUNTIME
    if _RUNTIME is None:
        _RUNTIME = Runtime(
            telemetry=TelemetryConfig(
                logging=LoggingConfig(
                    filter=TelemetryFilter(core_level="ERROR", other_level="ERROR")
                )
            )
        )
    return _RUNTIME


async def _wait_closed(client: Client, workflow_id: str, limit_s: float = 60) -> None:
    """Poll instead of awaiting the result: awaiting would let the server skip time."""
    handle = client.get_workflow_handle(workflow_id)
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        desc = await handle.describe()
        if desc.status != WorkflowExecutionStatus.RUNNING:
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"{workflow_id} did not finish within {limit_s:.0f}s")


async def _advance_to(env: WorkflowEnvironment, moment: datetime) -> None:
    now = await env.get_current_time()
    if moment > now:
        await env.sleep(moment - now)


async def _send_message(
    env: WorkflowEnvironment, scenario: Scenario, index: int, m: ScenarioMessage
) -> str | None:
    message = InboundMessage(
        message_id=f"{scenario.name}-m{index}",
        channel=m.channel,
        sender=m.sender,
        subject=m.subject,
        text=m.text,
        attachments=m.attachments,
        auth=SenderAuth(
            method="scenario" if m.authenticated else "none",
            authenticated=m.authenticated,
            detail="scenario file" if m.authenticated else "scenario file: authenticated: false",
        ),
    )
    workflow_id = intake_workflow_id(message)
    await env.client.start_workflow(INTAKE_WORKFLOW, message, id=workflow_id, task_queue=TASK_QUEUE)
    await _wait_closed(env.client, workflow_id)
    routed = await env.client.get_workflow_handle(workflow_id, result_type=RoutedMessage).result()
    # Held back (an unverified sender over the attempt limits): it reached no contact.
    return routed.contact_id if routed.held_back is None else None


async def _snapshot(client: Client, contact_id: str) -> ContactSnapshot:
    handle = client.get_workflow_handle(contact_id)
    return await handle.query(ContactWorkflow.snapshot)


def scenario_supervisors(scenario: Scenario) -> SupervisorRegistry:
    """Everyone who decides in the scenario, as a manager with a key of this run: the runner
    is the service they signed into, so their decisions reach the contacts signed."""
    ids = list(dict.fromkeys(d.by for d in scenario.decisions))
    return SupervisorRegistry(
        supervisors=[Supervisor(id=by, role="manager", key=new_key()) for by in ids]
    )


async def _decide(
    env: WorkflowEnvironment,
    contacts: list[str],
    d: ScenarioDecision,
    supervisors: SupervisorRegistry,
) -> list[str]:
    """Apply the decision to every contact it fits (SCHEMA.md: only an escalated one, or a
    close of one a person owns); the reasons of the contacts that refused it."""
    unsigned = SupervisorDecision(
        action=d.action, by=d.by, note=d.note, resolution=d.resolution, amount=d.amount
    )
    supervisor = supervisors.find(d.by)
    assert supervisor is not None
    refused = []
    for contact_id in contacts:
        snap = await _snapshot(env.client, contact_id)
        applies = snap.state == ContactState.escalated or (
            snap.state == ContactState.human_owned and d.action.value == "close"
        )
        if applies:
            handle = env.client.get_workflow_handle(contact_id)
            now = await env.get_current_time()
            decision = sign(contact_id, unsigned, supervisor.key, now)
            try:
                await handle.execute_update(ContactWorkflow.decide, decision)
            except WorkflowUpdateFailedError as err:
                why = err.cause.message if isinstance(err.cause, FailureError) else str(err)
                refused.append(f"{contact_id}: {d.action.value} by {d.by}: {why}")
    return refused


async def _settle(env: WorkflowEnvironment) -> None:
    """Let activities and workflow tasks started by the last event finish before time jumps."""
    await asyncio.sleep(0.2)


async def _save_histories(
    client: Client, workflow_ids: list[str], folder: Path, scenario: Scenario
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for workflow_id in workflow_ids:
        history = await client.get_workflow_handle(workflow_id).fetch_history()
        (folder / f"{scenario.name}--{workflow_id}.json").write_text(history.to_json())


async def _play(
    env: WorkflowEnvironment,
    scenario: Scenario,
    shop: SandboxShop,
    supervisors: SupervisorRegistry,
    history_dir: Path | None = None,
    record_dir: Path | None = None,
    vendors: bool = False,
) -> dict[str, Any]:
    if record_dir is not None:
        # A fixed weekday and hour: recordings made on different days compare equal.
        await _advance_to(env, pinned_t0(await env.get_current_time()))
    t0 = await env.get_current_time()
    load_scenario_into(shop, scenario, t0)
    if vendors:
        seed_desk_claims(shop, scenario, t0)
    events: list[tuple[timedelta, int, int, ScenarioMessage | ScenarioDecision]] = [
        (m.at, 0, i, m) for i, m in enumerate(scenario.messages)
    ] + [(d.at, 1, i, d) for i, d in enumerate(scenario.decisions)]
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    contacts: list[str] = []
    refused: list[str] = []
    for at, _, index, event in events:
        await _advance_to(env, t0 + at)
        if isinstance(event, ScenarioMessage):
            contact_id = await _send_message(env, scenario, index, event)
            if contact_id is not None and contact_id not in contacts:
                contacts.append(contact_id)
        else:
            refused += await _decide(env, contacts, event, supervisors)
        await _settle(env)
    await _advance_to(env, t0 + events[-1][0] + SETTLE)
    snaps = [await _snapshot(env.client, c) for c in contacts]
    if history_dir is not None:
        await _save_histories(env.client, contacts, history_dir, scenario)
    outcome = _outcome(scenario, snaps, shop)
    if record_dir is not None:
        record_dir.mkdir(parents=True, exist_ok=True)
        (record_dir / f"{scenario.name}.json").write_text(
            json.dumps(fingerprint(outcome, snaps, shop, t0, refused), indent=1, sort_keys=True)
            + "\n"
        )
    return outcome


def _outcome(scenario: Scenario, snaps: list[ContactSnapshot], shop: SandboxShop) -> dict[str, Any]:
    # Every message held back (unverified, over the limits): no contact to report on.
    main = snaps[0] if snaps else ContactSnapshot(contact_id="", state=ContactState.new)
    numbers = [o.number for o in scenario.orders]
    trackings = {normalise_tracking(s.tracking) for o in scenario.orders for s in o.shipments}
    cases = [c for c in shop.carrier_cases() if c.tracking in trackings]
    # A search no carrier API files (the vendors' USPS, UPS, FedEx) is filed by a person
    # from the desk's prepared request: the task stands for the case until then.
    tasks = [t for t in shop.open_tasks() if t.request.tracking in trackings]
    case = cases[0].case_number if cases else tasks[0].task_id if tasks else None
    return {
        "scenario": scenario.name,
        "contact": main.contact_id or None,
        "intent": main.intent.value if main.intent else None,
        "state": main.state.value if snaps else None,
        "resolution": main.resolution.value if main.resolution else None,
        "autonomous": main.autonomous,
        "escalation_reason": main.escalation_reason.value if main.escalation_reason else None,
        "proposed_resolution": main.proposed_resolution.kind.value
        if main.proposed_resolution
        else None,
        "carrier_search": {"filed": bool(cases or tasks), "case": case},
        "refund_total": round(shop.refund_total(numbers or None), 2),
        "replacement_orders": shop.replacement_count(numbers or None),
        # Beyond SCHEMA.md's fields: what a reship and a return looked like.
        "reship_services": [r.service for r in shop.replacements(numbers or None)],
        "return_labels": len(shop.return_labels(numbers or None)),
        "replies": sum(s.replies_sent for s in snaps),
        "contacts": len(snaps),
    }


def check(outcome: dict[str, Any], expect: dict[str, Any]) -> list[str]:
    failed = []
    for key, wanted in expect.items():
        got = (
            outcome["carrier_search"]["filed"]
            if key == "carrier_search_filed"
            else outcome.get(key)
        )
        if hasattr(wanted, "value"):
            wanted = wanted.value
        if key == "refund_total" and wanted is not None:
            ok = got is not None and abs(float(got) - float(wanted)) < 0.005
        else:
            ok = got == wanted
        if not ok:
            failed.append(key)
    return failed


async def run_scenario(
    path: Path,
    policy: PolicyConfig | None = None,
    history_dir: Path | None = None,
    record_dir: Path | None = None,
    vendors: bool = False,
) -> dict[str, Any]:
    """One scenario on its own server and shop; ``vendors``: through the production
    wiring's adapters and the vendor fakes (``devtools/scenarios/vendors.py``)."""
    try:
        scenario = load_scenario(path)
    except ScenarioError as err:
        return {"scenario": path.stem, "ok": False, "failed": ["file"], "error": str(err)}
    started = time.monotonic()
    env = await start_test_server(_quiet_runtime())
    with tempfile.TemporaryDirectory(prefix="desk-scenario-") as tmp, ExitStack() as stack:
        shop_url = f"sqlite:///{Path(tmp) / 'shop.db'}"
        shop = SandboxShop(shop_url)
        shop.create_all()
        try:
            ports: SandboxShop | Ports = shop
            if vendors:
                ports = stack.enter_context(
                    vendor_ports(shop, _clock_of(env), Path(tmp) / "data", shop_url)
                )
            supervisors = scenario_supervisors(scenario)
            worker = build_worker(
                env.client,
                ports,
                TASK_QUEUE,
                policy or PolicyConfig(),
                supervisors=supervisors,
            )
            async with env, worker:
                outcome = await _play(
                    env, scenario, shop, supervisors, history_dir, record_dir, vendors
                )
        except Exception as err:  # a broken scenario run is reported, the others still run
            return {
                "scenario": scenario.name,
                "ok": False,
                "failed": ["run"],
                "error": f"{type(err).__name__}: {err}",
            }
        finally:
            stack.close()
            shop.close()
    failed = check(outcome, scenario.expectations)
    outcome.update(ok=not failed, failed=failed, seconds=round(time.monotonic() - started, 1))
    return outcome


def _clock_of(env: WorkflowEnvironment) -> Callable[[], datetime]:
    """The server's time, for the vendor fakes answering in their own thread."""
    loop = asyncio.get_running_loop()

    def now() -> datetime:
        return asyncio.run_coroutine_threadsafe(env.get_current_time(), loop).result(timeout=30)

    return now


async def run_all(
    paths: list[str],
    jobs: int,
    out: Any = sys.stdout,
    history_dir: Path | None = None,
    record_dir: Path | None = None,
    vendors: bool = False,
) -> int:
    files = scenario_files(paths)
    if not files:
        print("no scenario files found in: " + ", ".join(paths), file=sys.stderr)
        return 2
    gate = asyncio.Semaphore(max(1, jobs))
    started = time.monotonic()

    async def one(p: Path) -> dict[str, Any]:
        async with gate:
            result = await run_scenario(
                p, history_dir=history_dir, record_dir=record_dir, vendors=vendors
            )
        print(json.dumps(result), file=out, flush=True)
        return result

    results = await asyncio.gather(*(one(p) for p in files))
    passed = sum(1 for r in results if r["ok"])
    print(
        f"scenarios: {passed} passed, {len(results) - passed} failed in "
        f"{time.monotonic() - started:.1f}s",
        file=sys.stderr,
    )
    return 0 if passed == len(results) else 1
