"""Filing a carrier search (USPS Missing Mail Search Request, or a trace elsewhere)."""

from __future__ import annotations

from datetime import datetime

from temporalio import activity

from desk.identities import claim_contact
from desk.models import CarrierCase
from desk.ports import CarrierTasks, CarrierTracking, Refused, SearchNeedsOperator


class CarrierSearchActivities:
    def __init__(self, carriers: CarrierTracking, tasks: CarrierTasks | None = None) -> None:
        self.carriers = carriers
        self.tasks = tasks

    @activity.defn
    def file_carrier_search(
        self, tracking: str, reason: str, filed_at: datetime, key: str
    ) -> CarrierCase:
        """File the carrier's search (at most one per shipment: a retry returns the first
        case). A carrier with no API for it (USPS Missing Mail) gets the request prepared
        for a person, and the contact shows the task's number until they signal the
        carrier's own (``desk carrier filed``)."""
        try:
            return self.carriers.file_search(tracking, reason, filed_at, key)
        except SearchNeedsOperator as need:
            if self.tasks is None:
                raise Refused(f"{need}; no place to keep a task for a person") from None
            task = self.tasks.open_task(need.request, claim_contact(key, "search"), filed_at, key)
            return CarrierCase(
                case_number=task.task_id,
                carrier=need.request.carrier,
                tracking=need.request.tracking,
                kind="missing_mail_search",
                reason=reason,
                filed_at=filed_at,
            )
