"""Gathering the contacts started in a window, and building the report from them.

Read from Temporal visibility (which contacts started in the window, their search
attributes), each contact's own snapshot (a finished contact's result, a running one's
``snapshot`` query: states, decisions, the timeline) and, where it is the truth, the shop's
ledger (refunds, replacement orders, carrier cases).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from temporalio.client import Client, WorkflowExecution, WorkflowExecutionStatus
from temporalio.service import RPCError

from desk import search_attributes as sa
from desk.models import ContactSnapshot, ContactState, TimelineEntry
from desk.routing import CONTACT_WORKFLOW
from supervisor.report.figures import summarise
from supervisor.report.model import ContactFacts, Ledger, Report
from workflows.contact import ContactWorkflow

QUERY_TIMEOUT = timedelta(seconds=5)
_AT_ONCE = 16  # snapshots fetched at once


# ---------------------------------------------------------------- gathering


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def window_query(since: datetime, until: datetime) -> str:
    """The visibility query of contacts (every run) started in [since, until)."""
    return (
        f'WorkflowType = "{CONTACT_WORKFLOW}" AND StartTime >= "{_rfc3339(since)}" '
        f'AND StartTime < "{_rfc3339(until)}"'
    )


def _first_run(wf: WorkflowExecution) -> str:
    return wf.raw_info.first_run_id or wf.run_id


async def _contact_runs(
    client: Client, since: datetime, until: datetime
) -> list[tuple[WorkflowExecution, datetime]]:
    """One entry per contact (a workflow id with its chain of continued runs) whose first
    run started in the window: its latest run listed, and when the contact began."""
    chains: dict[tuple[str, str], list[WorkflowExecution]] = {}
    async for wf in client.list_workflows(window_query(since, until)):
        chains.setdefault((wf.id, _first_run(wf)), []).append(wf)
    found = []
    for (wf_id, first), runs in chains.items():
        runs.sort(key=lambda r: r.start_time)
        began = runs[0].start_time
        if runs[0].run_id != first:
            # A continued run started in the window: the contact began when its first run did.
            # (Past retention, it is counted from its oldest run still listed.)
            with contextlib.suppress(RPCError):
                first_run = client.get_workflow_handle(wf_id, run_id=first)
                began = (await first_run.describe()).start_time
            if began < since:
                continue
        found.append((runs[-1], began))
    return sorted(found, key=lambda item: item[1])


async def _snapshot(client: Client, wf: WorkflowExecution, first: str) -> ContactSnapshot | None:
    """The contact's snapshot: a finished contact's result, a running one's query (None
    when it cannot be read: failed or terminated, or no worker answers the query)."""
    latest = await client.get_workflow_handle(wf.id).describe()
    same_contact = (latest.raw_info.first_run_id or latest.run_id) == first
    run = latest if same_contact else wf
    try:
        if run.status == WorkflowExecutionStatus.RUNNING:
            handle = client.get_workflow_handle(wf.id, run_id=run.run_id)
            return await handle.query(ContactWorkflow.snapshot, rpc_timeout=QUERY_TIMEOUT)
        if run.status in (
            WorkflowExecutionStatus.COMPLETED,
            WorkflowExecutionStatus.CONTINUED_AS_NEW,
        ):
            handle = client.get_workflow_handle(wf.id, run_id=first, result_type=ContactSnapshot)
            result: ContactSnapshot = await asyncio.wait_for(handle.result(), timeout=30)
            return result
    except Exception:  # whatever the reason (no worker, a key missing), counted as unread
        return None
    return None


_STATUS = {
    WorkflowExecutionStatus.RUNNING: "running",
    WorkflowExecutionStatus.COMPLETED: "completed",
    WorkflowExecutionStatus.FAILED: "failed",
    WorkflowExecutionStatus.CANCELED: "canceled",
    WorkflowExecutionStatus.TERMINATED: "terminated",
    WorkflowExecutionStatus.CONTINUED_AS_NEW: "continued_as_new",
    WorkflowExecutionStatus.TIMED_OUT: "timed_out",
}


def _first_at(timeline: Sequence[TimelineEntry], kinds: Iterable[str]) -> datetime | None:
    wanted = set(kinds)
    return next((e.at for e in timeline if e.kind in wanted), None)


def contact_facts(
    wf: WorkflowExecution, began: datetime, snap: ContactSnapshot | None, time_scale: float
) -> ContactFacts:
    """One contact's figures: from its snapshot, else from its search attributes."""
    attrs = wf.typed_search_attributes
    facts = ContactFacts(
        contact_id=wf.id,
        started_at=began,
        status=_STATUS.get(wf.status, "unknown") if wf.status else "unknown",
        intent=attrs.get(sa.INTENT),
        tier=attrs.get(sa.CUSTOMER_TIER),
        channels=list(attrs.get(sa.CHANNELS) or []),
        state=attrs.get(sa.CONTACT_STATE),
        resolution=attrs.get(sa.RESOLUTION),
        autonomous=attrs.get(sa.AUTONOMOUS),
        escalation_reason=attrs.get(sa.ESCALATION_REASON),
        order_number=attrs.get(sa.ORDER_NUMBER),
        carrier_case=attrs.get(sa.CARRIER_CASE),
        snapshot=snap is not None,
    )
    if snap is None:
        return facts
    return with_snapshot(facts, snap, time_scale)


