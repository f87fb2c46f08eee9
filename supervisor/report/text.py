"""The report as plain text: tables of counts, shares and durations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from supervisor.report.model import Report

# ---------------------------------------------------------------- plain text


def scale_text(time_scale: float) -> str:
    """``1/17280`` rather than ``5.78704e-05``."""
    if time_scale < 1 and abs(1 / time_scale - round(1 / time_scale)) < 1e-6:
        return f"1/{round(1 / time_scale)}"
    return f"{time_scale:g}"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table: left-aligned text, right-aligned numbers."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    numeric = []
    for i in range(len(headers)):
        column = [row[i] for row in cells[1:] if row[i]]
        numeric.append(bool(column) and all(_numberish(c) for c in column))

    def line(row: Sequence[str]) -> str:
        parts = [
            c.rjust(w) if num else c.ljust(w)
            for c, w, num in zip(row, widths, numeric, strict=True)
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


def _numberish(text: str) -> bool:
    return text.replace(".", "", 1).replace("%", "").replace(",", "").strip().isdigit()


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "—"


def _counts(title: str, counts: dict[str, int], total: int | None = None) -> str:
    if not counts:
        return f"{title}: none"
    rows = [[k, v, *([_pct(v, total)] if total is not None else [])] for k, v in counts.items()]
    headers = [title, "contacts", *(["share"] if total is not None else [])]
    return table(headers, rows)


def render_text(report: Report) -> str:
    r = report
    scale = (
        ""
        if r.time_scale == 1
        else f" (durations in policy time, time scale {scale_text(r.time_scale)})"
    )
    out = [
        f"contact desk report: contacts started {r.since:%Y-%m-%d %H:%M} – "
        f"{r.until:%Y-%m-%d %H:%M} UTC{scale}",
        "",
        table(
            ["", "contacts", "share"],
            [
                ["contacts", r.contacts, ""],
                ["finished (resolved or closed)", r.finished, _pct(r.finished, r.contacts)],
                ["resolved autonomously", r.autonomous, _pct(r.autonomous, r.contacts)],
                ["escalated (ever)", r.escalated, _pct(r.escalated, r.contacts)],
                ["awaiting a decision now", r.awaiting_decision, ""],
                ["with an SLA breach", r.sla.contacts_breached, ""],
            ],
        ),
        "",
        _counts("intent", r.by_intent, r.contacts),
        "",
        _intent_channel_table(r),
        "",
        _counts("channel (used)", r.by_channel, r.contacts),
        "",
        _counts("tier", r.by_tier, r.contacts),
        "",
        _counts("state", r.by_state, r.contacts),
        "",
        _counts("resolution", r.resolutions),
        "",
        _counts("escalation reason", r.escalations_by_reason),
        "",
        table(
            [f"money ({r.money.source})", "count", "amount"],
            [
                ["reships (replacement orders)", r.money.reships, f"{r.money.reship_value:.2f}"],
                ["refunds", r.money.refunds, f"{r.money.refunded:.2f}"],
            ],
        ),
    ]
    if r.money.reconciled is False:
        out.append(
            f"  ! the contacts' own records say {r.money.contacts_reships} reships and "
            f"{r.money.contacts_refunded:.2f} refunded"
        )
    cases = r.carrier_cases
    out += [
        "",
        f"carrier cases filed: {cases.filed}"
        + (
            " (" + ", ".join(f"{k} {v}" for k, v in cases.by_carrier.items()) + ")"
            if cases.by_carrier
            else ""
        ),
    ]
    if cases.filed:
        out += [
            _counts("case status", cases.by_status),
            "",
            _counts("contact outcome with a case", cases.contact_outcome),
        ]
    out += [
        "",
        table(
            ["time to", "contacts", "p50", "p90"],
            [
                [
                    "first reply",
                    r.first_reply.count,
                    duration(r.first_reply.p50_s),
                    duration(r.first_reply.p90_s),
                ],
                [
                    "resolution",
                    r.resolution.count,
                    duration(r.resolution.p50_s),
                    duration(r.resolution.p90_s),
                ],
            ],
        ),
        "",
        f"SLA breaches: {r.sla.breaches} in {r.sla.contacts_breached} contact(s)"
        + (
            " (" + ", ".join(f"{k} {v}" for k, v in r.sla.breached_by_tier.items()) + ")"
            if r.sla.breached_by_tier
            else ""
        ),
    ]
    if r.sla.still_in_breach:
        out.append("still waiting past the SLA: " + ", ".join(r.sla.still_in_breach))
    if r.unread_snapshots:
        out.append(
            f"\n{r.unread_snapshots} contact(s) counted from visibility only (their snapshot "
            "could not be read: no worker answering, or the run failed)"
        )
    return "\n".join(out)


def _intent_channel_table(r: Report) -> str:
    channels = sorted({c for cells in r.by_intent_channel.values() for c in cells})
    if not channels:
        return "intent × first channel: none"
    rows = [
        [intent, *(r.by_intent_channel.get(intent, {}).get(c, 0) for c in channels)]
        for intent in r.by_intent
        if intent in r.by_intent_channel
    ]
    return table(["intent × first channel", *channels], rows)
