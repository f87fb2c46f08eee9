"""POLICY.md "After resolution": the contact stays open ``reopen_hours`` for the
customer's reaction."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from desk.models import ContactState
    from desk.policy.after_resolution import Reaction, dispute_reason, reaction
    from desk.policy.rules import Rule

from workflows.contact import waiting
from workflows.contact.context import Contact
from workflows.contact.outcome import Escalate


async def window(c: Contact) -> Escalate | None:
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
                c.rec.resolution = None
                return Escalate(dispute_reason(u), Rule.after_resolution, "customer disputes")
            case Reaction.ignore:
                pass
    return None
