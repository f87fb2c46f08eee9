"""Helpdesk over the sandbox database: the reply outbox, supervisor alerts and open contacts."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from desk.adapters.sandbox.database import SandboxDatabase, _now
from desk.adapters.sandbox.tables import OpenContactRow, OutboxRow, SupervisorAlertRow
from desk.models import Channel, Reply


class OutboxMessage(BaseModel):
    outbox_id: str
    key: str
    contact_id: str
    channel: Channel
    to: str
    subject: str | None
    body: str
    created_at: datetime


class SandboxHelpdesk(SandboxDatabase):
    """The Helpdesk port, and the outbox and supervisor alerts as read-outs."""

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

    def outbox(self, contact_id: str | None = None) -> list[OutboxMessage]:
        query = select(OutboxRow).order_by(OutboxRow.id)
        if contact_id is not None:
            query = query.where(OutboxRow.contact_id == contact_id)
        with self.unit_of_work() as session:
            return [_outbox_message(row) for row in session.scalars(query)]


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
