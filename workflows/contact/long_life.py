"""Continue-as-new at a safe point, before a contact's history grows long.

A contact that waits on a person can receive messages for weeks. At its safe points (each
escalation SLA timer, the daily check while a person owns it) it hands its whole record to
a fresh run when Temporal suggests it or the history reaches ``max_history_events``.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from desk.contact import ContactInput, Stage
    from desk.policy.rules import Rule

from workflows.contact.context import Contact


def continue_as_new_if_long(c: Contact, stage: Stage) -> None:
    info = workflow.info()
    length = info.get_current_history_length()
    if not (info.is_continue_as_new_suggested() or length >= c.cfg.max_history_events):
        return
    c.note("continued", f"history at {length} events: continuing in a new run", Rule.long_life)
    workflow.continue_as_new(
        ContactInput(
            contact_id=c.id,
            policy=c.cfg,
            memory=c.rec.carried_forward(stage, c.cfg.carried_entries),
        )
    )
