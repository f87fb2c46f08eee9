"""The chaos run's checks. Afterwards every contact is checked: its intake workflow routed
the message, the contact holds it, and the contact is finished or waiting as it should (on
the customer, a carrier or a supervisor). The ledger is checked against each contact's own
record: one refund and one replacement at most per decision key, refund totals and
replacement orders equal to what the contact believes it did, and as many replies in the
outbox as it sent. ``ok``: nothing lost, nothing duplicated, nothing still being worked.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowExecutionStatus

from desk.adapters.sandbox import SandboxShop
from desk.models import ContactSnapshot, ContactState, RoutedMessage
from desk.routing import CONTACT_WORKFLOW, INTAKE_WORKFLOW
from devtools.chaos.plan import Figures, _say
from devtools.chaos.rig import ChaosRig
from workflows.contact import ContactWorkflow

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


class ChaosChecks(ChaosRig):
    """How busy the desk is, when it has settled, and what was lost or duplicated."""

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


def ok(figures: Figures) -> bool:
    return (
        figures.lost == 0
        and figures.duplicated == 0
        and figures.unsettled == 0
        and figures.contacts > 0
    )
