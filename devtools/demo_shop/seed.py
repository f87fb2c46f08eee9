"""Seeding the demo shop: customers, orders and stock into an empty sandbox shop, and the
summary with the demo traffic that fits it.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime

from pydantic import BaseModel

from desk.adapters.sandbox import SandboxShop
from desk.adapters.sandbox.tables import InventoryRow, as_utc
from devtools.demo_shop.catalogue import _OUT_OF_STOCK, PRODUCTS
from devtools.demo_shop.contacts import DemoContact, _contacts
from devtools.demo_shop.customers import Person, _customers
from devtools.demo_shop.orders import PlannedOrder, _orders
from devtools.demo_shop.rows import _customer_row, _order_row
from devtools.demo_shop.states import ORDER_STATES


class DemoShopSummary(BaseModel):
    seed: int
    now: datetime
    customers: int
    customers_by_tier: dict[str, int]
    customers_with_prior_claims: int
    products: int
    out_of_stock: list[str]
    orders: int
    orders_by_state: dict[str, int]
    order_numbers_by_state: dict[str, list[str]]
    shipments: int
    shipments_by_carrier: dict[str, int]
    scan_events: int
    search_outcomes: dict[str, int]
    contacts: list[DemoContact]


def seed_demo_shop(
    shop: SandboxShop, now: datetime, *, seed: int = 7, search_delay_scale: float = 1.0
) -> DemoShopSummary:
    """Fill an empty shop with the demo data; the same seed and ``now`` give the same shop."""
    now = as_utc(now)
    rng = random.Random(seed)
    people = _customers(rng, now)
    orders = _orders(rng, now, people, search_delay_scale)
    with shop.unit_of_work() as session:
        session.add_all(_customer_row(p) for p in people)
        session.flush()
        session.add_all(_order_row(o) for o in orders)
        session.add_all(InventoryRow(sku=p.sku, units=p.stock) for p in PRODUCTS)
    contacts = _contacts(rng, now, seed, people, orders)
    return _summary(seed, now, people, orders, contacts)


def demo_contacts(shop_summary: DemoShopSummary) -> list[DemoContact]:
    return list(shop_summary.contacts)


def _summary(
    seed: int,
    now: datetime,
    people: list[Person],
    orders: list[PlannedOrder],
    contacts: list[DemoContact],
) -> DemoShopSummary:
    parcels = [p for o in orders for p in o.parcels]
    by_state: dict[str, list[str]] = {state: [] for state in ORDER_STATES}
    for order in orders:
        by_state[order.state].append(order.number)
    return DemoShopSummary(
        seed=seed,
        now=now,
        customers=len(people),
        customers_by_tier=dict(sorted(Counter(p.tier.value for p in people).items())),
        customers_with_prior_claims=sum(1 for p in people if p.claims),
        products=len(PRODUCTS),
        out_of_stock=[p.sku for p in _OUT_OF_STOCK],
        orders=len(orders),
        orders_by_state={state: len(numbers) for state, numbers in by_state.items()},
        order_numbers_by_state=by_state,
        shipments=len(parcels),
        shipments_by_carrier=dict(sorted(Counter(p.carrier.value for p in parcels).items())),
        scan_events=sum(len(p.scans) for p in parcels),
        search_outcomes=dict(sorted(Counter(p.search[0] for p in parcels if p.search).items())),
        contacts=contacts,
    )
