"""POLICY.md wrong_item: the fraud gate, then the ordered item reshipped (or refunded), with
a return label when the wrong item is worth sending back."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from desk.models import ClaimKind
    from desk.policy.items import lines_named, return_label_needed
    from desk.policy.reship_or_refund import Loss, affected_lines
    from desk.policy.rules import Rule

from workflows.contact.context import Contact
from workflows.contact.fraud_gate import held_by_fraud_gate
from workflows.contact.outcome import Outcome
from workflows.contact.patches import Patch, patched
from workflows.contact.playbooks.items import items_not_delivered
from workflows.contact.resolution import reship_or_refund


async def wrong_item(c: Contact) -> Outcome:
    order, tier = c.order, c.customer.tier
    if patched(Patch.fact_gates):
        # The claim must fit the facts: a delivered shipment carrying those lines.
        skus = lines_named(order, (r.message.text for r in c.rec.verified()))
        if (status := await items_not_delivered(c, skus)) is not None:
            return status
    if held := await held_by_fraud_gate(c, ClaimKind.wrong_item, Rule.wrong_item_1):
        return held
    skus = lines_named(order, (r.message.text for r in c.rec.verified()))
    value = sum(ln.total for ln in affected_lines(order, skus))
    returns = return_label_needed(value, tier, c.cfg)
    threshold = c.cfg.return_required_above[tier]
    return await reship_or_refund(
        c,
        Loss.wrong_item,
        Rule.wrong_item_2,
        f"wrong item worth {value:.2f}; return label "
        f"{'needed' if returns else 'not needed'} (threshold {threshold:.2f})",
        skus=skus,
        return_label=returns,
    )
