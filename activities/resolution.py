"""Moving money and goods: refunds, replacement orders, cancellations. Each exactly once.

Every call carries an idempotency key (contact id + decision number + kind) that the port
enforces with a unique constraint, so a retry after the side effect returns the first
result instead of paying or shipping twice.
"""

from __future__ import annotations

from temporalio import activity

from desk.models import Address, ExecutionResult, LineRef, Order
from desk.ports import Fulfilment, OrderSystem, Payments


class ResolutionActivities:
    def __init__(self, payments: Payments, fulfilment: Fulfilment, orders: OrderSystem) -> None:
        self.payments = payments
        self.fulfilment = fulfilment
        self.orders = orders

    @activity.defn
    def issue_refund(
        self, order_number: str, amount: float, lines: list[LineRef], reason: str, key: str
    ) -> ExecutionResult:
        return self.payments.refund(order_number, amount, lines, reason, key)

    @activity.defn
    def create_replacement(
        self, order_number: str, lines: list[LineRef], service: str, note: str | None, key: str
    ) -> ExecutionResult:
        return self.fulfilment.create_replacement(order_number, lines, service, note, key)

    @activity.defn
    def cancel_order_lines(self, order_number: str, skus: list[str], key: str) -> Order:
        return self.orders.cancel_lines(order_number, skus, key)

    @activity.defn
    def create_return_label(self, order_number: str, lines: list[LineRef], key: str) -> str:
        return self.fulfilment.create_return_label(order_number, lines, key)

    @activity.defn
    def update_order_address(self, order_number: str, address: Address, key: str) -> Order:
        return self.orders.update_address(order_number, address, key)
