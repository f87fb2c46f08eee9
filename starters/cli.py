"""``desk``: the one entry point for people.

desk up                      embedded Temporal + worker + ingest API, until Ctrl-C
desk demo [--once]           the whole desk with the demo shop and a stream of contacts
desk simulate [--contacts N] [--rate R] [--in-flight N] [--shop-size N] [--time-scale X]
              [--carrier-clock X] [--workers N] [--seed N] [--json FILE]
                             tier-1 traffic over a generated shop: throughput, first reply
desk worker | desk ingest    one part, against DESK_TEMPORAL_ADDRESS (cluster or Cloud)
desk doctor                  check keys, database, adapters' credentials and Temporal
desk scenario run PATH...    scenario files through the real workflow (time-skipping)
desk classify [TEXT]          intent, confidence, order numbers... as JSON lines
desk eval classifier          accuracy, precision/recall, confusion, calibration
desk eval actions             what real messages make the desk do, end to end
desk carrier tasks | filed   carrier searches a person files by hand (USPS), and their case numbers
desk carrier read --format usps|ups|fedex|easypost|aftership FILE
                             the desk's reading of a saved carrier tracking response (JSON)
desk escalations             the supervisors' queue
desk report [--since --until] [--json] [--html FILE]
                             what the desk did for the contacts started in a window
desk show CONTACT_ID         one contact's snapshot
desk decide CONTACT_ID approve|override|reject|take_over|close [--note ...] [...]
                             (as the operator DESK_OPERATOR_ID, signed with its key)
desk codec-server            the codec server: the Temporal UI and CLI read encrypted payloads
desk codec-key [--id ID]     a new payload encryption key, as ID:BASE64 for DESK_CODEC_KEYS
desk console                 the supervisor console (web, 127.0.0.1:8090; DESK_CONSOLE_*)
desk console-password        a password hash for the console's accounts file
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from desk.config import ConfigError, Settings, load_policy
from desk.logs import configure_logging
from desk.models import ResolutionKind, SupervisorAction


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="desk", description="The tier-1 contact desk on Temporal.")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="embedded Temporal dev server, worker and ingest API")
    demo = sub.add_parser("demo", help="run the whole desk on the demo shop with sample contacts")
    demo.add_argument("--once", action="store_true", help="exit after the report")
    demo.add_argument("--contacts", type=int, default=40, help="how many contacts to send")
    _simulate_parser(sub)
    sub.add_parser("worker", help="run a worker against the configured Temporal")
    sub.add_parser("doctor", help="check every configured part: keys, database, adapters, Temporal")
    sub.add_parser("ingest", help="run the ingest API against the configured Temporal")
    seed = sub.add_parser("seed", help="create the sandbox shop tables and load the demo shop")
    seed.add_argument("--fresh", action="store_true", help="drop existing shop data first")
    scenario = sub.add_parser("scenario", help="scenario files")
    scen_sub = scenario.add_subparsers(dest="scenario_command", required=True)
    run = scen_sub.add_parser("run", help="run scenario files or folders")
    run.add_argument("paths", nargs="+", metavar="FILE_OR_DIR")
    run.add_argument("--jobs", "-j", type=int, default=4, help="scenarios run at once")
    run.add_argument(
        "--histories",
        metavar="DIR",
        help="save each contact's workflow history as JSON (for replay tests)",
    )
    run.add_argument(
        "--record",
        metavar="DIR",
        help="write each scenario's behaviour fingerprint (replies, ledger, states) as JSON",
    )
    run.add_argument(
        "--vendors",
        action="store_true",
        help="through the production adapters (Shopify, USPS/UPS/FedEx/EasyPost, Zendesk) "
        "talking HTTP to the vendor fakes on 127.0.0.1",
    )
    classify = sub.add_parser(
        "classify", help="read messages: one as an argument, or JSON lines on standard input"
    )
    classify.add_argument("text", nargs="?", help="the message (default: JSON lines on stdin)")
    evaluate = sub.add_parser("eval", help="measure a component")
    evaluate.add_argument(
        "component",
        choices=["classifier", "actions"],
        help="classifier: how messages are read; actions: what they make the desk do, end to "
        "end (a few minutes)",
    )
    evaluate.add_argument(
        "--which",
        choices=["desk", "model", "rules", "llm"],
        default="desk",
        help="desk: the classifier the desk uses (model and rules together); "
        "llm: the optional LLM reader (DESK_CLASSIFIER=llm)",
    )
    evaluate.add_argument(
        "--set",
        dest="which_set",
        choices=["synthetic", "real", "both"],
        default="both",
        help="the synthetic corpus's held-out templates, the real set's held-out part, or both",
    )
    carrier = sub.add_parser("carrier", help="carrier searches a person files by hand")
    carrier_sub = carrier.add_subparsers(dest="carrier_command", required=True)
    carrier_sub.add_parser("tasks", help="searches prepared for a person to file (JSON lines)")
    filed = carrier_sub.add_parser(
        "filed", help="record the carrier's case number of a filed search on its contact"
    )
    filed.add_argument("task_id", help="the task (TASK-<n>) from `desk carrier tasks`")
    filed.add_argument("case_number", help="the carrier's case number")
    filed.add_argument("--by", required=True, help="who filed it (recorded on the contact)")
    read = carrier_sub.add_parser(
        "read", help="the desk's reading of a saved carrier tracking response (JSON)"
    )
    read.add_argument(
        "--format",
        dest="fmt",
        required=True,
        choices=["usps", "ups", "fedex", "easypost", "aftership"],
    )
    read.add_argument("file", help="the vendor's tracking response, saved as JSON")
    read.add_argument("--now", help="read it as of this ISO time (default: now)")
    read.add_argument("--lat", type=float, help="the delivery address's latitude (GPS proof)")
    read.add_argument("--lon", type=float, help="the delivery address's longitude")
    sub.add_parser("escalations", help="list escalated contacts (the supervisor queue)")
    report = sub.add_parser(
        "report",
        help="contacts started in a window: intents, channels, autonomous rate, escalations, "
        "money, carrier cases, time to reply and resolve, SLA breaches",
    )
    report.add_argument(
        "--since",
        default="24h",
        help="ISO date or time (UTC unless given), 'today', or a time ago: 90m, 24h, 7d "
        "(default 24h)",
    )
    report.add_argument("--until", default="now", help="as --since (default now)")
    report.add_argument("--json", action="store_true", help="the report as JSON on stdout")
    report.add_argument(
        "--html", metavar="FILE", help="also write a self-contained page with charts to FILE"
    )
    report.add_argument(
        "--time-scale",
        type=float,
        help="the timers' scale of the contacts reported (default the policy's, "
        "DESK_TIME_SCALE): durations are shown in policy time",
    )
    report.add_argument(
        "--no-ledger",
        action="store_true",
        help="count reships, refunds and carrier cases from the contacts' own records "
        "instead of the shop's ledger (DESK_DATABASE_URL)",
    )
    show = sub.add_parser("show", help="print a contact's snapshot as JSON")
    show.add_argument("contact_id")
    decide = sub.add_parser("decide", help="a supervisor decision on an escalated contact")
    decide.add_argument("contact_id")
    decide.add_argument("action", choices=[a.value for a in SupervisorAction])
    decide.add_argument("--note", default="", help="why (recorded; sent to the customer on reject)")
    decide.add_argument("--resolution", choices=[r.value for r in ResolutionKind])
    decide.add_argument("--amount", type=float)
    sub.add_parser(
        "codec-server",
        help="serve Temporal's codec-server protocol so the UI and CLI decrypt payloads",
    )
    sub.add_parser("console", help="serve the supervisor console (DESK_CONSOLE_* settings)")
    sub.add_parser(
        "console-password",
        help="print a password hash for the console's accounts file (read without echo, or "
        "from standard input)",
    )
    key = sub.add_parser("codec-key", help="print a new payload key as ID:BASE64")
    key.add_argument("--id", help="the key's id (default key-<year>-<month>)")
    return p


def _simulate_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sim = sub.add_parser(
        "simulate", help="tier-1 traffic over a generated shop, with a closing report"
    )
    sim.add_argument("--contacts", type=int, default=300, help="contacts to send")
    sim.add_argument(
        "--rate", type=float, help="arrivals a second (open loop); default: as fast as possible"
    )
    sim.add_argument("--in-flight", type=int, default=50, help="unsettled contacts at once")
    sim.add_argument("--shop-size", type=int, help="orders in the generated shop")
    sim.add_argument("--time-scale", type=float, default=1e-4, help="multiplies every timer")
    sim.add_argument(
        "--carrier-clock",
        type=float,
        help="how many times faster than real time the carriers' scans move (default: the "
        "timers' pace; 1 keeps parcels in transit in transit)",
    )
    sim.add_argument("--workers", type=int, default=1, help="worker processes")
    sim.add_argument("--seed", type=int, default=7)
    sim.add_argument("--json", metavar="FILE", help="also write the report as JSON")


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    configure_logging()
    try:
        code = asyncio.run(_dispatch(args))
    except ConfigError as err:
        print(f"desk: {err}", file=sys.stderr)
        code = 2
    except KeyboardInterrupt:
        code = 130
    observability = sys.modules.get("desk.observability")
    if observability is not None:  # DESK_TRACING: the last spans, before an exit skipping atexit
        observability.flush_tracing()
    # The Temporal client's native runtime can abort the interpreter's teardown (seen as
    # SIGABRT after a command had finished); everything is done and flushed by now.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


async def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "scenario":
        from pathlib import Path

        from devtools.scenarios.runner import run_all

        history_dir = Path(args.histories) if args.histories else None
        record_dir = Path(args.record) if args.record else None
        return await run_all(
            args.paths,
            args.jobs,
            history_dir=history_dir,
            record_dir=record_dir,
            vendors=args.vendors,
        )
    if args.command == "codec-key":
        from datetime import UTC, datetime

        from desk.codec import new_key, parse_keys

        entry = f"{args.id or f'key-{datetime.now(UTC):%Y-%m}'}:{new_key()}"
        try:
            parse_keys(entry, "--id")
        except ValueError as err:
            raise ConfigError(str(err)) from None
        print(entry)
        return 0
    if args.command == "eval" and args.component == "actions":
        from devtools.action_eval import run_action_eval

        return await run_action_eval(args.which_set)
    if args.command == "eval":
        from devtools.classifier_training.evaluation import report_text

        print(report_text(args.which, args.which_set))
        return 0
    if args.command == "carrier" and args.carrier_command == "read":
        from devtools.carrier_read import carrier_read_command

        return carrier_read_command(args.fmt, args.file, args.now, args.lat, args.lon)
    if args.command == "console-password":
        from console.serve import console_password

        return console_password()
    settings = Settings.from_env()
    if args.command == "console":
        from console.serve import run_console

        return await run_console(settings)
    if args.command == "classify":
        from desk.classifier.choice import build_classifier
        from starters.classify_command import run_classify

        return run_classify(args.text, build_classifier(settings))
    if args.command == "codec-server":
        from starters.codec_server import run_codec_server

        return await run_codec_server(settings)
    policy = load_policy()
    if args.command == "up":
        from starters.desk_up import run_up

        return await run_up(settings, policy)
    if args.command == "demo":
        from devtools.demo import run_demo

        return await run_demo(settings, policy, once=args.once, contacts=args.contacts)
    if args.command == "simulate":
        from pathlib import Path

        from devtools.simulate import SimOptions, run_simulate

        options = SimOptions(
            contacts=args.contacts,
            rate=args.rate,
            in_flight=args.in_flight,
            shop_size=args.shop_size,
            time_scale=args.time_scale,
            carrier_clock=args.carrier_clock,
            workers=args.workers,
            seed=args.seed,
            data_dir=str(Path(settings.data_dir) / "simulate"),
        )
        return await run_simulate(options, args.json)
    if args.command == "doctor":
        from starters.doctor import run_doctor

        return await run_doctor(settings, policy)
    if args.command == "worker":
        from starters.desk_up import run_worker

        return await run_worker(settings, policy)
    if args.command == "ingest":
        from starters.desk_up import run_ingest

        return await run_ingest(settings)
    if args.command == "seed":
        from starters.desk_up import seed_shop

        return seed_shop(settings, fresh=args.fresh)
    return await _supervise(args, settings)


async def _supervise(args: argparse.Namespace, settings: Settings) -> int:
    from desk.temporal_client import connect
    from supervisor import commands

    operator = None
    if args.command == "decide":
        from desk.supervisors import operator_credentials

        operator = operator_credentials(settings)  # before connecting: a config error is exit 2
    if args.command == "carrier" and args.carrier_command == "tasks":
        return commands.carrier_tasks(settings)
    client = await connect(settings)
    if args.command == "carrier":
        return await commands.carrier_filed(
            client, settings, args.task_id, args.case_number, by=args.by
        )
    if args.command == "escalations":
        return await commands.escalations(client)
    if args.command == "report":
        from supervisor.report_command import run_report

        return await run_report(
            client,
            settings,
            since=args.since,
            until=args.until,
            as_json=args.json,
            html_path=args.html,
            time_scale=args.time_scale if args.time_scale else load_policy().time_scale,
            use_ledger=not args.no_ledger,
        )
    if args.command == "show":
        return await commands.show(client, args.contact_id)
    assert operator is not None
    return await commands.decide(
        client,
        args.contact_id,
        args.action,
        operator=operator,
        note=args.note,
        resolution=args.resolution,
        amount=args.amount,
    )


if __name__ == "__main__":
    main()
