"""The desk's own record of what the helpdesk adapters sent: one row per idempotency key.

Neither Zendesk's comment (a ticket update) nor Gorgias's message nor an SMTP submission is
idempotent, so the desk keeps its keys itself:

- ``sent(key)`` is asked first: a key already recorded returns its first outbox id and
  nothing is sent again (the activity's retry, a second worker, a replayed call);
- ``record(...)`` is written once the vendor has the message; the first record of a key
  wins (a UNIQUE key in SQL), so two racing workers agree on one outbox id;
- ``ticket`` / ``remember_ticket`` cache which vendor ticket holds a contact, saving a
  lookup per reply (the vendor's external id stays the truth: a cache miss asks it).

Between the vendor accepting a message and ``record`` there is a window (the worker dies,
the response is lost). The HTTP adapters close it on the vendor's side: each comment or
message carries the key's marker and is looked for before anything is posted. SMTP cannot
ask the receiving server; there the message's ``Message-ID`` is derived from the key, so
a resend in that window is the same message to the receiver (see ``smtp.py``).

``MemorySentStore`` is for tests and a single process; ``SqlSentStore`` keeps the record in
a SQL database (the desk's, or any SQLAlchemy URL) shared by every worker.
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    create_engine,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import StaticPool


@dataclass(frozen=True)
class SentRecord:
    key: str
    vendor: str
    contact_id: str
    outbox_id: str
    at: datetime


class SentStore(Protocol):
    def sent(self, key: str) -> str | None:
        """The outbox id recorded for ``key``, or None if nothing was recorded."""

    def record(self, key: str, vendor: str, contact_id: str, outbox_id: str) -> str:
        """Record that ``key`` was sent as ``outbox_id``; returns the first outbox id recorded
        for the key (this one, or an earlier one if another worker got there first)."""

    def history(self, vendor: str, contact_id: str) -> list[str]:
        """The outbox ids sent for a contact through ``vendor``, oldest first."""

    def ticket(self, vendor: str, contact_ref: str) -> str | None:
        """The vendor's ticket id remembered for this contact reference, if any."""

    def remember_ticket(self, vendor: str, contact_ref: str, ticket_id: str | None) -> None:
        """Remember (or, with None, forget) the ticket of a contact reference."""


class MemorySentStore:
    """The record in this process's memory: tests, and a single worker that accepts that a
    restart forgets (the vendor-side markers of Zendesk and Gorgias still hold)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sent: dict[str, SentRecord] = {}
        self._tickets: dict[tuple[str, str], str] = {}

    def sent(self, key: str) -> str | None:
        with self._lock:
            found = self._sent.get(key)
            return found.outbox_id if found else None

    def record(self, key: str, vendor: str, contact_id: str, outbox_id: str) -> str:
        with self._lock:
            found = self._sent.setdefault(
                key, SentRecord(key, vendor, contact_id, outbox_id, datetime.now(UTC))
            )
            return found.outbox_id

    def history(self, vendor: str, contact_id: str) -> list[str]:
        with self._lock:
            rows = [
                r for r in self._sent.values() if r.vendor == vendor and r.contact_id == contact_id
            ]
            return [r.outbox_id for r in rows]  # dicts keep insertion order

    def ticket(self, vendor: str, contact_ref: str) -> str | None:
        with self._lock:
            return self._tickets.get((vendor, contact_ref))

    def remember_ticket(self, vendor: str, contact_ref: str, ticket_id: str | None) -> None:
        with self._lock:
            if ticket_id is None:
                self._tickets.pop((vendor, contact_ref), None)
            else:
                self._tickets[(vendor, contact_ref)] = ticket_id

    def records(self) -> list[SentRecord]:
        with self._lock:
            return list(self._sent.values())


metadata = MetaData()

sent_table = Table(
    "helpdesk_sent",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(300), nullable=False, unique=True),
    Column("vendor", String(32), nullable=False),
    Column("contact_id", String(200), nullable=False, index=True),
    Column("outbox_id", String(300), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

tickets_table = Table(
    "helpdesk_tickets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("vendor", String(32), nullable=False),
    Column("contact_ref", String(300), nullable=False),
    Column("ticket_id", String(64), nullable=False),
    UniqueConstraint("vendor", "contact_ref", name="uq_helpdesk_ticket"),
)


class SqlSentStore:
    """The record in two tables of a SQL database (``helpdesk_sent``, ``helpdesk_tickets``),
    e.g. the desk's own (``DESK_DATABASE_URL``): every worker sees every key. The UNIQUE key
    decides between two workers recording one key at once. ``create_all()`` makes the
    tables if they are missing."""

    def __init__(self, url_or_engine: str | Engine) -> None:
        if isinstance(url_or_engine, Engine):
            self.engine = url_or_engine
        else:
            memory = url_or_engine in ("sqlite://", "sqlite:///:memory:")
            options: dict[str, object] = (
                {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
                if memory
                else {"pool_pre_ping": True}
            )
            self.engine = create_engine(url_or_engine, **options)  # type: ignore[arg-type]
        # SQLite has one writer (and a memory database one connection): serialise here.
        self._lock: AbstractContextManager[object] = (
            threading.Lock() if self.engine.dialect.name == "sqlite" else nullcontext()
        )

    def create_all(self) -> None:
        metadata.create_all(self.engine)

    def _locked(self) -> AbstractContextManager[object]:
        return self._lock

    def sent(self, key: str) -> str | None:
        with self._locked(), self.engine.connect() as conn:
            return conn.scalar(select(sent_table.c.outbox_id).where(sent_table.c.key == key))

    def record(self, key: str, vendor: str, contact_id: str, outbox_id: str) -> str:
        row = {
            "key": key,
            "vendor": vendor,
            "contact_id": contact_id,
            "outbox_id": outbox_id,
            "created_at": datetime.now(UTC),
        }
        try:
            with self._locked(), self.engine.begin() as conn:
                conn.execute(insert(sent_table).values(**row))
            return outbox_id
        except IntegrityError:
            first = self.sent(key)
            if first is None:
                raise
            return first

    def history(self, vendor: str, contact_id: str) -> list[str]:
        query = (
            select(sent_table.c.outbox_id)
            .where(sent_table.c.vendor == vendor, sent_table.c.contact_id == contact_id)
            .order_by(sent_table.c.id)
        )
        with self._locked(), self.engine.connect() as conn:
            return list(conn.scalars(query))

    def ticket(self, vendor: str, contact_ref: str) -> str | None:
        query = select(tickets_table.c.ticket_id).where(
            tickets_table.c.vendor == vendor, tickets_table.c.contact_ref == contact_ref
        )
        with self._locked(), self.engine.connect() as conn:
            return conn.scalar(query)

    def remember_ticket(self, vendor: str, contact_ref: str, ticket_id: str | None) -> None:
        where = (tickets_table.c.vendor == vendor, tickets_table.c.contact_ref == contact_ref)
        with self._locked(), self.engine.begin() as conn:
            if ticket_id is None:
                conn.execute(tickets_table.delete().where(*where))
                return
            changed = conn.execute(update(tickets_table).where(*where).values(ticket_id=ticket_id))
            if changed.rowcount == 0:
                try:
                    with conn.begin_nested():
                        conn.execute(
                            insert(tickets_table).values(
                                vendor=vendor, contact_ref=contact_ref, ticket_id=ticket_id
                            )
                        )
                except IntegrityError:
                    pass  # another worker remembered it first: either ticket is the contact's

    def close(self) -> None:
        self.engine.dispose()
