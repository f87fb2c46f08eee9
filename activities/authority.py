"""Supervisor authority: a decision is the supervisor's only when it carries their
signature, is fresh, and moves no more money than their role allows."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity
from temporalio.exceptions import ApplicationError

from desk.models import DecisionAuthority, DecisionCheck
from desk.supervisors import SupervisorRegistry, signature_valid

# A signed decision is good for this long: a copied one cannot be replayed later.
FRESH_FOR = timedelta(minutes=15)
CLOCK_SKEW = timedelta(minutes=2)


def _refuse(why: str) -> ApplicationError:
    return ApplicationError(f"decision refused: {why}", type="DecisionRefused", non_retryable=True)


class AuthorityActivities:
    def __init__(self, registry: SupervisorRegistry) -> None:
        self.registry = registry

    @activity.defn
    def authorize_decision(self, check: DecisionCheck) -> DecisionAuthority:
        decision = check.decision
        supervisor = self.registry.find(decision.by)
        if supervisor is None:
            raise _refuse(f"{decision.by!r} is not a supervisor of this desk")
        if not signature_valid(check.contact_id, decision, supervisor.key):
            raise _refuse(f"the decision is not signed with {decision.by}'s key")
        issued = decision.issued_at
        if issued is None or not (check.now - FRESH_FOR <= issued <= check.now + CLOCK_SKEW):
            raise _refuse("the signed decision is stale or from the future; sign it again")
        limit = self.registry.limit(supervisor)
        if check.money_moved > limit + 0.005:
            raise _refuse(
                f"{decision.by} ({supervisor.role}) may move at most {limit:.2f} per decision; "
                f"this one moves {check.money_moved:.2f}"
            )
        return DecisionAuthority(by=supervisor.id, role=supervisor.role, limit=limit)
