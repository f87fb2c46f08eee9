"""The sandbox shop's tables (SQLAlchemy 2.x declarative, sync engine).

Idempotency lives here as much as in the code: every row that a retried activity could
create twice carries a UNIQUE key, so the database, not a read-before-write, decides that
the second attempt is a repeat.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Named constraints make IntegrityError messages and migrations readable on both backends.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, whatever the backend keeps.

    SQLite has no time zone type and hands back naive values; storing naive UTC there and
    re-attaching UTC on read keeps comparisons (``at <= as_of``) exact on both backends.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


def as_utc(value: datetime) -> datetime:
    """A naive datetime is taken to be UTC already (that is how SQLite returns them)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def Money() -> Numeric[float]:  # noqa: N802 - reads like a column type at the call site
    return Numeric(12, 2, asdecimal=False)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class AddressColumns:
    """The shipping address, flattened into the owning table."""

    line1: Mapped[str] = mapped_column(String(200))
    line2: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(120))
    region: Mapped[str | None] = mapped_column(String(120))
    postal_code: Mapped[str] = mapped_column(String(32))
    country: Mapped[str] = mapped_column(String(64))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)


class CustomerRow(Base):
    __tablename__ = "customers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    tier: Mapped[str] = mapped_column(String(16))

    identities: Mapped[list[IdentityRow]] = relationship(
        back_populates="customer", order_by="IdentityRow.id", cascade="all, delete-orphan"
    )
    claims: Mapped[list[ClaimRow]] = relationship(
        back_populates="customer",
        order_by="(ClaimRow.at, ClaimRow.id)",
        cascade="all, delete-orphan",
    )


class IdentityRow(Base):
    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("kind", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(320))

    customer: Mapped[CustomerRow] = relationship(back_populates="identities")


class ClaimRow(Base):
    __tablename__ = "claims"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    contact_id: Mapped[str | None] = mapped_column(String(200))
    # Prior claims from the shop's history have no key; NULLs never collide.
    key: Mapped[str | None] = mapped_column(String(300), unique=True)

    customer: Mapped[CustomerRow] = relationship(back_populates="claims")


class OrderRow(AddressColumns, Base):
    __tablename__ = "orders"

    number: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    status: Mapped[str] = mapped_column(String(32))
    shipping_cost: Mapped[float] = mapped_column(Money(), default=0.0)
    prior_reships: Mapped[int] = mapped_column(Integer, default=0)

    lines: Mapped[list[OrderLineRow]] = relationship(
        back_populates="order", order_by="OrderLineRow.id", cascade="all, delete-orphan"
    )
    shipments: Mapped[list[ShipmentRow]] = relationship(
        back_populates="order", order_by="ShipmentRow.id", cascade="all, delete-orphan"
    )


class OrderLineRow(Base):
    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_number: Mapped[str] = mapped_column(ForeignKey("orders.number"), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    qty: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[float] = mapped_column(Money())
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)

    order: Mapped[OrderRow] = relationship(back_populates="lines")


class InventoryRow(Base):
    __tablename__ = "inventory"

    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    units: Mapped[int] = mapped_column(Integer, default=0)


class ShipmentRow(Base):
    __tablename__ = "shipments"
    __table_args__ = (
        CheckConstraint(
            "search_result IS NULL OR search_result IN ('found', 'not_found')",
            name="search_result",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_number: Mapped[str] = mapped_column(ForeignKey("orders.number"), index=True)
    carrier: Mapped[str] = mapped_column(String(16))
    tracking: Mapped[str] = mapped_column(String(64), unique=True)
    service: Mapped[str] = mapped_column(String(64), default="ground")
    skus: Mapped[list[str]] = mapped_column(JSON, default=list)
    expected_delivery: Mapped[datetime | None] = mapped_column(UTCDateTime())
    label_voided: Mapped[bool] = mapped_column(Boolean, default=False)
    # What a carrier search would conclude, and how long it takes once filed.
    search_result: Mapped[str | None] = mapped_column(String(16))
    search_after_seconds: Mapped[float | None] = mapped_column(Float)

    order: Mapped[OrderRow] = relationship(back_populates="shipments")
    events: Mapped[list[ScanEventRow]] = relationship(
        back_populates="shipment",
        order_by="(ScanEventRow.at, ScanEventRow.id)",
        cascade="all, delete-orphan",
    )
    case: Mapped[CarrierCaseRow | None] = relationship(back_populates="shipment")


class ScanEventRow(Base):
    __tablename__ = "scan_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(String(300), default="")
    city: Mapped[str | None] = mapped_column(String(120))
    photo: Mapped[bool] = mapped_column(Boolean, default=False)
    signature: Mapped[bool] = mapped_column(Boolean, default=False)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    exception: Mapped[str | None] = mapped_column(String(32))

    shipment: Mapped[ShipmentRow] = relationship(back_populates="events")


class CarrierCaseRow(Base):
    __tablename__ = "carrier_cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # One search per shipment, whatever key a caller brings.
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id"), unique=True)
    case_number: Mapped[str] = mapped_column(String(64), unique=True)
    carrier: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text, default="")
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    key: Mapped[str] = mapped_column(String(300))

    shipment: Mapped[ShipmentRow] = relationship(back_populates="case")


class RefundRow(Base):
    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    order_number: Mapped[str] = mapped_column(ForeignKey("orders.number"), index=True)
    amount: Mapped[float] = mapped_column(Money())
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReturnLabelRow(Base):
    __tablename__ = "return_labels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    label_number: Mapped[str] = mapped_column(String(80), unique=True)
    order_number: Mapped[str] = mapped_column(ForeignKey("orders.number"), index=True)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReplacementOrderRow(AddressColumns, Base):
    __tablename__ = "replacement_orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    number: Mapped[str] = mapped_column(String(80), unique=True)
    original_order: Mapped[str] = mapped_column(ForeignKey("orders.number"), index=True)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    service: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OutboxRow(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    contact_id: Mapped[str] = mapped_column(String(200), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OpenContactRow(Base):
    """The helpdesk's view of a conversation: which contact a customer's order is in."""

    __tablename__ = "helpdesk_contacts"

    contact_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    order_number: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed: Mapped[bool] = mapped_column(Boolean, default=False)


class SupervisorAlertRow(Base):
    """A new escalation or an SLA reminder for the supervisors' queue."""

    __tablename__ = "supervisor_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    contact_id: Mapped[str] = mapped_column(String(200), index=True)
    level: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OrderChangeRow(Base):
    """A cancellation or address change, kept so a retried change is recognised as done."""

    __tablename__ = "order_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    order_number: Mapped[str] = mapped_column(ForeignKey("orders.number"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class UnverifiedAttemptRow(Base):
    """A message from a sender the desk could not verify, counted against the limits."""

    __tablename__ = "unverified_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    sender_key: Mapped[str] = mapped_column(String(128), index=True)
    order_number: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    allowed: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text, default="")
    retry_after: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class CarrierTaskRow(Base):
    """A carrier search prepared for a person to file by hand (a carrier with no API)."""

    __tablename__ = "carrier_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    contact_id: Mapped[str | None] = mapped_column(String(200), index=True, nullable=True)
    tracking: Mapped[str] = mapped_column(String(64), index=True)
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    case_number: Mapped[str | None] = mapped_column(String(100), nullable=True)
    filed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)


class DeskClaimRow(Base):
    """A claim the desk recorded for a customer of the merchant's own order system (the
    fraud gate's memory when the shop is not the sandbox): no link to the sandbox's
    customers."""

    __tablename__ = "desk_claims"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    customer_id: Mapped[str] = mapped_column(String(128), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    contact_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
