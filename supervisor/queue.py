"""The supervisors' queue: escalated contacts from Temporal visibility, oldest level first."""

from __future__ import annotations

from typing import Any

from temporalio.client import Client

from desk import search_attributes as sa


async def escalation_queue(client: Client) -> list[dict[str, Any]]:
    rows = []
    query = f'{sa.CONTACT_STATE.name} = "escalated" AND ExecutionStatus = "Running"'
    async for wf in client.list_workflows(query):
        attrs = wf.typed_search_attributes
        rows.append(
            {
                "contact": wf.id,
                "since": wf.start_time,
                "reason": attrs.get(sa.ESCALATION_REASON),
                "tier": attrs.get(sa.CUSTOMER_TIER),
                "order": attrs.get(sa.ORDER_NUMBER),
                "intent": attrs.get(sa.INTENT),
            }
        )
    return sorted(rows, key=lambda r: (r["tier"] not in ("vip", "b2b"), r["since"]))
