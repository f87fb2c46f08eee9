"""``desk console`` and ``desk console-password``; and the console as a part of ``desk up``."""

from __future__ import annotations

import getpass
import ipaddress
import sys
from typing import TextIO

import uvicorn
from temporalio.client import Client

from console.accounts import hash_password, load_accounts
from console.app import create_app
from console.data import Scans
from console.settings import ConsoleSettings
from desk.config import ConfigError, Settings
from desk.supervisors import SupervisorRegistry, registry_for
from starters.serving import api_server


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def check_console_settings(console: ConsoleSettings) -> None:
    """Refuse what would expose the console: off loopback it needs a fixed session secret
    and secure cookies (TLS in front), and a proxy header needs the proxies' addresses."""
    if console.proxy_header and not console.trusted_proxies:
        raise ConfigError(
            "DESK_CONSOLE_PROXY_HEADER needs DESK_CONSOLE_TRUSTED_PROXIES: the addresses of "
            "the proxies allowed to set it"
        )
    if not _loopback(console.host) and not console.secure_cookie:
        raise ConfigError(
            f"the console on {console.host} (beyond loopback) needs DESK_CONSOLE_SECURE_COOKIE="
            "true, served behind TLS"
        )


def console_server(
    client: Client,
    console: ConsoleSettings,
    registry: SupervisorRegistry,
    scans: Scans | None = None,
) -> tuple[uvicorn.Server, str]:
    """The console's server (not started) and its URL."""
    check_console_settings(console)
    accounts = load_accounts(console.accounts_file)
    app = create_app(client, console, accounts, registry, scans)
    server = api_server(app, console.host, console.port)
    # Live pages hold a stream open; shutting down must not wait on them for long.
    server.config.timeout_graceful_shutdown = 2
    return server, f"http://{console.host}:{console.port}"


def console_line(console: ConsoleSettings, url: str) -> str:
    accounts = load_accounts(console.accounts_file)
    if accounts.accounts:
        who = f"{len(accounts.accounts)} account(s) from {console.accounts_file}"
    else:
        who = "no accounts (DESK_CONSOLE_ACCOUNTS_FILE): nobody can sign in"
    if console.proxy_header:
        who += f"; {console.proxy_header} from {', '.join(console.trusted_proxies)}"
    return f"{url} ({who})"


async def run_console(settings: Settings) -> int:
    from desk.adapters.wiring import build_ports
    from desk.temporal_client import connect
    from starters.serving import serve, stop_event

    console = ConsoleSettings.from_env()
    registry = registry_for(settings)
    ports = build_ports(settings)
    client = await connect(settings)
    server, url = console_server(client, console, registry, Scans(ports.orders, ports.carriers))
    print(f"supervisor console on {console_line(console, url)}", file=sys.stderr)
    await serve(stop_event(), server=server)
    ports.close()
    return 0


def console_password(stdin: TextIO | None = None) -> int:
    """Print a hash for the accounts file: the password read without echo from a terminal,
    or the first line of standard input otherwise."""
    stdin = stdin or sys.stdin
    if stdin.isatty():
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            print("desk: the passwords differ", file=sys.stderr)
            return 2
    else:
        password = stdin.readline().rstrip("\r\n")
    if len(password) < 8:
        print("desk: a console password has at least 8 characters", file=sys.stderr)
        return 2
    print(hash_password(password))
    return 0
