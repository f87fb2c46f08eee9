"""The one data model that travels everywhere: ingest, workflows, activities, store, CLI.

Every model is pydantic so Temporal's pydantic data converter carries it across
workflow and activity boundaries unchanged.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field


class Channel(StrEnum):
    email = "email"
    sms = "sms"
    chat = "chat"
    web = "web"
    social = "social"


class Tier(StrEnum):
    vip = "vip"
    standard = "standard"
    new = "new"
    b2b = "b2b"


class Intent(StrEnum):
    where_is_my_order = "where_is_my_order"
    delivered_not_received = "delivered_not_received"
    wrong_item = "wrong_item"
    damaged_item = "damaged_item"
    cancel_order = "cancel_order"
    change_address = "change_address"
    other = "other"


class ContactState(StrEnum):
    new = "new"
    investigating = "investigating"
    awaiting_customer = "awaiting_customer"
    awaiting_carrier = "awaiting_carrier"
    escalated = "escalated"
    human_owned = "human_owned"
    resolved = "resolved"
    closed = "closed"


class ResolutionKind(StrEnum):
    reship = "reship"
    refund = "refund"
    reship_and_refund = "reship_and_refund"
    cancelled = "cancelled"
    cancel_denied_shipped = "cancel_denied_shipped"
    carrier_found = "carrier_found"
    found_by_customer = "found_by_customer"
    address_updated = "address_updated"
    info_only = "info_only"
    no_response = "no_response"
    rejected = "rejected"

    @property
    def final_state(self) -> ContactState:
        closing = {ResolutionKind.no_response, ResolutionKind.rejected}
        return ContactState.closed if self in closing else ContactState.resolved


class EscalationReason(StrEnum):
    unclear_request = "unclear_request"
    customer_requested_human = "customer_requested_human"
    sensitive = "sensitive"
    fulfillment_delay = "fulfillment_delay"
    returned_to_sender = "returned_to_sender"
    fraud_review = "fraud_review"
    b2b_account = "b2b_account"
    delivered_with_proof = "delivered_with_proof"
    over_limit = "over_limit"
    customer_disputes = "customer_disputes"


class Carrier(StrEnum):
    usps = "usps"
    ups = "ups"
    fedex = "fedex"
    dhl = "dhl"


class ScanStatus(StrEnum):
    label_created = "label_created"
    accepted = "accepted"
    in_transit = "in_transit"
    out_for_delivery = "out_for_delivery"
    delivered = "delivered"
    exception = "exception"


class ExceptionKind(StrEnum):
    lost = "lost"
    damaged = "damaged"
    return_to_sender = "return_to_sender"


class OrderStatus(StrEnum):
    unfulfilled = "unfulfilled"
    fulfilled = "fulfilled"
    partially_fulfilled = "partially_fulfilled"
    cancelled = "cancelled"


class ClaimKind(StrEnum):
    delivered_not_received = "delivered_not_received"
    wrong_item = "wrong_item"
    damaged_item = "damaged_item"


Preference = Literal["refund", "reship"]


# ---------------------------------------------------------------- messages


class Attachment(BaseModel):
    kind: Literal["image", "file"] = "file"
    name: str = ""
    content_type: str | None = None


AuthMethod = Literal[
    "none",  # nothing vouches for the sender (anonymous form, unsigned webhook, failed checks)
    "twilio_signature",  # the SMS provider signed the webhook: From is the carrier's
    "email_authentication",  # SPF / DKIM aligned with From, or DMARC pass, per the headers
    "signed_identity",  # the merchant's site or widget signed the user's identity (HMAC)
    "platform_signature",  # the social platform signed the webhook
    "dev_unsigned",  # development mode on loopback: unsigned input trusted, said at start
    "scenario",  # a scenario file's message (authenticated unless it says otherwise)
]


class SenderAuth(BaseModel):
    """How channel ingest authenticated a message's sender, or that it could not. Only an
    authenticated sender can be verified as a customer; the default is unauthenticated."""

    method: AuthMethod = "none"
    authenticated: bool = False
    detail: str = Field("", description="what was checked, e.g. 'dmarc=pass header.from=...'")


class InboundMessage(BaseModel):
    """A customer message as channel ingest hands it over, before anything is matched."""

    message_id: str = Field(min_length=1, description="Provider's id; retries reuse it")
    channel: Channel
    sender: str = Field(min_length=1, description="email, phone, chat or social handle")
    subject: str | None = None
    text: str = ""
    attachments: list[Attachment] = Field(default_factory=list)
    received_at: datetime | None = None
    auth: SenderAuth = Field(default_factory=SenderAuth)
    # What the provider's id is unique within (a chat conversation, a social platform), so
    # two providers' ids never collide in the intake workflow id.
    provider_scope: str | None = None


class Understanding(BaseModel):
    """What the classifier read from one message."""

    intent: Intent
    confidence: float = Field(ge=0.0, le=1.0)
    order_numbers: list[str] = Field(default_factory=list)
    tracking_numbers: list[str] = Field(default_factory=list)
    preference: Preference | None = None
    wants_human: bool = False
    sensitive: bool = False
    found_it: bool = False
    still_missing: bool = False
    thanks: bool = False
    dispute: bool = False
    angry: bool = False
    has_image: bool = False
    new_address: Address | None = None
    # An answer to a yes/no question the desk asked ("yes please", "go ahead" / "no",
    # "don't"); both false when the message is neither.
    affirmative: bool = False
    negative: bool = False
    # For intent ``other``: which out-of-scope family the message belongs to (account,
    # membership, payment_method, billing, refund_status, promotion, product_question,
    # shipping_policy), when the reader can tell. A person answers these, or a configured
    # answer does; never a playbook.
    topic: str | None = None
    classifier_version: str = ""


# ---------------------------------------------------------------- shop


class Address(BaseModel):
    line1: str
    line2: str | None = None
    city: str
    region: str | None = None
    postal_code: str
    country: str
    lat: float | None = None
    lon: float | None = None

    def one_line(self) -> str:
        parts = [self.line1, self.line2, self.city, self.region, self.postal_code, self.country]
        return ", ".join(p for p in parts if p)


class Identity(BaseModel):
    kind: Literal["email", "phone", "chat", "social"]
    value: str


class Claim(BaseModel):
    kind: ClaimKind
    at: datetime
    contact_id: str | None = None


class Customer(BaseModel):
    id: str
    name: str
    tier: Tier
    identities: list[Identity] = Field(default_factory=list)
    claims: list[Claim] = Field(default_factory=list)


class OrderLine(BaseModel):
    sku: str
    name: str
    qty: int = Field(ge=1)
    unit_price: float = Field(ge=0)
    cancelled: bool = False

    @property
    def total(self) -> float:
        return round(self.qty * self.unit_price, 2)


class ScanEvent(BaseModel):
    at: datetime
    status: ScanStatus
    description: str = ""
    city: str | None = None
    photo: bool = False
    signature: bool = False
    lat: float | None = None
    lon: float | None = None
    exception: ExceptionKind | None = None


class Shipment(BaseModel):
    carrier: Carrier
    tracking: str
    service: str = "ground"
    skus: list[str] = Field(default_factory=list)
    expected_delivery: datetime | None = None
    events: list[ScanEvent] = Field(default_factory=list)
    label_voided: bool = False


class Order(BaseModel):
    number: str
    customer_id: str
    placed_at: datetime
    status: OrderStatus
    shipping_cost: float = 0.0
    prior_reships: int = 0
    address: Address
    lines: list[OrderLine]
    shipments: list[Shipment] = Field(default_factory=list)

    def line(self, sku: str) -> OrderLine | None:
        return next((ln for ln in self.lines if ln.sku == sku), None)


class CarrierCase(BaseModel):
    case_number: str
    carrier: Carrier
    tracking: str
    kind: str  # "missing_mail_search" for USPS, "trace" for the others
    reason: str
    filed_at: datetime
    status: Literal["open", "found", "not_found"] = "open"


class MissingMailRequest(BaseModel):
    """Everything a carrier's search form asks for (USPS Missing Mail Search Request), for a
    carrier with no API to file it: a person files it and signals back the case number."""

    carrier: Carrier
    tracking: str
    reason: str
    sender_name: str = ""
    sender_address: str = ""
    recipient_name: str = ""
    recipient_address: str = ""
    recipient_email: str | None = None
    container: str = "box"
    mailing_date: datetime | None = None
    contents: str = ""
    value: float = 0.0


class CarrierTask(BaseModel):
    """A carrier search waiting for a person to file it by hand."""

    task_id: str  # also the case number the contact shows until the real one is known
    contact_id: str | None
    request: MissingMailRequest
    opened_at: datetime
    case_number: str | None = None
    filed_by: str | None = None


class CarrierCaseFiled(BaseModel):
    """A person filed a prepared carrier search: the carrier's case number."""

    case_number: str = Field(min_length=1, max_length=100)
    by: str = Field(min_length=1)


