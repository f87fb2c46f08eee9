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
from temporalio.client import Client

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
from desk.supervisors import Supervisor, SupervisorRegistry, new_key, sign
from desk.temporal_client import connect
from devtools.demo_shop import DemoContact, seed_demo_shop
from devtools.embedded_temporal import start_embedded_temporal
from devtools.simulator import post_message
from ingest.app import create_app
from ingest.exposure import announce, channel_summary, check_ingest_settings
from starters.codec_server import embedded_codec_server, sign_in_hint
from starters.serving import api_server, serve, stop_event
from workers.worker import build_worker
from workflows.contact import ContactWorkflow

DEMO_TIME_SCALE = 1 / 17280  # 48 h of policy time -> 10 s
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
    found: list[str] = []
    for intake_id in intake_ids:
        routed = await client.get_workflow_handle(intake_id, result_type=RoutedMessage).result()
        if routed.contact_id not in found:
            found.append(routed.contact_id)
    return found


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


def report(snaps: list[ContactSnapshot], shop: SandboxShop) -> str:
    by_intent = Counter(s.intent.value if s.intent else "unknown" for s in snaps)
    by_state = Counter(s.state.value for s in snaps)
    autonomous = [s for s in snaps if s.autonomous]
    escalated = Counter(
        s.escalation_reason.value
        for s in snaps
        if s.state == ContactState.escalated and s.escalation_reason
    )
    resolutions = Counter(s.resolution.value for s in snaps if s.resolution)
    refunds = shop.refunds()
    lines = [
        "",
        "=== contact desk: demo report ===",
        f"contacts: {len(snaps)}",
        "by intent: " + ", ".join(f"{k} {v}" for k, v in by_intent.most_common()),
        "by state: " + ", ".join(f"{k} {v}" for k, v in by_state.most_common()),
        "resolutions: " + ", ".join(f"{k} {v}" for k, v in resolutions.most_common()),
        f"resolved autonomously: {len(autonomous)} of {len(snaps)} "
        f"({100 * len(autonomous) / max(1, len(snaps)):.0f}%)",
        "escalated, waiting on a supervisor: "
        + (", ".join(f"{k} {v}" for k, v in escalated.most_common()) or "none"),
        f"reships (replacement orders): {shop.replacement_count()}",
        f"refunds: {len(refunds)} totalling {sum(r.amount for r in refunds):.2f}",
        f"carrier cases filed: {len(shop.carrier_cases())}",
        f"replies sent: {len(shop.outbox())}",
        f"supervisor alerts (new escalations and SLA reminders): {len(shop.supervisor_alerts())}",
    ]
    return "\n".join(lines)


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
    if policy.time_scale == 1.0:
        policy = policy.model_copy(update={"time_scale": DEMO_TIME_SCALE})
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
    _say(f"demo shop seeded: {summary.model_dump(exclude={'contacts'})}")
    _say("channels (the demo's traffic is signed as each vendor signs it):")
    for line in channel_summary(settings):
        _say(f"  {line}")
    codec_server, codec_url = embedded_codec_server(settings, keyring)
    if codec_url:
        _say(f"codec server: {codec_url}\n  {sign_in_hint(settings, keyring)}")
    async with start_embedded_temporal(
        settings, codec_endpoint=codec_url, data_converter=converter
    ) as temporal:
        client = await connect(temporal.settings, converter)
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

        async def scripted() -> None:
            await _run_traffic(
                client, settings, shop, summary.contacts[:contacts], policy.time_scale
            )
            if not once:
                _say(
                    f"\nThe desk stays up: Temporal UI http://127.0.0.1:{settings.ui_port} "
                    '(try ContactState = "escalated"). Ctrl-C stops it.'
                )
                await stop.wait()

        await serve(
            stop,
            worker=worker,
            server=server,
            also=scripted,
            more_servers=[codec_server] if codec_server else [],
        )
    shop.close()
    return 0


async def _run_traffic(
    client: Client,
    settings: Settings,
    shop: SandboxShop,
    script: list[DemoContact],
    time_scale: float,
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
    _say(
        f"sent {len(intake_ids)} messages through the ingest API in "
        f"{time.monotonic() - started:.1f}s ({authenticated} with an authenticated sender)"
    )
    contact_ids = await _contacts(client, intake_ids)
    decided: set[str] = set()
    deadline = time.monotonic() + MAX_WAIT_S
    snaps: list[ContactSnapshot] = []
    last_change, last_states = time.monotonic(), ""
    while time.monotonic() < deadline:
        snaps = await _snapshots(client, contact_ids)
        await _supervise(client, snaps, decided)
        states = ", ".join(
            f"{k} {v}" for k, v in sorted(Counter(s.state.value for s in snaps).items())
        )
        if states != last_states:
            last_change, last_states = time.monotonic(), states
            _say(f"[{time.monotonic() - started:5.1f}s] {states}")
        if all(s.state in SETTLED for s in snaps):
            break
        # Parcels that are late but still moving keep waiting on the carrier; the shop's
        # scans are real time while timers are scaled, so they would wait for real days.
        if time.monotonic() - last_change > QUIET_S:
            _say(f"no change for {QUIET_S}s; the rest are waiting on carriers or customers")
            break
        await asyncio.sleep(1)
    print(report(snaps, shop), flush=True)
