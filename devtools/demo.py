"""``desk demo``: the whole desk on embedded defaults, the demo shop, a stream of contacts.

Timers are scaled (48 h of policy time is 10 s here) so the run settles in about a
minute; the report is printed from the contacts' own snapshots and the shop's ledger.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import shutil
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx
import uvicorn
from temporalio.client import Client

from console.accounts import Account, Accounts, hash_password
from console.data import Scans
from console.serve import embedded_console
from console.settings import ConsoleSettings
from desk.adapters.sandbox import SandboxShop
from desk.config import PolicyConfig, Settings
from desk.data_converter import data_converter_for, load_keyring
from desk.logs import configure_logging
from desk.models import (
    ContactSnapshot,
    ContactState,
    RoutedMessage,
    SupervisorAction,
    SupervisorDecision,
)
from desk.observability import metrics_runtime
from desk.supervisors import Supervisor, SupervisorRegistry, new_key, sign
from desk.temporal_client import connect
from devtools.demo_shop import DemoContact, DemoShopSummary, seed_demo_shop
from devtools.embedded_temporal import start_embedded_temporal
from devtools.progress import Progress
from devtools.simulator import post_message
from ingest.app import create_app
from ingest.exposure import announce, channel_summary, check_ingest_settings
from starters.codec_server import embedded_codec_server, sign_in_hint
from starters.serving import api_server, serve, stop_event
from supervisor.report import (
    Durations,
    Report,
    duration,
    facts_from_snapshot,
    render_html,
    summarise,
    table,
)
from workers.worker import build_worker
from workflows.contact import ContactWorkflow

DEMO_TIME_SCALE = 1 / 17280  # 48 h of policy time -> 10 s
# Past the top of the escalation ladder (team, lead, manager) POLICY.md reminds the
# supervisors daily: at demo speed a day is 5 s, so every contact left escalated would
# alert every 5 s for as long as the demo stays up. The demo climbs the ladder as the
# policy says (a new-escalation alert, then a reminder per missed SLA up to the top level)
# and then reminds once a policy century, about every two real days: at most
# ``escalation_top_level`` alerts per escalation while anyone watches.
DEMO_SLOW_REMINDER_HOURS = 24 * 365 * 100
CONSOLE_LINE = "supervisor console: http://127.0.0.1:8090 (desk console)"
SETTLED = {
    ContactState.resolved,
    ContactState.closed,
    ContactState.escalated,
    ContactState.human_owned,
}
# The demo's supervisor, with a key of this run: the demo signs the approvals it makes.
DEMO_SUPERVISOR = Supervisor(id="demo-supervisor@shop.example", role="manager", key=new_key())
MAX_WAIT_S = 120
TRAFFIC_S = 10.0  # the scripted stream of first messages is squeezed into this
QUIET_S = 20


def _quiet_logs() -> None:
    """The demo shows progress lines; per-message ingest logs would drown them."""
    configure_logging(logging.WARNING)
    logging.getLogger("uvicorn").setLevel(logging.WARNING)


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def _contacts(client: Client, intake_ids: list[str]) -> list[str]:
    """The contacts the messages went to, once each intake workflow has routed its message."""
    routed = await asyncio.gather(
        *(client.get_workflow_handle(i, result_type=RoutedMessage).result() for i in intake_ids)
    )
    return list(dict.fromkeys(r.contact_id for r in routed))


async def _snapshots(client: Client, contact_ids: list[str]) -> list[ContactSnapshot]:
    return list(
        await asyncio.gather(
            *(client.get_workflow_handle(c).query(ContactWorkflow.snapshot) for c in contact_ids)
        )
    )


async def _supervise(client: Client, snaps: list[ContactSnapshot], decided: set[str]) -> None:
    """The demo's supervisor approves over-limit proposals, so a decision shows in the UI."""
    for s in snaps:
        if (
            s.state == ContactState.escalated
            and s.escalation_reason
            and s.escalation_reason.value == "over_limit"
            and s.contact_id not in decided
        ):
            decided.add(s.contact_id)
            decision = SupervisorDecision(
                action=SupervisorAction.approve,
                by=DEMO_SUPERVISOR.id,
                note="demo: proposal checked and approved",
            )
            signed = sign(s.contact_id, decision, DEMO_SUPERVISOR.key, datetime.now(UTC))
            await client.get_workflow_handle(s.contact_id).execute_update(
                ContactWorkflow.decide, signed
            )


