"""The chaos run, reduced: 30 contacts while the worker is SIGKILLed once, the dev server
restarted once on its database and the shop database locked once. Nothing may be lost and
no side effect happen twice (``make chaos`` runs the full 500; docs/chaos.md)."""

from __future__ import annotations

from pathlib import Path

from desk.adapters.sandbox import SandboxShop
from desk.models import ContactSnapshot, ContactState
from devtools.chaos import ChaosPlan, ChaosRun, _ledger_check, ok, render


async def test_chaos_reduced_loses_nothing_and_duplicates_nothing(tmp_path: Path) -> None:
    plan = ChaosPlan(
        contacts=30,
        traffic_s=20,
        kills=1,
        server_restarts=1,
        shop_outages=1,
        outage_s=6,
        outage_at=0.4,  # once the workers are busy with the first contacts
        time_limit_s=170,
        settle_quiet_s=4,
    )
    figures = await ChaosRun(plan, tmp_path / "chaos").run()
    print(render(figures, plan))
    assert (figures.kills, figures.server_restarts, figures.shop_outages) == (1, 1, 1)
    assert figures.contacts == 30
    assert figures.accepted == figures.messages
    assert figures.lost == 0, figures.problems
    assert figures.unsettled == 0, figures.problems
    assert figures.duplicated == 0, figures.problems
    assert figures.final + figures.waiting == figures.contacts
    assert figures.refunds + figures.replacements > 0  # money moved through the chaos
    assert figures.shop_errors > 0  # the locked database did refuse the worker
    assert ok(figures)


def test_the_ledger_check_counts_a_second_refund_and_a_reply_sent_twice(tmp_path: Path) -> None:
    """The check itself: a refund the contact does not know of and an extra reply count as
    duplicated side effects; a refund it believes in that the ledger lacks counts as lost."""
    from datetime import UTC, datetime

    from devtools.chaos_traffic import seed_chaos_shop

    shop = SandboxShop(f"sqlite:///{tmp_path / 'shop.db'}")
    shop.create_all()
    [contact] = seed_chaos_shop(shop, datetime.now(UTC), 1)
    order = contact.order_number
    assert order is not None
    cid = f"contact-order-{order}"
    shop.refund(order, 10.0, [], "test", f"{cid}:d1:refund")
    shop.refund(order, 10.0, [], "test", f"{cid}:d2:refund")  # a second decision's refund
    from desk.models import Channel, Reply

    reply = Reply(channel=Channel.email, to="x@example.com", body="hello")
    shop.send_reply(cid, reply, f"{cid}:r1")
    shop.send_reply(cid, reply, f"{cid}:r1")  # the same key: one row
    shop.send_reply(cid, reply, f"{cid}:r2")
    snap = ContactSnapshot(
        contact_id=cid, state=ContactState.closed, refund_total=10.0, replies_sent=1
    )
    duplicated, dups, lost = _ledger_check(shop, {cid: snap})
    assert duplicated == 2, dups
    assert lost == []
    believed = snap.model_copy(update={"refund_total": 30.0, "replies_sent": 2})
    duplicated, dups, lost = _ledger_check(shop, {cid: believed})
    assert duplicated == 0
    assert len(lost) == 1
    shop.close()
