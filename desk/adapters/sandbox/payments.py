"""Payments over the sandbox database: refunds, one per key, and the refund ledger."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from desk.adapters.sandbox.database import SandboxDatabase, _cents, _now, _order_keys
from desk.adapters.sandbox.tables import RefundRow
from desk.models import ExecutionResult, LineRef


class RefundRecord(BaseModel):
    refund_id: str
    key: str
    order_number: str
    amount: float
    lines: list[LineRef]
    reason: str
    created_at: datetime


class SandboxPayments(SandboxDatabase):
    """The Payments port, and the refunds as a read-out."""

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

    def refund_total(self, order_numbers: list[str] | None = None) -> float:
        return _cents(sum(r.amount for r in self.refunds(order_numbers)))

    def refunds(self, order_numbers: list[str] | None = None) -> list[RefundRecord]:
        query = select(RefundRow).order_by(RefundRow.id)
        if order_numbers is not None:
            query = query.where(RefundRow.order_number.in_(_order_keys(order_numbers)))
        with self.unit_of_work() as session:
            return [_refund_record(row) for row in session.scalars(query)]


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