class TraceResult(BaseModel):
    """The carrier's record of one shipment as of a given time."""

    shipment: Shipment
    case: CarrierCase | None = None


class SenderMatch(BaseModel):
    """Who wrote and about which order, as the order system sees it."""

    customer: Customer | None = None
    order: Order | None = None
    verified: bool = False
    problem: (
        Literal[
            "unknown_sender", "order_not_theirs", "unknown_order", "no_order", "unauthenticated"
        ]
        | None
    ) = None
    # The existing order an unverified sender named: routes the message to that order's
    # contact (one contact per order) without giving the sender any of its details.
    claimed_order: str | None = None
    # The customer named no order: it was inferred (their latest), and how many other
    # recent orders they have (the inference is then uncertain: the desk confirms).
    inferred: bool = False
    other_recent_orders: int = 0


class RoutedMessage(BaseModel):
    """A message after intake: read, matched, and addressed to one contact."""

    message: InboundMessage
    understanding: Understanding
    match: SenderMatch
    contact_id: str
    # Set when the message was not handed to its contact (an unverified sender over the
    # attempt limits): why. The intake workflow's history keeps the message itself.
    held_back: str | None = None


class UnverifiedAttempt(BaseModel):
    """An unverified sender writing (about an order, or not): counted against the limits."""

    key: str = Field(min_length=1, description="one per message: a retry counts once")
    sender_key: str = Field(min_length=1, description="channel and normalised sender, hashed")
    order_number: str | None = None
    at: datetime


