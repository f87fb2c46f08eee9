"""POLICY.md "Intents": when a message goes to a person instead of a playbook."""

from __future__ import annotations

from desk.config import PolicyConfig
from desk.models import EscalationReason, Intent, Understanding


def handover(u: Understanding) -> tuple[EscalationReason, str] | None:
    """A threat of legal action or a chargeback, or a request for a person, escalates at
    once whatever the intent (the threat first: it is the more sensitive reason)."""
    if u.sensitive:
        return EscalationReason.sensitive, "legal or chargeback threat"
    if u.wants_human:
        return EscalationReason.customer_requested_human, "customer asked for a person"
    return None


def unclear(u: Understanding, cfg: PolicyConfig) -> str | None:
    """Why the reading is too unsure to act on (``other``, or under the confidence
    threshold), or None when a playbook may take it."""
    if u.intent == Intent.other or u.confidence < cfg.min_intent_confidence:
        about = f" ({u.topic})" if u.topic and u.intent == Intent.other else ""
        return (
            f"{u.intent.value}{about} at confidence {u.confidence:.2f} "
            f"(min {cfg.min_intent_confidence})"
        )
    return None
