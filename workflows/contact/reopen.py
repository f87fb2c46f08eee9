"""POLICY.md "After resolution": the contact stays open ``reopen_hours`` for the
customer's reaction."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from desk.models import ContactState, RoutedMessage
    from desk.policy.after_resolution import Reaction, dispute_reason, is_correction, reaction
    from desk.policy.rules import Rule

from workflows.contact import waiting
from workflows.contact.context import Contact
from workflows.contact.outcome import Escalate, Reread
from workflows.contact.patches import Patch, patched


def corrects_the_reading(c: Contact, msg: RoutedMessage) -> bool:
    """A dispute after a resolution that moved nothing, reading as another request than
    the one answered: the desk misread, so it reads again (a person takes disputes of what
    was done)."""
    request = c.request
    if request is None or c.rec.state != ContactState.resolved:
        return False
    return is_correction(msg.understanding, request.understanding, c.rec.resolution, c.cfg)


async def window(c: Contact) -> Escalate | Reread | None:
    """A "thanks" or silence closes; a found-it is recorded (no clawback, no new action);
    a dispute goes to a person. Only once per contact: a resolution reached after a
    dispute closes the contact."""
    if c.rec.state != ContactState.resolved or c.rec.reopened:
        return None
    c.rec.reopened = True
    ends = c.now() + waiting.hours(c, c.cfg.reopen_hours)
    while c.now() < ends:
        msg = await waiting.message(c, lambda r: True, ends - c.now(), "reopen window")
        if msg is None:
            return None
        u = msg.understanding
        match reaction(u):
            case Reaction.close:
                c.note("closed", "customer thanked us", Rule.after_resolution)
                return None
            case Reaction.record:
                c.note(
                    "found_after_resolution",
                    "recorded; no clawback, no new action",
                    Rule.after_resolution,
                )
            case Reaction.dispute:
                if corrects_the_reading(c, msg) and patched(Patch.reread_corrections):
                    c.note("reread", "the customer corrected our reading", Rule.after_resolution)
                    c.rec.resolution = None
                    return Reread(msg)
                c.rec.resolution = None
                return Escalate(dispute_reason(u), Rule.after_resolution, "customer disputes")
            case Reaction.ignore:
                pass
    return None
