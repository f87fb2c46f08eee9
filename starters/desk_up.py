"""``desk up``, ``desk worker``, ``desk ingest``, ``desk seed``: the desk's processes."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from desk.adapters.sandbox import SandboxShop
from desk.classifier.choice import build_classifier
from desk.config import PolicyConfig, Settings
from desk.temporal_client import connect
from devtools.demo_shop import seed_demo_shop
from devtools.embedded_temporal import start_embedded_temporal
from ingest.app import create_app
from ingest.exposure import announce, channel_summary, check_ingest_settings
from starters.serving import api_server, serve, stop_event
from workers.worker import build_worker


def open_shop(settings: Settings) -> SandboxShop:
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)  # the default SQLite shop lives here
    shop = SandboxShop(settings.shop_url)
    shop.create_all()
    return shop


def ingest_preflight(settings: Settings) -> None:
    """Before anything starts: refuse settings ingest must not serve (``ConfigError``, exit
    2 with the reason), and say loudly when development mode is on."""
    check_ingest_settings(settings)
    announce(settings)


async def run_up(settings: Settings, policy: PolicyConfig) -> int:
    ingest_preflight(settings)
    shop = open_shop(settings)
    if settings.database_url is None and shop.table_counts().get("customers", 0) == 0:
        # The embedded default: a newcomer's first message should find a shop to match.
        seed_demo_shop(shop, datetime.now(UTC))
        print(f"seeded the demo shop into {settings.shop_url}", file=sys.stderr)
    stop = stop_event()
    async with start_embedded_temporal(settings) as temporal:
        client = await connect(temporal.settings)
        worker = build_worker(
            client, shop, settings.task_queue, policy, classifier=build_classifier(settings)
        )
        server = api_server(
            create_app(client, settings), settings.ingest_host, settings.ingest_port
        )
        channels = "".join(f"\n    {line}" for line in channel_summary(settings))
        print(
            f"desk is up\n  Temporal UI   http://127.0.0.1:{settings.ui_port}\n"
            f"  ingest API    http://{settings.ingest_host}:{settings.ingest_port}/docs\n"
            f"  channels{channels}\n"
            f"  shop database {settings.shop_url}\nCtrl-C stops everything.",
            file=sys.stderr,
        )
        await serve(stop, worker=worker, server=server)
    shop.close()
    return 0


async def run_worker(settings: Settings, policy: PolicyConfig) -> int:
    shop = open_shop(settings)
    client = await connect(settings)
    print(
        f"worker on task queue {settings.task_queue} at {settings.temporal_address}",
        file=sys.stderr,
    )
    await serve(
        stop_event(),
        worker=build_worker(
            client, shop, settings.task_queue, policy, classifier=build_classifier(settings)
        ),
    )
    shop.close()
    return 0


async def run_ingest(settings: Settings) -> int:
    ingest_preflight(settings)
    client = await connect(settings)
    server = api_server(create_app(client, settings), settings.ingest_host, settings.ingest_port)
    print(
        f"ingest API on http://{settings.ingest_host}:{settings.ingest_port} for "
        f"{settings.temporal_address}"
        + "".join(f"\n  {line}" for line in channel_summary(settings)),
        file=sys.stderr,
    )
    await serve(stop_event(), server=server)
    return 0


def seed_shop(settings: Settings, fresh: bool) -> int:
    shop = open_shop(settings)
    if fresh:
        shop.drop_all()
        shop.create_all()
    summary = seed_demo_shop(shop, datetime.now(UTC))
    print(summary.model_dump_json(indent=2, exclude={"contacts"}))
    shop.close()
    return 0
