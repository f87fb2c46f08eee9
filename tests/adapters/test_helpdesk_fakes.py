"""The helpdesk adapters against the Zendesk and Gorgias fakes served on 127.0.0.1 over a
SandboxShop: one outbox row per key through retries, lost answers, throttling and new
workers; alerts as the sandbox's supervisor alerts; and whole scenarios through the real
workflow whose replies go adapter → HTTP → fake → sandbox outbox with the ledger the
scenario runner reads unchanged."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client
from temporalio.worker import Worker

import devtools.scenarios.runner as runner
from activities.replies import ReplyActivities
from desk.adapters.helpdesk import (
    CompositeHelpdesk,
    GorgiasReplies,
    GorgiasSettings,
    MemorySentStore,
    SqlSentStore,
    ZendeskReplies,
    ZendeskSettings,
)
from desk.adapters.http import VendorAuthError
from desk.adapters.sandbox import SandboxShop
from desk.config import PolicyConfig
from desk.models import Channel, Reply
from desk.ports import Refused
from tests.adapters.helpdesk_fake_server import RunningFake, running_helpdesk_fake
from workers.worker import WORKFLOWS, desk_activities

ROOT = Path(__file__).resolve().parents[2]
CONTACT = "contact-order-60102"
EMAIL = Reply(channel=Channel.email, to="claire@example.com", subject="Re: parcel", body="Hi")
SMS = Reply(channel=Channel.sms, to="+15551234567", body="Your refund is on its way.")


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[SandboxShop]:
    sandbox = SandboxShop(f"sqlite:///{tmp_path / 'shop.db'}")
    sandbox.create_all()
    yield sandbox
    sandbox.close()


@pytest.fixture
def served(shop: SandboxShop) -> Iterator[RunningFake]:
    with running_helpdesk_fake(shop) as running:
        yield running


def _zendesk(running: RunningFake, store: Any = None, **kw: Any) -> ZendeskReplies:
    settings = ZendeskSettings(
        base_url=running.zendesk_url, email="agent@shop.example", api_token="zd-token", **kw
    )
    return ZendeskReplies(settings, store, sleep=lambda s: None)


def _gorgias(running: RunningFake, store: Any = None, **kw: Any) -> GorgiasReplies:
    values: dict[str, Any] = {"alert_customer_email": "supervisors@shop.example"}
    values.update(kw)
    settings = GorgiasSettings(
        base_url=running.gorgias_url, email="api@shop.example", api_key="g-key", **values
    )
    return GorgiasReplies(settings, store, sleep=lambda s: None)


def _rows(shop: SandboxShop) -> list[tuple[str, str, str, str, str | None, str]]:
    return [(m.contact_id, m.key, m.channel.value, m.to, m.subject, m.body) for m in shop.outbox()]


# ---------------------------------------------------------------- Zendesk


def test_zendesk_replies_become_one_outbox_row_per_key(
    served: RunningFake, shop: SandboxShop
) -> None:
    zendesk = _zendesk(served)
    first = zendesk.send_reply(CONTACT, EMAIL, f"{CONTACT}:r1")
    assert zendesk.send_reply(CONTACT, EMAIL, f"{CONTACT}:r1") == first
    # A second worker (its own empty record) finds the comment on the ticket.
    assert _zendesk(served, MemorySentStore()).send_reply(CONTACT, EMAIL, f"{CONTACT}:r1") == first
    # The next reply's PUT is carried out, its answer lost (502): looked for, not re-sent.
    served.fake.inject("zendesk", 502, method="PUT", lost=True)
    zendesk.send_reply(CONTACT, EMAIL.model_copy(update={"body": "Second"}), f"{CONTACT}:r2")
    # Throttled before it is carried out: a 429 with a plain-text body and Retry-After.
    served.fake.inject("zendesk", 429, method="PUT", retry_after=0, body="Number of allowed")
    zendesk.send_reply(CONTACT, EMAIL.model_copy(update={"body": "Third"}), f"{CONTACT}:r3")
    zendesk.send_reply("contact-order-7", SMS, "contact-order-7:r1")

    assert _rows(shop) == [
        (CONTACT, f"{CONTACT}:r1", "email", "claire@example.com", "Re: parcel", "Hi"),
        (CONTACT, f"{CONTACT}:r2", "email", "claire@example.com", "Re: parcel", "Second"),
        (CONTACT, f"{CONTACT}:r3", "email", "claire@example.com", "Re: parcel", "Third"),
        ("contact-order-7", "contact-order-7:r1", "sms", "+15551234567", "Your order", SMS.body),
    ]
    tickets = {t.external_id: t for t in served.fake.z_tickets.values()}
    assert set(tickets) == {f"desk:{CONTACT}", "desk:contact-order-7"}
    assert len(served.fake.zendesk_comments(tickets[f"desk:{CONTACT}"].id)) == 3


def test_zendesk_alerts_become_the_sandboxs_supervisor_alerts(
    served: RunningFake, shop: SandboxShop
) -> None:
    zendesk = _zendesk(served)
    zendesk.alert_supervisors(CONTACT, "new escalation: fraud_review", 1, f"{CONTACT}:a1")
    zendesk.alert_supervisors(CONTACT, "new escalation: fraud_review", 1, f"{CONTACT}:a1")
    zendesk.alert_supervisors(CONTACT, "reminder: no decision", 3, f"{CONTACT}:a2")
    assert shop.supervisor_alerts(CONTACT) == [
        (1, "new escalation: fraud_review"),
        (3, "reminder: no decision"),
    ]
    assert shop.outbox() == []  # internal notes never reach the customer
    [ticket] = served.fake.z_tickets.values()
    assert ticket.priority == "urgent" and ticket.external_id == f"desk-alerts:{CONTACT}"


def test_zendesk_closed_tickets_and_the_comment_cap(shop: SandboxShop) -> None:
    with running_helpdesk_fake(shop, comment_cap=2) as served:
        zendesk = _zendesk(served)
        zendesk.send_reply(CONTACT, EMAIL, "k1")
        zendesk.send_reply(CONTACT, EMAIL, "k2")
        with pytest.raises(Refused, match="cap"):
            zendesk.send_reply(CONTACT, EMAIL, "k3")
        [ticket] = served.fake.z_tickets.values()
        ticket.status = "closed"
        zendesk.send_reply(CONTACT, EMAIL, "k4")  # a follow-up ticket takes it
        follow_up = max(served.fake.z_tickets.values(), key=lambda t: t.id)
        assert follow_up.via_followup_source_id == ticket.id
    assert [m.key for m in shop.outbox()] == ["k1", "k2", "k4"]


def test_zendesk_wrong_credentials_are_refused(shop: SandboxShop) -> None:
    credentials = ("agent@shop.example", "right")
    with (
        running_helpdesk_fake(shop, zendesk_credentials=credentials) as served,
        pytest.raises(VendorAuthError) as err,
    ):
        _zendesk(served).send_reply(CONTACT, EMAIL, "k1")
    assert "401" in str(err.value) and "zd-token" not in str(err.value)
    assert shop.outbox() == []


# ---------------------------------------------------------------- Gorgias


def test_gorgias_messages_become_one_outbox_row_per_key(
    served: RunningFake, shop: SandboxShop
) -> None:
    gorgias = _gorgias(served)
    first = gorgias.send_reply(CONTACT, EMAIL, f"{CONTACT}:r1")
    assert gorgias.send_reply(CONTACT, EMAIL, f"{CONTACT}:r1") == first
    assert _gorgias(served, MemorySentStore()).send_reply(CONTACT, EMAIL, f"{CONTACT}:r1") == first
    served.fake.inject("gorgias", 500, method="POST", lost=True)
    gorgias.send_reply(CONTACT, SMS, f"{CONTACT}:r2")
    served.fake.inject("gorgias", 429, method="POST", retry_after=0)
    gorgias.send_reply(CONTACT, EMAIL.model_copy(update={"body": "Third"}), f"{CONTACT}:r3")
    # A new contact whose ticket creation is carried out but its answer lost.
    served.fake.inject("gorgias", 502, method="POST", lost=True)
    gorgias.send_reply("contact-order-7", EMAIL, "contact-order-7:r1")

    assert _rows(shop) == [
        (CONTACT, f"{CONTACT}:r1", "email", "claire@example.com", "Re: parcel", "Hi"),
        (CONTACT, f"{CONTACT}:r2", "sms", "+15551234567", None, SMS.body),
        (CONTACT, f"{CONTACT}:r3", "email", "claire@example.com", "Re: parcel", "Third"),
        (
            "contact-order-7",
            "contact-order-7:r1",
            "email",
            "claire@example.com",
            "Re: parcel",
            "Hi",
        ),
    ]
    assert len(served.fake.g_tickets) == 2


def test_gorgias_alerts_and_its_rate_limit(shop: SandboxShop) -> None:
    with running_helpdesk_fake(shop, gorgias_bucket=10) as served:
        slept: list[float] = []
        settings = GorgiasSettings(
            base_url=served.gorgias_url,
            email="api@shop.example",
            api_key="g-key",
            alert_customer_email="supervisors@shop.example",
            requests_per_window=1000,  # our own pace off: the account's bucket decides
            burst=1000,
            slow_at=0.3,
        )
        gorgias = GorgiasReplies(settings, sleep=slept.append)
        gorgias.alert_supervisors(CONTACT, "new escalation: over_limit", 2, "a1")
        gorgias.alert_supervisors(CONTACT, "reminder", 3, "a2")
        assert shop.supervisor_alerts(CONTACT) == [
            (2, "new escalation: over_limit"),
            (3, "reminder"),
        ]
        # 3 of the account's 10 used: wait for one to drain (10 per 20 s).
        assert slept and slept[0] == pytest.approx(2.0)
    assert shop.outbox() == []


def test_one_sql_store_on_the_shops_database_serves_every_worker(
    served: RunningFake, shop: SandboxShop
) -> None:
    store = SqlSentStore(shop.engine)
    store.create_all()
    workers = [_gorgias(served, SqlSentStore(shop.engine)) for _ in range(3)]
    ids = {w.send_reply(CONTACT, EMAIL, f"{CONTACT}:r1") for w in workers}
    assert len(ids) == 1 and len(shop.outbox()) == 1
    assert store.sent(f"{CONTACT}:r1") in ids
    assert store.ticket("gorgias", f"desk:{CONTACT}") is not None


# ---------------------------------------------------------------- whole scenarios


def _with_helpdesk(kind: str, stack: ExitStack) -> Any:
    """A stand-in for ``build_worker``: the desk's worker with its reply activities over a
    CompositeHelpdesk whose replies and alerts go to ``kind`` served by the fake over the
    scenario's own shop."""

    def build_worker(
        client: Client,
        shop: SandboxShop,
        task_queue: str,
        policy: PolicyConfig,
        executor: ThreadPoolExecutor | None = None,
        classifier: Any = None,
        supervisors: Any = None,
    ) -> Worker:
        running = stack.enter_context(running_helpdesk_fake(shop, gorgias_bucket=100_000))
        vendor = (
            _zendesk(running)
            if kind == "zendesk"
            else _gorgias(running, requests_per_window=100_000, burst=100_000)
        )
        helpdesk = CompositeHelpdesk(replies=vendor, registry=shop, alerts=vendor)
        replies = ReplyActivities(helpdesk)
        activities = [
            getattr(replies, a.__name__)
            if isinstance(getattr(a, "__self__", None), ReplyActivities)
            else a
            for a in desk_activities(client, shop, task_queue, policy, supervisors=supervisors)
        ]
        return Worker(
            client,
            task_queue=task_queue,
            workflows=WORKFLOWS,
            activities=activities,
            activity_executor=executor or ThreadPoolExecutor(max_workers=16),
        )

    return build_worker


