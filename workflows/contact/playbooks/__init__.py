"""The playbooks: one per intent, registered in one table.

A playbook is an async function from the running contact to an ``Outcome``. It asks the
policy functions (``desk.policy``) what to do, calls activities only through
``workflows.contact.calls``, waits only through ``workflows.contact.waiting``, and returns
``Resolved`` / ``Escalate`` rather than raising.

Adding a playbook (docs/architecture.md has the walk-through):
1. write ``workflows/contact/playbooks/<intent>.py`` with ``async def <intent>(c) -> Outcome``;
2. add one ``Playbook`` line to ``PLAYBOOKS`` below. A new playbook changes what running
   contacts of that intent do, so give it a new ``Patch`` (``workflows/contact/patches.py``):
   contacts that began before it keep escalating the intent as they did;
3. add its rules to ``desk.policy.rules.Rule`` and a unit test module under
   ``tests/playbooks/``, plus scenarios naming its rules.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from desk.models import Intent

from workflows.contact.context import Contact
from workflows.contact.outcome import Outcome
from workflows.contact.patches import Patch
from workflows.contact.playbooks.cancel_order import cancel_order
from workflows.contact.playbooks.change_address import change_address
from workflows.contact.playbooks.damaged_item import damaged_item
from workflows.contact.playbooks.delivered_not_received import delivered_not_received
from workflows.contact.playbooks.where_is_my_order import where_is_my_order
from workflows.contact.playbooks.wrong_item import wrong_item


@dataclass(frozen=True)
class Playbook:
    intent: Intent
    run: Callable[[Contact], Awaitable[Outcome]]
    # Contacts that began before the playbook existed escalated its intent instead.
    patch: Patch | None = None


PLAYBOOKS: dict[Intent, Playbook] = {
    p.intent: p
    for p in (
        Playbook(Intent.where_is_my_order, where_is_my_order),
        Playbook(Intent.delivered_not_received, delivered_not_received),
        Playbook(Intent.cancel_order, cancel_order),
        Playbook(Intent.wrong_item, wrong_item, Patch.playbooks_added),
        Playbook(Intent.damaged_item, damaged_item, Patch.playbooks_added),
        Playbook(Intent.change_address, change_address, Patch.playbooks_added),
    )
}
