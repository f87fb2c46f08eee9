"""``desk console`` and ``desk console-password``; and the console as a part of ``desk up``."""

from __future__ import annotations

import getpass
import secrets
import socket
import sys
from pathlib import Path
from typing import TextIO

import uvicorn
import yaml
from temporalio.client import Client

from console.accounts import Accounts, hash_password, load_accounts
from console.app import create_app
from console.data import Scans
from console.settings import ConsoleSettings
from desk.config import ConfigError, Settings
from desk.loopback import is_loopback
from desk.supervisors import SupervisorRegistry, registry_for
from starters.serving import api_server


def check_console_settings(console: ConsoleSettings) -> None:
    """Refuse what would expose the console: off loopback it needs a fixed session secret
    and secure cookies (TLS in front), and a proxy header needs the proxies' addresses."""
    if console.proxy_header and not console.trusted_proxies:
        raise ConfigError(
            "DESK_CONSOLE_PROXY_HEADER needs DESK_CONSOLE_TRUSTED_PROXIES: the addresses of "
            "the proxies allowed to set it"
        )
    if not is_loopback(console.host) and not console.secure_cookie:
        raise ConfigError(
            f"the console on {console.host} (beyond loopback) needs DESK_CONSOLE_SECURE_COOKIE="
            "true, served behind TLS"
        )


def console_server(
    client: Client,
    console: ConsoleSettings,
    registry: SupervisorRegistry,
    accounts: Accounts,
    scans: Scans | None = None,
) -> tuple[uvicorn.Server, str]:
    """The console's server (not started) and its URL."""
    check_console_settings(console)
    app = create_app(client, console, accounts, registry, scans)
    server = api_server(app, console.host, console.port)
    # Live pages hold a stream open; shutting down must not wait on them for long.
    server.config.timeout_graceful_shutdown = 2
    return server, f"http://{console.host}:{console.port}"


def embedded_console(
    client: Client,
    console: ConsoleSettings,
    registry: SupervisorRegistry,
    accounts: Accounts,
    scans: Scans | None = None,
) -> tuple[uvicorn.Server | None, str]:
    """The console as one part of ``desk up`` / ``desk demo``: its server and the line that
    says where it is; no server (and why) when its port is taken."""
    if not port_free(console.host, console.port):
        return None, f"not started: {console.host}:{console.port} is in use (DESK_CONSOLE_PORT)"
    server, url = console_server(client, console, registry, accounts, scans)
    return server, console_line(console, url, accounts)


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def accounts_path(settings: Settings, console: ConsoleSettings) -> Path:
    return Path(console.accounts_file or Path(settings.data_dir) / "console-accounts.yaml")


def accounts_for(settings: Settings, console: ConsoleSettings) -> Accounts:
    """The configured accounts; none configured and none in the data folder: nobody can
    sign in."""
    path = accounts_path(settings, console)
    if console.accounts_file is None and not path.is_file():
        return Accounts()
    return load_accounts(path)


def ensure_dev_account(
    settings: Settings, console: ConsoleSettings, supervisor_id: str
) -> tuple[Path, str] | None:
    """For the embedded default (``desk up`` with no accounts configured): an accounts file
    in the data folder with one account, the development supervisor, and a fresh password,
    returned to be shown once (only its hash is kept). None when accounts are configured
    or already there."""
    path = accounts_path(settings, console)
    if console.accounts_file is not None or path.exists():
        return None
    password = secrets.token_urlsafe(12)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(
        "# Created by `desk up`: who may sign into the supervisor console "
        "(`desk console-password` hashes a new password).\n"
        + yaml.safe_dump(
            {"accounts": [{"id": supervisor_id, "password": hash_password(password)}]},
            sort_keys=False,
        )
    )
    return path, password


def console_line(console: ConsoleSettings, url: str, accounts: Accounts) -> str:
    if accounts.accounts:
        who = f"{len(accounts.accounts)} account(s)"
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
    check_console_settings(console)
    registry = registry_for(settings)
    accounts = accounts_for(settings, console)
    ports = build_ports(settings)
    client = await connect(settings)
    scans = Scans(ports.orders, ports.carriers)
    server, url = console_server(client, console, registry, accounts, scans)
    print(f"supervisor console on {console_line(console, url, accounts)}", file=sys.stderr)
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
