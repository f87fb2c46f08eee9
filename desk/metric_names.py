"""The names of the desk's own metrics (docs/observability.md), in one place for the code
that records them, the dashboard (deploy/grafana/desk.json) and its test. Pure constants:
workflow code imports this module."""

from __future__ import annotations

# Recorded by workflows and activities through the Temporal SDK's metric meter, exported on
# the worker's endpoint (DESK_METRICS_PORT). Workflow metrics are replay-safe.
CONTACTS_STARTED = "desk_contacts_started"  # counter {channel}
CONTACT_TRANSITIONS = "desk_contact_transitions"  # counter {from_state, to_state}
CONTACTS_RESOLVED = "desk_contacts_resolved"  # counter {intent, resolution, autonomous}
ESCALATIONS = "desk_escalations"  # counter {reason, tier}
REFUND_AMOUNT = "desk_refund_amount"  # histogram {intent}: _count refunds, _sum money
RESHIP_VALUE = "desk_reship_value"  # histogram {intent}: _count reships, _sum goods' value
ROUTING_LATENCY = "desk_intake_routing_seconds"  # histogram {channel}: accepted -> routed
# Set from visibility by the worker process.
CONTACTS_BY_STATE = "desk_contacts"  # gauge {state}
# On the ingest API's /metrics (prometheus_client, DESK_INGEST_METRICS).
INGEST_MESSAGES = "desk_ingest_messages"  # counter {channel, outcome}
INGEST_LATENCY = "desk_ingest_latency_seconds"  # histogram {channel}: request -> 202

COUNTERS = [CONTACTS_STARTED, CONTACT_TRANSITIONS, CONTACTS_RESOLVED, ESCALATIONS, INGEST_MESSAGES]
HISTOGRAMS = [REFUND_AMOUNT, RESHIP_VALUE, ROUTING_LATENCY, INGEST_LATENCY]
GAUGES = [CONTACTS_BY_STATE]

ROUTING_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300]
MONEY_BUCKETS = [10, 25, 50, 100, 200, 500, 1000, 5000]
INGEST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]


def exported_series() -> set[str]:
    """Every series name the desk exports (counters with ``_total``, histograms with
    ``_bucket``, ``_sum`` and ``_count``)."""
    names = {f"{c}_total" for c in COUNTERS} | set(GAUGES)
    names |= {f"{h}{s}" for h in HISTOGRAMS for s in ("_bucket", "_sum", "_count")}
    return names


# Labels a desk series may carry: the desk's own, and what the SDK adds to a workflow's
# metrics (namespace, task queue, workflow type) and to every series (the service).
LABELS = {
    "channel",
    "outcome",
    "state",
    "from_state",
    "to_state",
    "intent",
    "resolution",
    "autonomous",
    "reason",
    "tier",
    "le",
    "namespace",
    "task_queue",
    "workflow_type",
    "service",
    "service_name",
}

# The Temporal SDK's own series the dashboard uses (the worker's endpoint); a counter
# appears once it has counted something, so the failure counters only after a failure.
SDK_SERIES = [
    "temporal_workflow_completed_total",
    "temporal_workflow_task_execution_latency_bucket",
    "temporal_activity_execution_latency_bucket",
    "temporal_workflow_task_schedule_to_start_latency_bucket",
    "temporal_activity_schedule_to_start_latency_bucket",
    "temporal_worker_task_slots_available",
    "temporal_sticky_cache_size",
]
SDK_FAILURE_SERIES = [
    "temporal_workflow_failed_total",
    "temporal_activity_execution_failed_total",
]
