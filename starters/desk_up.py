"""``desk up``, ``desk worker``, ``desk ingest``, ``desk seed``: the desk's processes."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from console.data import Scans
from console.serve import accounts_for, check_console_settings, embedded_console, ensure_dev_account
from console.settings import ConsoleSettings
from desk.adapters.wiring import build_ports, open_store
from desk.classifier.choice import build_classifier
from desk.config import PolicyConfig, Settings
from desk.data_converter import data_converter_for, load_keyring
from desk.observability import contacts_gauge, metrics_runtime
from desk.supervisors import (
    DEV_SUPERVISOR,
    SupervisorRegistry,
    ensure_dev_registry,
    registry_for,
)
from desk.temporal_client import connect
from desk.temporal_config import temporal_address
from devtools.demo_shop import seed_demo_shop
from devtools.embedded_temporal import start_embedded_temporal
from ingest.app import create_app
from ingest.exposure import announce, channel_summary, check_ingest_settings
from starters.codec_server import embedded_codec_server, sign_in_hint
from starters.serving import api_server, serve, stop_event
from workers.worker import WorkerTuning, build_worker


def ingest_preflight(settings: Settings) -> None:
    """Before anything starts: refuse settings ingest must not serve (``ConfigError``, exit
    2 with the reason), and say loudly when development mode is on."""
    check_ingest_settings(settings)
    announce(settings)


async def run_up(settings: Settings, policy: PolicyConfig) -> int:
    ingest_preflight(settings)
    tuning = WorkerTuning()  # DESK_WORKFLOW_SANDBOX checked before anything starts
    ports = build_ports(settings)
    shop = ports.store
    sandbox_shop = ports.orders is shop
    if (
        sandbox_shop
        and settings.database_url is None
        and shop.table_counts().get("customers", 0) == 0
    ):
        # The embedded default: a newcomer's first message should find a shop to match.
        seed_demo_shop(shop, datetime.now(UTC))
        print(f"seeded the demo shop into {settings.shop_url}", file=sys.stderr)
    created = ensure_dev_registry(settings)
    if created is not None:
        print(
            f"created the supervisor registry {created}: `desk decide` on this machine "
            f"decides as {DEV_SUPERVISOR} (manager)",
            file=sys.stderr,
        )
    supervisors = _supervisors(settings)
    console = ConsoleSettings.from_env()
    check_console_settings(console)
    dev_registry = settings.supervisors_file is None and supervisors.find(DEV_SUPERVISOR)
    if dev_registry and (dev := ensure_dev_account(settings, console, DEV_SUPERVISOR)):
        print(
            f"created the console's accounts {dev[0]}: sign in as {DEV_SUPERVISOR} with "
            f"password {dev[1]} (shown once)",
            file=sys.stderr,
        )
    accounts = accounts_for(settings, console)
    stop = stop_event()
    keyring = load_keyring(settings)
    converter = data_converter_for(settings)
    codec_server, codec_url = embedded_codec_server(settings, keyring)
    async with start_embedded_temporal(
        settings, codec_endpoint=codec_url, data_converter=converter
    ) as temporal:
        client = await connect(temporal.settings, converter, runtime=metrics_runtime(settings))
        worker = build_worker(
            client,
            ports,
            settings.task_queue,
            policy,
            classifier=build_classifier(settings),
            supervisors=supervisors,
            tuning=tuning,
        )
        server = api_server(
            create_app(client, settings), settings.ingest_host, settings.ingest_port
        )
        console_part, console_url = embedded_console(
            client, console, supervisors, accounts, Scans(ports.orders, ports.carriers)
        )
        channels = "".join(f"\n    {line}" for line in channel_summary(settings))
        codec_line = (
            f"{codec_url}\n    {sign_in_hint(settings, keyring)}"
            if codec_url
            else "not running: the UI shows payloads encrypted"
        )
        print(
            f"desk is up\n  Temporal UI   http://127.0.0.1:{settings.ui_port}\n"
            f"  ingest API    http://{settings.ingest_host}:{settings.ingest_port}/docs\n"
            f"  channels{channels}\n"
            f"  codec server  {codec_line}\n"
            f"  console       {console_url}\n"
            f"  shop database {settings.shop_url}\n"
            f"  payload keys  {', '.join(keyring.key_ids)} ({keyring.source})\n"
            + _metrics_lines(settings)
            + "Ctrl-C stops everything.",
            file=sys.stderr,
        )
        async with contacts_gauge(client, settings):
            await serve(
                stop,
                worker=worker,
                server=server,
                more_servers=[s for s in (codec_server, console_part) if s is not None],
            )
    ports.close()
    return 0


async def run_worker(settings: Settings, policy: PolicyConfig) -> int:
    tuning = WorkerTuning()
    ports = build_ports(settings)
    supervisors = _supervisors(settings)
    client = await connect(settings, runtime=metrics_runtime(settings))
    print(
        f"worker on task queue {settings.task_queue} at {temporal_address(settings)}"
        f" ({tuning.sandbox} workflow sandbox)",
        file=sys.stderr,
    )
    async with contacts_gauge(client, settings):
        await serve(
            stop_event(),
            worker=build_worker(
                client,
                ports,
                settings.task_queue,
                policy,
                classifier=build_classifier(settings),
                supervisors=supervisors,
                tuning=tuning,
            ),
        )
    ports.close()
    return 0


def _metrics_lines(settings: Settings) -> str:
    """Where the metrics are, when they are on (docs/observability.md)."""
    lines = ""
    if settings.metrics_port is not None:
        lines += f"  metrics       http://{settings.metrics_host}:{settings.metrics_port}/metrics\n"
    if settings.ingest_metrics:
        lines += f"  ingest metrics http://{settings.ingest_host}:{settings.ingest_port}/metrics\n"
    return lines


def _supervisors(settings: Settings) -> SupervisorRegistry:
    registry = registry_for(settings)
    if not registry.supervisors:
        print(
            "no supervisors configured (DESK_SUPERVISORS_FILE): every supervisor decision "
            "will be refused",
            file=sys.stderr,
        )
    return registry


async def run_ingest(settings: Settings) -> int:
    ingest_preflight(settings)
    client = await connect(settings)
    server = api_server(create_app(client, settings), settings.ingest_host, settings.ingest_port)
    print(
        f"ingest API on http://{settings.ingest_host}:{settings.ingest_port} for "
        f"{temporal_address(settings)}"
        + "".join(f"\n  {line}" for line in channel_summary(settings)),
        file=sys.stderr,
    )
    await serve(stop_event(), server=server)
    return 0


def seed_shop(settings: Settings, fresh: bool) -> int:
    shop = open_store(settings)
    if fresh:
        shop.drop_all()
        shop.create_all()
    summary = seed_demo_shop(shop, datetime.now(UTC))
    print(summary.model_dump_json(indent=2, exclude={"contacts"}))
    shop.close()
    return 0
