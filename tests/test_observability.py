"""Observability: one ingest request makes one connected trace (ingest → StartWorkflow →
the intake and contact workflows → their activities); the worker's endpoint exports the
SDK's and the desk's metrics and the ingest API its own, none with personal data in a
label; the dashboard asks only for metrics the desk exports (docs/observability.md)."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio.client import Client
from temporalio.runtime import Runtime

from desk import metric_names
from desk.adapters.sandbox import SandboxShop
from desk.config import PolicyConfig, Settings
from desk.data_converter import DATA_CONVERTER
from desk.models import ContactState
from desk.observability import configure_tracing, metrics_runtime, tracing_interceptors
from devtools.net import free_port as _free_port
from devtools.scenarios.format import load_scenario
from devtools.scenarios.loader import load_scenario_into
from devtools.test_server import start_test_server
from ingest.app import create_app
from tests.waiting import until
from workers.worker import build_worker
from workflows.contact import ContactWorkflow

ROOT = Path(__file__).resolve().parents[1]
TASK_QUEUE = "observability"
DASHBOARD = ROOT / "deploy" / "grafana" / "desk.json"
CONTACT = "contact-order-90901"


@pytest.fixture(scope="module")
def spans() -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    assert configure_tracing(Settings(), exporter=exporter)
    return exporter


@pytest.fixture(scope="module")
async def traced_refund(
    tmp_path_factory: pytest.TempPathFactory, spans: InMemorySpanExporter
) -> AsyncIterator[dict[str, Any]]:
    """One lost-parcel email through ingest, the worker and a refund, traced and metered."""
    port = _free_port()
    settings = Settings(
        task_queue=TASK_QUEUE,
        dev_mode=True,
        metrics_port=port,
        ingest_metrics=True,
        tracing=True,
    )
    runtime = metrics_runtime(settings)
    assert isinstance(runtime, Runtime)
    env = await start_test_server()
    shop = SandboxShop(f"sqlite:///{tmp_path_factory.mktemp('obs') / 'shop.db'}")
    shop.create_all()
    async with env:
        scenario = load_scenario(ROOT / "scenarios" / "wismo-lost-exception.yaml")
        load_scenario_into(shop, scenario, await env.get_current_time())
        target = env.client.service_client.config.target_host
        client = await Client.connect(
            target,
            data_converter=DATA_CONVERTER,
            interceptors=tracing_interceptors(settings),
            runtime=runtime,
        )
        app = create_app(client, settings)
        first = scenario.messages[0]
        async with (
            build_worker(client, shop, TASK_QUEUE, PolicyConfig()),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1"
            ) as api,
        ):
            ingest_before = (await api.get("/metrics")).text
            answer = await api.post(
                "/ingest/email",
                json={
                    "MessageID": "obs-1",
                    "From": first.sender,
                    "FromFull": {"Email": first.sender, "Name": ""},
                    "Subject": "my order",
                    "TextBody": first.text,
                    "HtmlBody": "",
                    "Attachments": [],
                },
            )
            assert answer.status_code == 202, answer.text

            async def refunded() -> bool:
                return any("refunded" in m.body for m in shop.outbox(CONTACT))

            await until(refunded, seconds=120)

            # The reply goes out a moment before the contact records its resolution.
            async def resolved() -> bool:
                handle = client.get_workflow_handle(CONTACT)
                snap = await handle.query(ContactWorkflow.snapshot)
                return snap.state in (ContactState.resolved, ContactState.closed)

            await until(resolved, seconds=60)
            async with httpx.AsyncClient() as http:
                worker_metrics = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
            ingest_metrics = (await api.get("/metrics")).text
    shop.close()
    yield {
        "worker": worker_metrics,
        "ingest": ingest_metrics,
        "ingest_before": ingest_before,
        "sender": first.sender,
        "spans": list(spans.get_finished_spans()),
    }


def _series(text: str) -> dict[str, list[str]]:
    """name -> its sample lines, from Prometheus's text format."""
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            out.setdefault(re.split(r"[{ ]", line, maxsplit=1)[0], []).append(line)
    return out


