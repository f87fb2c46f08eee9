"""A decision from the console: the form's fields made a ``SupervisorDecision`` by the
signed-in user, signed with the key of the supervisor they are in the registry, and sent
as the contact's ``decide`` update, the path ``desk decide`` takes. The contact's validator
and the worker's registry check decide whether it counts; a refusal comes back in words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import ValidationError
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import FailureError
from temporalio.service import RPCError

from desk.models import ResolutionKind, SupervisorAction, SupervisorDecision
from desk.supervisors import SupervisorRegistry, sign
from workflows.contact import ContactWorkflow

NOTE_MAX = 2000


@dataclass(frozen=True)
class Outcome:
    accepted: bool
    message: str


class BadDecision(ValueError):
    """The form's fields do not make a decision (told to the user, nothing sent)."""


def parse_form(
    by: str, action: str, note: str, resolution: str | None, amount: str | None
) -> SupervisorDecision:
    try:
        act = SupervisorAction(action)
    except ValueError:
        raise BadDecision(f"unknown action {action[:40]!r}") from None
    if len(note) > NOTE_MAX:
        raise BadDecision(f"the note is longer than {NOTE_MAX} characters")
    kind = None
    if resolution:
        try:
            kind = ResolutionKind(resolution)
        except ValueError:
            raise BadDecision(f"unknown resolution {resolution[:40]!r}") from None
    money = None
    if amount not in (None, ""):
        try:
            money = float(amount or "")
        except ValueError:
            raise BadDecision(f"the amount {amount[:40]!r} is not a number") from None
        if not (0 <= money < 1e9) or money != money:
            raise BadDecision("the amount must be zero or more")
    try:
        return SupervisorDecision(
            action=act, by=by, note=note.strip(), resolution=kind, amount=money
        )
    except ValidationError as err:
        raise BadDecision(err.errors()[0]["msg"]) from None


async def send(
    client: Client, registry: SupervisorRegistry, contact_id: str, decision: SupervisorDecision
) -> Outcome:
    supervisor = registry.find(decision.by)
    if supervisor is None:
        return Outcome(
            False,
            f"{decision.by} is not a supervisor in the registry (DESK_SUPERVISORS_FILE): "
            "this account can look, not decide",
        )
    signed = sign(contact_id, decision, supervisor.key, datetime.now(UTC))
    try:
        await client.get_workflow_handle(contact_id).execute_update(ContactWorkflow.decide, signed)
    except WorkflowUpdateFailedError as err:
        why = err.cause.message if isinstance(err.cause, FailureError) else str(err)
        return Outcome(False, why)
    except RPCError as err:
        return Outcome(False, f"the contact could not take the decision: {err.message}")
    return Outcome(True, f"{decision.action.value} by {decision.by} accepted")