def demo_policy(policy: PolicyConfig) -> PolicyConfig:
    """The policy at demo speed: every timer scaled (48 h of policy time in 10 s) and the
    reminders past the top escalation level spaced out (``DEMO_SLOW_REMINDER_HOURS``), so a
    contact left escalated alerts the supervisors a bounded number of times. A value set
    explicitly (``DESK_TIME_SCALE``, ``DESK_POLICY_ESCALATION_SLOW_REMINDER_HOURS``) is kept."""
    defaults = PolicyConfig()
    update: dict[str, float] = {}
    if policy.time_scale == defaults.time_scale:
        update["time_scale"] = DEMO_TIME_SCALE
    if policy.escalation_slow_reminder_hours == defaults.escalation_slow_reminder_hours:
        update["escalation_slow_reminder_hours"] = DEMO_SLOW_REMINDER_HOURS
    return policy.model_copy(update=update)


def alerts_bound(policy: PolicyConfig) -> int:
    """Supervisor alerts one escalation makes while the demo runs: the new-escalation
    alert and a reminder per level climbed."""
    return policy.escalation_top_level


def seeding_table(summary: DemoShopSummary, sending: int | None = None) -> str:
    """What the demo shop holds, one row per kind of thing."""

    def parts(counts: dict[str, int]) -> str:
        return ", ".join(f"{k} {v}" for k, v in counts.items() if v)

    searches = summary.search_outcomes
    rows = [
        *wrapped(
            "customers",
            summary.customers,
            f"{parts(summary.customers_by_tier)}; "
            f"{summary.customers_with_prior_claims} with earlier claims",
        ),
        ["products", summary.products, f"{len(summary.out_of_stock)} out of stock"],
        *wrapped("orders", summary.orders, parts(summary.orders_by_state)),
        *wrapped(
            "shipments",
            summary.shipments,
            f"{parts(summary.shipments_by_carrier)}; {summary.scan_events} scans",
        ),
        [
            "carrier searches",
            sum(searches.values()),
            f"will come back found {searches.get('found', 0)}, "
            f"not found {searches.get('not_found', 0)}",
        ],
        [
            "scripted contacts",
            len(summary.contacts) if sending is None else min(sending, len(summary.contacts)),
            f"of {len(summary.contacts)} written for this shop; some write again",
        ],
    ]
    return f"demo shop seeded (seed {summary.seed}):\n" + _indent(
        table(["", "count", "of which"], rows)
    )


def wrapped(label: str, value: object, text: str, width: int = 64) -> list[list[object]]:
    """A table row whose last cell (comma-separated) continues on rows of its own."""
    lines: list[str] = []
    for part in text.split(", "):
        if lines and len(lines[-1]) + len(part) + 2 <= width:
            lines[-1] += f", {part}"
        else:
            lines.append(part)
    rows: list[list[object]] = [[label, value, lines[0]]]
    rows += [["", "", more] for more in lines[1:]]
    return rows


def _indent(text: str, by: str = "  ") -> str:
    return "\n".join(by + line if line else line for line in text.splitlines())


def demo_report(
    snaps: list[ContactSnapshot],
    shop: SandboxShop,
    *,
    time_scale: float,
    carrier_as_of: datetime | None = None,
    since: datetime | None = None,
) -> Report:
    """The report of ``desk report``, from the demo's own snapshots and the shop's ledger."""
    rows = [facts_from_snapshot(s, time_scale) for s in snaps]
    start = since or min((r.started_at for r in rows), default=datetime.now(UTC))
    return summarise(
        rows,
        start,
        datetime.now(UTC),
        ledger=shop,
        carrier_as_of=carrier_as_of,
        time_scale=time_scale,
    )


