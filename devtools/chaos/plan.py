"""The chaos run's plan (how many contacts, which faults, how long), the figures it counts,
and its progress lines (on stderr)."""

from __future__ import annotations

import sys
import time
from collections import Counter
from dataclasses import dataclass, field

from devtools.demo import DEMO_TIME_SCALE


@dataclass(frozen=True)
class ChaosPlan:
    contacts: int = 500
    traffic_s: float = 60.0  # first messages no faster than contacts / traffic_s a second
    max_working: int = 100  # nor while this many intakes and contacts are being worked
    workers: int = 2  # worker processes on the task queue; the kills take them in turn
    kills: int = 5
    server_restarts: int = 2
    shop_outages: int = 1
    outage_s: float = 25.0
    outage_at: float = 0.1  # the first outage once this share of the contacts is sent
    time_limit_s: float = 1200.0
    settle_quiet_s: float = 10.0
    time_scale: float = DEMO_TIME_SCALE
    seed: int = 11


@dataclass
class Figures:
    contacts: int = 0
    messages: int = 0
    accepted: int = 0
    ingest_retries: int = 0
    kills: int = 0
    worker_exits: int = 0  # exits this run did not cause
    server_restarts: int = 0
    shop_outages: int = 0
    shop_errors: int = 0  # activity attempts the locked shop database refused
    final: int = 0
    waiting: int = 0
    lost: int = 0
    unsettled: int = 0  # still reading or acting when the time was up: neither lost nor done
    duplicated: int = 0
    refunds: int = 0
    replacements: int = 0
    replies: int = 0
    decisions: int = 0
    states: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0


def _say(text: str) -> None:
    print(f"[chaos {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)
