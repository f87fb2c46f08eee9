"""A static guard on the workflow code: no clock, randomness or I/O of its own.

Production workers pass the `workflows` package through the sandbox (workers/worker.py),
so there the sandbox no longer checks the workflow code at run time; the tests still run it
strict, but only on the paths the tests take. This check reads every line of the package,
taken or not: a workflow reads time through ``workflow.now()``, draws randomness and ids
through ``workflow.random()`` / ``workflow.uuid4()``, and reaches the world only through
activities.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "workflows"

# Modules whose use in workflow code is a clock, randomness, a process, a socket or a file.
FORBIDDEN_MODULES = {
    "random", "secrets", "time", "uuid", "os", "sys", "threading", "multiprocessing",
    "subprocess", "socket", "ssl", "select", "selectors", "signal", "io", "pathlib", "shutil",
    "tempfile", "glob", "sqlite3", "urllib", "http", "httpx", "requests", "aiohttp",
    "sqlalchemy", "psycopg", "logging", "structlog", "concurrent",
}  # fmt: skip
# Reads of the wall clock on the datetime module's classes.
CLOCK_READS = {"now", "utcnow", "today", "fromtimestamp", "utcfromtimestamp"}
CLOCK_OWNERS = {"datetime", "date"}
FORBIDDEN_CALLS = {"open", "print", "input", "breakpoint", "exec", "eval"}


def problems(source: str, filename: str = "<source>") -> list[str]:
    """What in ``source`` a workflow must not do, one line each (``file:line: what``)."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        where = f"{filename}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in FORBIDDEN_MODULES:
                    found.append(f"{where}: imports {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] in FORBIDDEN_MODULES:
                found.append(f"{where}: imports from {node.module}")
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in FORBIDDEN_CALLS:
                found.append(f"{where}: calls {func.id}()")
            elif (
                isinstance(func, ast.Attribute)
                and func.attr in CLOCK_READS
                and isinstance(func.value, ast.Name | ast.Attribute)
                and (func.value.id if isinstance(func.value, ast.Name) else func.value.attr)
                in CLOCK_OWNERS
            ):
                found.append(f"{where}: reads the wall clock ({func.attr}); use workflow.now()")
    return found


SOURCES = sorted(PACKAGE.rglob("*.py"))


def test_the_workflow_package_is_found() -> None:
    assert len(SOURCES) >= 15
    assert PACKAGE / "contact" / "workflow.py" in SOURCES


@pytest.mark.parametrize("path", SOURCES, ids=[str(p.relative_to(PACKAGE)) for p in SOURCES])
def test_workflow_code_has_no_clock_randomness_or_io(path: Path) -> None:
    assert problems(path.read_text(), str(path.relative_to(PACKAGE.parent))) == []


@pytest.mark.parametrize(
    ("line", "what"),
    [
        ("import random", "imports random"),
        ("from time import monotonic", "imports from time"),
        ("import os.path", "imports os.path"),
        ("from datetime import datetime\nx = datetime.now()", "reads the wall clock (now)"),
        ("import datetime\nx = datetime.date.today()", "reads the wall clock (today)"),
        ("import datetime\nx = datetime.datetime.utcnow()", "reads the wall clock (utcnow)"),
        ("data = open('f').read()", "calls open()"),
        ("import httpx", "imports httpx"),
    ],
)
def test_the_guard_catches_what_it_names(line: str, what: str) -> None:
    found = problems(line)
    assert len(found) == 1 and what in found[0], found


def test_the_guard_lets_the_workflow_api_through() -> None:
    allowed = (
        "from datetime import timedelta\n"
        "from temporalio import workflow\n"
        "t = workflow.now() + timedelta(hours=1)\n"
        "u = workflow.uuid4()\nr = workflow.random().random()\n"
        "def now(c):\n    return c.now()\n"
    )
    assert problems(allowed) == []
