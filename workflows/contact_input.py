"""What a contact workflow starts with, and what it carries across continue-as-new."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from desk.config import PolicyConfig
from desk.models import (
    CarrierCase,
    CarrierReading,
    ContactState,
    Customer,
    EscalationReason,
    Order,
    ProposedResolution,
    ResolutionKind,
    RoutedMessage,
    Shipment,
    SupervisorDecision,
    TimelineEntry,
)


class ContactMemory(BaseModel):
    """A contact's state at a safe point (waiting on a person), so a new run can go on
    exactly where the old one stopped. Old messages and timeline entries beyond the last
    few hundred are dropped: the previous run's history still holds them."""

    stage: Literal["escalated", "human_owned"]
    state: ContactState
    routed: list[RoutedMessage]
    read_upto: int
    customer: Customer | None = None
    order: Order | None = None
    shipment: Shipment | None = None
    evidence: CarrierReading | None = None
    case: CarrierCase | None = None
    proposal: ProposedResolution | None = None
    resolution: ResolutionKind | None = None
    autonomous: bool | None = None
    escalation_reason: EscalationReason | None = None
    escalation_level: int = 0
    escalated_at: datetime | None = None
    sla_breaches: int = 0
    decisions: list[SupervisorDecision] = Field(default_factory=list)
    pending_decision: SupervisorDecision | None = None
    refund_total: float = 0.0
    replacements: list[str] = Field(default_factory=list)
    replies: int = 0
    decision_no: int = 0
    timeline: list[TimelineEntry] = Field(default_factory=list)
    preference: str | None = None
    return_label: str | None = None
    reopened: bool = False
    alerts: int = 0
    helpdesk_open: bool = False
    runs: int = 1


class ContactInput(BaseModel):
    contact_id: str
    policy: PolicyConfig
    memory: ContactMemory | None = None
