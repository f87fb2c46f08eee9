"""The desk's rule "confirm before the irreversible": one short question naming the order
and the action, when the order was inferred or the reading is unsure. A yes acts; a no or
a correction reads the contact again; no answer closes it ``no_response``."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from desk import reply_text as say
    from desk.models import ContactState, ResolutionKind
    from desk.policy.confirmation import Answer, answer_to_question, why_confirm
    from desk.policy.rules import Rule

from workflows.contact import calls, waiting
from workflows.contact.context import Contact
from workflows.contact.identity import hand_over_if_asked
from workflows.contact.outcome import Outcome, Reread, Resolved
from workflows.contact.patches import Patch, patched


async def confirmed(c: Contact, action: str) -> Outcome | None:
    """None when the desk may go ahead with ``action`` ("cancel order 41880 and refund
    64.00"); otherwise what the contact comes to instead."""
    why = why_confirm(c.request, c.rec.order, c.now(), c.cfg)
    # Contacts from before the question existed acted at once, and replay so.
    if why is None or not patched(Patch.confirm_irreversible):
        return None
    c.note("confirm", f"asking before we {action}: {why}", Rule.confirm)
    answer = await waiting.ask_then_remind(
        c,
        lambda by: say.confirm(action, by),
        lambda by: say.confirm_reminder(action, by),
        lambda r: answer_to_question(r, c.cfg) != Answer.none,
        "wait for the customer's yes",
    )
    if answer is None:
        return Resolved(ResolutionKind.no_response, Rule.confirm, "no answer to the question")
    if handover := hand_over_if_asked(answer):
        return handover
    c.set_state(ContactState.investigating)
    said = answer_to_question(answer, c.cfg)
    if said == Answer.yes:
        c.note("confirm", f"the customer confirmed: {action}", Rule.confirm)
        return None
    if said == Answer.correction:
        return Reread(answer)  # "no, I meant the other order", "just refund me"
    # A bare no: nothing happens; what do they need instead?
    await calls.reply(c, say.nothing_changed(c.order))
    c.set_state(ContactState.awaiting_customer)
    instead = await waiting.message(
        c, lambda r: True, waiting.hours(c, c.cfg.customer_reply_hours), "wait for what instead"
    )
    if instead is None:
        return Resolved(ResolutionKind.no_response, Rule.confirm, "declined; nothing more said")
    return Reread(instead)
