"""Channel ingest → intake → contact → supervisor CLI, on the real test server and worker.

Messages arrive in vendor formats through the ingest API; a follow-up on another channel
lands in the same contact; a webhook retry adds nothing; the supervisor CLI shows the
contact and refuses decisions that do not fit it.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.client import Client, WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from desk.adapters.sandbox import SandboxShop
from desk.codec import TEST_CODEC_KEYS
from desk.config import PolicyConfig, Settings
from desk.models import ContactSnapshot, ContactState
from desk.policy.rules import Rule
from devtools.scenarios.format import load_scenario
from devtools.scenarios.loader import load_scenario_into
from devtools.test_server import start_test_server
from ingest.app import create_app
from tests.markers import patch_markers
from tests.senders import SAM, SUPERVISORS
from tests.waiting import until
from workers.worker import build_worker
from workflows.contact import ContactWorkflow

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "scenarios"
TASK_QUEUE = "e2e"
DESK = str(Path(sys.executable).parent / "desk")


@pytest.fixture(scope="module")
async def desk(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[WorkflowEnvironment, SandboxShop, httpx.AsyncClient]]:
    env = await start_test_server()
    shop = SandboxShop(f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'shop.db'}")
    shop.create_all()
    async with env:
        now = await env.get_current_time()
        for name in ("dnr-weak-proof-standard", "human-requested"):
            folder = SHARED if (SHARED / f"{name}.yaml").exists() else ROOT / "scenarios"
            load_scenario_into(shop, load_scenario(folder / f"{name}.yaml"), now)
        # Development mode (loopback): the test's unsigned webhooks are trusted senders, as
        # signed ones would be; tests/test_ingest_api.py covers the signatures themselves.
        app = create_app(env.client, Settings(task_queue=TASK_QUEUE, dev_mode=True))
        transport = httpx.ASGITransport(app=app)
        async with (
            build_worker(env.client, shop, TASK_QUEUE, PolicyConfig(), supervisors=SUPERVISORS),
            httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as api,
        ):
            yield env, shop, api
    shop.close()


async def _snapshot(client: Client, contact_id: str) -> ContactSnapshot:
    return await client.get_workflow_handle(contact_id).query(ContactWorkflow.snapshot)


def _postmark(mid: str, sender: str, subject: str, text: str) -> dict[str, Any]:
    return {
        "MessageID": mid,
        "From": sender,
        "FromFull": {"Email": sender, "Name": ""},
        "Subject": subject,
        "TextBody": text,
        "HtmlBody": "",
        "Attachments": [],
    }


async def _cli(env: WorkflowEnvironment, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``desk`` without blocking the loop: the worker answering its queries runs here."""
    target = env.client.service_client.config.target_host
    proc = await asyncio.create_subprocess_exec(
        DESK,
        *args,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        # The test server's payloads are encrypted with the test key (DATA_CONVERTER).
        # The CLI decides as Sam, with Sam's key (the operator credentials it is configured
        # with); the worker's registry knows Sam.
        env={
            **os.environ,
            "DESK_TEMPORAL_ADDRESS": target,
            "DESK_CODEC_KEYS": TEST_CODEC_KEYS,
            "DESK_OPERATOR_ID": SAM.id,
            "DESK_OPERATOR_KEY": SAM.key,
        },
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode is not None
    return subprocess.CompletedProcess(args, proc.returncode, out.decode(), err.decode())


async def test_messages_from_two_channels_make_one_contact(desk: Any) -> None:
    env, shop, api = desk
    first = _postmark(
        "pm-1",
        "dana@example.com",
        "Order 41880 never arrived",
        "Tracking for order 41880 says delivered but there is nothing in my mailbox.",
    )
    assert (await api.post("/ingest/email", json=first)).status_code == 202
    contact = "contact-order-41880"

    async def waiting_on_carrier() -> bool:
        try:
            return (await _snapshot(env.client, contact)).state == ContactState.awaiting_carrier
        except Exception:
            return False

    await until(waiting_on_carrier)
    chat = {
        "conversation_id": "c-1",
        "message_id": "chat-1",
        "handle": "dana-r",
        "text": "I asked the neighbours too, nobody has it.",
    }
    assert (await api.post("/ingest/chat", json=chat)).status_code == 202
    retry = await api.post("/ingest/email", json=first)  # the vendor retries the webhook
    assert retry.json()["duplicate"] is True

    async def two_messages() -> bool:
        return len((await _snapshot(env.client, contact)).messages) == 2

    await until(two_messages)
    snap = await _snapshot(env.client, contact)
    assert [c.value for c in snap.channels] == ["email", "chat"]
    assert snap.intent and snap.intent.value == "delivered_not_received"
    assert snap.carrier_case and snap.carrier_case.startswith("MMS-")
    assert snap.classifier_version and snap.classifier_version.startswith("linear-")
    assert snap.classifier_version.endswith("+rules-1")
    replies = shop.outbox(contact)
    assert len(replies) == 1 and snap.carrier_case in replies[0].body
    assert replies[0].channel == "email" and replies[0].to == "dana@example.com"
    assert any(e.rule == Rule.carrier_search for e in snap.timeline)
    # A decision for a contact no supervisor was asked about is refused, and changes nothing.
    not_escalated = await _cli(env, "decide", contact, "reject")
    assert not_escalated.returncode == 2 and "not escalated" in not_escalated.stderr
    assert (await _snapshot(env.client, contact)).state == ContactState.awaiting_carrier


async def test_supervisor_cli_shows_and_refuses_decisions_that_do_not_fit(desk: Any) -> None:
    env, shop, api = desk
    msg = _postmark(
        "pm-2",
        "oli@example.com",
        "",
        "Order 91301 says delivered but it is not here. I want to talk to a real person.",
    )
    assert (await api.post("/ingest/email", json=msg)).status_code == 202
    contact = "contact-order-91301"

    async def escalated() -> bool:
        try:
            return (await _snapshot(env.client, contact)).state == ContactState.escalated
        except Exception:
            return False

    await until(escalated)
    shown = await _cli(env, "show", contact)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["escalation_reason"] == "customer_requested_human"

    approve = await _cli(env, "decide", contact, "approve")
    assert approve.returncode == 2
    assert "no" in approve.stderr and "proposed resolution" in approve.stderr
    override = await _cli(env, "decide", contact, "override", "--resolution", "refund")
    assert override.returncode == 2 and "amount" in override.stderr
    unknown = await _cli(env, "show", "contact-order-nope")
    assert unknown.returncode == 2 and "no contact" in unknown.stderr
    nobody = await _cli(env, "decide", "contact-order-nope", "reject")
    assert nobody.returncode == 2 and "no contact" in nobody.stderr
    refused = await _snapshot(env.client, contact)
    assert refused.state == ContactState.escalated and refused.decisions == []
    # Refused by the update's validator: nothing of them reached the contact's history.
    assert not any(e.kind == "decision_refused" for e in refused.timeline)
    assert shop.refund_total() == 0 and shop.replacement_count() == 0

    override_ok = await _cli(
        env,
        "decide",
        contact,
        "override",
        "--note",
        "goodwill",
        "--resolution",
        "refund",
        "--amount",
        "25",
    )
    assert override_ok.returncode == 0, override_ok.stderr

    async def resolved() -> bool:
        return (await _snapshot(env.client, contact)).state == ContactState.resolved

    await until(resolved)
    snap = await _snapshot(env.client, contact)
    assert snap.autonomous is False
    assert snap.decisions[0].by == "sam@shop.example" and snap.decisions[0].note == "goodwill"
    assert snap.decisions[0].role == "lead"
    assert shop.refund_total(["91301"]) == 25.0


def _scheduled(history: WorkflowHistory) -> list[str]:
    return [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
    ]


async def test_a_new_contact_records_one_release_marker_and_only_changed_attributes(
    desk: Any,
) -> None:
    """docs/performance.md: a new intake and contact record the release's marker alone (not
    one per patch), run the notices and the routing as local activities, and upsert a
    search attribute only when its value changed."""
    env, shop, api = desk
    msg = _postmark("pm-shape", "oli@example.com", "", "Where is my order 91301 please?")
    accepted = (await api.post("/ingest/email", json=msg)).json()
    intake = env.client.get_workflow_handle(accepted["intake_workflow_id"])
    contact = (await intake.result())["contact_id"]
    await until(lambda: _has_reply(shop, contact))

    intake_history = await intake.fetch_history()
    assert patch_markers(intake_history) == ["intake-release-2026-12"]
    assert _scheduled(intake_history) == []  # read, match and route in one workflow task

    history = await env.client.get_workflow_handle(contact).fetch_history()
    assert patch_markers(history) == ["release-2026-12"]
    notices = {"send_reply", "alert_supervisors", "open_contact", "close_contact"}
    assert notices.isdisjoint(_scheduled(history))
    last: dict[str, Any] = {}
    upserts = 0
    for e in history.events:
        if not e.HasField("upsert_workflow_search_attributes_event_attributes"):
            continue
        fields = e.upsert_workflow_search_attributes_event_attributes.search_attributes
        for key, payload in fields.indexed_fields.items():
            if key == "TemporalChangeVersion":
                continue
            upserts += 1
            assert last.get(key) != payload.data, f"{key} upserted again unchanged"
            last[key] = payload.data
    assert upserts and "ContactState" in last


async def _has_reply(shop: SandboxShop, contact: str) -> bool:
    return bool(shop.outbox(contact))
