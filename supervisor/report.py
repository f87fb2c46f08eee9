"""``desk report``: what the desk did for the contacts started in a window.

Read from Temporal visibility (which contacts started in the window, their search
attributes), each contact's own snapshot (a finished contact's result, a running one's
``snapshot`` query: states, decisions, the timeline) and, where it is the truth, the shop's
ledger (refunds, replacement orders, carrier cases). Every figure is an id, a state, a
count, an amount or a duration: no names, emails, phones, addresses or message text.

    report = await build_report(client, since, until, ledger=shop)
    print(render_text(report))          # or report.model_dump_json(), render_html(report)

How each figure is computed is written next to its field in ``Report``.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import io
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from pydantic import BaseModel, Field
from temporalio.client import Client, WorkflowExecution, WorkflowExecutionStatus
from temporalio.service import RPCError

from desk import search_attributes as sa
from desk.adapters.sandbox import RefundRecord, ReplacementRecord
from desk.models import CarrierCase, ContactSnapshot, ContactState, TimelineEntry
from desk.routing import CONTACT_WORKFLOW
from workflows.contact import ContactWorkflow

QUERY_TIMEOUT = timedelta(seconds=5)
_AT_ONCE = 16  # snapshots fetched at once


class Ledger(Protocol):
    """The shop's read-outs the report trusts over the contacts' own records."""

    def refunds(self, order_numbers: list[str] | None = None) -> list[RefundRecord]: ...

    def replacements(self, order_numbers: list[str] | None = None) -> list[ReplacementRecord]: ...

    def carrier_cases(self, as_of: datetime | None = None) -> list[CarrierCase]: ...


# ---------------------------------------------------------------- the report's model


class ContactFacts(BaseModel):
    """One contact of the window, as the report counts it: ids, states and durations."""

    contact_id: str
    started_at: datetime
    status: str  # Temporal's: running, completed, failed, terminated...
    intent: str | None = None
    tier: str | None = None
    channels: list[str] = Field(default_factory=list)
    state: str | None = None
    resolution: str | None = None
    autonomous: bool | None = None
    escalation_reason: str | None = None
    escalation_level: int = 0
    sla_breaches: int = 0
    order_number: str | None = None
    carrier_case: str | None = None
    carrier_case_status: str | None = None
    refunded: float = 0.0
    refunds: int = 0
    reships: int = 0
    first_reply_s: float | None = None
    resolution_s: float | None = None
    snapshot: bool = True  # False: visibility only (the snapshot could not be read)


class Durations(BaseModel):
    """Seconds of policy time (workflow time divided by the time scale); nearest rank."""

    count: int = 0
    p50_s: float | None = None
    p90_s: float | None = None


class Money(BaseModel):
    source: str  # "ledger" (the shop's rows) or "contacts" (their own records)
    reships: int = 0  # replacement orders
    reship_value: float = 0.0  # the reshipped lines' value
    refunds: int = 0
    refunded: float = 0.0  # money returned
    contacts_with_reship: int = 0
    contacts_with_refund: int = 0
    # The contacts' own totals (snapshots), and whether the ledger agrees with them.
    contacts_refunded: float = 0.0
    contacts_reships: int = 0
    reconciled: bool | None = None


class CarrierCases(BaseModel):
    filed: int = 0
    by_carrier: dict[str, int] = Field(default_factory=dict)
    by_status: dict[str, int] = Field(default_factory=dict)  # open, found, not_found
    contact_outcome: dict[str, int] = Field(default_factory=dict)  # resolution, else state


class Sla(BaseModel):
    breaches: int = 0  # SLA periods that passed without a decision (sla_breached steps)
    contacts_breached: int = 0
    breached_by_tier: dict[str, int] = Field(default_factory=dict)
    still_in_breach: list[str] = Field(default_factory=list)  # escalated now, ≥ 1 breach


class Report(BaseModel):
    since: datetime
    until: datetime
    generated_at: datetime
    time_scale: float = 1.0
    contacts: int = 0
    unread_snapshots: int = 0  # contacts counted from visibility only
    by_intent: dict[str, int] = Field(default_factory=dict)
    by_channel: dict[str, int] = Field(default_factory=dict)  # contacts that used it
    by_intent_channel: dict[str, dict[str, int]] = Field(default_factory=dict)  # first channel
    by_tier: dict[str, int] = Field(default_factory=dict)
    by_state: dict[str, int] = Field(default_factory=dict)
    resolutions: dict[str, int] = Field(default_factory=dict)
    finished: int = 0  # resolved or closed
    autonomous: int = 0  # finished with no supervisor decision (ContactAutonomous)
    autonomous_rate: float = 0.0  # autonomous / contacts
    autonomous_rate_of_finished: float = 0.0  # autonomous / finished
    escalated: int = 0  # contacts ever escalated
    escalations_by_reason: dict[str, int] = Field(default_factory=dict)
    awaiting_decision: int = 0  # escalated now
    money: Money = Field(default_factory=lambda: Money(source="contacts"))
    carrier_cases: CarrierCases = Field(default_factory=CarrierCases)
    first_reply: Durations = Field(default_factory=Durations)
    resolution: Durations = Field(default_factory=Durations)
    sla: Sla = Field(default_factory=Sla)
    rows: list[ContactFacts] = Field(default_factory=list)


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


# ---------------------------------------------------------------- figures


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest rank: the smallest value with at least ``q`` of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _durations(values: list[float | None]) -> Durations:
    present = [v for v in values if v is not None]
    return Durations(
        count=len(present), p50_s=percentile(present, 0.5), p90_s=percentile(present, 0.9)
    )


def _count(values: Iterable[str | None]) -> dict[str, int]:
    return dict(Counter(v for v in values if v).most_common())


def _owner(key: str, rows: list[ContactFacts], at: datetime) -> ContactFacts | None:
    """The contact a ledger row's idempotency key (``<contact id>:...``) belongs to; a
    contact id used again later (a new contact about the same order) goes to the one that
    had begun by then."""
    candidates = [r for r in rows if key.startswith(f"{r.contact_id}:") and r.started_at <= at]
    return max(candidates, key=lambda r: r.started_at, default=None)


def _money(rows: list[ContactFacts], ledger: Ledger | None) -> Money:
    contacts_refunded = round(sum(r.refunded for r in rows), 2)
    contacts_reships = sum(r.reships for r in rows)
    if ledger is None:
        return Money(
            source="contacts",
            reships=contacts_reships,
            refunded=contacts_refunded,
            contacts_with_reship=sum(r.reships > 0 for r in rows),
            contacts_with_refund=sum(r.refunded > 0 for r in rows),
            contacts_refunded=contacts_refunded,
            contacts_reships=contacts_reships,
        )
    orders = sorted({r.order_number for r in rows if r.order_number})
    refunds = ledger.refunds(orders) if orders else []
    replacements = ledger.replacements(orders) if orders else []
    refunded_by: dict[str, float] = {}
    refunds_by: Counter[str] = Counter()
    reships_by: Counter[str] = Counter()
    reship_value = 0.0
    for refund in refunds:
        if owner := _owner(refund.key, rows, refund.created_at):
            refunded_by[owner.contact_id] = refunded_by.get(owner.contact_id, 0.0) + refund.amount
            refunds_by[owner.contact_id] += 1
    for replacement in replacements:
        if owner := _owner(replacement.key, rows, replacement.created_at):
            reships_by[owner.contact_id] += 1
            reship_value += sum(line.total for line in replacement.lines)
    for r in rows:
        r.refunds = refunds_by[r.contact_id]
    refunded = round(sum(refunded_by.values()), 2)
    reships = sum(reships_by.values())
    return Money(
        source="ledger",
        reships=reships,
        reship_value=round(reship_value, 2),
        refunds=sum(refunds_by.values()),
        refunded=refunded,
        contacts_with_reship=len(reships_by),
        contacts_with_refund=len(refunded_by),
        contacts_refunded=contacts_refunded,
        contacts_reships=contacts_reships,
        reconciled=abs(refunded - contacts_refunded) < 0.005 and reships == contacts_reships,
    )


def _carrier_cases(
    rows: list[ContactFacts], ledger: Ledger | None, as_of: datetime | None
) -> CarrierCases:
    with_case = [r for r in rows if r.carrier_case]
    cases: dict[str, CarrierCase] = {}
    if ledger is not None and with_case:
        cases = {c.case_number: c for c in ledger.carrier_cases(as_of)}
    by_carrier: Counter[str] = Counter()
    for r in with_case:
        case = cases.get(r.carrier_case or "")
        r.carrier_case_status = case.status if case else None
        if case:
            by_carrier[case.carrier.value] += 1
    return CarrierCases(
        filed=len(with_case),
        by_carrier=dict(by_carrier.most_common()),
        by_status=_count(r.carrier_case_status or "unknown" for r in with_case),
        contact_outcome=_count(r.resolution or r.state for r in with_case),
    )


def summarise(
    rows: list[ContactFacts],
    since: datetime,
    until: datetime,
    *,
    ledger: Ledger | None = None,
    carrier_as_of: datetime | None = None,
    time_scale: float = 1.0,
    now: datetime | None = None,
) -> Report:
    """The report's figures from the contacts' facts (and the ledger, when given)."""
    finished_states = {ContactState.resolved.value, ContactState.closed.value}
    finished = [r for r in rows if r.state in finished_states]
    autonomous = [r for r in finished if r.autonomous]
    escalated = [r for r in rows if r.escalation_reason]
    by_intent_channel: dict[str, dict[str, int]] = {}
    for r in rows:
        if r.channels:
            cell = by_intent_channel.setdefault(r.intent or "unknown", {})
            cell[r.channels[0]] = cell.get(r.channels[0], 0) + 1
    breached = [r for r in rows if r.sla_breaches]
    money = _money(rows, ledger)
    cases = _carrier_cases(rows, ledger, carrier_as_of)
    return Report(
        since=since,
        until=until,
        generated_at=now or datetime.now(UTC),
        time_scale=time_scale,
        contacts=len(rows),
        unread_snapshots=sum(not r.snapshot for r in rows),
        by_intent=_count(r.intent or "unknown" for r in rows),
        by_channel=_count(c for r in rows for c in r.channels),
        by_intent_channel=by_intent_channel,
        by_tier=_count(r.tier or "unknown" for r in rows),
        by_state=_count(r.state or "unknown" for r in rows),
        resolutions=_count(r.resolution for r in rows),
        finished=len(finished),
        autonomous=len(autonomous),
        autonomous_rate=round(len(autonomous) / len(rows), 4) if rows else 0.0,
        autonomous_rate_of_finished=round(len(autonomous) / len(finished), 4) if finished else 0.0,
        escalated=len(escalated),
        escalations_by_reason=_count(r.escalation_reason for r in escalated),
        awaiting_decision=sum(r.state == ContactState.escalated.value for r in rows),
        money=money,
        carrier_cases=cases,
        first_reply=_durations([r.first_reply_s for r in rows]),
        resolution=_durations([r.resolution_s for r in rows]),
        sla=Sla(
            breaches=sum(r.sla_breaches for r in rows),
            contacts_breached=len(breached),
            breached_by_tier=_count(r.tier or "unknown" for r in breached),
            still_in_breach=[
                r.contact_id for r in breached if r.state == ContactState.escalated.value
            ],
        ),
        rows=rows,
    )


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


# ---------------------------------------------------------------- plain text


def scale_text(time_scale: float) -> str:
    """``1/17280`` rather than ``5.78704e-05``."""
    if time_scale < 1 and abs(1 / time_scale - round(1 / time_scale)) < 1e-6:
        return f"1/{round(1 / time_scale)}"
    return f"{time_scale:g}"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table: left-aligned text, right-aligned numbers."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    numeric = []
    for i in range(len(headers)):
        column = [row[i] for row in cells[1:] if row[i]]
        numeric.append(bool(column) and all(_numberish(c) for c in column))

    def line(row: Sequence[str]) -> str:
        parts = [
            c.rjust(w) if num else c.ljust(w)
            for c, w, num in zip(row, widths, numeric, strict=True)
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


def _numberish(text: str) -> bool:
    return text.replace(".", "", 1).replace("%", "").replace(",", "").strip().isdigit()


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "—"


def _counts(title: str, counts: dict[str, int], total: int | None = None) -> str:
    if not counts:
        return f"{title}: none"
    rows = [[k, v, *([_pct(v, total)] if total is not None else [])] for k, v in counts.items()]
    headers = [title, "contacts", *(["share"] if total is not None else [])]
    return table(headers, rows)


def render_text(report: Report) -> str:
    r = report
    scale = (
        ""
        if r.time_scale == 1
        else f" (durations in policy time, time scale {scale_text(r.time_scale)})"
    )
    out = [
        f"contact desk report: contacts started {r.since:%Y-%m-%d %H:%M} – "
        f"{r.until:%Y-%m-%d %H:%M} UTC{scale}",
        "",
        table(
            ["", "contacts", "share"],
            [
                ["contacts", r.contacts, ""],
                ["finished (resolved or closed)", r.finished, _pct(r.finished, r.contacts)],
                ["resolved autonomously", r.autonomous, _pct(r.autonomous, r.contacts)],
                ["escalated (ever)", r.escalated, _pct(r.escalated, r.contacts)],
                ["awaiting a decision now", r.awaiting_decision, ""],
                ["with an SLA breach", r.sla.contacts_breached, ""],
            ],
        ),
        "",
        _counts("intent", r.by_intent, r.contacts),
        "",
        _intent_channel_table(r),
        "",
        _counts("channel (used)", r.by_channel, r.contacts),
        "",
        _counts("tier", r.by_tier, r.contacts),
        "",
        _counts("state", r.by_state, r.contacts),
        "",
        _counts("resolution", r.resolutions),
        "",
        _counts("escalation reason", r.escalations_by_reason),
        "",
        table(
            [f"money ({r.money.source})", "count", "amount"],
            [
                ["reships (replacement orders)", r.money.reships, f"{r.money.reship_value:.2f}"],
                ["refunds", r.money.refunds, f"{r.money.refunded:.2f}"],
            ],
        ),
    ]
    if r.money.reconciled is False:
        out.append(
            f"  ! the contacts' own records say {r.money.contacts_reships} reships and "
            f"{r.money.contacts_refunded:.2f} refunded"
        )
    cases = r.carrier_cases
    out += [
        "",
        f"carrier cases filed: {cases.filed}"
        + (
            " (" + ", ".join(f"{k} {v}" for k, v in cases.by_carrier.items()) + ")"
            if cases.by_carrier
            else ""
        ),
    ]
    if cases.filed:
        out += [
            _counts("case status", cases.by_status),
            "",
            _counts("contact outcome with a case", cases.contact_outcome),
        ]
    out += [
        "",
        table(
            ["time to", "contacts", "p50", "p90"],
            [
                [
                    "first reply",
                    r.first_reply.count,
                    duration(r.first_reply.p50_s),
                    duration(r.first_reply.p90_s),
                ],
                [
                    "resolution",
                    r.resolution.count,
                    duration(r.resolution.p50_s),
                    duration(r.resolution.p90_s),
                ],
            ],
        ),
        "",
        f"SLA breaches: {r.sla.breaches} in {r.sla.contacts_breached} contact(s)"
        + (
            " (" + ", ".join(f"{k} {v}" for k, v in r.sla.breached_by_tier.items()) + ")"
            if r.sla.breached_by_tier
            else ""
        ),
    ]
    if r.sla.still_in_breach:
        out.append("still waiting past the SLA: " + ", ".join(r.sla.still_in_breach))
    if r.unread_snapshots:
        out.append(
            f"\n{r.unread_snapshots} contact(s) counted from visibility only (their snapshot "
            "could not be read: no worker answering, or the run failed)"
        )
    return "\n".join(out)


def _intent_channel_table(r: Report) -> str:
    channels = sorted({c for cells in r.by_intent_channel.values() for c in cells})
    if not channels:
        return "intent × first channel: none"
    rows = [
        [intent, *(r.by_intent_channel.get(intent, {}).get(c, 0) for c in channels)]
        for intent in r.by_intent
        if intent in r.by_intent_channel
    ]
    return table(["intent × first channel", *channels], rows)


# ---------------------------------------------------------------- HTML with charts

CHARTS = (
    "contacts by intent",
    "contacts by channel",
    "outcomes",
    "escalations by reason",
    "time to first reply and to resolution",
    "carrier cases by status",
)


def _svg(fig: Any) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]  # inline: without the XML prolog and doctype
    return re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.S)


def _bar_chart(title: str, counts: dict[str, int], unit: str = "contacts") -> str:
    from matplotlib.figure import Figure

    labels = list(counts)[::-1]
    values = [counts[k] for k in labels]
    fig = Figure(figsize=(6.4, 0.45 * max(3, len(labels)) + 0.8))
    ax = fig.add_subplot()
    if labels:
        bars = ax.barh(labels, values, color="#4c72b0")
        ax.bar_label(bars, padding=3)
        ax.set_xlim(0, max(values) * 1.15 + 0.5)
    else:
        ax.text(0.5, 0.5, "none in this window", ha="center", va="center", transform=ax.transAxes)
        ax.set_yticks([])
    ax.set_xlabel(unit)
    ax.set_title(title, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


def _outcome_chart(r: Report) -> str:
    parts = {
        "resolved autonomously": r.autonomous,
        "finished by a supervisor": r.finished - r.autonomous,
        "awaiting a decision": r.awaiting_decision,
        "in progress": max(0, r.contacts - r.finished - r.awaiting_decision),
    }
    return _bar_chart(
        f"outcomes (autonomous rate {100 * r.autonomous_rate:.0f}%)",
        {k: v for k, v in parts.items()},
    )


def _duration_chart(r: Report) -> str:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 3.2))
    ax = fig.add_subplot()
    data = [
        [x / 3600 for x in (row.first_reply_s for row in r.rows) if x is not None],
        [x / 3600 for x in (row.resolution_s for row in r.rows) if x is not None],
    ]
    labels = ["first reply", "resolution"]
    shown = [(d, label) for d, label in zip(data, labels, strict=True) if d]
    if shown:
        ax.boxplot([d for d, _ in shown], orientation="horizontal", whis=(10, 90))
        ax.set_yticks(range(1, len(shown) + 1), [label for _, label in shown])
        ax.set_xlabel("hours" + ("" if r.time_scale == 1 else " (policy time)"))
    else:
        ax.text(0.5, 0.5, "none in this window", ha="center", va="center", transform=ax.transAxes)
        ax.set_yticks([])
    ax.set_title("time to first reply and to resolution (whiskers p10–p90)", loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


def render_charts(report: Report) -> list[tuple[str, str]]:
    """(title, inline SVG) for each chart of ``CHARTS``."""
    import matplotlib

    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: small, searchable
    matplotlib.rcParams["svg.hashsalt"] = "desk-report"  # the same report, the same page
    r = report
    return [
        (CHARTS[0], _bar_chart(CHARTS[0], r.by_intent)),
        (CHARTS[1], _bar_chart(CHARTS[1], r.by_channel)),
        (CHARTS[2], _outcome_chart(r)),
        (CHARTS[3], _bar_chart(CHARTS[3], r.escalations_by_reason)),
        (CHARTS[4], _duration_chart(r)),
        (CHARTS[5], _bar_chart(CHARTS[5], r.carrier_cases.by_status, unit="cases")),
    ]


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 70rem; color: #222; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
.kpis { display: flex; flex-wrap: wrap; gap: 1rem; }
.kpi { border: 1px solid #ddd; border-radius: 6px; padding: .6rem 1rem; min-width: 9rem; }
.kpi b { display: block; font-size: 1.5rem; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(28rem, 1fr)); gap: 1rem; }
figure { margin: 0; } figure svg { max-width: 100%; height: auto; }
pre { background: #f6f6f6; padding: 1rem; overflow-x: auto; }
"""