def report(report: Report, alerts: int, replies: int) -> str:
    """The closing report: one table of outcomes by intent, then the figures."""
    r = report
    by_intent: dict[str, Counter[str]] = {}
    for row in r.rows:
        cell = by_intent.setdefault(row.intent or "unknown", Counter())
        cell["contacts"] += 1
        if row.state in ("resolved", "closed"):
            cell["autonomous" if row.autonomous else "by a supervisor"] += 1
        elif row.state == "escalated":
            cell["awaiting a decision"] += 1
        else:
            cell["in progress"] += 1
    columns = ["contacts", "autonomous", "by a supervisor", "awaiting a decision", "in progress"]
    rows: list[list[object]] = [
        [intent, *(cells[c] or "" for c in columns)]
        for intent, cells in sorted(by_intent.items(), key=lambda kv: -kv[1]["contacts"])
    ]
    rows.append(
        [
            "all",
            r.contacts,
            r.autonomous,
            r.finished - r.autonomous,
            r.awaiting_decision,
            r.contacts - r.finished - r.awaiting_decision,
        ]
    )
    escalations = ", ".join(f"{k} {v}" for k, v in r.escalations_by_reason.items()) or "none"
    cases = r.carrier_cases
    case_status = ", ".join(f"{k} {v}" for k, v in cases.by_status.items())

    def took(d: Durations) -> str:
        # Processing time on this machine counts too: at demo speed a second is ~5 h.
        return ", ".join(
            f"{q} {duration(s)} ({s * r.time_scale:.0f} s real)" if s is not None else f"{q} —"
            for q, s in (("p50", d.p50_s), ("p90", d.p90_s))
        )

    figures: list[list[object]] = [
        [
            "resolved autonomously",
            r.autonomous,
            f"of {r.contacts} ({100 * r.autonomous_rate:.0f}%)",
        ],
        *wrapped("escalated", r.escalated, escalations, width=56),
        ["reships", r.money.reships, f"replacement orders, {r.money.reship_value:.2f} of goods"],
        ["refunds", r.money.refunds, f"totalling {r.money.refunded:.2f}"],
        ["carrier cases", cases.filed, case_status or "none"],
        ["replies sent", replies, ""],
        ["supervisor alerts", alerts, f"new escalations and {r.sla.breaches} SLA reminders"],
        ["time to first reply", "", took(r.first_reply)],
        ["time to resolution", "", took(r.resolution)],
    ]
    return "\n".join(
        [
            "",
            "=== contact desk: demo report ===",
            "",
            table(["intent", *columns], rows),
            "",
            table(["", "count", ""], figures),
            *([_policy_time_note(r.time_scale)] if r.time_scale != 1 else []),
        ]
    )


def _policy_time_note(time_scale: float) -> str:
    return f"(durations in policy time: the demo runs 48 h of it in {48 * 3600 * time_scale:g} s)"


def demo_secrets() -> dict[str, str]:
    """Fresh secrets for every channel, for this run only: the demo's simulated vendors
    sign with them, so every channel is authenticated as it would be in production."""
    return {
        "twilio_auth_token": secrets.token_hex(16),
        "postmark_webhook_user": "postmark",
        "postmark_webhook_password": secrets.token_urlsafe(16),
        "email_authserv_id": "inbound.desk-demo.example",
        "identity_secret": secrets.token_hex(32),
        "social_webhook_secret": secrets.token_hex(16),
    }


