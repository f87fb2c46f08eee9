"""``desk doctor``: is every configured part reachable with the credentials it was given?

One line per check, ``ok`` or ``FAIL`` with the reason (never a secret), exit 1 when any
failed. Checks: the settings and policy load, the payload keys, the workflow sandbox
setting, the supervisor registry, the desk's database (at the newest migration), each
configured adapter's credentials and reachability (its own cheap call), and Temporal.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable

from desk.adapters.sandbox import migrations
from desk.adapters.wiring import build_ports
from desk.config import PolicyConfig, Settings
from desk.data_converter import load_keyring
from desk.supervisors import registry_for
from desk.temporal_client import connect
from desk.temporal_config import temporal_address

TEMPORAL_TIMEOUT_S = 10.0


def _line(ok: bool, what: str, detail: str) -> str:
    return f"{'ok  ' if ok else 'FAIL'}  {what}: {detail}"


async def run_doctor(settings: Settings, policy: PolicyConfig) -> int:
    results: list[tuple[bool, str, str]] = []

    def check(what: str, call: Callable[[], str]) -> None:
        try:
            results.append((True, what, call()))
        except Exception as err:  # a check's failure is its report
            results.append((False, what, f"{type(err).__name__}: {err}"[:300]))

    check("policy", lambda: f"{len(PolicyConfig.model_fields)} settings valid")
    check("payload keys", lambda: ", ".join(load_keyring(settings).key_ids))
    check("workflow sandbox", _sandbox)
    check(
        "supervisors",
        lambda: (
            f"{len(registry_for(settings).supervisors)} in the registry"
            + ("" if registry_for(settings).supervisors else " (every decision will be refused)")
        ),
    )
    ports = None
    try:
        ports = build_ports(settings)
    except Exception as err:
        results.append((False, "adapters", f"{type(err).__name__}: {err}"[:300]))
    if ports is not None:
        store = ports.store
        check(
            "desk database migrations",
            lambda: f"at {migrations.current(store.engine)} (newest {migrations.head()})",
        )
        for what, call in ports.checks:
            check(what, call)
    await _temporal(settings, results)
    for ok, what, detail in results:
        print(_line(ok, what, detail))
    if ports is not None:
        ports.close()
    failed = [r for r in results if not r[0]]
    print(f"{len(results) - len(failed)} ok, {len(failed)} failed", file=sys.stderr)
    return 1 if failed else 0


def _sandbox() -> str:
    from workers.worker import WorkerTuning  # the worker's imports, only for this check

    sandbox = WorkerTuning().sandbox
    return sandbox + (
        " (the workflow package passed through; the tests run strict)"
        if sandbox == "fast"
        else " (the workflow code checked at run time)"
    )


async def _temporal(settings: Settings, results: list[tuple[bool, str, str]]) -> None:
    where = temporal_address(settings)

    async def reach() -> str:
        client = await connect(settings)  # the SDK asks the server for its system info
        return f"{where}, namespace {client.namespace}"

    attempt: Awaitable[str] = asyncio.wait_for(reach(), TEMPORAL_TIMEOUT_S)
    try:
        results.append((True, "temporal", await attempt))
    except Exception as err:
        results.append((False, "temporal", f"{where}: {type(err).__name__}: {err}"[:300]))