async def _run(kind: str, name: str, record: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    with ExitStack() as stack:
        monkeypatch.setattr(runner, "build_worker", _with_helpdesk(kind, stack))
        result = await runner.run_scenario(ROOT / "scenarios" / f"{name}.yaml", record_dir=record)
    assert result["ok"], result
    return json.loads((record / f"{name}.json").read_text())


@pytest.mark.parametrize(
    "name", ["dnr-strong-proof-escalates", "p3-damaged-photo-later", "dnr-carrier-found"]
)
async def test_a_scenario_through_gorgias_keeps_its_recorded_fingerprint(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours = await _run("gorgias", name, tmp_path, monkeypatch)
    recorded = json.loads((ROOT / "tests" / "fingerprints" / f"{name}.json").read_text())
    assert ours == recorded  # replies (keys, texts, channels, subjects), alerts, timeline


async def test_a_scenario_through_zendesk_keeps_its_replies_and_alerts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = "dnr-strong-proof-escalates"
    ours = await _run("zendesk", name, tmp_path, monkeypatch)
    recorded = json.loads((ROOT / "tests" / "fingerprints" / f"{name}.json").read_text())

    def without_subject(fingerprint: dict) -> dict:
        return {
            c: [{k: v for k, v in m.items() if k != "subject"} for m in replies]
            for c, replies in fingerprint["replies"].items()
        }

    # A Zendesk comment has no subject of its own: the ticket's is what the customer sees.
    assert without_subject(ours) == without_subject(recorded)
    assert {m["subject"] for r in ours["replies"].values() for m in r} == {"Your order"}
    assert ours["alerts"] == recorded["alerts"]
    assert ours["contacts"] == recorded["contacts"]
