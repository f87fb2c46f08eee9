"""The attempt ledger over the sandbox database: unverified senders, counted per sender
and per order, with a lockout that cools down."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desk.adapters.sandbox.database import SandboxDatabase
from desk.adapters.sandbox.tables import UnverifiedAttemptRow, as_utc
from desk.identities import normalise_order_number
from desk.models import AttemptLimits, AttemptVerdict, UnverifiedAttempt
from desk.policy.identity import attempt_verdict


class SandboxAttemptLedger(SandboxDatabase):
    def register_attempt(self, attempt: UnverifiedAttempt, limits: AttemptLimits) -> AttemptVerdict:
        def existing(session: Session) -> AttemptVerdict | None:
            row = session.scalars(
                select(UnverifiedAttemptRow).where(UnverifiedAttemptRow.key == attempt.key)
            ).first()
            if row is None:
                return None
            return AttemptVerdict(
                allowed=row.allowed, reason=row.reason, retry_after=row.retry_after
            )

        def create(session: Session) -> AttemptVerdict:
            at = as_utc(attempt.at)
            since = at - timedelta(hours=limits.window_hours)
            order = normalise_order_number(attempt.order_number) if attempt.order_number else None

            def counted(*where: object) -> list[UnverifiedAttemptRow]:
                query = select(UnverifiedAttemptRow).where(
                    UnverifiedAttemptRow.allowed.is_(True),
                    UnverifiedAttemptRow.at > since,
                    UnverifiedAttemptRow.at <= at,
                    *where,  # type: ignore[arg-type]
                )
                return list(session.scalars(query.order_by(UnverifiedAttemptRow.at)))

            by_sender = [
                r.at for r in counted(UnverifiedAttemptRow.sender_key == attempt.sender_key)
            ]
            by_order = (
                [r.at for r in counted(UnverifiedAttemptRow.order_number == order)] if order else []
            )
            verdict = attempt_verdict(attempt, limits, by_sender, by_order)
            session.add(
                UnverifiedAttemptRow(
                    key=attempt.key,
                    sender_key=attempt.sender_key,
                    order_number=order,
                    at=at,
                    allowed=verdict.allowed,
                    reason=verdict.reason,
                    retry_after=verdict.retry_after,
                )
            )
            session.flush()
            return verdict

        return self._once(existing, create)

    def unverified_attempts(self) -> int:
        """How many unverified messages were counted (a read-out for tests and the demo)."""
        with self.unit_of_work() as session:
            return session.scalar(select(func.count()).select_from(UnverifiedAttemptRow)) or 0
