"""The sandbox shop: every port in desk.ports over one SQL database.

SQLite (a file, or ``sqlite://`` in memory) by default, PostgreSQL by URL. Methods are
synchronous and thread-safe because activities run them in a thread pool: each call is one
session and one transaction. Everything that a retried activity could do twice (refunds,
replacement orders, replies, claims, carrier searches, order changes) is guarded by a
UNIQUE constraint, and a repeat is recognised by the database refusing the second row.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypeVar

from pydantic import BaseModel
from sqlalchemy import Engine, and_, case, create_engine, event, func, or_, select, update
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from desk.adapters.sandbox.tables import (
    AddressColumns,
    Base,
    CarrierCaseRow,
    ClaimRow,
    CustomerRow,
    IdentityRow,
    InventoryRow,
    OpenContactRow,
    OrderChangeRow,
    OrderLineRow,
    OrderRow,
    OutboxRow,
    RefundRow,
    ReplacementOrderRow,
    ReturnLabelRow,
    ScanEventRow,
    ShipmentRow,
    SupervisorAlertRow,
    as_utc,
)
from desk.models import (
    Address,
    Carrier,
    CarrierCase,
    Channel,
    Claim,
    ClaimKind,
    Customer,
    ExceptionKind,
    ExecutionResult,
    Identity,
    LineRef,
    Order,
    OrderLine,
    OrderStatus,
    Reply,
    ScanEvent,
    ScanStatus,
    Shipment,
    Tier,
    TraceResult,
)
from desk.ports import Conflict, NotFound

T = TypeVar("T")
IdentityKind = Literal["email", "phone", "chat", "social"]
IDENTITY_KINDS: tuple[IdentityKind, ...] = ("email", "phone", "chat", "social")

FOUND_BY_SEARCH = "Delivered, Left with Individual (found by carrier search)"
_CASE_PREFIX = {
    Carrier.usps: "MMS-",
    Carrier.ups: "UPS-TRACE-",
    Carrier.fedex: "FEDEX-TRACE-",
    Carrier.dhl: "DHL-TRACE-",
}
_PHONE_PUNCTUATION = re.compile(r"[\s\-().]")
_PHONE_LIKE = re.compile(r"^\+?\d{7,15}$")
# Two replacements for one order created at the same instant under different keys race
# for the same R-number; the loser counts again.
_REPLACEMENT_NUMBER_ATTEMPTS = 5


# ---------------------------------------------------------------- identities and numbers


def normalise_identity(kind: IdentityKind, value: str) -> str:
    """The stored form of an identity: what two spellings of the same one share."""
    text = value.strip()
    if kind == "email":
        return text.lower()
    if kind == "phone":
        return _PHONE_PUNCTUATION.sub("", text)
    return text.lower().lstrip("@")


def identity_lookups(identity: str) -> list[tuple[IdentityKind, str]]:
    """Every (kind, value) a raw sender string could be stored as, most specific first."""
    text = identity.strip()
    if not text:
        return []
    lookups: list[tuple[IdentityKind, str]] = []
    if "@" in text.lstrip("@"):
        lookups.append(("email", normalise_identity("email", text)))
    phone = normalise_identity("phone", text)
    if _PHONE_LIKE.match(phone):
        lookups.extend(("phone", variant) for variant in _phone_variants(phone))
    handle = normalise_identity("chat", text)
    lookups.extend([("chat", handle), ("social", handle)])
    return lookups


def _phone_variants(phone: str) -> list[str]:
    # North American numbers reach us both with and without the +1 country code.
    digits = phone.lstrip("+")
    if len(digits) == 10:
        national = digits
    elif len(digits) == 11 and digits.startswith("1"):
        national = digits[1:]
    else:
        return [phone]
    variants = [phone, "+1" + national, national, "1" + national]
    return list(dict.fromkeys(variants))


def normalise_tracking(tracking: str) -> str:
    return re.sub(r"\s+", "", tracking).upper()


def normalise_order_number(number: str) -> str:
    return number.strip().lstrip("#").strip()


def case_number_for(carrier: Carrier, tracking: str, key: str) -> str:
    """Stable across retries: derived from the request, not from a sequence."""
    digest = int(hashlib.sha256(f"{tracking}|{key}".encode()).hexdigest(), 16) % 10**10
    return f"{_CASE_PREFIX[carrier]}{digest:010d}"


def _cents(amount: float) -> float:
    return round(float(amount), 2)


def _now() -> datetime:
    return datetime.now(UTC)


# ---------------------------------------------------------------- read-out rows


class RefundRecord(BaseModel):
    refund_id: str
    key: str
    order_number: str
    amount: float
    lines: list[LineRef]
    reason: str
    created_at: datetime


class ReplacementRecord(BaseModel):
    number: str
    key: str
    original_order: str
    lines: list[LineRef]
    service: str
    note: str | None
    address: Address
    created_at: datetime


class OutboxMessage(BaseModel):
    outbox_id: str
    key: str
    contact_id: str
    channel: Channel
    to: str
    subject: str | None
    body: str
    created_at: datetime


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


# ---------------------------------------------------------------- the shop


class SandboxShop:
    """OrderSystem, CarrierTracking, Payments, Fulfilment and Helpdesk over one database."""

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
        Base.metadata.create_all(self.engine)

    def drop_all(self) -> None:
        Base.metadata.drop_all(self.engine)

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

    # ------------------------------------------------------------ OrderSystem

    def find_customer(self, identity: str) -> Customer | None:
        lookups = identity_lookups(identity)
        if not lookups:
            return None
        with self.unit_of_work() as session:
            matches = session.execute(
                select(IdentityRow.kind, IdentityRow.value, IdentityRow.customer_id).where(
                    or_(*(and_(IdentityRow.kind == k, IdentityRow.value == v) for k, v in lookups))
                )
            ).all()
            if not matches:
                return None
            rank = {pair: i for i, pair in enumerate(lookups)}
            best = min(matches, key=lambda m: rank.get((m.kind, m.value), len(rank)))
            row = session.get(CustomerRow, best.customer_id)
            return _customer(row) if row is not None else None

    def find_customer_by_id(self, customer_id: str) -> Customer | None:
        with self.unit_of_work() as session:
            row = session.get(CustomerRow, customer_id)
            return _customer(row) if row is not None else None

    def get_order(self, number: str) -> Order:
        with self.unit_of_work() as session:
            return self._order(session, self._order_row(session, number))

    def latest_order(self, customer_id: str) -> Order | None:
        with self.unit_of_work() as session:
            row = session.scalars(
                select(OrderRow)
                .where(OrderRow.customer_id == customer_id)
                .order_by(OrderRow.placed_at.desc(), OrderRow.number.desc())
                .limit(1)
            ).first()
            return self._order(session, row) if row is not None else None

    def stock(self, skus: list[str]) -> dict[str, int]:
        with self.unit_of_work() as session:
            rows = session.execute(
                select(InventoryRow.sku, InventoryRow.units).where(InventoryRow.sku.in_(skus))
            ).all()
        units = {row.sku: max(row.units, 0) for row in rows}
        return {sku: units.get(sku, 0) for sku in skus}

    def record_claim(self, customer_id: str, kind: ClaimKind, at: datetime, key: str) -> Claim:
        def existing(session: Session) -> Claim | None:
            row = session.scalars(select(ClaimRow).where(ClaimRow.key == key)).first()
            return _claim(row) if row is not None else None

        def create(session: Session) -> Claim:
            if session.get(CustomerRow, customer_id) is None:
                raise NotFound(f"no customer {customer_id}")
            row = ClaimRow(customer_id=customer_id, kind=kind.value, at=as_utc(at), key=key)
            session.add(row)
            session.flush()
            return _claim(row)

        return self._once(existing, create)

    def cancel_lines(self, order_number: str, skus: list[str], key: str) -> Order:
        def change(session: Session, order: OrderRow) -> dict[str, Any]:
            return {"skus": _cancel_lines(order, skus)}

        return self._change_order(order_number, key, "cancel_lines", change)

    def update_address(self, order_number: str, address: Address, key: str) -> Order:
        def change(session: Session, order: OrderRow) -> dict[str, Any]:
            return _move_order(order, address)

        return self._change_order(order_number, key, "update_address", change)

    def _change_order(
        self,
        order_number: str,
        key: str,
        kind: str,
        change: Callable[[Session, OrderRow], dict[str, Any]],
    ) -> Order:
        """Apply a change once per key; the change row commits with the change itself."""

        def existing(session: Session) -> Order | None:
            done = session.scalars(select(OrderChangeRow).where(OrderChangeRow.key == key)).first()
            if done is None:
                return None
            return self._order(session, self._order_row(session, done.order_number))

        def create(session: Session) -> Order:
            order = self._order_row(session, order_number)
            detail = change(session, order)
            session.add(
                OrderChangeRow(
                    key=key, order_number=order.number, kind=kind, detail=detail, created_at=_now()
                )
            )
            session.flush()
            return self._order(session, order)

        return self._once(existing, create)

    # ------------------------------------------------------------ CarrierTracking

    def _carrier_time(self, moment: datetime) -> datetime:
        moment = as_utc(moment)
        if self._clock_origin is None or self._clock_speed == 1.0:
            return moment
        return self._clock_origin + (moment - self._clock_origin) * self._clock_speed

    def trace(self, tracking: str, as_of: datetime) -> TraceResult:
        as_of = self._carrier_time(as_of)
        with self.unit_of_work() as session:
            ship = self._shipment_row(session, tracking)
            events = [_scan(e) for e in ship.events if e.at <= as_of]
            carrier_case = None
            if ship.case is not None:
                carrier_case = _carrier_case(ship.case, ship, as_of)
                if carrier_case.status == "found":
                    events.append(_found_scan(ship, ship.case))
                    events.sort(key=lambda e: e.at)
            return TraceResult(shipment=_shipment(ship, events), case=carrier_case)

    def file_search(self, tracking: str, reason: str, filed_at: datetime, key: str) -> CarrierCase:
        filed_at = self._carrier_time(filed_at)

        def existing(session: Session) -> CarrierCase | None:
            ship = self._shipment_row(session, tracking)
            return _carrier_case(ship.case, ship, filed_at) if ship.case is not None else None

        def create(session: Session) -> CarrierCase:
            ship = self._shipment_row(session, tracking)
            carrier = Carrier(ship.carrier)
            row = CarrierCaseRow(
                shipment=ship,
                case_number=case_number_for(carrier, ship.tracking, key),
                carrier=carrier.value,
                kind="missing_mail_search" if carrier == Carrier.usps else "trace",
                reason=reason,
                filed_at=filed_at,
                key=key,
            )
            session.add(row)
            session.flush()
            return _carrier_case(row, ship, filed_at)

        return self._once(existing, create)

    # ------------------------------------------------------------ Payments

    def refund(
        self, order_number: str, amount: float, lines: list[LineRef], reason: str, key: str
    ) -> ExecutionResult:
        if amount < 0:
            raise ValueError(f"refund amount must not be negative, got {amount}")

        def existing(session: Session) -> ExecutionResult | None:
            row = session.scalars(select(RefundRow).where(RefundRow.key == key)).first()
            return _refund_result(row) if row is not None else None

        def create(session: Session) -> ExecutionResult:
            order = self._order_row(session, order_number)
            row = RefundRow(
                key=key,
                order_number=order.number,
                amount=_cents(amount),
                lines=[line.model_dump() for line in lines],
                reason=reason,
                created_at=_now(),
            )
            session.add(row)
            session.flush()
            return _refund_result(row)

        return self._once(existing, create)

    # ------------------------------------------------------------ Fulfilment

    def create_return_label(self, order_number: str, lines: list[LineRef], key: str) -> str:
        def existing(session: Session) -> str | None:
            row = session.scalars(select(ReturnLabelRow).where(ReturnLabelRow.key == key)).first()
            return row.label_number if row is not None else None

        def create(session: Session) -> str:
            order = self._order_row(session, order_number)
            digest = hashlib.sha256(key.encode()).hexdigest()[:10].upper()
            row = ReturnLabelRow(
                key=key,
                label_number=f"RMA-{order.number}-{digest}",
                order_number=order.number,
                lines=[line.model_dump() for line in lines],
                created_at=_now(),
            )
            session.add(row)
            session.flush()
            return row.label_number

        return self._once(existing, create)

    def return_labels(self, order_numbers: list[str] | None = None) -> list[str]:
        query = select(ReturnLabelRow.label_number)
        if order_numbers is not None:
            query = query.where(ReturnLabelRow.order_number.in_(order_numbers))
        with self.unit_of_work() as session:
            return list(session.scalars(query))

    def create_replacement(
        self,
        order_number: str,
        lines: list[LineRef],
        service: str,
        note: str | None,
        key: str,
    ) -> ExecutionResult:
        def existing(session: Session) -> ExecutionResult | None:
            row = session.scalars(
                select(ReplacementOrderRow).where(ReplacementOrderRow.key == key)
            ).first()
            return ExecutionResult(replacement_order=row.number) if row is not None else None

        def create(session: Session) -> ExecutionResult:
            # Holding the original order's row makes replacements of one order take turns,
            # so each counts the ones before it; the UNIQUE number is the backstop.
            order = self._order_row(session, order_number, for_update=True)
            row = ReplacementOrderRow(
                key=key,
                number=f"R-{order.number}-{_replacements_of(session, order.number) + 1}",
                original_order=order.number,
                lines=[line.model_dump() for line in lines],
                service=service,
                note=note,
                created_at=_now(),
                **_address_columns(order),
            )
            session.add(row)
            session.flush()
            _take_from_stock(session, lines)
            return ExecutionResult(replacement_order=row.number)

        for _ in range(_REPLACEMENT_NUMBER_ATTEMPTS - 1):
            try:
                return self._once(existing, create)
            except IntegrityError:
                continue
        return self._once(existing, create)

    # ------------------------------------------------------------ Helpdesk

    def send_reply(self, contact_id: str, reply: Reply, key: str) -> str:
        def existing(session: Session) -> str | None:
            row = session.scalars(select(OutboxRow).where(OutboxRow.key == key)).first()
            return _outbox_id(row) if row is not None else None

        def create(session: Session) -> str:
            row = OutboxRow(
                key=key,
                contact_id=contact_id,
                channel=reply.channel.value,
                recipient=reply.to,
                subject=reply.subject,
                body=reply.body,
                created_at=_now(),
            )
            session.add(row)
            session.flush()
            return _outbox_id(row)

        return self._once(existing, create)

    def open_contact(self, contact_id: str, customer_id: str, order_number: str) -> None:
        with self.unit_of_work() as session:
            row = session.get(OpenContactRow, contact_id)
            if row is None:
                session.add(
                    OpenContactRow(
                        contact_id=contact_id,
                        customer_id=customer_id,
                        order_number=order_number,
                        opened_at=_now(),
                    )
                )
            else:
                row.closed = False  # a contact id reused by a new run is open again

    def close_contact(self, contact_id: str) -> None:
        with self.unit_of_work() as session:
            row = session.get(OpenContactRow, contact_id)
            if row is not None:
                row.closed = True

    def open_contact_order(self, customer_id: str) -> str | None:
        with self.unit_of_work() as session:
            row = session.scalars(
                select(OpenContactRow)
                .where(OpenContactRow.customer_id == customer_id, OpenContactRow.closed.is_(False))
                .order_by(OpenContactRow.opened_at.desc())
                .limit(1)
            ).first()
            return row.order_number if row is not None else None

    def alert_supervisors(self, contact_id: str, text: str, level: int, key: str) -> str:
        def existing(session: Session) -> str | None:
            row = session.scalars(
                select(SupervisorAlertRow).where(SupervisorAlertRow.key == key)
            ).first()
            return f"alert-{row.id}" if row is not None else None

        def create(session: Session) -> str:
            row = SupervisorAlertRow(
                key=key, contact_id=contact_id, level=level, text=text, created_at=_now()
            )
            session.add(row)
            session.flush()
            return f"alert-{row.id}"

        return self._once(existing, create)

    def supervisor_alerts(self, contact_id: str | None = None) -> list[tuple[int, str]]:
        """(level, text) of each alert, oldest first."""
        query = select(SupervisorAlertRow).order_by(SupervisorAlertRow.id)
        if contact_id is not None:
            query = query.where(SupervisorAlertRow.contact_id == contact_id)
        with self.unit_of_work() as session:
            return [(row.level, row.text) for row in session.scalars(query)]

    # ------------------------------------------------------------ read-outs

    def refund_total(self, order_numbers: list[str] | None = None) -> float:
        return _cents(sum(r.amount for r in self.refunds(order_numbers)))

    def replacement_count(self, order_numbers: list[str] | None = None) -> int:
        return len(self.replacements(order_numbers))

    def refunds(self, order_numbers: list[str] | None = None) -> list[RefundRecord]:
        query = select(RefundRow).order_by(RefundRow.id)
        if order_numbers is not None:
            query = query.where(RefundRow.order_number.in_(_order_keys(order_numbers)))
        with self.unit_of_work() as session:
            return [_refund_record(row) for row in session.scalars(query)]

    def replacements(self, order_numbers: list[str] | None = None) -> list[ReplacementRecord]:
        query = select(ReplacementOrderRow).order_by(ReplacementOrderRow.id)
        if order_numbers is not None:
            keys = _order_keys(order_numbers)
            query = query.where(ReplacementOrderRow.original_order.in_(keys))
        with self.unit_of_work() as session:
            return [_replacement_record(row) for row in session.scalars(query)]

    def outbox(self, contact_id: str | None = None) -> list[OutboxMessage]:
        query = select(OutboxRow).order_by(OutboxRow.id)
        if contact_id is not None:
            query = query.where(OutboxRow.contact_id == contact_id)
        with self.unit_of_work() as session:
            return [_outbox_message(row) for row in session.scalars(query)]

    def carrier_cases(self, as_of: datetime | None = None) -> list[CarrierCase]:
        """Every filed search; status as of ``as_of`` (default: the wall clock)."""
        moment = as_utc(as_of) if as_of is not None else _now()
        with self.unit_of_work() as session:
            rows = session.scalars(select(CarrierCaseRow).order_by(CarrierCaseRow.id))
            return [_carrier_case(row, row.shipment, moment) for row in rows]

    def table_counts(self) -> dict[str, int]:
        """Rows per table: a quick look at what a load or a run left behind."""
        with self.unit_of_work() as session:
            return {
                table.name: session.scalar(select(func.count()).select_from(table)) or 0
                for table in Base.metadata.sorted_tables
            }

    # ------------------------------------------------------------ row access

    def _order_row(self, session: Session, number: str, for_update: bool = False) -> OrderRow:
        key = normalise_order_number(number)
        row = session.get(OrderRow, key, with_for_update=for_update)
        if row is None:
            raise NotFound(f"no order {key}")
        return row

    def _shipment_row(self, session: Session, tracking: str) -> ShipmentRow:
        key = normalise_tracking(tracking)
        row = session.scalars(select(ShipmentRow).where(ShipmentRow.tracking == key)).first()
        if row is None:
            raise NotFound(f"no shipment with tracking {key}")
        return row

    def _order(self, session: Session, row: OrderRow) -> Order:
        return _order(row, replacements=_replacements_of(session, row.number))


# ---------------------------------------------------------------- order changes


def _has_carrier_scan(ship: ShipmentRow) -> bool:
    # Every stored scan counts, including ones a trace would still hide: the order system
    # knows a parcel is with the carrier as soon as the carrier has it.
    return any(e.status != ScanStatus.label_created.value for e in ship.events)


def _shipped_skus(order: OrderRow) -> set[str]:
    return {
        sku
        for ship in order.shipments
        if not ship.label_voided and _has_carrier_scan(ship)
        for sku in ship.skus
    }


def _cancel_lines(order: OrderRow, skus: list[str]) -> list[str]:
    """Cancel the named lines (none named: every unshipped line); Conflict if shipped."""
    shipped = _shipped_skus(order)
    open_lines = [line for line in order.lines if not line.cancelled]
    if skus:
        unknown = sorted(set(skus) - {line.sku for line in order.lines})
        if unknown:
            raise Conflict(f"order {order.number} has no line {unknown[0]}")
        targets = [line for line in open_lines if line.sku in skus]
        for line in targets:
            if line.sku in shipped:
                raise Conflict(f"order {order.number} line {line.sku} has shipped")
    else:
        targets = [line for line in open_lines if line.sku not in shipped]
        if not targets and open_lines:
            raise Conflict(f"order {order.number} line {open_lines[0].sku} has shipped")
    for line in targets:
        line.cancelled = True
    _void_unused_labels(order)
    _settle_status(order)
    return [line.sku for line in targets]


def _void_unused_labels(order: OrderRow) -> None:
    """A label the carrier never scanned stops covering cancelled lines."""
    live = {line.sku for line in order.lines if not line.cancelled}
    for ship in order.shipments:
        if ship.label_voided or _has_carrier_scan(ship):
            continue
        remaining = [sku for sku in ship.skus if sku in live]
        if remaining:
            ship.skus = remaining
        else:
            ship.label_voided = True


def _settle_status(order: OrderRow) -> None:
    live = {line.sku for line in order.lines if not line.cancelled}
    if not live:
        order.status = OrderStatus.cancelled.value
        return
    covered = {sku for ship in order.shipments if not ship.label_voided for sku in ship.skus}
    if live <= covered:
        order.status = OrderStatus.fulfilled.value


def _move_order(order: OrderRow, address: Address) -> dict[str, Any]:
    if any(not s.label_voided and _has_carrier_scan(s) for s in order.shipments):
        raise Conflict(f"order {order.number} has shipped; the carrier has the parcel")
    if not all(x.strip() for x in (address.line1, address.city, address.postal_code)) or not (
        address.country.strip()
    ):
        raise ValueError("an address needs a street, a city, a postal code and a country")
    before = _address(order).model_dump()
    for name, value in address.model_dump().items():
        setattr(order, name, value)
    return {"from": before, "to": address.model_dump()}


def _replacements_of(session: Session, order_number: str) -> int:
    count = session.scalar(
        select(func.count())
        .select_from(ReplacementOrderRow)
        .where(ReplacementOrderRow.original_order == order_number)
    )
    return count or 0


def _take_from_stock(session: Session, lines: list[LineRef]) -> None:
    wanted: dict[str, int] = {}
    for line in lines:
        wanted[line.sku] = wanted.get(line.sku, 0) + line.qty
    for sku, qty in wanted.items():
        # In SQL, not read-modify-write, so concurrent replacements both count. Stock
        # never goes below zero: a shortfall is the warehouse's backorder, not ours.
        session.execute(
            update(InventoryRow)
            .where(InventoryRow.sku == sku)
            .values(units=case((InventoryRow.units > qty, InventoryRow.units - qty), else_=0))
        )


def _order_keys(order_numbers: list[str]) -> list[str]:
    return [normalise_order_number(n) for n in order_numbers]


# ---------------------------------------------------------------- rows -> models


def _address(row: AddressColumns) -> Address:
    return Address(
        line1=row.line1,
        line2=row.line2,
        city=row.city,
        region=row.region,
        postal_code=row.postal_code,
        country=row.country,
        lat=row.lat,
        lon=row.lon,
    )


def _address_columns(row: AddressColumns) -> dict[str, Any]:
    return _address(row).model_dump()


def _customer(row: CustomerRow) -> Customer:
    return Customer(
        id=row.id,
        name=row.name,
        tier=Tier(row.tier),
        identities=[Identity(kind=i.kind, value=i.value) for i in row.identities],  # type: ignore[arg-type]
        claims=[_claim(c) for c in row.claims],
    )


def _claim(row: ClaimRow) -> Claim:
    return Claim(kind=ClaimKind(row.kind), at=row.at, contact_id=row.contact_id)


def _order(row: OrderRow, replacements: int) -> Order:
    return Order(
        number=row.number,
        customer_id=row.customer_id,
        placed_at=row.placed_at,
        status=OrderStatus(row.status),
        shipping_cost=_cents(row.shipping_cost),
        # Replacements made here count as reships already sent, like the imported ones.
        prior_reships=row.prior_reships + replacements,
        address=_address(row),
        lines=[_line(line) for line in row.lines],
        shipments=[_shipment(ship, []) for ship in row.shipments],
    )


def _line(row: OrderLineRow) -> OrderLine:
    return OrderLine(
        sku=row.sku,
        name=row.name,
        qty=row.qty,
        unit_price=_cents(row.unit_price),
        cancelled=row.cancelled,
    )


def _shipment(row: ShipmentRow, events: list[ScanEvent]) -> Shipment:
    return Shipment(
        carrier=Carrier(row.carrier),
        tracking=row.tracking,
        service=row.service,
        skus=list(row.skus),
        expected_delivery=row.expected_delivery,
        events=events,
        label_voided=row.label_voided,
    )


def _scan(row: ScanEventRow) -> ScanEvent:
    return ScanEvent(
        at=row.at,
        status=ScanStatus(row.status),
        description=row.description,
        city=row.city,
        photo=row.photo,
        signature=row.signature,
        lat=row.lat,
        lon=row.lon,
        exception=ExceptionKind(row.exception) if row.exception else None,
    )


def _search_concludes_at(ship: ShipmentRow, row: CarrierCaseRow) -> datetime | None:
    if ship.search_result is None or ship.search_after_seconds is None:
        return None
    return row.filed_at + timedelta(seconds=ship.search_after_seconds)


def _carrier_case(row: CarrierCaseRow, ship: ShipmentRow, as_of: datetime) -> CarrierCase:
    concludes = _search_concludes_at(ship, row)
    status: Literal["open", "found", "not_found"] = "open"
    if concludes is not None and as_of >= concludes:
        status = "found" if ship.search_result == "found" else "not_found"
    return CarrierCase(
        case_number=row.case_number,
        carrier=Carrier(row.carrier),
        tracking=ship.tracking,
        kind=row.kind,
        reason=row.reason,
        filed_at=row.filed_at,
        status=status,
    )


def _found_scan(ship: ShipmentRow, row: CarrierCaseRow) -> ScanEvent:
    """How "the carrier finds it later" looks: a delivery with proof, when the search ends."""
    at = _search_concludes_at(ship, row)
    assert at is not None  # only called for a concluded search
    return ScanEvent(
        at=at,
        status=ScanStatus.delivered,
        description=FOUND_BY_SEARCH,
        city=ship.order.city,
        photo=True,
    )


def _refund_result(row: RefundRow) -> ExecutionResult:
    return ExecutionResult(refund_id=f"RF-{row.id:06d}", refunded=_cents(row.amount))


def _refund_record(row: RefundRow) -> RefundRecord:
    return RefundRecord(
        refund_id=f"RF-{row.id:06d}",
        key=row.key,
        order_number=row.order_number,
        amount=_cents(row.amount),
        lines=[LineRef.model_validate(line) for line in row.lines],
        reason=row.reason,
        created_at=row.created_at,
    )


def _replacement_record(row: ReplacementOrderRow) -> ReplacementRecord:
    return ReplacementRecord(
        number=row.number,
        key=row.key,
        original_order=row.original_order,
        lines=[LineRef.model_validate(line) for line in row.lines],
        service=row.service,
        note=row.note,
        address=_address(row),
        created_at=row.created_at,
    )


def _outbox_id(row: OutboxRow) -> str:
    return f"OUT-{row.id:06d}"


def _outbox_message(row: OutboxRow) -> OutboxMessage:
    return OutboxMessage(
        outbox_id=_outbox_id(row),
        key=row.key,
        contact_id=row.contact_id,
        channel=Channel(row.channel),
        to=row.recipient,
        subject=row.subject,
        body=row.body,
        created_at=row.created_at,
    )
