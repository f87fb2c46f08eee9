"""The chaos run's report: the figures as a table, the problems found, and the verdict
(``PASS: 0 lost, 0 duplicated`` or ``FAIL``)."""

from __future__ import annotations

from devtools.chaos.checks import ok
from devtools.chaos.plan import ChaosPlan, Figures
from supervisor.report import table


def render(figures: Figures, plan: ChaosPlan) -> str:
    f = figures
    rows: list[list[object]] = [
        ["contacts", f.contacts, f"{f.messages} messages, {f.accepted} accepted by ingest"],
        [
            "kills",
            f.kills,
            f"a worker SIGKILLed and restarted, {plan.workers} in turn "
            f"({f.worker_exits} other exits)",
        ],
        ["restarts", f.server_restarts, "dev server stopped and started on its database"],
        [
            "shop outages",
            f.shop_outages,
            f"database unavailable {plan.outage_s:.0f}s each; {f.shop_errors} activity attempts "
            "refused",
        ],
        ["final", f.final, "contacts finished (resolved or closed)"],
        ["waiting", f.waiting, "contacts waiting as they should (customer, carrier, supervisor)"],
        ["lost", f.lost, "must be 0"],
        ["unsettled", f.unsettled, "still being worked when the time was up; must be 0"],
        ["duplicated", f.duplicated, "duplicated side effects; must be 0"],
        ["refunds", f.refunds, "ledger rows, one per decision"],
        ["replacements", f.replacements, "ledger rows, one per decision"],
        ["replies", f.replies, "outbox rows, one per reply key"],
        ["decisions", f.decisions, "decisions that refunded or reshipped (contact:dN keys)"],
    ]
    states = ", ".join(f"{k} {v}" for k, v in sorted(f.states.items()))
    lines = [
        "",
        "=== contact desk: chaos run ===",
        "",
        table(["", "count", ""], rows),
        "",
        f"contact states: {states}",
        f"ingest retries: {f.ingest_retries}; elapsed {f.elapsed_s:.0f}s",
    ]
    if f.problems:
        lines += ["", "problems:", *(f"  {p}" for p in f.problems[:40])]
    if ok(f):
        lines.append("PASS: 0 lost, 0 duplicated")
    elif f.unsettled and not (f.lost or f.duplicated):
        lines.append(
            f"FAIL: {f.unsettled} contacts still being worked at the time limit "
            f"({plan.time_limit_s:.0f}s): the machine is too slow or too busy for this run"
        )
    else:
        lines.append("FAIL")
    return "\n".join(lines)
