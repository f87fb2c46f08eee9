"""Metrics and tracing for the desk's processes (docs/observability.md).

Metrics, all off by default:

- ``DESK_METRICS_PORT``: the worker's Prometheus endpoint (``DESK_METRICS_HOST``, default
  127.0.0.1): the Temporal SDK's own metrics (``temporal_*``) and the desk's metrics that
  workflows and activities record through the SDK's metric meter (replay-safe: nothing
  is counted again when a workflow replays), plus ``desk_contacts{state}`` counted from
  visibility every ``DESK_METRICS_INTERVAL_S``.
- ``DESK_INGEST_METRICS=true``: ``GET /metrics`` on the ingest API (prometheus_client):
  messages by channel and outcome, and the ingest latency histogram.

Tracing: ``DESK_TRACING=true`` sends OpenTelemetry spans over OTLP/HTTP, configured by the
standard ``OTEL_*`` variables (``OTEL_EXPORTER_OTLP_ENDPOINT``, ``OTEL_SERVICE_NAME``...).
Temporal's ``TracingInterceptor`` on the client (and so on the worker) carries the trace
from the ingest request's span through StartWorkflow, the workflows and the activities.

Labels carry only intent, channel, state, reason, tier, resolution and outcome: never a
name, an email, a phone, an order number or a contact id.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Iterator, Sequence
from typing import Any

import structlog
from temporalio.client import Client, Interceptor
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from desk.config import Settings
from desk.metric_names import (
    CONTACTS_BY_STATE,
    MONEY_BUCKETS,
    REFUND_AMOUNT,
    RESHIP_VALUE,
    ROUTING_BUCKETS,
    ROUTING_LATENCY,
)
from desk.models import ContactState

log = structlog.get_logger("desk.observability")

# ---------------------------------------------------------------- the worker's runtime


@functools.cache
def _runtime(bind_address: str) -> Runtime:
    return Runtime(
        telemetry=TelemetryConfig(
            metrics=PrometheusConfig(
                bind_address=bind_address,
                counters_total_suffix=True,
                durations_as_seconds=True,
                histogram_bucket_overrides={
                    ROUTING_LATENCY: ROUTING_BUCKETS,
                    REFUND_AMOUNT: MONEY_BUCKETS,
                    RESHIP_VALUE: MONEY_BUCKETS,
                },
            ),
            global_tags={"service": "contact-desk"},
        )
    )


def metrics_runtime(settings: Settings) -> Runtime | None:
    """The runtime exporting the SDK's and the desk's metrics on DESK_METRICS_PORT, or None
    (metrics off). One per process and address: a second call returns the same."""
    if settings.metrics_port is None:
        return None
    return _runtime(f"{settings.metrics_host}:{settings.metrics_port}")


async def count_contacts_by_state(client: Client, runtime: Runtime, interval_s: float) -> None:
    """``desk_contacts{state}``: running contacts per state, from visibility (eventually
    consistent, which a dashboard can live with), every ``interval_s``."""
    gauge = runtime.metric_meter.create_gauge(
        CONTACTS_BY_STATE, "running contacts by state (from visibility)"
    )
    while True:
        for state in ContactState:
            try:
                count = await client.count_workflows(
                    f'WorkflowType = "ContactWorkflow" AND ExecutionStatus = "Running" '
                    f'AND ContactState = "{state.value}"'
                )
            except Exception as err:  # noqa: BLE001 - the server may be away; try again later
                log.warning("metrics.count_failed", error=type(err).__name__)
                break
            gauge.set(count.count, {"state": state.value})
        await asyncio.sleep(interval_s)


@contextlib.asynccontextmanager
async def contacts_gauge(client: Client, settings: Settings) -> Any:
    """Runs ``count_contacts_by_state`` alongside a worker while metrics are on."""
    runtime = metrics_runtime(settings)
    task = (
        asyncio.create_task(count_contacts_by_state(client, runtime, settings.metrics_interval_s))
        if runtime is not None
        else None
    )
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


# ---------------------------------------------------------------- tracing


_tracing_on = False


def configure_tracing(settings: Settings, exporter: Any | None = None) -> bool:
    """With DESK_TRACING (or an ``exporter`` given, as tests do): the global tracer provider,
    batching spans to OTLP/HTTP (the ``OTEL_*`` variables) or to ``exporter``. Idempotent."""
    global _tracing_on
    if _tracing_on:
        return True
    if not settings.tracing and exporter is None:
        return False
    from opentelemetry import trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": "contact-desk"}))
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    else:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    _tracing_on = True
    return True


def flush_tracing() -> None:
    """Send the spans still batched: ``desk`` ends with ``os._exit``, which skips the
    tracer provider's own flush at exit."""
    if _tracing_on:
        from opentelemetry import trace

        flush = getattr(trace.get_tracer_provider(), "force_flush", None)
        if flush is not None:
            flush(5000)


def tracing_interceptors(settings: Settings) -> Sequence[Interceptor]:
    """Temporal's OpenTelemetry interceptor when tracing is on (client and worker)."""
    if not configure_tracing(settings):
        return []
    from temporalio.contrib.opentelemetry import TracingInterceptor

    return [TracingInterceptor()]


@contextlib.contextmanager
def span(name: str, **attributes: str | int | bool) -> Iterator[None]:
    """A span of the desk's own (a no-op without a tracer provider)."""
    from opentelemetry import trace

    with trace.get_tracer("desk").start_as_current_span(name, attributes=attributes):
        yield
