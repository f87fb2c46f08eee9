"""``desk escalations``, ``desk show`` and ``desk decide``: what a supervisor runs.

Each takes a connected client, prints its answer (JSON on stdout, a ``desk: ...`` reason on
stderr) and returns the command's exit code.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError

from desk.models import ContactSnapshot, ResolutionKind, SupervisorAction, SupervisorDecision
from desk.policy.supervisor_decisions import refusal
from supervisor.queue import escalation_queue


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
    by: str,
    note: str = "",
    resolution: str | None = None,
    amount: float | None = None,
) -> int:
    handle = client.get_workflow_handle(contact_id)
    snap = await _snapshot(handle, contact_id)
    if snap is None:
        return 2
    try:
        decision = SupervisorDecision(
            action=SupervisorAction(action),
            by=by,
            note=note,
            resolution=ResolutionKind(resolution) if resolution else None,
            amount=amount,
        )
    except ValueError as err:
        print(f"desk: invalid decision: {err}", file=sys.stderr)
        return 2
    why_not = refusal(decision, snap.state, snap.proposed_resolution)
    if why_not:
        print(f"desk: decision refused: {why_not}", file=sys.stderr)
        return 2
    await handle.signal("supervisor_decision", decision)
    print(f"{decision.action.value} sent to {contact_id}")
    return 0


async def _snapshot(handle: WorkflowHandle[Any, Any], contact_id: str) -> ContactSnapshot | None:
    """The contact's snapshot, or None (the reason printed) when there is no such contact."""
    try:
        return await handle.query("snapshot", result_type=ContactSnapshot)
    except RPCError as err:
        print(f"desk: no contact {contact_id}: {err.message}", file=sys.stderr)
        return None
