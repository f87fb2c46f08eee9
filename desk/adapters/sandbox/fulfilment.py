"""Fulfilment over the sandbox database: replacement orders and return labels, one per key."""

from __future__ import annotations

import hashlib
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from desk.adapters.sandbox.database import SandboxDatabase, _now, _order_keys
from desk.adapters.sandbox.orders import _address, _address_columns, _replacements_of
from desk.adapters.sandbox.tables import InventoryRow, ReplacementOrderRow, ReturnLabelRow
from desk.models import Address, ExecutionResult, LineRef

# Two replacements for one order created at the same instant under different keys race
# for the same R-number; the loser counts again.
_REPLACEMENT_NUMBER_ATTEMPTS = 5


class ReplacementRecord(BaseModel):
    number: str
    key: str
    original_order: str
    lines: list[LineRef]
    service: str
    note: str | None
    address: Address
    created_at: datetime


class SandboxFulfilment(SandboxDatabase):
    """The Fulfilment port, and the replacements and return labels as read-outs."""

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

    def replacement_count(self, order_numbers: list[str] | None = None) -> int:
        return len(self.replacements(order_numbers))

    def replacements(self, order_numbers: list[str] | None = None) -> list[ReplacementRecord]:
        query = select(ReplacementOrderRow).order_by(ReplacementOrderRow.id)
        if order_numbers is not None:
            keys = _order_keys(order_numbers)
            query = query.where(ReplacementOrderRow.original_order.in_(keys))
        with self.unit_of_work() as session:
            return [_replacement_record(row) for row in session.scalars(query)]


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