def render_html(report: Report) -> str:
    """A self-contained page: the key figures, one inline SVG chart each, and the text
    report. Nothing is loaded from anywhere."""
    r = report
    kpis = [
        ("contacts", str(r.contacts)),
        ("resolved autonomously", f"{100 * r.autonomous_rate:.0f}%"),
        ("escalated", str(r.escalated)),
        ("refunded", f"{r.money.refunded:.2f}"),
        ("reships", str(r.money.reships)),
        ("carrier cases", str(r.carrier_cases.filed)),
        ("first reply p50", duration(r.first_reply.p50_s)),
        ("resolution p50", duration(r.resolution.p50_s)),
        ("SLA breaches", str(r.sla.breaches)),
    ]
    figures = "\n".join(
        f'<figure aria-label="{html.escape(title)}">{svg}</figure>'
        for title, svg in render_charts(r)
    )
    kpi_html = "\n".join(
        f'<div class="kpi"><b>{html.escape(v)}</b>{html.escape(k)}</div>' for k, v in kpis
    )
    money_source = "the shop's ledger" if r.money.source == "ledger" else "the contacts' records"
    title = f"Contact desk report {r.since:%Y-%m-%d %H:%M} – {r.until:%Y-%m-%d %H:%M} UTC"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>{_STYLE}</style></head>
