"""OrderSystem over the sandbox database: customers, orders, stock, claims, cancellations
and address changes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from desk.adapters.line_cancel import lines_to_cancel
from desk.adapters.sandbox.carriers import _shipment
from desk.adapters.sandbox.database import SandboxDatabase, _cents, _now
from desk.adapters.sandbox.tables import (
    AddressColumns,
    ClaimRow,
    CustomerRow,
    IdentityRow,
    InventoryRow,
    OrderChangeRow,
    OrderLineRow,
    OrderRow,
    ReplacementOrderRow,
    ShipmentRow,
    as_utc,
)
from desk.identities import claim_contact, identity_lookups, normalise_order_number
from desk.models import (
    Address,
    Claim,
    ClaimKind,
    Customer,
    Identity,
    Order,
    OrderLine,
    OrderStatus,
    ScanStatus,
    Tier,
)
from desk.ports import Conflict, NotFound


class SandboxOrderSystem(SandboxDatabase):
    """The OrderSystem port."""

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

    def recent_order_numbers(self, customer_id: str, since: datetime) -> list[str]:
        with self.unit_of_work() as session:
            return list(
                session.scalars(
                    select(OrderRow.number)
                    .where(OrderRow.customer_id == customer_id, OrderRow.placed_at >= as_utc(since))
                    .order_by(OrderRow.placed_at.desc(), OrderRow.number.desc())
                )
            )

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
            row = ClaimRow(
                customer_id=customer_id,
                kind=kind.value,
                at=as_utc(at),
                key=key,
                contact_id=claim_contact(key),
            )
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
            # The same key twice returns the first result (ports.py), not the order as it
            # is now; a change recorded before results were kept answers with the latter.
            if isinstance(done.detail, dict) and "result" in done.detail:
                return Order.model_validate(done.detail["result"])
            return self._order(session, self._order_row(session, done.order_number))

        def create(session: Session) -> Order:
            order = self._order_row(session, order_number)
            detail = change(session, order)
            result = self._order(session, order)
            session.add(
                OrderChangeRow(
                    key=key,
                    order_number=order.number,
                    kind=kind,
                    detail={**detail, "result": result.model_dump(mode="json")},
                    created_at=_now(),
                )
            )
            session.flush()
            return result

        return self._once(existing, create)

    def _order(self, session: Session, row: OrderRow) -> Order:
        return _order(row, replacements=_replacements_of(session, row.number))

    def order_changes(self, order_numbers: list[str] | None = None) -> list[tuple[str, str]]:
        """(order number, kind) of each cancellation or address change, oldest first: a
        read-out for tests and scenario fingerprints."""
        query = select(OrderChangeRow).order_by(OrderChangeRow.id)
        if order_numbers is not None:
            keys = [normalise_order_number(n) for n in order_numbers]
            query = query.where(OrderChangeRow.order_number.in_(keys))
        with self.unit_of_work() as session:
            return [(row.order_number, row.kind) for row in session.scalars(query)]


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
    targets = lines_to_cancel(order.number, order.lines, shipped, skus)
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
