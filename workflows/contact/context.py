"""The running contact: its record and policy, and the small acts every step shares —
the clock, the timeline, the state and what operators see of it."""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from desk.config import PolicyConfig
    from desk.contact import ContactRecord
    from desk.models import ContactState, Customer, Order, RoutedMessage, TimelineEntry
    from desk.policy.carrier_record import primary_shipment
    from desk.policy.rules import Rule
    from desk.routing import intake_workflow_id

from workflows import metrics
from workflows.contact import visibility
from workflows.contact.patches import released


class Contact:
    def __init__(self, contact_id: str, cfg: PolicyConfig, record: ContactRecord) -> None:
        self.id = contact_id
        self.cfg = cfg
        self.rec = record
        # What this run last upserted, by attribute: only changes are sent again.
        self._upserted: dict[str, object] = {}
        # The message the current playbook answers (the contact's request, or the one it was
        # re-read from), and whether a reply has named it yet. Not carried across
        # continue-as-new: a continued run waits on a person, who decides.
        self.request: RoutedMessage | None = None
        self.request_named = False

    def take_request(self, message: RoutedMessage) -> None:
        self.request = message
        self.request_named = False

    # ------------------------------------------------------------ facts

    def now(self) -> datetime:
        return workflow.now()

    @property
    def order(self) -> Order:
        assert self.rec.order is not None, "a playbook runs only on a matched order"
        return self.rec.order

    @property
    def customer(self) -> Customer:
        assert self.rec.customer is not None, "a playbook runs only for a matched customer"
        return self.rec.customer

    # ------------------------------------------------------------ messages

    def receive(self, routed: RoutedMessage) -> None:
        """Record a message; a retried route or webhook (same message id) is dropped."""
        key = intake_workflow_id(routed.message)  # channel, scope and the provider's id
        if any(intake_workflow_id(r.message) == key for r in self.rec.routed):
            return
        self.rec.routed.append(routed)
        u = routed.understanding
        if u.preference and routed.match.verified:
            self.rec.preference = u.preference
        self.note(
            "message",
            f"{routed.message.channel.value} from {routed.message.sender}: "
            f"{routed.message.text[:200]!r} (read as {u.intent.value} {u.confidence:.2f})",
            by="customer",
        )

    def adopt(self, routed: RoutedMessage) -> None:
        """Take the customer, order and shipment a matched message names."""
        if routed.match.customer:
            self.rec.customer = routed.match.customer
        if routed.match.order:
            self.rec.order = routed.match.order
            self.rec.shipment = primary_shipment(
                self.rec.order.shipments, routed.understanding.tracking_numbers
            )
        self.upsert()

    # ------------------------------------------------------------ the record as others see it

    def note(self, kind: str, text: str, rule: Rule | None = None, by: str = "desk") -> None:
        self.rec.timeline.append(
            TimelineEntry(
                at=self.now(), kind=kind, text=text, by=by, rule=rule.value if rule else None
            )
        )
        self.details()

    def set_state(self, state: ContactState) -> None:
        metrics.transition(self.rec, self.rec.state, state)
        self.rec.state = state
        self.upsert()
        self.details()

    def details(self) -> None:
        workflow.set_current_details(visibility.details_card(self.rec))

    def upsert(self) -> None:
        """Search attributes as the record has them. Since the release, only those that
        changed since this run last upserted (each upsert is an event and a visibility
        write); none changed, no upsert."""
        updates = visibility.search_attribute_updates(self.rec)
        if released():
            updates = [u for u in updates if self._upserted.get(u.key.name) != u.value]
            if not updates:
                return
        workflow.upsert_search_attributes(updates)
        self._upserted.update((u.key.name, u.value) for u in updates)
