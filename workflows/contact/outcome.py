"""What a playbook (or any stage of a contact) comes to: the orchestrator acts on it.

Playbooks return one of these instead of raising: ``Resolved`` (the contact reaches a
resolution; ``no_response`` and ``rejected`` close it, the others open the reopen window),
``Escalate`` (a person decides, with the proposal when the rules could compute one),
``Closed`` (a person who owned the contact closed it; its state is already final) or
``Reread`` (the customer corrected the reading: the contact is read again).
"""

from __future__ import annotations

from dataclasses import dataclass

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from desk.models import (
        ContactState,
        EscalationReason,
        ProposedResolution,
        ResolutionKind,
        RoutedMessage,
    )
    from desk.policy.rules import Rule


@dataclass(frozen=True)
class Resolved:
    kind: ResolutionKind
    rule: Rule
    why: str = ""
    autonomous: bool | None = None  # None: autonomous unless a supervisor decided

    @property
    def opens_reopen_window(self) -> bool:
        return self.kind.final_state == ContactState.resolved


@dataclass(frozen=True)
class Escalate:
    reason: EscalationReason
    rule: Rule
    why: str = ""
    proposal: ProposedResolution | None = None


@dataclass(frozen=True)
class Closed:
    by: str


@dataclass(frozen=True)
class Reread:
    """The customer corrected the desk's reading: read the contact again from this message."""

    message: RoutedMessage


Outcome = Resolved | Escalate | Closed | Reread
Final = Resolved | Closed
