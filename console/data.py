"""What the console shows: the queue (Temporal visibility on the desk's search attributes,
each row completed from the contact's ``snapshot`` query) and one contact (its snapshot,
and the order's carrier scans when the console can read the shop)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

from temporalio.client import Client, WorkflowQueryFailedError, WorkflowQueryRejectedError
from temporalio.service import RPCError

from desk import search_attributes as sa
from desk.models import ContactSnapshot, ContactState, Order, Shipment, TraceResult
from workflows.contact import ContactWorkflow

WAITING_ON_A_PERSON = (ContactState.escalated, ContactState.human_owned)
QUEUE_QUERY = (
    f'{sa.CONTACT_STATE.name} IN ("escalated", "human_owned") AND ExecutionStatus = "Running"'
)
QUERY_TIMEOUT = timedelta(seconds=5)
MAX_QUEUE = 500
T = TypeVar("T")


class Orders(Protocol):
    def get_order(self, number: str) -> Order: ...


class Carriers(Protocol):
    def trace(self, tracking: str, as_of: datetime) -> TraceResult: ...


@dataclass
class Scans:
    """The order's shipments with the carriers' scans, through the desk's ports (the shop's
    orders, the carriers' tracking). Kept ``keep_seconds`` per order, so open pages that
    refresh every few seconds do not call a carrier's API each time."""

    orders: Orders
    carriers: Carriers
    keep_seconds: float = 300.0
    _kept: dict[str, tuple[float, list[Shipment]]] = field(default_factory=dict, repr=False)

    def shipments(self, order_number: str) -> list[Shipment]:
        now = time.monotonic()
        kept = self._kept.get(order_number)
        if kept is not None and now - kept[0] < self.keep_seconds:
            return kept[1]
        order = self.orders.get_order(order_number)
        at = datetime.now(UTC)
        found = [self.carriers.trace(s.tracking, at).shipment for s in order.shipments]
        if len(self._kept) > 1000:
            self._kept.clear()
        self._kept[order_number] = (now, found)
        return found


@dataclass
class QueueRow:
    contact: str
    state: str
    started: datetime | None
    reason: str | None = None
    tier: str | None = None
    order: str | None = None
    intent: str | None = None
    money_at_stake: float | None = None
    proposal: str | None = None
    escalated_at: datetime | None = None
    sla_due: datetime | None = None
    level: int = 0
    first_breach: datetime | None = None  # the first SLA breach of this escalation
    complete: bool = False  # False: the snapshot could not be read (no worker answering)

    def sort_key(self) -> tuple[int, datetime, datetime]:
        # Escalated before owned by a person; the oldest SLA breach first, then the SLA due
        # soonest, then the oldest.
        far = datetime.max.replace(tzinfo=UTC)
        escalated = self.state == ContactState.escalated.value
        return (
            0 if escalated and self.first_breach else 1 if escalated else 2,
            self.first_breach or self.sla_due or far,
            self.escalated_at or self.started or far,
        )


def sla_due(snap: ContactSnapshot) -> datetime | None:
    if snap.state == ContactState.escalated and (snap.waiting_for or "").startswith(
        "escalation SLA"
    ):
        return snap.waiting_until
    return None


def first_breach(snap: ContactSnapshot) -> datetime | None:
    """When the current escalation first went past its SLA (its first ``sla_breached``
    step after the last ``escalated`` one)."""
    since = max((i for i, e in enumerate(snap.timeline) if e.kind == "escalated"), default=-1)
    return next((e.at for e in snap.timeline[since + 1 :] if e.kind == "sla_breached"), None)


def row_from_snapshot(row: QueueRow, snap: ContactSnapshot) -> QueueRow:
    p = snap.proposed_resolution
    row.state = snap.state.value
    row.reason = snap.escalation_reason.value if snap.escalation_reason else row.reason
    row.tier = snap.tier.value if snap.tier else row.tier
    row.order = snap.order_number or row.order
    row.intent = snap.intent.value if snap.intent else row.intent
    row.money_at_stake = p.money_at_stake if p else None
    row.proposal = p.kind.value if p else None
    row.escalated_at = snap.escalated_at
    row.sla_due = sla_due(snap)
    row.level = snap.escalation_level
    row.first_breach = first_breach(snap) if snap.state == ContactState.escalated else None
    row.complete = True
    return row


