"""CompositeHelpdesk: replies by channel through vendor adapters, the registry and (by
default) alerts through the desk's own Helpdesk; and the SentStore every adapter keeps its
keys in (memory, SQLite, PostgreSQL), first record wins."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from desk.adapters.helpdesk import (
    CompositeHelpdesk,
    GorgiasReplies,
    MemorySentStore,
    SmtpReplies,
    SqlSentStore,
    ZendeskReplies,
)
from desk.adapters.helpdesk.common import contact_from_ref, contact_ref, key_marker
from desk.adapters.helpdesk.store import metadata
from desk.adapters.sandbox import SandboxShop
from desk.models import Channel, Reply
from desk.ports import Helpdesk

CONTACT = "contact-order-60102"


@dataclass
class Recorder:
    """A vendor adapter that records what it was asked to send."""

    name: str
    sent: list[tuple[str, str, str]] = field(default_factory=list)

    def send_reply(self, contact_id: str, reply: Reply, key: str) -> str:
        self.sent.append((contact_id, reply.channel.value, key))
        return f"{self.name}:{key}"

    def alert_supervisors(self, contact_id: str, text: str, level: int, key: str) -> str:
        self.sent.append((contact_id, f"alert L{level}", key))
        return f"{self.name}:{key}"


@pytest.fixture
def shop() -> Iterator[SandboxShop]:
    sandbox = SandboxShop("sqlite://")
    sandbox.create_all()
    yield sandbox
    sandbox.close()


def _reply(channel: Channel) -> Reply:
    return Reply(channel=channel, to="claire@example.com", body="Hello")


def test_replies_go_by_channel_and_the_registry_stays_with_the_desk(shop: SandboxShop) -> None:
    helpdesk_vendor, smtp = Recorder("zendesk"), Recorder("smtp")
    helpdesk: Helpdesk = CompositeHelpdesk(replies=helpdesk_vendor, registry=shop, email=smtp)
    assert helpdesk.send_reply(CONTACT, _reply(Channel.email), "r1") == "smtp:r1"
    assert helpdesk.send_reply(CONTACT, _reply(Channel.sms), "r2") == "zendesk:r2"
    assert helpdesk.send_reply(CONTACT, _reply(Channel.chat), "r3") == "zendesk:r3"
    assert smtp.sent == [(CONTACT, "email", "r1")]
    assert helpdesk_vendor.sent == [(CONTACT, "sms", "r2"), (CONTACT, "chat", "r3")]
    assert shop.outbox() == []

    helpdesk.open_contact(CONTACT, "C-3001", "60102")
    assert helpdesk.open_contact_order("C-3001") == "60102"
    assert shop.open_contact_order("C-3001") == "60102"
    helpdesk.close_contact(CONTACT)
    assert helpdesk.open_contact_order("C-3001") is None


def test_without_smtp_email_goes_to_the_helpdesk_too(shop: SandboxShop) -> None:
    vendor = Recorder("gorgias")
    helpdesk = CompositeHelpdesk(replies=vendor, registry=shop)
    helpdesk.send_reply(CONTACT, _reply(Channel.email), "r1")
    assert vendor.sent == [(CONTACT, "email", "r1")]


def test_alerts_go_to_the_registry_unless_a_vendor_is_given(shop: SandboxShop) -> None:
    vendor = Recorder("zendesk")
    CompositeHelpdesk(replies=vendor, registry=shop).alert_supervisors(CONTACT, "new", 1, "a1")
    assert shop.supervisor_alerts(CONTACT) == [(1, "new")] and vendor.sent == []
    composite = CompositeHelpdesk(replies=vendor, registry=shop, alerts=vendor)
    assert composite.alert_supervisors(CONTACT, "later", 2, "a2") == "zendesk:a2"
    assert vendor.sent == [(CONTACT, "alert L2", "a2")]
    assert len(shop.supervisor_alerts(CONTACT)) == 1


def test_built_from_the_environment(shop: SandboxShop, tmp_path: Path) -> None:
    env = {
        "DESK_HELPDESK_REPLIES": "zendesk",
        "DESK_HELPDESK_EMAIL": "smtp",
        "DESK_HELPDESK_STORE_URL": f"sqlite:///{tmp_path / 'sent.db'}",
        "DESK_ZENDESK_SUBDOMAIN": "shop",
        "DESK_ZENDESK_EMAIL": "agent@shop.example",
        "DESK_ZENDESK_API_TOKEN": "t0ken",
        "DESK_SMTP_HOST": "smtp.shop.example",
        "DESK_SMTP_FROM_ADDRESS": "support@shop.example",
    }
    helpdesk = CompositeHelpdesk.from_env(shop, env=env)
    assert isinstance(helpdesk.replies, ZendeskReplies)
    assert isinstance(helpdesk.email, SmtpReplies)
    assert helpdesk.alerts is shop
    assert isinstance(helpdesk.replies.store, SqlSentStore)
    assert helpdesk.replies.store is helpdesk.email.store
    helpdesk.close()

    gorgias = CompositeHelpdesk.from_env(
        shop,
        env={
            "DESK_HELPDESK_REPLIES": "gorgias",
            "DESK_HELPDESK_ALERTS": "helpdesk",
            "DESK_GORGIAS_DOMAIN": "shop",
            "DESK_GORGIAS_EMAIL": "api@shop.example",
            "DESK_GORGIAS_API_KEY": "k",
        },
    )
    assert isinstance(gorgias.replies, GorgiasReplies) and gorgias.alerts is gorgias.replies
    assert gorgias.email is None and isinstance(gorgias.replies.store, MemorySentStore)
    for bad in ({}, {"DESK_HELPDESK_REPLIES": "freshdesk"}):
        with pytest.raises(ValueError, match="DESK_HELPDESK_REPLIES"):
            CompositeHelpdesk.from_env(shop, env=bad)


# ---------------------------------------------------------------- the names on the vendor's side


def test_contact_references_and_key_markers() -> None:
    assert contact_ref(CONTACT) == f"desk:{CONTACT}"
    assert contact_ref(CONTACT, kind="alerts") == f"desk-alerts:{CONTACT}"
    assert contact_from_ref(contact_ref(CONTACT)) == CONTACT
    assert contact_from_ref(contact_ref(CONTACT, "alerts"), "alerts") == CONTACT
    assert contact_from_ref(contact_ref(CONTACT, "alerts")) is None
    assert contact_from_ref("ZD-123") is None
    long = "contact-anon-" + "x" * 300
    assert len(contact_ref(long)) <= 255 and contact_from_ref(contact_ref(long)) is None
    assert key_marker(f"{CONTACT}:r3") == f"desk:{CONTACT}:r3"
    assert len(key_marker("k" * 400)) <= 255


# ---------------------------------------------------------------- the SentStore


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[MemorySentStore | SqlSentStore]:
    if request.param == "memory":
        yield MemorySentStore()
        return
    url = (
        f"sqlite:///{tmp_path / 'sent.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("shop_postgres_url")
    )
    sql = SqlSentStore(url)
    metadata.drop_all(sql.engine)
    sql.create_all()
    yield sql
    metadata.drop_all(sql.engine)
    sql.close()


def test_the_first_record_of_a_key_wins(store: MemorySentStore | SqlSentStore) -> None:
    assert store.sent("k1") is None
    assert store.record("k1", "zendesk", CONTACT, "zendesk:1:2") == "zendesk:1:2"
    assert store.record("k1", "zendesk", CONTACT, "zendesk:1:3") == "zendesk:1:2"
    assert store.sent("k1") == "zendesk:1:2"
    store.record("k2", "smtp", CONTACT, "smtp:a")
    store.record("k3", "smtp", CONTACT, "smtp:b")
    store.record("k4", "smtp", "other", "smtp:c")
    assert store.history("smtp", CONTACT) == ["smtp:a", "smtp:b"]


def test_racing_workers_agree_on_one_outbox_id(store: MemorySentStore | SqlSentStore) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(
            pool.map(lambda n: store.record("race", "gorgias", CONTACT, f"g:{n}"), range(16))
        )
    assert len(set(ids)) == 1 and store.sent("race") == ids[0]


def test_tickets_are_remembered_and_forgotten(store: MemorySentStore | SqlSentStore) -> None:
    assert store.ticket("zendesk", "desk:c1") is None
    store.remember_ticket("zendesk", "desk:c1", "35436")
    store.remember_ticket("gorgias", "desk:c1", "12")
    assert store.ticket("zendesk", "desk:c1") == "35436"
    store.remember_ticket("zendesk", "desk:c1", "40000")  # a follow-up ticket
    assert store.ticket("zendesk", "desk:c1") == "40000"
    store.remember_ticket("zendesk", "desk:c1", None)
    assert store.ticket("zendesk", "desk:c1") is None
    assert store.ticket("gorgias", "desk:c1") == "12"
