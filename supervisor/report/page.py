"""The report as a self-contained HTML page: key figures, inline SVG charts (matplotlib,
imported only when a page is drawn) and the text report."""

from __future__ import annotations

import html
import io
import re
from typing import Any

from supervisor.report.model import Report
from supervisor.report.text import duration, render_text, scale_text

# ---------------------------------------------------------------- HTML with charts

CHARTS = (
    "contacts by intent",
    "contacts by channel",
    "outcomes",
    "escalations by reason",
    "time to first reply and to resolution",
    "carrier cases by status",
)


def _svg(fig: Any) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]  # inline: without the XML prolog and doctype
    return re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.S)


def _bar_chart(title: str, counts: dict[str, int], unit: str = "contacts") -> str:
    from matplotlib.figure import Figure

    labels = list(counts)[::-1]
    values = [counts[k] for k in labels]
    fig = Figure(figsize=(6.4, 0.45 * max(3, len(labels)) + 0.8))
    ax = fig.add_subplot()
    if labels:
        bars = ax.barh(labels, values, color="#4c72b0")
        ax.bar_label(bars, padding=3)
        ax.set_xlim(0, max(values) * 1.15 + 0.5)
    else:
        ax.text(0.5, 0.5, "none in this window", ha="center", va="center", transform=ax.transAxes)
        ax.set_yticks([])
    ax.set_xlabel(unit)
    ax.set_title(title, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


def _outcome_chart(r: Report) -> str:
    parts = {
        "resolved autonomously": r.autonomous,
        "finished by a supervisor": r.finished - r.autonomous,
        "awaiting a decision": r.awaiting_decision,
        "in progress": max(0, r.contacts - r.finished - r.awaiting_decision),
    }
    return _bar_chart(
        f"outcomes (autonomous rate {100 * r.autonomous_rate:.0f}%)",
        {k: v for k, v in parts.items()},
    )


def _duration_chart(r: Report) -> str:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 3.2))
    ax = fig.add_subplot()
    data = [
        [x / 3600 for x in (row.first_reply_s for row in r.rows) if x is not None],
        [x / 3600 for x in (row.resolution_s for row in r.rows) if x is not None],
    ]
    labels = ["first reply", "resolution"]
    shown = [(d, label) for d, label in zip(data, labels, strict=True) if d]
    if shown:
        ax.boxplot([d for d, _ in shown], orientation="horizontal", whis=(10, 90))
        ax.set_yticks(range(1, len(shown) + 1), [label for _, label in shown])
        ax.set_xlabel("hours" + ("" if r.time_scale == 1 else " (policy time)"))
    else:
        ax.text(0.5, 0.5, "none in this window", ha="center", va="center", transform=ax.transAxes)
        ax.set_yticks([])
    ax.set_title("time to first reply and to resolution (whiskers p10–p90)", loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


def render_charts(report: Report) -> list[tuple[str, str]]:
    """(title, inline SVG) for each chart of ``CHARTS``."""
    import matplotlib

    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: small, searchable
    matplotlib.rcParams["svg.hashsalt"] = "desk-report"  # the same report, the same page
    r = report
    return [
        (CHARTS[0], _bar_chart(CHARTS[0], r.by_intent)),
        (CHARTS[1], _bar_chart(CHARTS[1], r.by_channel)),
        (CHARTS[2], _outcome_chart(r)),
        (CHARTS[3], _bar_chart(CHARTS[3], r.escalations_by_reason)),
        (CHARTS[4], _duration_chart(r)),
        (CHARTS[5], _bar_chart(CHARTS[5], r.carrier_cases.by_status, unit="cases")),
    ]


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 70rem; color: #222; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
.kpis { display: flex; flex-wrap: wrap; gap: 1rem; }
.kpi { border: 1px solid #ddd; border-radius: 6px; padding: .6rem 1rem; min-width: 9rem; }
.kpi b { display: block; font-size: 1.5rem; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(28rem, 1fr)); gap: 1rem; }
figure { margin: 0; } figure svg { max-width: 100%; height: auto; }
pre { background: #f6f6f6; padding: 1rem; overflow-x: auto; }
"""


def render_html(report: Report) -> str:
    """A self-contained page: the key figures, one inline SVG chart each, and the text
    report. Nothing is loaded from anywhere."""
    r = report
    kpis = [
        ("contacts", str(r.contacts)),
        ("resolved autonomously", f"{100 * r.autonomous_rate:.0f}%"),
        ("escalated", str(r.escalated)),
        ("refunded", f"{r.money.refunded:.2f}"),
        ("reships", str(r.money.reships)),
        ("carrier cases", str(r.carrier_cases.filed)),
        ("first reply p50", duration(r.first_reply.p50_s)),
        ("resolution p50", duration(r.resolution.p50_s)),
        ("SLA breaches", str(r.sla.breaches)),
    ]
    figures = "\n".join(
        f'<figure aria-label="{html.escape(title)}">{svg}</figure>'
        for title, svg in render_charts(r)
    )
    kpi_html = "\n".join(
        f'<div class="kpi"><b>{html.escape(v)}</b>{html.escape(k)}</div>' for k, v in kpis
    )
    money_source = "the shop's ledger" if r.money.source == "ledger" else "the contacts' records"
    title = f"Contact desk report {r.since:%Y-%m-%d %H:%M} – {r.until:%Y-%m-%d %H:%M} UTC"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>{_STYLE}</style></head>
<body>
<h1>{html.escape(title)}</h1>
<p>Contacts started in the window, from Temporal visibility and the contacts' snapshots;
reships, refunds and carrier cases from {html.escape(money_source)}. Durations in
{"policy time (time scale " + scale_text(r.time_scale) + ")" if r.time_scale != 1 else "hours"}.
Generated {r.generated_at:%Y-%m-%d %H:%M} UTC.</p>
<div class="kpis">{kpi_html}</div>
<h2>Charts</h2>
<div class="charts">
{figures}
</div>
<h2>Tables</h2>
<pre>{html.escape(render_text(r))}</pre>
</body></html>
"""
