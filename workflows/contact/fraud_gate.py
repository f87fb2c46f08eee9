"""POLICY.md delivered_not_received / wrong_item step 1: the repeat-claim fraud gate."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from desk.models import ClaimKind, EscalationReason
    from desk.policy.fraud_gate import earlier_claims
    from desk.policy.rules import Rule

from workflows.contact import calls
from workflows.contact.context import Contact
from workflows.contact.outcome import Escalate


async def held_by_fraud_gate(c: Contact, kind: ClaimKind, rule: Rule) -> Escalate | None:
    """Record this claim, and send the contact to fraud review when the earlier claims in
    the window reach the limit (this contact's own claim is never counted)."""
    claims = earlier_claims(c.customer.claims, c.now(), c.id, c.cfg)
    await calls.record_claim(c, kind)
    limit = c.cfg.repeat_claim_limit
    window = f"{c.cfg.claim_window_days:.0f} days"
    verdict = "fraud review" if claims >= limit else "passes"
    c.note(
        "fraud_gate",
        f"{claims} earlier not-received / wrong-item claims in {window} (limit {limit}): {verdict}",
        rule,
    )
    if claims < limit:
        return None
    return Escalate(
        EscalationReason.fraud_review,
        rule,
        f"{claims} earlier claims in {window} (limit {limit})",
    )
