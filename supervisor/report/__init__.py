"""``desk report``: what the desk did for the contacts started in a window.

    report = await build_report(client, since, until, ledger=shop)
    print(render_text(report))          # or report.model_dump_json(), render_html(report)

- ``model``: the report's model (``Report``, ``ContactFacts``...) and the ``Ledger`` it reads;
- ``gather``: the contacts from Temporal (visibility, snapshots) and ``build_report``;
- ``figures``: the figures from the contacts' facts and the ledger (``summarise``), pure;
- ``text``: the plain-text report (``render_text``, ``table``, ``duration``);
- ``page``: the self-contained HTML page with its charts (``render_html``);
- ``window``: ``--since`` / ``--until`` as moments (``parse_moment``).
"""

from supervisor.report.figures import percentile, summarise
from supervisor.report.gather import (
    QUERY_TIMEOUT,
    build_report,
    contact_facts,
    facts_from_snapshot,
    gather_contacts,
    window_query,
    with_snapshot,
)
from supervisor.report.model import (
    CarrierCases,
    ContactFacts,
    Durations,
    Ledger,
    Money,
    Report,
    Sla,
)
from supervisor.report.page import CHARTS, render_charts, render_html
from supervisor.report.text import duration, render_text, scale_text, table
from supervisor.report.window import parse_moment

__all__ = [
    "CHARTS",
    "QUERY_TIMEOUT",
    "CarrierCases",
    "ContactFacts",
    "Durations",
    "Ledger",
    "Money",
    "Report",
    "Sla",
    "build_report",
    "contact_facts",
    "duration",
    "facts_from_snapshot",
    "gather_contacts",
    "parse_moment",
    "percentile",
    "render_charts",
    "render_html",
    "render_text",
    "scale_text",
    "summarise",
    "table",
    "window_query",
    "with_snapshot",
]
