"""Carrier searches prepared for a person, over the desk's database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from desk.adapters.sandbox.database import SandboxDatabase
from desk.adapters.sandbox.tables import CarrierTaskRow, as_utc
from desk.models import CarrierTask, MissingMailRequest
from desk.ports import NotFound

TASK_PREFIX = "TASK-"


class SandboxCarrierTasks(SandboxDatabase):
    def open_task(
        self, request: MissingMailRequest, contact_id: str | None, at: datetime, key: str
    ) -> CarrierTask:
        def existing(session: Session) -> CarrierTask | None:
            row = session.scalars(select(CarrierTaskRow).where(CarrierTaskRow.key == key)).first()
            return _task(row) if row is not None else None

        def create(session: Session) -> CarrierTask:
            row = CarrierTaskRow(
                key=key,
                contact_id=contact_id,
                tracking=request.tracking,
                request=request.model_dump(mode="json"),
                opened_at=as_utc(at),
            )
            session.add(row)
            session.flush()
            return _task(row)

        return self._once(existing, create)

    def open_tasks(self) -> list[CarrierTask]:
        with self.unit_of_work() as session:
            rows = session.scalars(
                select(CarrierTaskRow)
                .where(CarrierTaskRow.case_number.is_(None))
                .order_by(CarrierTaskRow.id)
            )
            return [_task(row) for row in rows]

    def mark_filed(self, task_id: str, case_number: str, by: str) -> CarrierTask:
        number = task_id.removeprefix(TASK_PREFIX)
        with self.unit_of_work() as session:
            row = session.get(CarrierTaskRow, int(number)) if number.isdigit() else None
            if row is None:
                raise NotFound(f"no carrier task {task_id}")
            row.case_number = case_number
            row.filed_by = by
            session.flush()
            return _task(row)


def _task(row: CarrierTaskRow) -> CarrierTask:
    return CarrierTask(
        task_id=f"{TASK_PREFIX}{row.id}",
        contact_id=row.contact_id,
        request=MissingMailRequest.model_validate(row.request),
        opened_at=row.opened_at,
        case_number=row.case_number,
        filed_by=row.filed_by,
    )
