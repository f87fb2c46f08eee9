"""A realistic demo shop, deterministic from a seed, and demo traffic that fits it.

About 40 customers across the four tiers and about 300 orders in every state the policy
distinguishes: unshipped (recent and overdue), label only, in transit on time, late,
stalled, delivered with strong or weak proof, misdelivered, lost, returning to sender,
partially shipped and cancelled. Scan histories read like USPS, UPS and FedEx tracking
pages, with cities along the route. Every time is relative to ``now``, so the same seed and
``now`` give the same shop byte for byte.

One module per concern: ``catalogue`` (products), ``places`` (warehouse and cities),
``customers``, ``carriers`` (routes, scans, tracking numbers), ``orders`` (orders and their
shipments), ``rows`` (as the sandbox shop's tables), ``messages`` and ``contacts`` (the demo
traffic), and ``seed`` (``seed_demo_shop``, putting them together).
"""

from __future__ import annotations

from devtools.demo_shop.carriers import Parcel, Scan
from devtools.demo_shop.catalogue import PRODUCTS, Product
from devtools.demo_shop.contacts import DemoContact, DemoFollowUp
from devtools.demo_shop.customers import Person
from devtools.demo_shop.orders import ORDER_COUNT, PlannedOrder
from devtools.demo_shop.places import CITIES, WAREHOUSE, City
from devtools.demo_shop.seed import DemoShopSummary, demo_contacts, seed_demo_shop
from devtools.demo_shop.states import (
    CANCELLED,
    DELIVERED_STRONG,
    DELIVERED_WEAK,
    IN_TRANSIT,
    LABEL_CREATED,
    LATE,
    LOST,
    MISDELIVERED,
    ORDER_STATES,
    PARTIALLY_SHIPPED,
    RETURN_TO_SENDER,
    STALLED,
    UNFULFILLED_OLD,
    UNFULFILLED_RECENT,
)

__all__ = [
    "CANCELLED",
    "CITIES",
    "DELIVERED_STRONG",
    "DELIVERED_WEAK",
    "IN_TRANSIT",
    "LABEL_CREATED",
    "LATE",
    "LOST",
    "MISDELIVERED",
    "ORDER_COUNT",
    "ORDER_STATES",
    "PARTIALLY_SHIPPED",
    "PRODUCTS",
    "RETURN_TO_SENDER",
    "STALLED",
    "UNFULFILLED_OLD",
    "UNFULFILLED_RECENT",
    "WAREHOUSE",
    "City",
    "DemoContact",
    "DemoFollowUp",
    "DemoShopSummary",
    "Parcel",
    "Person",
    "PlannedOrder",
    "Product",
    "Scan",
    "demo_contacts",
    "seed_demo_shop",
]
