"""The fact gate of wrong_item and damaged_item: the claim needs a delivered shipment
carrying the lines concerned; otherwise it is answered as the status question it is."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from desk.policy.fact_gate import delivered_with_lines
    from desk.policy.rules import Rule

from workflows.contact import calls
from workflows.contact.context import Contact
from workflows.contact.outcome import Outcome
from workflows.contact.playbooks.where_is_my_order import where_is_my_order


async def items_not_delivered(c: Contact, skus: list[str]) -> Outcome | None:
    """None when a delivered shipment carries the lines; otherwise the status answer."""
    traced = await calls.trace_all(c)
    gate = delivered_with_lines(c.order, traced, skus, c.now(), c.cfg)
    c.note("fact_gate", f"items: {gate.why}", Rule.fact_gate)
    if gate.passes:
        return None
    return await where_is_my_order(c)
