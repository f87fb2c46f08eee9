"""Order-system lookups: who is writing, about which order, what is in stock, past claims."""

from __future__ import annotations

from datetime import datetime

from temporalio import activity

from desk.models import Claim, ClaimKind, InboundMessage, Order, SenderMatch, Understanding
from desk.ports import Helpdesk, NotFound, OrderSystem


def _verifies_by_details(order: Order, text: str, email: str | None) -> bool:
    """An unknown identity may prove ownership with the order's email and postal code."""
    if not email:
        return False
    lowered = text.lower()
    return email.lower() in lowered and order.address.postal_code.lower() in lowered


class LookupActivities:
    def __init__(self, orders: OrderSystem, helpdesk: Helpdesk | None = None) -> None:
        self.orders = orders
        self.helpdesk = helpdesk

    @activity.defn
    def match_sender(self, message: InboundMessage, understanding: Understanding) -> SenderMatch:
        customer = self.orders.find_customer(message.sender)
        for number in understanding.order_numbers:
            try:
                order = self.orders.get_order(number)
            except NotFound:
                continue
            if customer is not None and order.customer_id == customer.id:
                return SenderMatch(customer=customer, order=order, verified=True)
            owner_email = self._owner_email(order)
            if _verifies_by_details(order, f"{message.subject or ''} {message.text}", owner_email):
                owner = self.orders.find_customer(owner_email or "")
                return SenderMatch(customer=owner, order=order, verified=True)
            return SenderMatch(
                verified=False, problem="order_not_theirs", claimed_order=order.number
            )
        if customer is None:
            return SenderMatch(problem="unknown_sender")
        if understanding.order_numbers:
            return SenderMatch(customer=customer, verified=True, problem="unknown_order")
        # A follow-up that names no order continues the conversation the customer has open.
        open_order = self.helpdesk.open_contact_order(customer.id) if self.helpdesk else None
        if open_order is not None:
            return SenderMatch(
                customer=customer, order=self.orders.get_order(open_order), verified=True
            )
        latest = self.orders.latest_order(customer.id)
        if latest is None:
            return SenderMatch(customer=customer, verified=True, problem="no_order")
        return SenderMatch(customer=customer, order=latest, verified=True)

    def _owner_email(self, order: Order) -> str | None:
        owner = self.orders.find_customer_by_id(order.customer_id)
        if owner is None:
            return None
        return next((i.value for i in owner.identities if i.kind == "email"), None)

    @activity.defn
    def check_stock(self, skus: list[str]) -> dict[str, int]:
        return self.orders.stock(skus)

    @activity.defn
    def get_order(self, number: str) -> Order:
        return self.orders.get_order(number)

    @activity.defn
    def record_claim(self, customer_id: str, kind: ClaimKind, at: datetime, key: str) -> Claim:
        return self.orders.record_claim(customer_id, kind, at, key)
