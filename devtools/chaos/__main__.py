"""``make chaos``: contacts through the embedded desk while its parts are knocked over.

    python -m devtools.chaos [--contacts N] [--kills N] [--outage-s S] ...

Runs the plan (devtools/chaos/, docs/chaos.md), prints the figures and exits 1 unless
nothing was lost and nothing duplicated, 2 if the run did not finish in its time limit.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from desk.config import Settings
from devtools.chaos.plan import ChaosPlan
from devtools.chaos.run import run_chaos


def main(argv: list[str] | None = None) -> None:
    import argparse

    p = argparse.ArgumentParser(prog="chaos", description=__doc__.splitlines()[0])
    p.add_argument("--contacts", type=int, default=ChaosPlan.contacts)
    p.add_argument("--traffic-s", type=float, default=ChaosPlan.traffic_s)
    p.add_argument("--max-working", type=int, default=ChaosPlan.max_working)
    p.add_argument("--workers", type=int, default=ChaosPlan.workers)
    p.add_argument("--kills", type=int, default=ChaosPlan.kills)
    p.add_argument("--server-restarts", type=int, default=ChaosPlan.server_restarts)
    p.add_argument("--shop-outages", type=int, default=ChaosPlan.shop_outages)
    p.add_argument("--outage-s", type=float, default=ChaosPlan.outage_s)
    p.add_argument("--time-limit-s", type=float, default=ChaosPlan.time_limit_s)
    p.add_argument("--data-dir", default=str(Path(Settings().data_dir) / "chaos"))
    p.add_argument(
        "--database-url",
        default=os.environ.get("DESK_CHAOS_DATABASE_URL"),
        help="PostgreSQL on 127.0.0.1 for the shop (a fresh database desk_chaos is made "
        "there; the outage is a proxy refusing connections); default SQLite",
    )
    args = p.parse_args(argv)
    plan = ChaosPlan(
        contacts=args.contacts,
        traffic_s=args.traffic_s,
        max_working=args.max_working,
        workers=args.workers,
        kills=args.kills,
        server_restarts=args.server_restarts,
        shop_outages=args.shop_outages,
        outage_s=args.outage_s,
        time_limit_s=args.time_limit_s,
    )
    code = asyncio.run(run_chaos(plan, Path(args.data_dir).resolve(), args.database_url))
    sys.stdout.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
