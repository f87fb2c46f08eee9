"""The desk's metrics as workflows record them: through the SDK's metric meter, which
records nothing while a workflow replays, so a contact recovered on another worker (or
after a crash) is not counted twice. Labels: intent, channel, state, reason, tier,
resolution; never anything personal (desk/metric_names.py, docs/observability.md)."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from desk import metric_names as m
    from desk.contact import ContactRecord
    from desk.models import ContactState


def _intent(rec: ContactRecord) -> str:
    return rec.routed[0].understanding.intent.value if rec.routed else "unknown"


def _count(name: str, description: str, labels: dict[str, str]) -> None:
    workflow.metric_meter().create_counter(name, description).add(1, labels)


def contact_started(channel: str) -> None:
    _count(m.CONTACTS_STARTED, "contacts started (first runs only)", {"channel": channel})


def transition(rec: ContactRecord, before: ContactState, after: ContactState) -> None:
    if before != after:
        _count(
            m.CONTACT_TRANSITIONS,
            "contacts moving between states",
            {"from_state": before.value, "to_state": after.value},
        )


def resolved(rec: ContactRecord) -> None:
    _count(
        m.CONTACTS_RESOLVED,
        "contacts resolved, by the desk alone (autonomous) or a supervisor",
        {
            "intent": _intent(rec),
            "resolution": rec.resolution.value if rec.resolution else "none",
            "autonomous": "true" if rec.autonomous else "false",
        },
    )


def escalated(rec: ContactRecord) -> None:
    _count(
        m.ESCALATIONS,
        "escalations to a supervisor",
        {
            "reason": rec.escalation_reason.value if rec.escalation_reason else "unknown",
            "tier": rec.customer.tier.value if rec.customer else "unknown",
        },
    )


def money(rec: ContactRecord, refunded: float, reship_value: float) -> None:
    meter = workflow.metric_meter()
    labels = {"intent": _intent(rec)}
    if refunded > 0:
        meter.create_histogram_float(
            m.REFUND_AMOUNT, "refunds issued: _count refunds, _sum money", "USD"
        ).record(refunded, labels)
    if reship_value > 0:
        meter.create_histogram_float(
            m.RESHIP_VALUE, "replacements shipped: _count reships, _sum goods' value", "USD"
        ).record(reship_value, labels)


def routed(channel: str, seconds: float) -> None:
    workflow.metric_meter().create_histogram_float(
        m.ROUTING_LATENCY, "message accepted (intake started) to routed to its contact", "s"
    ).record(max(0.0, seconds), {"channel": channel})
