"""Test senders: an authenticated customer (as a signed webhook or identity would make
them), and the supervisors of the tests' registry, who sign their decisions."""

from __future__ import annotations

from datetime import datetime

from desk.models import SenderAuth, SupervisorDecision
from desk.supervisors import Supervisor, SupervisorRegistry, new_key, sign

AUTHENTICATED = SenderAuth(method="signed_identity", authenticated=True, detail="test sender")

SAM = Supervisor(id="sam@shop.example", role="lead", key=new_key())
KIM = Supervisor(id="kim", role="manager", key=new_key())
SUPERVISORS = SupervisorRegistry(supervisors=[SAM, KIM])


def signed(
    contact_id: str, decision: SupervisorDecision, now: datetime, by: Supervisor = SAM
) -> SupervisorDecision:
    return sign(contact_id, decision.model_copy(update={"by": by.id}), by.key, now)
