"""``desk demo``'s own parts: the policy at demo speed (bounded SLA reminders), the seeding
table, the progress bar (terminal and log) and the closing report."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from desk.adapters.sandbox import SandboxShop
from desk.config import PolicyConfig, load_policy
from desk.models import (
    Channel,
    ContactSnapshot,
    ContactState,
    EscalationReason,
    Intent,
    ResolutionKind,
    Tier,
    TimelineEntry,
)
from desk.policy import escalation as ladder
from devtools.demo import (
    CONSOLE_LINE,
    DEMO_TIME_SCALE,
    alerts_bound,
    demo_policy,
    demo_report,
    report,
    seeding_table,
)
from devtools.demo_shop import seed_demo_shop
from devtools.progress import Progress, bar_text

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _alerts_while_escalated(cfg: PolicyConfig, real_seconds: float, tier: Tier) -> int:
    """Supervisor alerts one contact left escalated makes in ``real_seconds``: the ladder
    of escalation.await_decision, with its timers scaled as waiting.py scales them."""
    sla = cfg.escalation_sla_hours[tier]
    level, elapsed, alerts = ladder.first_level(0), 0.0, 1  # the new-escalation alert
    while True:
        wait = ladder.reminder_wait_hours(level, sla, cfg) * 3600 * cfg.time_scale
        if elapsed + wait > real_seconds:
            return alerts
        elapsed += wait
        alerts += 1
        level = ladder.next_level(level, cfg)


def test_the_demo_bounds_sla_reminders() -> None:
    today = load_policy(env={}).model_copy(update={"time_scale": DEMO_TIME_SCALE})
    demo = demo_policy(load_policy(env={}))
    hour = 3600.0
    # Before: a vip contact left escalated for an hour of demo alerted ~700 times.
    assert _alerts_while_escalated(today, hour, Tier.vip) > 500
    for tier in Tier:
        for seconds in (10, 60, hour, 24 * hour):
            assert _alerts_while_escalated(demo, seconds, tier) <= alerts_bound(demo) == 3
    # The ladder is climbed as the policy says: a standard contact is reminded after its
    # 24 h SLA (5 s at demo speed) and again 24 h later, then no more.
    assert _alerts_while_escalated(demo, 4.9, Tier.standard) == 1
    assert _alerts_while_escalated(demo, 5.1, Tier.standard) == 2
    assert _alerts_while_escalated(demo, 10.1, Tier.standard) == 3


def test_demo_policy_keeps_what_was_set_explicitly() -> None:
    demo = demo_policy(PolicyConfig())
    assert demo.time_scale == DEMO_TIME_SCALE
    assert demo.escalation_slow_reminder_hours > 24 * 365
    # Everything else is POLICY.md's.
    same = {"time_scale", "escalation_slow_reminder_hours"}
    assert demo.model_dump(exclude=same) == PolicyConfig().model_dump(exclude=same)
    mine = PolicyConfig(time_scale=0.001, escalation_slow_reminder_hours=48)
    assert demo_policy(mine) == mine


def test_the_seeding_summary_is_a_short_table() -> None:
    shop = SandboxShop("sqlite://")
    shop.create_all()
    text = seeding_table(seed_demo_shop(shop, T0), sending=40)
    lines = text.splitlines()
    assert lines[0] == "demo shop seeded (seed 7):"
    assert len(lines) <= 16 and max(map(len, lines)) <= 100
    assert any(line.split()[:2] == ["customers", "40"] for line in lines)
    assert any(line.split()[:2] == ["orders", "300"] for line in lines)
    assert "{" not in text and "datetime" not in text  # not a dict
    shop.close()


def test_progress_in_a_log_writes_a_line_per_change() -> None:
    out = io.StringIO()
    bar = Progress("contacts", 4, stream=out, tty=False, every_s=0)
    bar.update(1, "resolved 1")
    bar.update(1, "resolved 1")  # nothing new: nothing written
    bar.update(3, "resolved 3")
    bar.finish(4, "settled")
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("contacts [######..................] 1/4  resolved 1")
    assert lines[-1].startswith("contacts [########################] 4/4  settled")
    assert "\r" not in out.getvalue()


def test_progress_in_a_terminal_redraws_one_line() -> None:
    out = io.StringIO()
    bar = Progress("messages", 2, stream=out, tty=True)
    bar.update(1, "a longer detail")
    bar.update(2, "short")
    bar.say("a note")
    bar.finish(2, "done")
    text = out.getvalue()
    assert text.count("\r") >= 3 and text.endswith("\n")
    assert "a note\n" in text
    assert bar_text(0, 0) == "[" + "." * 24 + "]"


def _snap(n: int, intent: Intent, state: ContactState, **kw: object) -> ContactSnapshot:
    at = T0 + timedelta(seconds=n)
    timeline = [
        TimelineEntry(at=at, kind="message", text="..."),
        TimelineEntry(at=at + timedelta(seconds=2), kind="reply", text="..."),
    ]
    if state in (ContactState.resolved, ContactState.closed):
        timeline.append(TimelineEntry(at=at + timedelta(seconds=10), kind="resolved", text=""))
    return ContactSnapshot(
        contact_id=f"contact-order-{n}",
        state=state,
        intent=intent,
        channels=[Channel.email],
        timeline=timeline,
        **kw,  # type: ignore[arg-type]
    )


def test_the_closing_report_is_a_table_and_points_to_the_console() -> None:
    shop = SandboxShop("sqlite://")
    shop.create_all()
    snaps = [
        _snap(1, Intent.where_is_my_order, ContactState.resolved, autonomous=True,
              resolution=ResolutionKind.info_only),
        _snap(2, Intent.where_is_my_order, ContactState.escalated, autonomous=False,
              escalation_reason=EscalationReason.fulfillment_delay),
        _snap(3, Intent.cancel_order, ContactState.resolved, autonomous=True,
              resolution=ResolutionKind.cancelled),
        _snap(4, Intent.delivered_not_received, ContactState.awaiting_carrier),
    ]  # fmt: skip
    summary = demo_report(snaps, shop, time_scale=DEMO_TIME_SCALE)
    text = report(summary, alerts=3, replies=4)
    lines = text.splitlines()
    assert "=== contact desk: demo report ===" in lines
    header = next(line for line in lines if line.startswith("intent "))
    assert header.split("  ")[0] == "intent" and "autonomous" in header
    total = next(line for line in lines if line.startswith("all "))
    assert total.split() == ["all", "4", "2", "0", "1", "1"]
    assert any(line.split()[:4] == ["resolved", "autonomously", "2", "of"] for line in lines)
    assert "supervisor alerts" in text and "(50%)" in text
    assert CONSOLE_LINE == "supervisor console: http://127.0.0.1:8090 (desk console)"
    shop.close()
