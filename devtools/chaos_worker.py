"""The worker ``make chaos`` kills: a desk worker in its own process over the chaos shop.

    python -m devtools.chaos_worker ORIGIN_ISO TIME_SCALE

Settings come from the ``DESK_*`` environment the chaos run sets (Temporal address, task
queue, data dir, payload keys). The shop's carrier clock runs ``1 / TIME_SCALE`` times
faster from ``ORIGIN_ISO``, as in ``desk demo``. SQLite waits at most
``SQLITE_BUSY_TIMEOUT_MS`` for a lock here (the adapter's default is 30 s), so while the
chaos run holds the shop database's exclusive lock every activity that touches the shop
fails with "database is locked" and Temporal retries it, rather than all of them hanging.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime
from typing import Any

from sqlalchemy import event

from desk.adapters.sandbox import SandboxShop
from desk.config import PolicyConfig, Settings
from desk.data_converter import data_converter_for
from desk.logs import configure_logging
from desk.temporal_client import connect
from devtools.demo import demo_policy
from workers.worker import build_worker

SQLITE_BUSY_TIMEOUT_MS = 2000


def _short_busy_timeout(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


async def main(origin: datetime, time_scale: float) -> None:
    configure_logging()
    settings = Settings.from_env()
    policy = demo_policy(PolicyConfig(time_scale=time_scale))
    shop = SandboxShop(settings.shop_url, clock_origin=origin, clock_speed=1 / time_scale)
    if shop.url.get_backend_name() == "sqlite":
        event.listen(shop.engine, "connect", _short_busy_timeout)
    converter = data_converter_for(settings)
    while True:  # the dev server may be restarting as this worker starts
        try:
            client = await connect(settings, converter)
            break
        except Exception as err:  # noqa: BLE001 - any failure to connect is retried
            print(f"chaos worker: connect failed ({type(err).__name__}); retrying", flush=True)
            await asyncio.sleep(1)
    worker = build_worker(client, shop, settings.task_queue, policy)
    print("chaos worker: polling", flush=True)
    await worker.run()


if __name__ == "__main__":
    asyncio.run(main(datetime.fromisoformat(sys.argv[1]), float(sys.argv[2])))
