"""POLICY.md damaged_item: a photo first, then reship (or refund); no return needed."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from desk import reply_text as say
    from desk.models import ClaimKind, ContactState, ResolutionKind
    from desk.policy.items import has_photo, lines_named
    from desk.policy.reship_or_refund import Loss
    from desk.policy.rules import Rule

from workflows.contact import calls, waiting
from workflows.contact.context import Contact
from workflows.contact.identity import hand_over_if_asked
from workflows.contact.outcome import Outcome, Resolved
from workflows.contact.patches import Patch, patched
from workflows.contact.playbooks.items import items_not_delivered
from workflows.contact.resolution import reship_or_refund


async def damaged_item(c: Contact) -> Outcome:
    order = c.order
    if patched(Patch.fact_gates):
        # The claim must fit the facts: a delivered shipment carrying those lines.
        skus = lines_named(order, (r.message.text for r in c.rec.verified()))
        if (status := await items_not_delivered(c, skus)) is not None:
            return status
    await calls.record_claim(c, ClaimKind.damaged_item)
    if not has_photo(r.understanding for r in c.rec.verified()):
        msg = await waiting.ask_then_remind(
            c,
            lambda by: say.photo_request(order, by),
            lambda by: say.photo_reminder(order, by),
            lambda r: r.understanding.has_image,
            "wait for a photo of the damage",
        )
        if msg is None:
            return Resolved(
                ResolutionKind.no_response, Rule.damaged_item_1, "no photo after a reminder"
            )
        if handover := hand_over_if_asked(msg):
            return handover
    c.set_state(ContactState.investigating)
    return await reship_or_refund(
        c,
        Loss.damaged,
        Rule.damaged_item_2,
        "photo received",
        skus=lines_named(order, (r.message.text for r in c.rec.verified())),
    )
