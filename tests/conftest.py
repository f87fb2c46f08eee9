"""Shared fixtures. The sandbox-shop fixtures are named ``shop_*``.

PostgreSQL: a server on 127.0.0.1:5432 with trust auth and a database ``test`` (user
``postgres``, else ``root``), or whatever ``DESK_TEST_POSTGRES_URL`` points at. Each test
module gets a database of its own, dropped afterwards; the PostgreSQL parameter is skipped,
with the reason, when no server answers within two seconds.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from desk.adapters.sandbox import SandboxShop

# Every worker the tests start (and every worker process they spawn, which inherits this)
# runs the workflow code under the strict sandbox, which catches a non-deterministic call at
# run time; production workers default to the fast one (workers/worker.py).
os.environ.setdefault("DESK_WORKFLOW_SANDBOX", "strict")

_LOCAL_POSTGRES = (
    "postgresql://postgres@127.0.0.1:5432/test",
    "postgresql://root@127.0.0.1:5432/test",
)


def _libpq(url: str) -> str:
    """psycopg wants a plain libpq URL, without SQLAlchemy's ``+driver``."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _reachable_postgres() -> tuple[str | None, str]:
    configured = os.environ.get("DESK_TEST_POSTGRES_URL")
    candidates = [configured] if configured else list(_LOCAL_POSTGRES)
    problems = []
    for url in candidates:
        try:
            with psycopg.connect(_libpq(url), connect_timeout=2, autocommit=True):
                return url, ""
        except psycopg.Error as err:
            problems.append(f"{make_url(url).render_as_string()}: {str(err).strip()}")
    return None, "; ".join(problems)


@pytest.fixture(scope="session")
def shop_postgres_server() -> str:
    """A URL of the server's admin database; skips when no server answers."""
    url, why = _reachable_postgres()
    if url is None:
        pytest.skip(f"PostgreSQL not reachable (set DESK_TEST_POSTGRES_URL): {why}")
    return url


@pytest.fixture(scope="module")
def shop_postgres_url(shop_postgres_server: str) -> Iterator[str]:
    """A fresh database for this test module, as a SQLAlchemy URL; dropped afterwards."""
    name = f"desk_test_{secrets.token_hex(6)}"
    admin = _libpq(shop_postgres_server)
    with psycopg.connect(admin, connect_timeout=2, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        url = make_url(shop_postgres_server).set(drivername="postgresql+psycopg", database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, connect_timeout=2, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(params=["sqlite", "postgresql"])
def shop_sandbox(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SandboxShop]:
    """An empty sandbox shop with its tables, on a SQLite file and on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('shop') / 'shop.db'}"
    else:
        url = request.getfixturevalue("shop_postgres_url")
    shop = SandboxShop(url)
    # Tests in one module share the PostgreSQL database: start each from empty tables.
    shop.drop_all()
    shop.create_all()
    try:
        yield shop
    finally:
        shop.drop_all()
        shop.close()
