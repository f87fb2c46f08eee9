"""``desk report`` against a real dev server (visibility needs it): a handful of demo-shop
contacts of different kinds run through the real worker at demo speed; the report's counts
are checked against the contacts' snapshots and its money and carrier cases against the
shop's ledger; the HTML page has one inline SVG per chart and no personal data."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from desk import search_attributes as sa
from desk.adapters.sandbox import SandboxShop
from desk.adapters.sandbox.tables import CustomerRow, IdentityRow, OrderRow
from desk.binaries import find_binary
from desk.codec import TEST_CODEC_KEYS
from desk.config import PolicyConfig
from desk.data_converter import DATA_CONVERTER
from desk.models import (
    ContactSnapshot,
    ContactState,
    InboundMessage,
    SenderAuth,
    SupervisorAction,
    SupervisorDecision,
)
from desk.supervisors import Supervisor, SupervisorRegistry, new_key, sign
from devtools.demo import demo_policy
from devtools.demo_shop import DemoContact, seed_demo_shop
from devtools.intake import route
from supervisor.report import (
    CHARTS,
    Report,
    build_report,
    parse_moment,
    percentile,
    render_html,
    render_text,
    table,
)
from tests.waiting import until
from workers.worker import build_worker
from workflows.contact import ContactWorkflow

TASK_QUEUE = "report"
SCALE = 1 / 17280  # the demo's: 48 h of policy time in 10 s
# (the order's state, what the customer asks): reships, refunds, searches, escalations.
KINDS = [
    ("misdelivered", "delivered_not_received"),
    ("lost", "where_is_my_order"),
    ("unfulfilled_recent", "cancel_order"),
    ("delivered_strong", "damaged_item"),
    ("delivered_strong", "other"),
    ("delivered_strong", "delivered_not_received"),
    ("delivered_weak", "delivered_not_received"),
    ("in_transit", "where_is_my_order"),
]
SETTLED = {ContactState.resolved, ContactState.closed, ContactState.escalated}
DESK = str(Path(sys.executable).parent / "desk")
BOSS = Supervisor(id="lead@shop.example", role="manager", key=new_key())


class Desk:
    def __init__(self, env: WorkflowEnvironment, shop: SandboxShop, url: str) -> None:
        self.env, self.shop, self.url = env, shop, url
        self.contacts: list[str] = []
        self.script: list[DemoContact] = []
        self.started: datetime = datetime.now(UTC)
        self.settled: datetime = self.started
        self.carrier_now: datetime = self.started

    @property
    def client(self) -> Client:
        return self.env.client


async def _send(client: Client, c: DemoContact) -> str:
    message = InboundMessage(
        message_id=c.message_id,
        channel=c.channel,
        sender=c.sender,
        subject=c.subject,
        text=c.text,
        attachments=c.attachments,
        auth=SenderAuth(method="scenario", authenticated=True, detail="report test"),
    )
    return (await route(client, message, TASK_QUEUE)).contact_id


async def _snaps(client: Client, ids: list[str]) -> list[ContactSnapshot]:
    return [await client.get_workflow_handle(c).query(ContactWorkflow.snapshot) for c in ids]


@pytest.fixture(scope="module")
async def desk(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Desk]:
    url = f"sqlite:///{tmp_path_factory.mktemp('report') / 'shop.db'}"
    started = datetime.now(UTC)
    shop = SandboxShop(url, clock_origin=started, clock_speed=1 / SCALE)
    shop.create_all()
    summary = seed_demo_shop(shop, started)
    script = [
        next(
            c
            for c in summary.contacts
            if (c.situation, c.expected_intent.value) == kind and c.customer_id
        )
        for kind in KINDS
    ]
    # The demo's policy: its SLA reminders stop at the top level, so the figures hold still.
    policy = demo_policy(PolicyConfig())
    async with await WorkflowEnvironment.start_local(
        dev_server_existing_path=find_binary("temporal"),
        data_converter=DATA_CONVERTER,
        ip="127.0.0.1",
        search_attributes=sa.ALL,
    ) as env:
        supervisors = SupervisorRegistry(supervisors=[BOSS])
        async with build_worker(env.client, shop, TASK_QUEUE, policy, supervisors=supervisors):
            d = Desk(env, shop, url)
            d.script = script
            d.started = started
            ids = await asyncio.gather(*(_send(env.client, c) for c in script))
            d.contacts = list(dict.fromkeys(ids))
            decided: set[str] = set()

            async def settled() -> bool:
                snaps = await _snaps(env.client, d.contacts)
                for s in snaps:  # a supervisor approves what is over the limit
                    over = s.escalation_reason and s.escalation_reason.value == "over_limit"
                    if s.state == ContactState.escalated and over and s.contact_id not in decided:
                        decided.add(s.contact_id)
                        decision = SupervisorDecision(
                            action=SupervisorAction.approve, by=BOSS.id, note="checked"
                        )
                        signed = sign(s.contact_id, decision, BOSS.key, datetime.now(UTC))
                        await env.client.get_workflow_handle(s.contact_id).execute_update(
                            ContactWorkflow.decide, signed
                        )
                        return False
                return all(s.state in SETTLED for s in snaps)

            await until(settled, seconds=240)
            d.settled = datetime.now(UTC)
            d.carrier_now = started + (d.settled - started) / SCALE
            yield d
    shop.close()


async def _report(d: Desk, **kwargs: Any) -> Report:
    since = kwargs.pop("since", d.started - timedelta(minutes=1))
    until_ = kwargs.pop("until", datetime.now(UTC) + timedelta(minutes=1))
    kwargs.setdefault("time_scale", SCALE)
    return await build_report(d.client, since, until_, **kwargs)


async def _eventually(d: Desk, **kwargs: Any) -> Report:
    """Visibility is eventually consistent: the report once every contact is listed."""
    report: Report | None = None

    async def complete() -> bool:
        nonlocal report
        report = await _report(d, **kwargs)
        return report.contacts == len(d.contacts) and report.unread_snapshots == 0

    await until(complete, seconds=30)
    assert report is not None
    return report


async def test_counts_match_the_contacts_own_snapshots(desk: Desk) -> None:
    report = await _eventually(desk, ledger=desk.shop, carrier_as_of=desk.carrier_now)
    snaps = await _snaps(desk.client, desk.contacts)
    assert report.contacts == len(snaps) == len(KINDS)
    assert report.by_intent == dict(
        Counter(s.intent.value for s in snaps if s.intent).most_common()
    )
    assert sum(report.by_intent.values()) == report.contacts
    assert report.by_channel == dict(
        Counter(c.value for s in snaps for c in s.channels).most_common()
    )
    intents_by_first_channel = Counter(
        (s.intent.value, s.channels[0].value) for s in snaps if s.intent and s.channels
    )
    for (intent, channel), n in intents_by_first_channel.items():
        assert report.by_intent_channel[intent][channel] == n
    finished = (ContactState.resolved, ContactState.closed)
    autonomous = [s for s in snaps if s.autonomous and s.state in finished]
    assert report.autonomous == len(autonomous)
    assert report.autonomous_rate == round(len(autonomous) / len(snaps), 4)
    escalated = [s for s in snaps if s.escalation_reason]
    assert report.escalated == len(escalated) > 0
    assert report.escalations_by_reason == dict(
        Counter(s.escalation_reason.value for s in escalated if s.escalation_reason).most_common()
    )
    breaches = sum(e.kind == "sla_breached" for s in snaps for e in s.timeline)
    assert report.sla.breaches == breaches
    # Every contact was answered; a finished one has a time to resolution.
    assert report.first_reply.count == len(snaps)
    assert report.first_reply.p50_s is not None and report.first_reply.p50_s > 0
    assert report.resolution.count == report.finished
    assert report.first_reply.p90_s >= report.first_reply.p50_s  # type: ignore[operator]


async def test_money_and_carrier_cases_are_the_ledgers(desk: Desk) -> None:
    report = await _eventually(desk, ledger=desk.shop, carrier_as_of=desk.carrier_now)
    refunds = desk.shop.refunds()
    replacements = desk.shop.replacements()
    cases = desk.shop.carrier_cases(desk.carrier_now)
    assert refunds and replacements and cases, "the kinds chosen refund, reship and search"
    assert report.money.source == "ledger"
    assert report.money.refunds == len(refunds)
    assert report.money.refunded == pytest.approx(sum(r.amount for r in refunds))
    assert report.money.reships == len(replacements)
    assert report.money.reship_value == pytest.approx(
        sum(line.total for r in replacements for line in r.lines)
    )
    assert report.money.reconciled is True
    assert report.carrier_cases.filed == len(cases)
    assert report.carrier_cases.by_carrier == dict(
        Counter(c.carrier.value for c in cases).most_common()
    )
    assert report.carrier_cases.by_status == dict(Counter(c.status for c in cases).most_common())
    # Without the ledger, the contacts' own records give the same totals here.
    own = await _eventually(desk, ledger=None)
    assert own.money.source == "contacts"
    assert own.money.refunded == pytest.approx(report.money.refunded)
    assert own.money.reships == report.money.reships


async def test_the_window_is_by_start_time(desk: Desk) -> None:
    after = await _report(
        desk, since=desk.settled + timedelta(seconds=5), until=desk.settled + timedelta(hours=1)
    )
    assert after.contacts == 0 and after.by_intent == {}
    before = await _report(
        desk, since=desk.started - timedelta(days=1), until=desk.started - timedelta(hours=1)
    )
    assert before.contacts == 0
    # An empty window still renders, charts included.
    assert "intent: none" in render_text(after)
    assert render_html(after).count("<svg") == len(CHARTS)


async def test_html_has_a_chart_each_and_no_personal_data(desk: Desk, tmp_path: Path) -> None:
    report = await _eventually(desk, ledger=desk.shop, carrier_as_of=desk.carrier_now)
    page = render_html(report)
    assert page.count("<svg") == len(CHARTS)
    for title in CHARTS:
        assert f'aria-label="{title}"' in page
    # Self-contained: nothing to load, no script.
    assert "<script" not in page and "src=" not in page and 'href="http' not in page
    text = render_text(report)
    as_json = report.model_dump_json()
    personal = _personal_data(desk)
    assert len(personal) > 20
    for value in personal:
        for where, rendered in (("html", page), ("text", text), ("json", as_json)):
            assert value not in rendered, f"{value!r} is in the report's {where}"


def _personal_data(d: Desk) -> list[str]:
    """Names, identities (emails, phones, handles), streets and message texts."""
    values: list[str] = []
    with d.shop.unit_of_work() as session:
        values += [n for n in session.scalars(select(CustomerRow.name))]
        values += [v for v in session.scalars(select(IdentityRow.value))]
        values += [s for s in session.scalars(select(OrderRow.line1))]
    values += [c.text[:40] for c in d.script] + [c.sender for c in d.script]
    return [v for v in set(values) if v and len(v) >= 5]


async def test_the_desk_report_command(desk: Desk, tmp_path: Path) -> None:
    await _eventually(desk)
    page = tmp_path / "report.html"
    target = desk.client.service_client.config.target_host
    proc = await asyncio.create_subprocess_exec(
        DESK,
        "report",
        "--since",
        (desk.started - timedelta(minutes=1)).isoformat(),
        "--until",
        "now",
        "--json",
        "--html",
        str(page),
        "--time-scale",
        str(SCALE),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={
            **os.environ,
            "DESK_TEMPORAL_ADDRESS": target,
            "DESK_CODEC_KEYS": TEST_CODEC_KEYS,
            "DESK_DATABASE_URL": desk.url,
        },
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=90)
    assert proc.returncode == 0, err.decode()
    data = json.loads(out)
    assert data["contacts"] == len(desk.contacts)
    assert data["money"]["source"] == "ledger"
    assert data["money"]["refunds"] == len(desk.shop.refunds())
    assert page.read_text().count("<svg") == len(CHARTS)
    bad = await asyncio.create_subprocess_exec(
        DESK,
        "report",
        "--since",
        "yesterday-ish",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "DESK_TEMPORAL_ADDRESS": target, "DESK_CODEC_KEYS": TEST_CODEC_KEYS},
    )
    _, why = await asyncio.wait_for(bad.communicate(), timeout=60)
    assert bad.returncode == 2 and b"not a time" in why


# ---------------------------------------------------------------- pure parts


def test_percentiles_are_nearest_rank() -> None:
    assert percentile([], 0.5) is None
    assert percentile([5.0], 0.9) == 5.0
    values = [float(v) for v in range(1, 11)]
    assert percentile(values, 0.5) == 5.0
    assert percentile(values, 0.9) == 9.0
    assert percentile(list(reversed(values)), 0.9) == 9.0


def test_moments() -> None:
    now = datetime(2026, 11, 30, 15, 30, tzinfo=UTC)
    assert parse_moment("24h", now) == now - timedelta(hours=24)
    assert parse_moment("7d", now) == now - timedelta(days=7)
    assert parse_moment("today", now) == datetime(2026, 11, 30, tzinfo=UTC)
    assert parse_moment("2026-11-01", now) == datetime(2026, 11, 1, tzinfo=UTC)
    assert parse_moment("2026-11-01T08:00:00Z", now) == datetime(2026, 11, 1, 8, tzinfo=UTC)
    with pytest.raises(ValueError, match="not a time"):
        parse_moment("last tuesday", now)


def test_tables_align_numbers_right() -> None:
    text = table(["intent", "contacts"], [["wismo", 12], ["cancel_order", 3]])
    assert text.splitlines() == [
        "intent        contacts",
        "------------  --------",
        "wismo               12",
        "cancel_order         3",
    ]


async def test_the_readmes_saved_queries(desk: Desk) -> None:
    """The operators' saved queries (README, "Supervisors and operators") run on the dev
    server and find what the contacts' snapshots say."""
    snaps = await _snaps(desk.client, desk.contacts)
    day = f"{desk.started:%Y-%m-%d}T00:00:00Z"
    later = f"{desk.settled + timedelta(hours=1):%Y-%m-%dT%H:%M:%SZ}"
    finished = (ContactState.resolved, ContactState.closed)
    expected = {
        'ContactState = "escalated" AND ExecutionStatus = "Running"': sum(
            s.state == ContactState.escalated for s in snaps
        ),
        'ContactState = "awaiting_carrier"': sum(
            s.state == ContactState.awaiting_carrier for s in snaps
        ),
        "CarrierCase IS NOT NULL": sum(bool(s.carrier_case) for s in snaps),
        f'ContactAutonomous = true AND StartTime >= "{day}"': sum(
            bool(s.autonomous) and s.state in finished for s in snaps
        ),
        "ContactAutonomous = false AND ContactResolution IS NOT NULL "
        f'AND StartTime >= "{day}"': sum(
            s.autonomous is False and s.resolution is not None for s in snaps
        ),
        'CustomerTier = "vip"': sum(s.tier is not None and s.tier.value == "vip" for s in snaps),
        'ContactState = "escalated" AND CustomerTier IN ("vip", "b2b") '
        f'AND StartTime < "{later}"': sum(
            s.state == ContactState.escalated
            and s.tier is not None
            and s.tier.value in ("vip", "b2b")
            for s in snaps
        ),
    }
    assert expected['ContactState = "escalated" AND ExecutionStatus = "Running"'] > 0

    async def counts() -> dict[str, int]:
        found = {}
        for query in expected:
            found[query] = len([wf async for wf in desk.client.list_workflows(query)])
        return found

    latest: dict[str, int] = {}

    async def agree() -> bool:
        nonlocal latest
        latest = await counts()
        return latest == expected

    try:
        await until(agree, seconds=20)
    except AssertionError:
        assert latest == expected


