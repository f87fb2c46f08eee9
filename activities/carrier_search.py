"""Filing a carrier search (USPS Missing Mail Search Request, or a trace elsewhere)."""

from __future__ import annotations

from datetime import datetime

from temporalio import activity

from desk.models import CarrierCase
from desk.ports import CarrierTracking


class CarrierSearchActivities:
    def __init__(self, carriers: CarrierTracking) -> None:
        self.carriers = carriers

    @activity.defn
    def file_carrier_search(
        self, tracking: str, reason: str, filed_at: datetime, key: str
    ) -> CarrierCase:
        # The port files at most one search per shipment, so a retry returns the first case.
        return self.carriers.file_search(tracking, reason, filed_at, key)
