"""Carrier tracking: the scan history of a shipment as of workflow time."""

from __future__ import annotations

from datetime import datetime

from temporalio import activity

from desk.models import TraceResult
from desk.ports import CarrierTracking


class TracingActivities:
    def __init__(self, carriers: CarrierTracking) -> None:
        self.carriers = carriers

    @activity.defn
    def trace_shipment(self, tracking: str, as_of: datetime) -> TraceResult:
        return self.carriers.trace(tracking, as_of)