async def _current_details(handle: Any, escalated: bool) -> str:
    """The current details; for an escalated contact, once it waits on its SLA again
    (between a reminder and the next wait, an activity in flight, the card says what
    happened last)."""
    from temporalio.api.sdk.v1 import WorkflowMetadata

    card = ""

    async def shown() -> bool:
        nonlocal card
        meta = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
        card = meta.current_details
        return not escalated or "SLA due" in card

    await until(shown, seconds=20)
    return card


async def test_the_ui_shows_summary_and_what_each_contact_waits_for(desk: Desk) -> None:
    """What an operator reads in the UI, from the running contacts themselves: the static
    summary card and the current details, with what an escalated contact waits for."""
    personal = _personal_data(desk)
    escalated = 0
    for contact_id in desk.contacts:
        handle = desk.client.get_workflow_handle(contact_id)
        summary = await (await handle.describe()).static_summary()
        assert summary is not None and summary.startswith("**") and " · via " in summary
        snap = await handle.query(ContactWorkflow.snapshot)
        card = await _current_details(handle, snap.state == ContactState.escalated)
        assert card.splitlines()[0].startswith(f"**{snap.state.value}**")
        if snap.state == ContactState.escalated:
            escalated += 1
            snap = await handle.query(ContactWorkflow.snapshot)
            assert snap.waiting_for and snap.waiting_for.startswith("escalation SLA")
            assert snap.waiting_until is not None
        for value in personal:
            assert value not in summary and value not in card, f"{value!r} shown in the UI"
    assert escalated > 0
