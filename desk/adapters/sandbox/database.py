"""The sandbox shop's database: engine and sessions, one unit of work per call, and the
idempotency helper every port uses. Identities, tracking and order numbers are stored in
their normalised forms (``desk.identities``).

SQLite (a file, or ``sqlite://`` in memory) by default, PostgreSQL by URL. Each call is one
session and one transaction, serialised per process on SQLite.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, func, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from desk.adapters.sandbox.tables import Base, OrderRow, as_utc
from desk.identities import (
    normalise_order_number,
)
from desk.ports import NotFound

T = TypeVar("T")


def _order_keys(order_numbers: list[str]) -> list[str]:
    return [normalise_order_number(n) for n in order_numbers]


def _cents(amount: float) -> float:
    return round(float(amount), 2)


def _now() -> datetime:
    return datetime.now(UTC)


# ---------------------------------------------------------------- engine


def database_url(url: str) -> URL:
    """A bare ``postgresql://`` URL means psycopg 3, the driver this project ships."""
    parsed = make_url(url)
    if parsed.drivername in {"postgres", "postgresql"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _make_engine(url: URL) -> Engine:
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    options: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 30}}
    if url.database in (None, "", ":memory:"):
        # A memory database lives in one connection; every thread must share it.
        options["poolclass"] = StaticPool
    engine = create_engine(url, **options)
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_begin_immediate)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own BEGIN is deferred; hand transaction control to the "begin" hook.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    # Take the write lock up front: two deferred transactions that both read and then
    # write deadlock in SQLite and one fails with "database is locked" without waiting.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


# ---------------------------------------------------------------- sessions


class SandboxDatabase:
    """One SQL database and its units of work; each port's part of the shop builds on it."""

    def __init__(
        self,
        url: str = "sqlite://",
        *,
        clock_origin: datetime | None = None,
        clock_speed: float = 1.0,
    ) -> None:
        """``clock_speed`` > 1 makes the carriers' world run faster than the workflows' clock
        from ``clock_origin`` on: a demo whose timers are scaled by 1/N sees scans and search
        outcomes arrive N times faster, so both sides keep the same pace."""
        self.url = database_url(url)
        self._clock_origin = as_utc(clock_origin) if clock_origin else None
        self._clock_speed = clock_speed
        self.engine = _make_engine(self.url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer, and a memory database one connection that cannot carry
        # two threads' transactions at once: serialise this process's units of work.
        self._lock: threading.RLock | None = (
            threading.RLock() if self.url.get_backend_name() == "sqlite" else None
        )

    def create_all(self) -> None:
        """The tables, by the migrations: an empty database is built from nothing, an
        older one is brought to the newest revision keeping its rows."""
        from desk.adapters.sandbox import migrations

        migrations.upgrade(self.engine)

    def drop_all(self) -> None:
        from desk.adapters.sandbox import migrations

        for metadata in migrations.METADATA:
            metadata.drop_all(self.engine)
        with self.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """One session, one transaction: committed on success, rolled back on any error."""
        with self._serialised(), self._sessions() as session, session.begin():
            yield session

    def _serialised(self) -> AbstractContextManager[Any]:
        return self._lock if self._lock is not None else nullcontext()

    def _once(self, existing: Callable[[Session], T | None], create: Callable[[Session], T]) -> T:
        """The first result for a key. The read is a shortcut; the UNIQUE key decides."""
        try:
            with self.unit_of_work() as session:
                found = existing(session)
                return found if found is not None else create(session)
        except IntegrityError:
            with self.unit_of_work() as session:
                found = existing(session)
            if found is None:
                raise
            return found

    def table_counts(self) -> dict[str, int]:
        """Rows per table: a quick look at what a load or a run left behind."""
        with self.unit_of_work() as session:
            return {
                table.name: session.scalar(select(func.count()).select_from(table)) or 0
                for table in Base.metadata.sorted_tables
            }

    def _order_row(self, session: Session, number: str, for_update: bool = False) -> OrderRow:
        key = normalise_order_number(number)
        row = session.get(OrderRow, key, with_for_update=for_update)
        if row is None:
            raise NotFound(f"no order {key}")
        return row
