"""Chaos traffic: a shop of N customers, one order each, and one contact per order written
by the demo shop's own message templates, weighted towards contacts that move money
(lost and damaged parcels, wrong items, cancellations) so the ledger has plenty to check.

One customer per order on purpose: the repeat-claim rule would otherwise escalate most of
a customer's later claims, and the run is about money and replies moving exactly once.
Identities are made unique by the index (the demo's name pools are small).
"""

from __future__ import annotations

import dataclasses
import random
from datetime import datetime

from desk.adapters.sandbox import SandboxShop
from desk.adapters.sandbox.tables import InventoryRow, as_utc
from desk.models import Tier
from devtools.demo_shop.catalogue import PRODUCTS
from devtools.demo_shop.contacts import _TRAFFIC, DemoContact, _from_customer
from devtools.demo_shop.customers import _FIRST, _LAST, Person, _consumer
from devtools.demo_shop.orders import _OrderMaker
from devtools.demo_shop.rows import _customer_row, _order_row

# (demo traffic kind, weight): about two thirds of the contacts can end in a refund, a
# replacement or a cancellation; the rest read tracking, wait on carriers or escalate.
MIX: dict[str, float] = {
    "lost": 14,
    "damaged": 14,
    "wrong_item": 10,
    "cancel": 12,
    "misdelivered": 6,
    "dnr": 6,
    "dnr_strong": 6,
    "stalled": 6,
    "late": 5,
    "wismo": 8,
    "cancel_shipped": 3,
    "cancel_rest": 3,
    "change_address": 3,
    "unshipped_old": 2,
    "return_to_sender": 2,
}
_STATES = {kind: states for kind, states, _ in _TRAFFIC}
FIRST_ORDER = 70001
_TIERS = [Tier.standard] * 6 + [Tier.vip] * 2 + [Tier.new] * 2


def _unique(person: Person, i: int) -> Person:
    user, _, domain = person.email.partition("@")
    return dataclasses.replace(
        person,
        email=f"{user}.{i}@{domain}",
        phone=f"+1555{i:07d}" if person.phone else None,
        chat=f"{person.chat}-{i}" if person.chat else None,
        social=f"{person.social}_{i}" if person.social else None,
        claims=[],
    )


def seed_chaos_shop(
    shop: SandboxShop,
    now: datetime,
    contacts: int,
    *,
    seed: int = 11,
    spread_s: float = 60.0,
    search_delay_scale: float = 1.0,
) -> list[DemoContact]:
    """Fill an empty shop with ``contacts`` customers and orders; the contacts' first
    messages are spread evenly over ``spread_s`` seconds (``send_after_s``)."""
    now = as_utc(now)
    rng = random.Random(seed)
    maker = _OrderMaker(rng, now, search_delay_scale)
    kinds, weights = list(MIX), list(MIX.values())
    people: list[Person] = []
    planned = []
    for i in range(contacts):
        person = _unique(
            _consumer(rng, i, rng.choice(_FIRST), rng.choice(_LAST), rng.choice(_TIERS)), i
        )
        kind = rng.choices(kinds, weights)[0]
        order = maker.make(rng.choice(_STATES[kind]), person)
        order.number = str(FIRST_ORDER + i)
        people.append(person)
        planned.append((kind, order))
    with shop.unit_of_work() as session:
        session.add_all(_customer_row(p) for p in people)
        session.flush()
        session.add_all(_order_row(o) for _, o in planned)
        # Plenty of what is in stock: replacements must not run the shelves dry mid-run.
        session.add_all(InventoryRow(sku=p.sku, units=10_000 if p.stock else 0) for p in PRODUCTS)
    step = spread_s / max(1, contacts)
    traffic = []
    for i, (kind, order) in enumerate(planned):
        latest = {order.person.id: order.number}
        traffic.append(
            _from_customer(rng, now, kind, order, latest, f"chaos-{seed}-{i + 1:04d}", i * step)
        )
    return traffic