async def snapshot(client: Client, contact_id: str) -> ContactSnapshot | None:
    """The contact's snapshot; None when there is no such contact (or it cannot answer)."""
    try:
        return await client.get_workflow_handle(contact_id).query(
            ContactWorkflow.snapshot, rpc_timeout=QUERY_TIMEOUT
        )
    except (RPCError, TimeoutError, WorkflowQueryFailedError, WorkflowQueryRejectedError):
        return None  # no such workflow, no worker answering, or not a contact


async def queue(client: Client) -> list[QueueRow]:
    rows: list[QueueRow] = []
    async for wf in client.list_workflows(QUEUE_QUERY, limit=MAX_QUEUE):
        attrs = wf.typed_search_attributes
        rows.append(
            QueueRow(
                contact=wf.id,
                state=attrs.get(sa.CONTACT_STATE) or "",
                started=wf.start_time,
                reason=attrs.get(sa.ESCALATION_REASON),
                tier=attrs.get(sa.CUSTOMER_TIER),
                order=attrs.get(sa.ORDER_NUMBER),
                intent=attrs.get(sa.INTENT),
            )
        )
    gate = asyncio.Semaphore(8)

    async def complete(row: QueueRow) -> None:
        async with gate:
            snap = await snapshot(client, row.contact)
        if snap is not None:
            row_from_snapshot(row, snap)

    await asyncio.gather(*(complete(r) for r in rows))
    # A contact decided since visibility was read has left the queue.
    rows = [r for r in rows if r.state in {s.value for s in WAITING_ON_A_PERSON}]
    return sorted(rows, key=QueueRow.sort_key)


@dataclass
class ContactView:
    snap: ContactSnapshot
    shipments: list[Shipment] = field(default_factory=list)
    scans_note: str = ""


async def contact_view(client: Client, contact_id: str, scans: Scans | None) -> ContactView | None:
    snap = await snapshot(client, contact_id)
    if snap is None:
        return None
    view = ContactView(snap)
    if scans is None or not snap.order_number:
        view.scans_note = "" if snap.order_number else "no order matched"
        return view
    try:
        view.shipments = await asyncio.to_thread(scans.shipments, snap.order_number)
    except Exception as err:  # the shop is down or the order gone: the page still shows
        view.scans_note = f"the shop's scans could not be read ({type(err).__name__})"
    return view


def age(since: datetime | None, now: datetime) -> str:
    if since is None:
        return "—"
    return span((now - since).total_seconds())


def span(seconds: float) -> str:
    s = int(abs(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60:02d}m"
    return f"{s // 86400}d {s % 86400 // 3600}h"


def sla_text(due: datetime | None, now: datetime) -> tuple[str, bool]:
    """("due in 1h 20m", False) or ("breached 2h 05m ago", True); ("", False) without one."""
    if due is None:
        return "", False
    left = (due - now).total_seconds()
    if left >= 0:
        return f"due in {span(left)}", False
    return f"breached {span(left)} ago", True


class Shared:
    """One answer per key for ``seconds``, however many pages ask: every open page polls,
    Temporal is asked once per key and interval."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._answers: dict[str, tuple[float, asyncio.Task[Any]]] = {}

    async def get(self, key: str, fetch: Callable[[], Awaitable[T]]) -> T:
        now = time.monotonic()
        self._answers = {
            k: v for k, v in self._answers.items() if now - v[0] < self.seconds or not v[1].done()
        }
        found = self._answers.get(key)
        if found is None:
            found = (now, asyncio.ensure_future(fetch()))
            self._answers[key] = found
        result: T = await asyncio.shield(found[1])
        return result
