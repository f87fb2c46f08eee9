"""The desk's own record of claims, in its database: the fraud gate's memory when the
order system is the merchant's (which keeps none)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from desk.adapters.sandbox.database import SandboxDatabase
from desk.adapters.sandbox.tables import DeskClaimRow, as_utc
from desk.identities import claim_contact
from desk.models import Claim, ClaimKind


class DeskClaims(SandboxDatabase):
    """Claims by customer id, in the desk's database (idempotent on the key)."""

    def record_desk_claim(self, customer_id: str, kind: ClaimKind, at: datetime, key: str) -> Claim:
        def existing(session: Session) -> Claim | None:
            row = session.scalars(select(DeskClaimRow).where(DeskClaimRow.key == key)).first()
            return _claim(row) if row is not None else None

        def create(session: Session) -> Claim:
            row = DeskClaimRow(
                key=key,
                customer_id=customer_id,
                kind=kind.value,
                at=as_utc(at),
                contact_id=claim_contact(key),
            )
            session.add(row)
            session.flush()
            return _claim(row)

        return self._once(existing, create)

    def desk_claims(self, customer_id: str) -> list[Claim]:
        with self.unit_of_work() as session:
            rows = session.scalars(
                select(DeskClaimRow)
                .where(DeskClaimRow.customer_id == customer_id)
                .order_by(DeskClaimRow.at)
            )
            return [_claim(row) for row in rows]


def _claim(row: DeskClaimRow) -> Claim:
    return Claim(kind=ClaimKind(row.kind), at=row.at, contact_id=row.contact_id)
