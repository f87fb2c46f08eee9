"""The sandbox shop: every port in desk.ports over one SQL database.

SQLite (a file, or ``sqlite://`` in memory) by default, PostgreSQL by URL. Methods are
synchronous and thread-safe because activities run them in a thread pool: each call is one
session and one transaction. Everything that a retried activity could do twice (refunds,
replacement orders, replies, claims, carrier searches, order changes) is guarded by a
UNIQUE constraint, and a repeat is recognised by the database refusing the second row.

One module per port (``orders``, ``carriers``, ``payments``, ``fulfilment``, ``helpdesk``,
``guard``),
each a part of ``SandboxShop`` over the shared ``database`` (engine, units of work, the
``_once`` idempotency helper) and ``tables``.
"""

from __future__ import annotations

from desk.adapters.sandbox.carriers import (
    FOUND_BY_SEARCH,
    SandboxCarrierTracking,
    case_number_for,
)
from desk.adapters.sandbox.claims import DeskClaims
from desk.adapters.sandbox.database import database_url
from desk.adapters.sandbox.fulfilment import ReplacementRecord, SandboxFulfilment
from desk.adapters.sandbox.guard import SandboxAttemptLedger
from desk.adapters.sandbox.helpdesk import OutboxMessage, SandboxHelpdesk
from desk.adapters.sandbox.orders import SandboxOrderSystem
from desk.adapters.sandbox.payments import RefundRecord, SandboxPayments
from desk.adapters.sandbox.tasks import SandboxCarrierTasks


class SandboxShop(
    SandboxOrderSystem,
    SandboxCarrierTracking,
    SandboxPayments,
    SandboxFulfilment,
    SandboxHelpdesk,
    SandboxAttemptLedger,
    SandboxCarrierTasks,
    DeskClaims,
):
    """OrderSystem, CarrierTracking, Payments, Fulfilment, Helpdesk and AttemptLedger over one
    database."""


__all__ = [
    "FOUND_BY_SEARCH",
    "OutboxMessage",
    "RefundRecord",
    "ReplacementRecord",
    "SandboxShop",
    "case_number_for",
    "database_url",
]
