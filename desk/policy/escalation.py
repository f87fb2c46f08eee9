"""POLICY.md "Escalation": the SLA per tier and the ladder of reminders when it is missed."""

from __future__ import annotations

from desk.config import PolicyConfig
from desk.models import Customer, Tier


def sla_hours(customer: Customer | None, cfg: PolicyConfig) -> float:
    """Rule 2: the tier's SLA (a contact with no customer yet counts as standard)."""
    tier = customer.tier if customer else Tier.standard
    return cfg.escalation_sla_hours[tier]


def first_level(level: int) -> int:
    """Rule 1: an escalation starts at level 1 (or stays where an earlier one left it)."""
    return max(level, 1)


def reminder_wait_hours(level: int, sla: float, cfg: PolicyConfig) -> float:
    """Rule 4: remind every SLA period; past the top level, reminders slow to
    ``escalation_slow_reminder_hours``, since a contact may wait on a person for weeks
    and its history must not fill with timers."""
    if level < cfg.escalation_top_level:
        return sla
    return max(sla, cfg.escalation_slow_reminder_hours)


def next_level(level: int, cfg: PolicyConfig) -> int:
    """Rule 4: a missed SLA raises the level, up to the top (team, lead, manager)."""
    return min(level + 1, cfg.escalation_top_level)


def holding_reply_due(breaches: int, cfg: PolicyConfig) -> bool:
    """Rule 4: the customer hears about a late specialist at most ``holding_replies_max``
    times, so a long wait does not flood them."""
    return breaches <= cfg.holding_replies_max