async def run_demo(settings: Settings, policy: PolicyConfig, once: bool, contacts: int) -> int:
    _quiet_logs()
    policy = demo_policy(policy)
    # The key is the desk's, in the data dir itself: `desk show` and the codec server read
    # the demo's contacts with the same development key as `desk up`'s.
    keyring = load_keyring(settings)
    converter = data_converter_for(settings)
    data = Path(settings.data_dir) / "demo"
    shutil.rmtree(data, ignore_errors=True)  # each demo starts from a fresh shop and history
    settings = settings.model_copy(
        update={"data_dir": str(data), "database_url": None, **demo_secrets()}
    )
    check_ingest_settings(settings)
    announce(settings)
    data.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    shop = SandboxShop(settings.shop_url, clock_origin=now, clock_speed=1 / policy.time_scale)
    shop.create_all()
    summary = seed_demo_shop(shop, now)
    stop = stop_event()
    _say(seeding_table(summary, sending=contacts))
    _say("channels (the demo's traffic is signed as each vendor signs it):")
    for line in channel_summary(settings):
        _say(f"  {line}")
    codec_server, codec_url = embedded_codec_server(settings, keyring)
    if codec_url:
        _say(f"codec server: {codec_url}\n  {sign_in_hint(settings, keyring)}")
    async with start_embedded_temporal(
        settings, codec_endpoint=codec_url, data_converter=converter
    ) as temporal:
        # DESK_METRICS_PORT: the worker's metrics, as `desk up` (docs/observability.md).
        client = await connect(temporal.settings, converter, runtime=metrics_runtime(settings))
        worker = build_worker(
            client,
            shop,
            settings.task_queue,
            policy,
            supervisors=SupervisorRegistry(supervisors=[DEMO_SUPERVISOR]),
        )
        server = api_server(
            create_app(client, settings), settings.ingest_host, settings.ingest_port
        )
        console_part, console_sign_in = demo_console(client, shop)

        async def scripted() -> None:
            await _run_traffic(
                client,
                settings,
                shop,
                summary.contacts[:contacts],
                policy.time_scale,
                now,
                console_sign_in,
            )
            if not once:
                _say("\nThe desk stays up until Ctrl-C.")
                await stop.wait()

        await serve(
            stop,
            worker=worker,
            server=server,
            also=scripted,
            more_servers=[s for s in (codec_server, console_part) if s is not None],
        )
    shop.close()
    return 0


def demo_console(client: Client, shop: SandboxShop) -> tuple[uvicorn.Server | None, str]:
    """The supervisor console on :8090 (``DESK_CONSOLE_*``), with one account: the demo's
    supervisor, with a password of this run; and the line saying how to sign in."""
    console = ConsoleSettings.from_env()
    password = secrets.token_urlsafe(9)
    accounts = Accounts(accounts=[Account(id=DEMO_SUPERVISOR.id, password=hash_password(password))])
    registry = SupervisorRegistry(supervisors=[DEMO_SUPERVISOR])
    server, where = embedded_console(client, console, registry, accounts, Scans(shop, shop))
    if server is None:
        return None, f"  {where}"
    return server, f"  sign in as {DEMO_SUPERVISOR.id}, password {password} (this run only)"


