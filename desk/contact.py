"""A contact's state: one record that the workflow keeps and carries whole across
continue-as-new, and the input a contact workflow starts (or continues) with.

Everything a contact must not forget lives in ``ContactRecord``; the workflow holds one and
hands the same record to its next run, so no list of names has to be kept in step with the
fields. Payloads written by earlier versions load as they are: the record's fields are the
ones the earlier ``ContactMemory`` carried, each with a default.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from desk.config import PolicyConfig
from desk.models import (
    CarrierCase,
    CarrierReading,
    ContactSnapshot,
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

# Where a continued contact picks up: waiting on a supervisor's decision, or owned by one.
Stage = Literal["escalated", "human_owned"]


class ContactRecord(BaseModel):
    """One contact's state, from first message to close."""

    stage: Stage | None = None  # set when handed to a new run
    state: ContactState = ContactState.new
    routed: list[RoutedMessage] = Field(default_factory=list)
    read_upto: int = 0  # messages before this index have been read by a step
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
    # Counters behind idempotency keys (replies, decisions, alerts): they never go back,
    # so a key is never reused, in this run or the next.
    replies: int = 0
    decision_no: int = 0
    alerts: int = 0
    notices: int = 0  # owner notices about unverified senders
    timeline: list[TimelineEntry] = Field(default_factory=list)
    preference: str | None = None
    return_label: str | None = None
    reopened: bool = False
    helpdesk_open: bool = False
    runs: int = 1
    # What the contact waits for now and until when (workflow time), as operators read it
    # in the current details: the wait's summary ("carrier follow-up / re-trace"), set by
    # workflows/contact/waiting.py when a wait starts and cleared when it ends. State only.
    waiting_for: str | None = None
    waiting_until: datetime | None = None

    def verified(self) -> list[RoutedMessage]:
        """The messages of verified senders: the only ones that supply an action's content
        (an address, the lines named, a photo, a preference)."""
        return [r for r in self.routed if r.match.verified]

    def has_unread(self) -> bool:
        return self.read_upto < len(self.routed)

    def take_message(self) -> RoutedMessage | None:
        """The next unread message, marked read."""
        if not self.has_unread():
            return None
        self.read_upto += 1
        return self.routed[self.read_upto - 1]

    def mark_all_read(self) -> None:
        self.read_upto = len(self.routed)

    def carried_forward(self, stage: Stage, keep: int) -> ContactRecord:
        """This record for the next run: the last ``keep`` messages and timeline entries
        (the previous run's history still holds the rest)."""
        dropped = max(0, len(self.routed) - keep)
        return self.model_copy(
            update={
                "stage": stage,
                "routed": self.routed[dropped:],
                "read_upto": max(0, self.read_upto - dropped),
                "timeline": self.timeline[-keep:],
                "runs": self.runs + 1,
            }
        )

    def snapshot(self, contact_id: str) -> ContactSnapshot:
        first = self.routed[0].understanding if self.routed else None
        channels = list(dict.fromkeys(r.message.channel for r in self.routed))
        return ContactSnapshot(
            contact_id=contact_id,
            state=self.state,
            intent=first.intent if first else None,
            confidence=first.confidence if first else None,
            classifier_version=first.classifier_version if first else None,
            customer_id=self.customer.id if self.customer else None,
            customer_name=self.customer.name if self.customer else None,
            tier=self.customer.tier if self.customer else None,
            order_number=self.order.number if self.order else None,
            channels=channels,
            last_channel=self.routed[-1].message.channel if self.routed else None,
            evidence=self.evidence,
            carrier_case=self.case.case_number if self.case else None,
            proposed_resolution=self.proposal,
            resolution=self.resolution,
            autonomous=self.autonomous,
            escalation_reason=self.escalation_reason,
            escalation_level=self.escalation_level,
            escalated_at=self.escalated_at,
            refund_total=round(self.refund_total, 2),
            replacement_orders=self.replacements,
            replies_sent=self.replies,
            messages=[r.message for r in self.routed],
            decisions=self.decisions,
            timeline=self.timeline,
            waiting_for=self.waiting_for,
            waiting_until=self.waiting_until,
        )


class ContactInput(BaseModel):
    """What a contact workflow starts with; ``memory`` is set when it continues as new."""

    contact_id: str
    policy: PolicyConfig
    memory: ContactRecord | None = None


class DecisionReceipt(BaseModel):
    """The answer to a supervisor decision the contact accepted."""

    contact_id: str
    action: str
    by: str
    accepted: bool = True
    role: str | None = None
    state: ContactState
