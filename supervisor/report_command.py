"""``desk report``: the report on stdout (a table, or JSON), and optionally an HTML page."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from temporalio.client import Client

from desk.adapters.wiring import open_store
from desk.config import Settings
from supervisor.report import build_report, parse_moment, render_html, render_text


async def run_report(
    client: Client,
    settings: Settings,
    *,
    since: str,
    until: str,
    as_json: bool = False,
    html_path: str | None = None,
    time_scale: float = 1.0,
    use_ledger: bool = True,
) -> int:
    now = datetime.now(UTC)
    try:
        start, end = parse_moment(since, now), parse_moment(until, now)
    except ValueError as err:
        print(f"desk: {err}", file=sys.stderr)
        return 2
    if end <= start:
        print(f"desk: --until ({end:%Y-%m-%d %H:%M}) is not after --since", file=sys.stderr)
        return 2
    ledger = open_store(settings) if use_ledger else None
    try:
        report = await build_report(client, start, end, ledger=ledger, time_scale=time_scale)
    finally:
        if ledger is not None:
            ledger.close()
    print(report.model_dump_json(indent=2) if as_json else render_text(report))
    if html_path:
        Path(html_path).write_text(render_html(report), encoding="utf-8")
        print(f"desk: report page written to {html_path}", file=sys.stderr)
    return 0
