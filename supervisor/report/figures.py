"""The report's figures from the contacts' facts (and the shop's ledger): pure, no I/O
but the ledger's read-outs."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from desk.models import CarrierCase, ContactState
from supervisor.report.model import (
    CarrierCases,
    ContactFacts,
    Durations,
    Ledger,
    Money,
    Report,
    Sla,
)

# ---------------------------------------------------------------- figures


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest rank: the smallest value with at least ``q`` of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _durations(values: list[float | None]) -> Durations:
    present = [v for v in values if v is not None]
    return Durations(
        count=len(present), p50_s=percentile(present, 0.5), p90_s=percentile(present, 0.9)
    )


def _count(values: Iterable[str | None]) -> dict[str, int]:
    return dict(Counter(v for v in values if v).most_common())


def _owner(key: str, rows: list[ContactFacts], at: datetime) -> ContactFacts | None:
    """The contact a ledger row's idempotency key (``<contact id>:...``) belongs to; a
    contact id used again later (a new contact about the same order) goes to the one that
    had begun by then."""
    candidates = [r for r in rows if key.startswith(f"{r.contact_id}:") and r.started_at <= at]
    return max(candidates, key=lambda r: r.started_at, default=None)


def _money(rows: list[ContactFacts], ledger: Ledger | None) -> Money:
    contacts_refunded = round(sum(r.refunded for r in rows), 2)
    contacts_reships = sum(r.reships for r in rows)
    if ledger is None:
        return Money(
            source="contacts",
            reships=contacts_reships,
            refunded=contacts_refunded,
            contacts_with_reship=sum(r.reships > 0 for r in rows),
            contacts_with_refund=sum(r.refunded > 0 for r in rows),
            contacts_refunded=contacts_refunded,
            contacts_reships=contacts_reships,
        )
    orders = sorted({r.order_number for r in rows if r.order_number})
    refunds = ledger.refunds(orders) if orders else []
    replacements = ledger.replacements(orders) if orders else []
    refunded_by: dict[str, float] = {}
    refunds_by: Counter[str] = Counter()
    reships_by: Counter[str] = Counter()
    reship_value = 0.0
    for refund in refunds:
        if owner := _owner(refund.key, rows, refund.created_at):
            refunded_by[owner.contact_id] = refunded_by.get(owner.contact_id, 0.0) + refund.amount
            refunds_by[owner.contact_id] += 1
    for replacement in replacements:
        if owner := _owner(replacement.key, rows, replacement.created_at):
            reships_by[owner.contact_id] += 1
            reship_value += sum(line.total for line in replacement.lines)
    for r in rows:
        r.refunds = refunds_by[r.contact_id]
    refunded = round(sum(refunded_by.values()), 2)
    reships = sum(reships_by.values())
    return Money(
        source="ledger",
        reships=reships,
        reship_value=round(reship_value, 2),
        refunds=sum(refunds_by.values()),
        refunded=refunded,
        contacts_with_reship=len(reships_by),
        contacts_with_refund=len(refunded_by),
        contacts_refunded=contacts_refunded,
        contacts_reships=contacts_reships,
        reconciled=abs(refunded - contacts_refunded) < 0.005 and reships == contacts_reships,
    )


def _carrier_cases(
    rows: list[ContactFacts], ledger: Ledger | None, as_of: datetime | None
) -> CarrierCases:
    with_case = [r for r in rows if r.carrier_case]
    cases: dict[str, CarrierCase] = {}
    if ledger is not None and with_case:
        cases = {c.case_number: c for c in ledger.carrier_cases(as_of)}
    by_carrier: Counter[str] = Counter()
    for r in with_case:
        case = cases.get(r.carrier_case or "")
        r.carrier_case_status = case.status if case else None
        if case:
            by_carrier[case.carrier.value] += 1
    return CarrierCases(
        filed=len(with_case),
        by_carrier=dict(by_carrier.most_common()),
        by_status=_count(r.carrier_case_status or "unknown" for r in with_case),
        contact_outcome=_count(r.resolution or r.state for r in with_case),
    )


def summarise(
    rows: list[ContactFacts],
    since: datetime,
    until: datetime,
    *,
    ledger: Ledger | None = None,
    carrier_as_of: datetime | None = None,
    time_scale: float = 1.0,
    now: datetime | None = None,
) -> Report:
    """The report's figures from the contacts' facts (and the ledger, when given)."""
    finished_states = {ContactState.resolved.value, ContactState.closed.value}
    finished = [r for r in rows if r.state in finished_states]
    autonomous = [r for r in finished if r.autonomous]
    escalated = [r for r in rows if r.escalation_reason]
    by_intent_channel: dict[str, dict[str, int]] = {}
    for r in rows:
        if r.channels:
            cell = by_intent_channel.setdefault(r.intent or "unknown", {})
            cell[r.channels[0]] = cell.get(r.channels[0], 0) + 1
    breached = [r for r in rows if r.sla_breaches]
    money = _money(rows, ledger)
    cases = _carrier_cases(rows, ledger, carrier_as_of)
    return Report(
        since=since,
        until=until,
        generated_at=now or datetime.now(UTC),
        time_scale=time_scale,
        contacts=len(rows),
        unread_snapshots=sum(not r.snapshot for r in rows),
        by_intent=_count(r.intent or "unknown" for r in rows),
        by_channel=_count(c for r in rows for c in r.channels),
        by_intent_channel=by_intent_channel,
        by_tier=_count(r.tier or "unknown" for r in rows),
        by_state=_count(r.state or "unknown" for r in rows),
        resolutions=_count(r.resolution for r in rows),
        finished=len(finished),
        autonomous=len(autonomous),
        autonomous_rate=round(len(autonomous) / len(rows), 4) if rows else 0.0,
        autonomous_rate_of_finished=round(len(autonomous) / len(finished), 4) if finished else 0.0,
        escalated=len(escalated),
        escalations_by_reason=_count(r.escalation_reason for r in escalated),
        awaiting_decision=sum(r.state == ContactState.escalated.value for r in rows),
        money=money,
        carrier_cases=cases,
        first_reply=_durations([r.first_reply_s for r in rows]),
        resolution=_durations([r.resolution_s for r in rows]),
        sla=Sla(
            breaches=sum(r.sla_breaches for r in rows),
            contacts_breached=len(breached),
            breached_by_tier=_count(r.tier or "unknown" for r in breached),
            still_in_breach=[
                r.contact_id for r in breached if r.state == ContactState.escalated.value
            ],
        ),
        rows=rows,
    )
