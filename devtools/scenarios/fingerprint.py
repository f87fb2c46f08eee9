"""A scenario run's behaviour fingerprint: everything the desk did that a user would notice.

Used to prove that a change of structure changed no behaviour: record the fingerprints of
every scenario before and after (``desk scenario run ... --record DIR``) and diff the two
folders. A fingerprint holds the outcome, each contact's states, proposal, decisions and
the kinds of its timeline steps, and the shop's ledger: every reply's text, refund,
replacement, return label, carrier case, claim and supervisor alert.

Times are written as offsets from t0 (``t0+2d03:00``), inside reply texts too, and the
runner pins t0 to a Monday 09:00 UTC when recording, so two recordings made on different
days (ship-by dates count business days) compare equal when the desk behaved the same.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from desk.adapters.sandbox import SandboxShop
from desk.models import ContactSnapshot

# The two date formats of desk.reply_text (``when`` and ``day``).
_WHEN = re.compile(r"\b[A-Z][a-z]{2} \d{2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} UTC")
_DAY = re.compile(r"\b[A-Z][a-z]{2} \d{2} [A-Z][a-z]{2} \d{4}\b")


def pinned_t0(now: datetime) -> datetime:
    """The first Monday 09:00 UTC at least a day after ``now``."""
    base = (now + timedelta(days=1)).astimezone(UTC)
    monday = base.replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(
        days=(7 - base.weekday()) % 7
    )
    return monday if monday > base else monday + timedelta(days=7)


def offset(moment: datetime | None, t0: datetime) -> str | None:
    """``t0+1d02:30`` / ``t0-3d00:00``, to the minute."""
    if moment is None:
        return None
    seconds = round((moment - t0).total_seconds() / 60) * 60
    sign = "-" if seconds < 0 else "+"
    seconds = abs(seconds)
    days, rest = divmod(int(seconds), 86400)
    return f"t0{sign}{days}d{rest // 3600:02d}:{rest % 3600 // 60:02d}"


def _texts(text: str, t0: datetime) -> str:
    def when(m: re.Match[str]) -> str:
        moment = datetime.strptime(m.group(0), "%a %d %b %Y, %H:%M UTC").replace(tzinfo=UTC)
        return offset(moment, t0) or ""

    def day(m: re.Match[str]) -> str:
        moment = datetime.strptime(m.group(0), "%a %d %b %Y").replace(tzinfo=UTC)
        return f"day{(moment.date() - t0.date()).days:+d}"

    return _DAY.sub(day, _WHEN.sub(when, text))


def _contact(snap: ContactSnapshot, t0: datetime) -> dict[str, Any]:
    proposal = snap.proposed_resolution
    return {
        "contact": snap.contact_id,
        "state": snap.state.value,
        "intent": snap.intent.value if snap.intent else None,
        "tier": snap.tier.value if snap.tier else None,
        "order": snap.order_number,
        "channels": [c.value for c in snap.channels],
        "resolution": snap.resolution.value if snap.resolution else None,
        "autonomous": snap.autonomous,
        "escalation_reason": snap.escalation_reason.value if snap.escalation_reason else None,
        "escalation_level": snap.escalation_level,
        "escalated_at": offset(snap.escalated_at, t0),
        "proposal": None
        if proposal is None
        else proposal.model_dump(mode="json", exclude={"rule", "facts"}),
        "carrier_case": snap.carrier_case,
        "refund_total": snap.refund_total,
        "replacement_orders": snap.replacement_orders,
        "replies_sent": snap.replies_sent,
        # A signature and its date differ every run; who decided, in which role, does not.
        "decisions": [
            d.model_dump(mode="json", exclude={"signature", "issued_at"}) for d in snap.decisions
        ],
        "evidence": None
        if snap.evidence is None
        else {
            "status": snap.evidence.status,
            "proof": snap.evidence.proof,
            "late": snap.evidence.late,
            "stalled": snap.evidence.stalled,
        },
        # Steps by kind and actor; their wording (rule labels) is presentation.
        "timeline": [f"{offset(e.at, t0)} {e.kind} by {e.by}" for e in snap.timeline],
    }


def fingerprint(
    outcome: dict[str, Any],
    snaps: list[ContactSnapshot],
    shop: SandboxShop,
    t0: datetime,
    refused: list[str] | None = None,
) -> dict[str, Any]:
    contacts = [s.contact_id for s in snaps]
    numbers = sorted({s.order_number for s in snaps if s.order_number})
    customers = sorted({s.customer_id for s in snaps if s.customer_id})
    claims = []
    for cid in customers:
        customer = shop.find_customer_by_id(cid)
        for claim in customer.claims if customer else []:
            claims.append(f"{cid} {claim.kind.value} {offset(claim.at, t0)} {claim.contact_id}")
    return {
        "outcome": {
            k: v for k, v in outcome.items() if k not in ("seconds", "ok", "failed", "error")
        },
        "contacts": [_contact(s, t0) for s in snaps],
        "replies": {
            c: [
                {
                    "channel": m.channel.value,
                    "to": m.to,
                    "subject": m.subject,
                    "body": _texts(m.body, t0),
                    "key": m.key,
                }
                for m in shop.outbox(c)
            ]
            for c in contacts
        },
        "refunds": [
            {
                "order": r.order_number,
                "amount": r.amount,
                "key": r.key,
                "lines": [ln.model_dump(mode="json") for ln in r.lines],
            }
            for r in shop.refunds(numbers or None)
        ],
        "replacements": [
            {
                "order": r.original_order,
                "key": r.key,
                "service": r.service,
                "note": r.note,
                "lines": [ln.model_dump(mode="json") for ln in r.lines],
                "address": r.address.one_line(),
            }
            for r in shop.replacements(numbers or None)
        ],
        "return_labels": len(shop.return_labels(numbers or None)),
        "order_changes": [f"{n} {kind}" for n, kind in shop.order_changes(numbers or None)],
        "carrier_cases": [
            f"{c.kind} {c.tracking} {c.reason} filed {offset(c.filed_at, t0)}"
            for c in shop.carrier_cases(t0)
        ],
        "claims": claims,
        # Supervisor decisions a contact refused (the runner is their sender).
        "refused_decisions": refused or [],
        "alerts": {
            c: [f"L{level} {text}" for level, text in shop.supervisor_alerts(c)] for c in contacts
        },
    }
