"""A generated shop of any size for ``desk simulate`` and the benchmarks, and a tier-1
traffic mix over it.

The shop is blocks of the demo shop (``devtools.demo_shop``: about 44 customers and 300
orders each, every order state the policy distinguishes, scans like the carriers'), each
from its own seed and renamed so ids, identities, order and tracking numbers are unique.
The traffic is one first message per contact, each about an order of its own (one
contact per order), written by the demo's templates to fit the order's situation.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from desk.adapters.sandbox import SandboxShop
from desk.adapters.sandbox.tables import InventoryRow, as_utc
from desk.models import Channel
from devtools.demo_shop.catalogue import PRODUCTS
from devtools.demo_shop.contacts import (
    DemoContact,
    _from_customer,
    _from_stranger,
    _latest_orders,
)
from devtools.demo_shop.customers import Person, _customers
from devtools.demo_shop.orders import ORDER_COUNT, PlannedOrder, _orders
from devtools.demo_shop.rows import _customer_row, _order_row
from devtools.demo_shop.states import (
    DELIVERED_STRONG,
    DELIVERED_WEAK,
    IN_TRANSIT,
    LABEL_CREATED,
    LATE,
    LOST,
    MISDELIVERED,
    PARTIALLY_SHIPPED,
    STALLED,
    UNFULFILLED_OLD,
    UNFULFILLED_RECENT,
)

# A tier-1 mix: where-is-my-order first, then not received, wrong item, damaged, cancel,
# address change and a few unclear or from strangers. (template kind, order states, weight)
TRAFFIC_MIX: list[tuple[str, tuple[str, ...], float]] = [
    ("wismo", (IN_TRANSIT,), 26),
    ("late", (LATE,), 8),
    ("stalled", (STALLED,), 4),
    ("unshipped_old", (UNFULFILLED_OLD,), 3),
    ("dnr", (DELIVERED_WEAK,), 12),
    ("misdelivered", (MISDELIVERED,), 3),
    ("lost", (LOST,), 3),
    ("wrong_item", (DELIVERED_STRONG,), 9),
    ("damaged", (DELIVERED_STRONG,), 8),
    ("cancel", (UNFULFILLED_RECENT, LABEL_CREATED), 8),
    ("cancel_rest", (PARTIALLY_SHIPPED,), 2),
    ("change_address", (UNFULFILLED_RECENT,), 6),
    ("unclear", (DELIVERED_STRONG,), 4),
    ("unknown_sender", (IN_TRANSIT, DELIVERED_WEAK), 4),
]


@dataclass
class SimContact:
    kind: str
    contact: DemoContact


@dataclass
class BulkShop:
    customers: int
    orders: int
    by_state: dict[str, list[PlannedOrder]]
    people: list[Person]
    latest: dict[str, str]
    now: datetime


def _rename(block: int, people: list[Person], orders: list[PlannedOrder], first: int) -> int:
    """Block-unique ids and identities; orders numbered from ``first``; the next number."""
    for i, p in enumerate(people):
        p.id = f"C-{block:04d}-{i:03d}"
        user, domain = p.email.split("@", 1)
        p.email = f"{user}.b{block}@{domain}"
        if p.phone:
            area = p.phone[2:5]
            p.phone = f"+1{area}{(block * 100 + i) % 10**7:07d}"
        if p.chat:
            p.chat = f"{p.chat}-b{block}"
        if p.social:
            p.social = f"{p.social}_b{block}"
    number = first
    for order in orders:
        number += 1
        order.number = str(number)
    return number


def seed_bulk_shop(shop: SandboxShop, now: datetime, orders: int, *, seed: int = 7) -> BulkShop:
    """At least ``orders`` orders (whole blocks of the demo shop's ``ORDER_COUNT``)."""
    now = as_utc(now)
    blocks = max(1, -(-orders // ORDER_COUNT))
    by_state: dict[str, list[PlannedOrder]] = {}
    everyone: list[Person] = []
    all_orders: list[PlannedOrder] = []
    tracking: set[str] = set()
    number = 100000
    for block in range(blocks):
        rng = random.Random(seed * 100003 + block)
        people = _customers(rng, now)
        planned = _orders(rng, now, people, 1.0)
        # A tracking number drawn twice across blocks: the later order is left out.
        kept = []
        for order in planned:
            numbers = {p.tracking for p in order.parcels}
            if numbers & tracking:
                continue
            tracking |= numbers
            kept.append(order)
        number = _rename(block, people, kept, number)
        with shop.unit_of_work() as session:
            session.add_all(_customer_row(p) for p in people)
            session.flush()
            session.add_all(_order_row(o) for o in kept)
            if block == 0:
                session.add_all(InventoryRow(sku=p.sku, units=p.stock * 1000) for p in PRODUCTS)
        everyone += people
        all_orders += kept
        for order in kept:
            by_state.setdefault(order.state, []).append(order)
    return BulkShop(
        customers=len(everyone),
        orders=len(all_orders),
        by_state=by_state,
        people=everyone,
        latest=_latest_orders(all_orders),
        now=now,
    )


def traffic(shop: BulkShop, contacts: int, *, seed: int = 7) -> list[SimContact]:
    """``contacts`` first messages in the tier-1 mix, each about an order of its own (a kind
    whose orders run out gives way to the others)."""
    rng = random.Random(seed)
    pools = {
        kind: [o for s in states for o in shop.by_state.get(s, [])]
        for kind, states, _ in TRAFFIC_MIX
    }
    for pool in pools.values():
        rng.shuffle(pool)
    used: set[str] = set()
    weights = {kind: w for kind, _, w in TRAFFIC_MIX}
    out: list[SimContact] = []
    strangers = 0
    while len(out) < contacts:
        live = [k for k in weights if pools[k]]
        if not live:
            raise ValueError(f"the shop has orders for {len(out)} contacts; make it bigger")
        kind = rng.choices(live, [weights[k] for k in live])[0]
        order = pools[kind].pop()
        if order.number in used:
            continue
        used.add(order.number)
        message_id = f"sim-{seed}-{len(out) + 1:06d}"
        if kind == "unknown_sender":
            contact = _from_stranger(rng, shop.now, order, strangers, message_id, 0.0)
            # A sender of their own: the per-sender attempt limits count each once.
            contact = contact.model_copy(
                update={"channel": Channel.email, "sender": f"stranger{strangers}@inbox.example"}
            )
            strangers += 1
        else:
            contact = _from_customer(rng, shop.now, kind, order, shop.latest, message_id, 0.0)
        out.append(SimContact(kind, contact.model_copy(update={"follow_ups": []})))
    return out


def mix_summary(contacts: list[SimContact]) -> dict[str, int]:
    return dict(Counter(c.kind for c in contacts).most_common())