<body>
<h1>{html.escape(title)}</h1>
<p>Contacts started in the window, from Temporal visibility and the contacts' snapshots;
reships, refunds and carrier cases from {html.escape(money_source)}. Durations in
{"policy time (time scale " + scale_text(r.time_scale) + ")" if r.time_scale != 1 else "hours"}.
Generated {r.generated_at:%Y-%m-%d %H:%M} UTC.</p>
<div class="kpis">{kpi_html}</div>
<h2>Charts</h2>
<div class="charts">
{figures}
</div>
<h2>Tables</h2>
<pre>{html.escape(render_text(r))}</pre>
</body></html>
"""


# ---------------------------------------------------------------- the command


def parse_moment(text: str, now: datetime) -> datetime:
    """``2026-11-30``, ``2026-11-30T08:00`` (UTC unless an offset is given), ``today``,
    ``now``, or a time ago: ``90m``, ``24h``, ``7d``."""
    value = text.strip().lower()
    if value == "now":
        return now
    if value == "today":
        return now.replace(hour=0, minute=0, second=0, microsecond=0)
    units = {"m": "minutes", "h": "hours", "d": "days"}
    if value[-1:] in units and value[:-1].replace(".", "", 1).isdigit():
        return now - timedelta(**{units[value[-1]]: float(value[:-1])})
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"not a time: {text!r} (ISO date or time, 'today', 'now', or 90m / 24h / 7d ago)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
