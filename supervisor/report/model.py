"""The report's model: one contact's facts, and the figures of the window.

Every figure is an id, a state, a count, an amount or a duration: no names, emails, phones,
addresses or message text. How each figure is computed is written next to its field in
``Report``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from pydantic import BaseModel, Field

from desk.adapters.sandbox import RefundRecord, ReplacementRecord
from desk.models import CarrierCase


class Ledger(Protocol):
    """The shop's read-outs the report trusts over the contacts' own records."""

    def refunds(self, order_numbers: list[str] | None = None) -> list[RefundRecord]: ...

    def replacements(self, order_numbers: list[str] | None = None) -> list[ReplacementRecord]: ...

    def carrier_cases(self, as_of: datetime | None = None) -> list[CarrierCase]: ...


# ---------------------------------------------------------------- the report's model


class ContactFacts(BaseModel):
    """One contact of the window, as the report counts it: ids, states and durations."""

    contact_id: str
    started_at: datetime
    status: str  # Temporal's: running, completed, failed, terminated...
    intent: str | None = None
    tier: str | None = None
    channels: list[str] = Field(default_factory=list)
    state: str | None = None
    resolution: str | None = None
    autonomous: bool | None = None
    escalation_reason: str | None = None
    escalation_level: int = 0
    sla_breaches: int = 0
    order_number: str | None = None
    carrier_case: str | None = None
    carrier_case_status: str | None = None
    refunded: float = 0.0
    refunds: int = 0
    reships: int = 0
    first_reply_s: float | None = None
    resolution_s: float | None = None
    snapshot: bool = True  # False: visibility only (the snapshot could not be read)


class Durations(BaseModel):
    """Seconds of policy time (workflow time divided by the time scale); nearest rank."""

    count: int = 0
    p50_s: float | None = None
    p90_s: float | None = None


class Money(BaseModel):
    source: str  # "ledger" (the shop's rows) or "contacts" (their own records)
    reships: int = 0  # replacement orders
    reship_value: float = 0.0  # the reshipped lines' value
    refunds: int = 0
    refunded: float = 0.0  # money returned
    contacts_with_reship: int = 0
    contacts_with_refund: int = 0
    # The contacts' own totals (snapshots), and whether the ledger agrees with them.
    contacts_refunded: float = 0.0
    contacts_reships: int = 0
    reconciled: bool | None = None


class CarrierCases(BaseModel):
    filed: int = 0
    by_carrier: dict[str, int] = Field(default_factory=dict)
    by_status: dict[str, int] = Field(default_factory=dict)  # open, found, not_found
    contact_outcome: dict[str, int] = Field(default_factory=dict)  # resolution, else state


class Sla(BaseModel):
    breaches: int = 0  # SLA periods that passed without a decision (sla_breached steps)
    contacts_breached: int = 0
    breached_by_tier: dict[str, int] = Field(default_factory=dict)
    still_in_breach: list[str] = Field(default_factory=list)  # escalated now, ≥ 1 breach


class Report(BaseModel):
    since: datetime
    until: datetime
    generated_at: datetime
    time_scale: float = 1.0
    contacts: int = 0
    unread_snapshots: int = 0  # contacts counted from visibility only
    by_intent: dict[str, int] = Field(default_factory=dict)
    by_channel: dict[str, int] = Field(default_factory=dict)  # contacts that used it
    by_intent_channel: dict[str, dict[str, int]] = Field(default_factory=dict)  # first channel
    by_tier: dict[str, int] = Field(default_factory=dict)
    by_state: dict[str, int] = Field(default_factory=dict)
    resolutions: dict[str, int] = Field(default_factory=dict)
    finished: int = 0  # resolved or closed
    autonomous: int = 0  # finished with no supervisor decision (ContactAutonomous)
    autonomous_rate: float = 0.0  # autonomous / contacts
    autonomous_rate_of_finished: float = 0.0  # autonomous / finished
    escalated: int = 0  # contacts ever escalated
    escalations_by_reason: dict[str, int] = Field(default_factory=dict)
    awaiting_decision: int = 0  # escalated now
    money: Money = Field(default_factory=lambda: Money(source="contacts"))
    carrier_cases: CarrierCases = Field(default_factory=CarrierCases)
    first_reply: Durations = Field(default_factory=Durations)
    resolution: Durations = Field(default_factory=Durations)
    sla: Sla = Field(default_factory=Sla)
    rows: list[ContactFacts] = Field(default_factory=list)