def with_snapshot(facts: ContactFacts, snap: ContactSnapshot, time_scale: float) -> ContactFacts:
    """The contact's figures from its own snapshot: durations from its timeline, from the
    first message (else the contact's start) to the first reply and to the resolution (or
    a person's close), divided by ``time_scale`` (policy time)."""
    timeline = snap.timeline
    start = _first_at(timeline, ["message"]) or facts.started_at

    def policy_seconds(end: datetime | None) -> float | None:
        if end is None:
            return None
        return max(0.0, (end - start).total_seconds()) / time_scale

    return facts.model_copy(
        update={
            "intent": snap.intent.value if snap.intent else facts.intent,
            "tier": snap.tier.value if snap.tier else facts.tier,
            "channels": [c.value for c in snap.channels] or facts.channels,
            "state": snap.state.value,
            "resolution": snap.resolution.value if snap.resolution else None,
            "autonomous": snap.autonomous,
            "escalation_reason": (snap.escalation_reason.value if snap.escalation_reason else None),
            "escalation_level": snap.escalation_level,
            "sla_breaches": sum(e.kind == "sla_breached" for e in timeline),
            "order_number": snap.order_number,
            "carrier_case": snap.carrier_case,
            "refunded": snap.refund_total,
            "reships": len(snap.replacement_orders),
            "first_reply_s": policy_seconds(_first_at(timeline, ["reply"])),
            "resolution_s": policy_seconds(_first_at(timeline, ["resolved", "closed_by_human"])),
            "snapshot": True,
        }
    )


def facts_from_snapshot(
    snap: ContactSnapshot, time_scale: float = 1.0, started_at: datetime | None = None
) -> ContactFacts:
    """A contact's figures from its snapshot alone (the demo, which holds every snapshot)."""
    began = started_at or (snap.timeline[0].at if snap.timeline else datetime.now(UTC))
    finished = snap.state in (ContactState.resolved, ContactState.closed)
    facts = ContactFacts(
        contact_id=snap.contact_id, started_at=began, status="finished" if finished else "running"
    )
    return with_snapshot(facts, snap, time_scale)


async def gather_contacts(
    client: Client, since: datetime, until: datetime, time_scale: float = 1.0
) -> list[ContactFacts]:
    runs = await _contact_runs(client, since, until)
    limit = asyncio.Semaphore(_AT_ONCE)

    async def one(wf: WorkflowExecution, began: datetime) -> ContactFacts:
        async with limit:
            snap = await _snapshot(client, wf, _first_run(wf))
        return contact_facts(wf, began, snap, time_scale)

    return list(await asyncio.gather(*(one(wf, began) for wf, began in runs)))


async def build_report(
    client: Client,
    since: datetime,
    until: datetime,
    *,
    ledger: Ledger | None = None,
    carrier_as_of: datetime | None = None,
    time_scale: float = 1.0,
) -> Report:
    rows = await gather_contacts(client, since, until, time_scale)
    return summarise(
        rows,
        since,
        until,
        ledger=ledger,
        carrier_as_of=carrier_as_of,
        time_scale=time_scale,
    )
