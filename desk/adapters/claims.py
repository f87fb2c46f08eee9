"""The fraud gate's memory when the order system is the merchant's: claims are the desk's
own record, kept in its database (``desk.adapters.sandbox.claims``), and attached to the
customers the order system returns."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from desk.adapters.sandbox.claims import DeskClaims
from desk.models import Address, Claim, ClaimKind, Customer, Order
from desk.ports import OrderSystem


class OrdersWithoutClaims(Protocol):
    """An ``OrderSystem`` but for claims (the merchant's systems keep none)."""

    def find_customer(self, identity: str) -> Customer | None: ...
    def find_customer_by_id(self, customer_id: str) -> Customer | None: ...
    def get_order(self, number: str) -> Order: ...
    def latest_order(self, customer_id: str) -> Order | None: ...
    def recent_order_numbers(self, customer_id: str, since: datetime) -> list[str]: ...
    def stock(self, skus: list[str]) -> dict[str, int]: ...
    def cancel_lines(self, order_number: str, skus: list[str], key: str) -> Order: ...
    def update_address(self, order_number: str, address: Address, key: str) -> Order: ...


class WithDeskClaims:
    """An order system whose claims live in the desk's database: every other call goes to
    the order system itself."""

    def __init__(self, orders: OrdersWithoutClaims | OrderSystem, claims: DeskClaims) -> None:
        self.orders = orders
        self.claims = claims

    def _with_claims(self, customer: Customer | None) -> Customer | None:
        if customer is None:
            return None
        return customer.model_copy(update={"claims": self.claims.desk_claims(customer.id)})

    def find_customer(self, identity: str) -> Customer | None:
        return self._with_claims(self.orders.find_customer(identity))

    def find_customer_by_id(self, customer_id: str) -> Customer | None:
        return self._with_claims(self.orders.find_customer_by_id(customer_id))

    def record_claim(self, customer_id: str, kind: ClaimKind, at: datetime, key: str) -> Claim:
        return self.claims.record_desk_claim(customer_id, kind, at, key)

    def get_order(self, number: str) -> Order:
        return self.orders.get_order(number)

    def latest_order(self, customer_id: str) -> Order | None:
        return self.orders.latest_order(customer_id)

    def recent_order_numbers(self, customer_id: str, since: datetime) -> list[str]:
        return self.orders.recent_order_numbers(customer_id, since)

    def stock(self, skus: list[str]) -> dict[str, int]:
        return self.orders.stock(skus)

    def cancel_lines(self, order_number: str, skus: list[str], key: str) -> Order:
        return self.orders.cancel_lines(order_number, skus, key)

    def update_address(self, order_number: str, address: Address, key: str) -> Order:
        return self.orders.update_address(order_number, address, key)
