"""The ports: what the desk needs from the merchant's systems.

The sandbox shop implements every port over one SQL database; a merchant's engineers
implement the same protocols over their order system, carrier APIs, payment provider and
helpdesk. Activities call only these. Every method that moves money or goods, or sends
something, takes an idempotency key the implementation must enforce: the same key twice
returns the first result and does nothing more.

Every lookup takes ``as_of``: the workflow's time, never the wall clock, so time-skipping
tests and scenario offsets mean the same thing as production.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from desk.models import (
    Address,
    AttemptLimits,
    AttemptVerdict,
    CarrierCase,
    CarrierTask,
    Claim,
    ClaimKind,
    Customer,
    ExecutionResult,
    LineRef,
    MissingMailRequest,
    Order,
    Reply,
    TraceResult,
    UnverifiedAttempt,
)


class NotFound(LookupError):
    """The thing asked for does not exist (unknown order, shipment, customer)."""


class Conflict(ValueError):
    """The request contradicts the record (e.g. cancelling an order that has shipped)."""


class Refused(RuntimeError):
    """The merchant's system refused for good (a declined refund, an order already
    cancelled, invalid input it will never accept): retrying cannot help, a person decides."""


class Unavailable(RuntimeError):
    """The merchant's system did not answer in time or is throttling: try again later
    (the activity's retry policy does, with backoff)."""


class SearchNeedsOperator(Exception):
    """The carrier has no API to file a search (USPS Missing Mail): here is the request, with
    every field its form asks for, for a person to file."""

    def __init__(self, request: MissingMailRequest) -> None:
        super().__init__(f"{request.carrier.value} search for {request.tracking} needs a person")
        self.request = request


# The errors a retry cannot fix, by the exact type name Temporal reports them under (a
# subclass is reported under its own name, so each is listed): the ports' answers, a
# vendor refusing our credentials, and input a port refuses as invalid.
FINAL_ERRORS = ["NotFound", "Conflict", "Refused", "VendorAuthError", "ValueError"]


class OrderSystem(Protocol):
    def find_customer(self, identity: str) -> Customer | None:
        """The customer with this email, phone, chat or social handle, with claims."""

    def find_customer_by_id(self, customer_id: str) -> Customer | None:
        """The customer with this id, with identities and claims."""

    def get_order(self, number: str) -> Order:
        """The order with its lines and shipments (scan events not included). NotFound."""

    def latest_order(self, customer_id: str) -> Order | None:
        """The customer's most recent order, for messages that name none."""

    def recent_order_numbers(self, customer_id: str, since: datetime) -> list[str]:
        """The numbers of the customer's orders placed since ``since``, newest first."""

    def stock(self, skus: list[str]) -> dict[str, int]:
        """Units in stock per SKU (missing SKU: 0)."""

    def record_claim(self, customer_id: str, kind: ClaimKind, at: datetime, key: str) -> Claim:
        """Remember a claim for the fraud gate; idempotent on ``key``. The key is
        ``<contact id>:claim``: the claim remembers its contact, which the fraud gate never
        counts against itself."""

    def cancel_lines(self, order_number: str, skus: list[str], key: str) -> Order:
        """Cancel unshipped lines (all: the order) and void open labels; idempotent."""

    def update_address(self, order_number: str, address: Address, key: str) -> Order:
        """Change the shipping address of an unshipped order; idempotent."""


class CarrierTracking(Protocol):
    def trace(self, tracking: str, as_of: datetime) -> TraceResult:
        """Scan history visible at ``as_of`` and the carrier search case, if any."""

    def file_search(self, tracking: str, reason: str, filed_at: datetime, key: str) -> CarrierCase:
        """File a missing-mail search / trace; at most one per shipment, whatever the key."""


class Payments(Protocol):
    def refund(
        self, order_number: str, amount: float, lines: list[LineRef], reason: str, key: str
    ) -> ExecutionResult:
        """Refund to the original payment method; exactly one refund per key."""


class Fulfilment(Protocol):
    def create_replacement(
        self,
        order_number: str,
        lines: list[LineRef],
        service: str,
        note: str | None,
        key: str,
    ) -> ExecutionResult:
        """One replacement order per key, shipped to the original order's address."""

    def create_return_label(self, order_number: str, lines: list[LineRef], key: str) -> str:
        """A prepaid return label for the lines; one per key. Returns the label number."""


class Helpdesk(Protocol):
    def send_reply(self, contact_id: str, reply: Reply, key: str) -> str:
        """Send on the customer's channel; one message per key. Returns the outbox id."""

    def alert_supervisors(self, contact_id: str, text: str, level: int, key: str) -> str:
        """Put an escalation or an SLA reminder in front of the supervisors; one per key."""

    def open_contact(self, contact_id: str, customer_id: str, order_number: str) -> None:
        """The contact is open about this order (a ticket); repeating it changes nothing."""

    def close_contact(self, contact_id: str) -> None:
        """The contact is over; repeating it changes nothing."""

    def open_contact_order(self, customer_id: str) -> str | None:
        """The order of the customer's most recently opened contact still open, if any."""


class AttemptLedger(Protocol):
    def register_attempt(self, attempt: UnverifiedAttempt, limits: AttemptLimits) -> AttemptVerdict:
        """Count an unverified sender's message and say whether it is within the limits per
        sender and per order; the same key twice returns the first verdict."""


class CarrierTasks(Protocol):
    """Carrier searches a person files by hand, kept in the desk's own database."""

    def open_task(
        self, request: MissingMailRequest, contact_id: str | None, at: datetime, key: str
    ) -> CarrierTask:
        """Record the prepared request; the same key twice returns the first task."""

    def open_tasks(self) -> list[CarrierTask]:
        """The tasks nobody has filed yet, oldest first."""

    def mark_filed(self, task_id: str, case_number: str, by: str) -> CarrierTask:
        """The person filed it: the carrier's case number. NotFound for an unknown task."""