def test_one_ingest_request_is_one_trace_through_workflows_and_activities(
    traced_refund: dict[str, Any],
) -> None:
    spans = traced_refund["spans"]
    [root] = [s for s in spans if s.name == "ingest"]
    assert {s.context.trace_id for s in spans if s.name.endswith("Workflow:IntakeWorkflow")} == {
        root.context.trace_id
    }
    trace_id = root.context.trace_id
    in_trace = {s.name for s in spans if s.context.trace_id == trace_id}
    for name in (
        "StartWorkflow:IntakeWorkflow",
        "RunWorkflow:IntakeWorkflow",
        "StartActivity:classify_message",
        "RunActivity:classify_message",
        "RunActivity:route_message",
        "SignalWithStartWorkflow:ContactWorkflow",
        "RunWorkflow:ContactWorkflow",
        "RunActivity:issue_refund",
        "RunActivity:send_reply",
    ):
        assert name in in_trace, (name, sorted(in_trace))
    assert root.attributes is not None and root.attributes["channel"] == "email"
    # The trace begins at the HTTP request: FastAPI's own request span when it traces,
    # else the ingest span itself.
    [top] = [s for s in spans if s.context.trace_id == trace_id and s.parent is None]
    assert top.name in ("POST /ingest/email", "ingest"), top.name


def test_the_worker_exports_the_sdk_and_the_desk_metrics(traced_refund: dict[str, Any]) -> None:
    series = _series(traced_refund["worker"])
    for name in metric_names.SDK_SERIES:
        assert name in series, (name, sorted(series))
    assert any('channel="email"' in s for s in series["desk_contacts_started_total"])
    assert any('to_state="resolved"' in s for s in series["desk_contact_transitions_total"])
    assert any(
        'autonomous="true"' in s and 'resolution="refund"' in s
        for s in series["desk_contacts_resolved_total"]
    )
    [refund_sum] = series["desk_refund_amount_sum"]
    assert float(refund_sum.rsplit(" ", 1)[1]) == 46.0
    assert "desk_intake_routing_seconds_count" in series


def _value(text: str, name: str, *labels: str) -> float:
    """The sample of ``name`` with all of ``labels`` (0 when there is none yet)."""
    for line in _series(text).get(name, []):
        if all(label in line for label in labels):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_the_ingest_api_exports_messages_and_latency(traced_refund: dict[str, Any]) -> None:
    # prometheus_client's metrics live as long as the process: count what this request added.
    before, after = traced_refund["ingest_before"], traced_refund["ingest"]
    accepted = ("desk_ingest_messages_total", 'channel="email"', 'outcome="accepted"')
    timed = ("desk_ingest_latency_seconds_count", 'channel="email"')
    assert _value(after, *accepted) - _value(before, *accepted) == 1
    assert _value(after, *timed) - _value(before, *timed) == 1


def test_no_label_carries_personal_data(traced_refund: dict[str, Any]) -> None:
    sender = traced_refund["sender"]
    for text in (traced_refund["worker"], traced_refund["ingest"]):
        desk_lines = [line for line in text.splitlines() if line.startswith("desk_")]
        assert desk_lines
        for line in desk_lines:
            assert sender not in line and "90901" not in line and CONTACT not in line
            labels = re.findall(r'(\w+)="', line)
            assert set(labels) <= metric_names.LABELS, line


def test_the_dashboard_asks_only_for_exported_metrics() -> None:
    board = json.loads(DASHBOARD.read_text())
    exprs = [
        target["expr"]
        for panel in board["panels"]
        for target in panel.get("targets", [])
        if "expr" in target
    ]
    assert len(exprs) >= 8
    asked = {n for e in exprs for n in re.findall(r"\b((?:desk|temporal)_[a-z_]+)\b", e)}
    exported = metric_names.exported_series()
    exported |= set(metric_names.SDK_SERIES + metric_names.SDK_FAILURE_SERIES)
    assert asked, exprs
    assert asked <= exported, sorted(asked - exported)
    # Every desk metric has a panel.
    for name in metric_names.COUNTERS + metric_names.HISTOGRAMS + metric_names.GAUGES:
        assert any(name in e for e in exprs), name


async def test_contacts_by_state_is_counted_from_visibility() -> None:
    """desk_contacts{state}: one count query per state, set on the worker's endpoint."""
    import asyncio

    from desk.observability import count_contacts_by_state

    class Visibility:
        def __init__(self) -> None:
            self.queries: list[str] = []

        async def count_workflows(self, query: str) -> Any:
            self.queries.append(query)
            n = 3 if '"escalated"' in query else 1

            class Count:
                count = n

            return Count()

    port = _free_port()
    runtime = metrics_runtime(Settings(metrics_port=port))
    assert runtime is not None
    visibility = Visibility()
    task = asyncio.create_task(count_contacts_by_state(visibility, runtime, 60))  # type: ignore[arg-type]
    await asyncio.sleep(0.3)
    task.cancel()
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
    states = {
        re.search(r'state="(\w+)"', line).group(1): float(line.rsplit(" ", 1)[1])  # type: ignore[union-attr]
        for line in text.splitlines()
        if line.startswith("desk_contacts{")
    }
    assert states["escalated"] == 3 and states["awaiting_carrier"] == 1
    assert all("ExecutionStatus" in q and "ContactState" in q for q in visibility.queries)
