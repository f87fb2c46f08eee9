"""``desk escalations``, ``desk show`` and ``desk decide``: what a supervisor runs.

Each takes a connected client, prints its answer (JSON on stdout, a ``desk: ...`` reason on
stderr) and returns the command's exit code.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Any

from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import FailureError
from temporalio.service import RPCError

from desk.adapters.wiring import open_store
from desk.config import Settings
from desk.models import (
    CarrierCaseFiled,
    ContactSnapshot,
    ResolutionKind,
    SupervisorAction,
    SupervisorDecision,
)
from desk.ports import NotFound
from desk.supervisors import sign
from supervisor.queue import escalation_queue
from workflows.contact import ContactWorkflow


async def escalations(client: Client) -> int:
    for row in await escalation_queue(client):
        print(json.dumps(row, default=str))
    return 0


async def show(client: Client, contact_id: str) -> int:
    handle = client.get_workflow_handle(contact_id)
    snap = await _snapshot(handle, contact_id)
    if snap is None:
        return 2
    print(snap.model_dump_json(indent=2))
    return 0


async def decide(
    client: Client,
    contact_id: str,
    action: str,
    *,
    operator: tuple[str, str],
    note: str = "",
    resolution: str | None = None,
    amount: float | None = None,
) -> int:
    """Decide as ``operator`` (the configured supervisor id and key): the decision is
    signed with their key, so the contact records who decided, and the registry caps it by
    their role."""
    handle = client.get_workflow_handle(contact_id)
    by, key = operator
    try:
        decision = SupervisorDecision(
            action=SupervisorAction(action),
            by=by,
            note=note,
            resolution=ResolutionKind(resolution) if resolution else None,
            amount=amount,
        )
        decision = sign(contact_id, decision, key, datetime.now(UTC))
    except ValueError as err:
        print(f"desk: invalid decision: {err}", file=sys.stderr)
        return 2
    try:
        # The contact's validator refuses a decision that does not fit, with the reason.
        await handle.execute_update(ContactWorkflow.decide, decision)
    except WorkflowUpdateFailedError as err:
        why = err.cause.message if isinstance(err.cause, FailureError) else str(err)
        print(f"desk: {why}", file=sys.stderr)
        return 2
    except RPCError as err:
        print(f"desk: no contact {contact_id}: {err.message}", file=sys.stderr)
        return 2
    print(f"{decision.action.value} by {by} accepted by {contact_id}")
    return 0


async def _snapshot(handle: WorkflowHandle[Any, Any], contact_id: str) -> ContactSnapshot | None:
    """The contact's snapshot, or None (the reason printed) when there is no such contact."""
    try:
        return await handle.query(ContactWorkflow.snapshot)
    except RPCError as err:
        print(f"desk: no contact {contact_id}: {err.message}", file=sys.stderr)
        return None


def carrier_tasks(settings: Settings) -> int:
    """The carrier searches prepared for a person (carriers with no API to file them)."""
    shop = open_store(settings)
    try:
        for task in shop.open_tasks():
            print(task.model_dump_json())
    finally:
        shop.close()
    return 0


async def carrier_filed(
    client: Client, settings: Settings, task_id: str, case_number: str, *, by: str
) -> int:
    """Record the case number a person got from the carrier, and tell the contact."""
    shop = open_store(settings)
    try:
        task = shop.mark_filed(task_id, case_number, by)
    except NotFound as err:
        print(f"desk: {err}", file=sys.stderr)
        return 2
    finally:
        shop.close()
    if task.contact_id is None:
        print(f"{task_id} filed as {case_number} (no contact to tell)")
        return 0
    handle = client.get_workflow_handle(task.contact_id)
    try:
        await handle.signal(
            ContactWorkflow.carrier_case_filed, CarrierCaseFiled(case_number=case_number, by=by)
        )
    except RPCError as err:
        print(
            f"desk: {task_id} recorded, but contact {task.contact_id}: {err.message}",
            file=sys.stderr,
        )
        return 2
    print(f"{task_id} filed as {case_number}; {task.contact_id} told")
    return 0