class AttemptLimits(BaseModel):
    per_sender: int = Field(ge=1)
    per_order: int = Field(ge=1)
    window_hours: float = Field(gt=0)


class AttemptVerdict(BaseModel):
    allowed: bool
    reason: str = ""
    retry_after: datetime | None = None


class OwnerNotice(BaseModel):
    """Tell an order's owner, on the identity on file, that someone wrote about it on a
    channel the desk could not verify; their reply from there is verified."""

    contact_id: str
    order_number: str
    channel: Channel
    key: str


# ---------------------------------------------------------------- decisions and outcomes


class LineRef(BaseModel):
    sku: str
    name: str
    qty: int
    unit_price: float

    @property
    def total(self) -> float:
        return round(self.qty * self.unit_price, 2)


class ProposedResolution(BaseModel):
    """What the rules would do; executed as is, or held for a supervisor."""

    kind: ResolutionKind
    reship_lines: list[LineRef] = Field(default_factory=list)
    refund_lines: list[LineRef] = Field(default_factory=list)
    refund_amount: float = 0.0
    refund_shipping: float = 0.0
    service: str | None = None
    delivery_note: str | None = None
    return_label: bool = False
    money_at_stake: float = 0.0
    rule: str = ""
    facts: dict[str, str] = Field(default_factory=dict)


class SupervisorAction(StrEnum):
    approve = "approve"
    override = "override"
    reject = "reject"
    take_over = "take_over"
    close = "close"


class SupervisorDecision(BaseModel):
    action: SupervisorAction
    by: str = Field(min_length=1, description="the supervisor's id in the registry")
    note: str = ""
    resolution: ResolutionKind | None = None
    amount: float | None = Field(default=None, ge=0)
    # Set by the service the supervisor signs into (desk.supervisors.sign): when, and an
    # HMAC of the fields with the supervisor's key. Checked before a contact accepts it.
    issued_at: datetime | None = None
    signature: str | None = None
    # Set by the contact once the signature checked out: the role that allowed it.
    role: str | None = None


class DecisionCheck(BaseModel):
    """A supervisor decision to check against the registry before a contact accepts it."""

    contact_id: str
    decision: SupervisorDecision
    money_moved: float = Field(ge=0, description="refund or reship value the decision moves")
    now: datetime


class DecisionAuthority(BaseModel):
    by: str
    role: str
    limit: float


class ExecutionResult(BaseModel):
    refund_id: str | None = None
    refunded: float = 0.0
    replacement_order: str | None = None


class TimelineEntry(BaseModel):
    at: datetime
    kind: str
    text: str
    by: str = "desk"
    rule: str | None = None


class Reply(BaseModel):
    channel: Channel
    to: str
    subject: str | None = None
    body: str


class CarrierReading(BaseModel):
    """The policy's reading of a shipment's scans (POLICY.md, "Reading the carrier record")."""

    status: Literal["delivered", "in_transit", "exception", "not_shipped"]
    proof: Literal["strong", "weak", "misdelivered"] | None = None
    proof_facts: list[str] = Field(default_factory=list)
    late: bool = False
    stalled: bool = False
    exception: ExceptionKind | None = None
    last_scan: ScanEvent | None = None
    delivered_at: datetime | None = None
    expected_delivery: datetime | None = None
    tracking: str | None = None
    carrier: Carrier | None = None


Understanding.model_rebuild()


class ContactSnapshot(BaseModel):
    """Everything an operator or supervisor needs to see about one contact."""

    contact_id: str
    state: ContactState
    intent: Intent | None = None
    confidence: float | None = None
    classifier_version: str | None = None
    customer_id: str | None = None
    customer_name: str | None = None
    tier: Tier | None = None
    order_number: str | None = None
    channels: list[Channel] = Field(default_factory=list)
    last_channel: Channel | None = None
    evidence: CarrierReading | None = None
    carrier_case: str | None = None
    proposed_resolution: ProposedResolution | None = None
    resolution: ResolutionKind | None = None
    autonomous: bool | None = None
    escalation_reason: EscalationReason | None = None
    escalation_level: int = 0
    escalated_at: datetime | None = None
    refund_total: float = 0.0
    replacement_orders: list[str] = Field(default_factory=list)
    replies_sent: int = 0
    messages: list[InboundMessage] = Field(default_factory=list)
    decisions: list[SupervisorDecision] = Field(default_factory=list)
    timeline: list[TimelineEntry] = Field(default_factory=list)
    # What the contact waits for now (the wait's summary) and until when; None when it is
    # not waiting on a timer.
    waiting_for: str | None = None
    waiting_until: datetime | None = None
