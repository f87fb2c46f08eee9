"""Order-system lookups: who is writing, about which order, what is in stock, past claims."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from temporalio import activity

from desk.models import Claim, ClaimKind, InboundMessage, Order, SenderMatch, Understanding
from desk.ports import Helpdesk, NotFound, OrderSystem


class LookupActivities:
    def __init__(
        self,
        orders: OrderSystem,
        helpdesk: Helpdesk | None = None,
        recent_order_days: float = 60,
    ) -> None:
        self.orders = orders
        self.helpdesk = helpdesk
        self.recent_order_days = recent_order_days

    @activity.defn
    def match_sender(self, message: InboundMessage, understanding: Understanding) -> SenderMatch:
        """POLICY.md "Who is asking". Verified means: the channel authenticated the sender
        (``message.auth``) and that identity belongs to the order's customer. Anyone else
        gets no customer and no order: at most the existing order they named, so the
        message reaches that order's contact without disclosing anything."""
        authenticated = message.auth.authenticated
        customer = self.orders.find_customer(message.sender) if authenticated else None
        for number in understanding.order_numbers:
            try:
                order = self.orders.get_order(number)
            except NotFound:
                continue
            if customer is not None and order.customer_id == customer.id:
                return SenderMatch(customer=customer, order=order, verified=True)
            return SenderMatch(
                verified=False,
                problem="order_not_theirs" if authenticated else "unauthenticated",
                claimed_order=order.number,
            )
        if not authenticated:
            return SenderMatch(problem="unauthenticated")
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
        # Inferred: the desk confirms before anything irreversible when the customer has
        # other recent orders it might have meant.
        now = message.received_at or datetime.now(UTC)
        recent = self.orders.recent_order_numbers(
            customer.id, now - timedelta(days=self.recent_order_days)
        )
        return SenderMatch(
            customer=customer,
            order=latest,
            verified=True,
            inferred=True,
            other_recent_orders=len([n for n in recent if n != latest.number]),
        )

    @activity.defn
    def check_stock(self, skus: list[str]) -> dict[str, int]:
        return self.orders.stock(skus)

    @activity.defn
    def get_order(self, number: str) -> Order:
        return self.orders.get_order(number)

    @activity.defn
    def record_claim(self, customer_id: str, kind: ClaimKind, at: datetime, key: str) -> Claim:
        return self.orders.record_claim(customer_id, kind, at, key)