async def _run_traffic(
    client: Client,
    settings: Settings,
    shop: SandboxShop,
    script: list[DemoContact],
    time_scale: float,
    origin: datetime,
    console_sign_in: str = "",
) -> None:
    _say(
        f"Temporal UI: http://127.0.0.1:{settings.ui_port}  ingest: "
        f"http://{settings.ingest_host}:{settings.ingest_port}"
    )
    # First messages at their scripted offsets; follow-ups after their (scaled) hours,
    # often on another channel, so they merge into the same contact.
    schedule = []
    squeeze = TRAFFIC_S / max([1.0, *(c.send_after_s for c in script)])
    for c in script:
        schedule.append(
            (
                c.send_after_s * squeeze,
                c.message_id,
                c.channel,
                c.sender,
                c.text,
                c.subject,
                c.attachments,
            )
        )
        for f in c.follow_ups:
            at = c.send_after_s * squeeze + f.after_hours * 3600 * time_scale
            schedule.append((at, f.message_id, f.channel, f.sender, f.text, None, f.attachments))
    schedule.sort(key=lambda item: item[0])
    intake_ids: list[str] = []
    authenticated = 0
    base = f"http://{settings.ingest_host}:{settings.ingest_port}"
    started = time.monotonic()
    began = datetime.now(UTC)
    sending = Progress("messages", len(schedule))
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        for _ in range(50):  # the API comes up alongside this task
            try:
                if (await http.get("/healthz")).status_code == 200:
                    break
            except httpx.TransportError:
                await asyncio.sleep(0.1)
        for at, message_id, channel, sender, text, subject, attachments in schedule:
            await asyncio.sleep(max(0.0, started + at - time.monotonic()))
            accepted = await post_message(
                http,
                channel,
                sender,
                text,
                subject,
                attachments,
                message_id=message_id,
                settings=settings,
            )
            intake_ids.append(accepted["intake_workflow_id"])
            authenticated += bool(accepted.get("authenticated"))
            sending.update(len(intake_ids), f"sent through the ingest API ({channel.value})")
    sending.finish(
        len(intake_ids),
        f"sent in {time.monotonic() - started:.1f}s, {authenticated} with an authenticated sender",
    )
    contact_ids = await _contacts(client, intake_ids)
    snaps = await _follow(client, contact_ids)
    # The carriers' clock runs 1/time_scale times faster than the workflows' from the start.
    carrier_now = origin + (datetime.now(UTC) - origin) / time_scale
    summary = demo_report(
        snaps, shop, time_scale=time_scale, carrier_as_of=carrier_now, since=began
    )
    print(report(summary, len(shop.supervisor_alerts()), len(shop.outbox())), flush=True)
    page = Path(settings.data_dir) / "report.html"
    try:
        page.write_text(render_html(summary), encoding="utf-8")
        written = (
            f"report page: {page} (desk report --since {began:%Y-%m-%dT%H:%M:%SZ} --html FILE)"
        )
    except Exception as err:  # the page is a bonus: the demo goes on without it
        written = f"report page not written: {err}"
    print(
        "\n".join(
            [
                "",
                written,
                f"Temporal UI: http://127.0.0.1:{settings.ui_port} "
                '(saved queries in the README, e.g. ContactState = "escalated")',
                CONSOLE_LINE,
                *([console_sign_in] if console_sign_in else []),
            ]
        ),
        flush=True,
    )


async def _follow(client: Client, contact_ids: list[str]) -> list[ContactSnapshot]:
    """Until every contact has settled (or nothing has changed for ``QUIET_S``): the demo's
    supervisor approves over-limit proposals, and a progress bar shows the states."""
    decided: set[str] = set()
    deadline = time.monotonic() + MAX_WAIT_S
    snaps: list[ContactSnapshot] = []
    bar = Progress("contacts", len(contact_ids))
    last_change, last_states = time.monotonic(), ""
    while True:
        snaps = await _snapshots(client, contact_ids)
        await _supervise(client, snaps, decided)
        settled = sum(s.state in SETTLED for s in snaps)
        states = " · ".join(
            f"{k} {v}" for k, v in sorted(Counter(s.state.value for s in snaps).items())
        )
        if states != last_states:
            last_change, last_states = time.monotonic(), states
        if settled == len(snaps):
            bar.finish(settled, f"settled: {states}")
            break
        if time.monotonic() - last_change > QUIET_S or time.monotonic() > deadline:
            # Parcels that are late but still moving keep waiting on the carrier; the shop's
            # scans are real time while timers are scaled, so they would wait for real days.
            bar.finish(settled, f"settled: {states}")
            bar.say(f"no change for {QUIET_S}s; the rest are waiting on carriers or customers")
            break
        bar.update(settled, f"settled: {states}")
        await asyncio.sleep(1)
    return snaps
