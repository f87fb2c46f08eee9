"""Fakes of the merchant's vendors (Shopify, Stripe, carriers, helpdesks) speaking their
real APIs on 127.0.0.1, each backed by a ``SandboxShop``: the desk's real adapters talk HTTP
to them, they read its orders and write through its port methods, so the sandbox's ledger
(refunds, replacements, the outbox, the alerts) stays the truth, its idempotency applies,
and the scenario runner and the tests read it as they always do.

Each vendor module offers ``router(shop, clock) -> fastapi.APIRouter`` under its own
prefix (``/shopify``, ``/stripe``, ``/usps``, ``/zendesk``, ...); ``create_app`` puts some of
them in one app.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from fastapi import APIRouter, FastAPI

from desk.adapters.sandbox import SandboxShop

Clock = Callable[[], datetime]
RouterFactory = Callable[[SandboxShop, Clock], APIRouter]


def create_app(
    shop: SandboxShop, clock: Clock, routers: Iterable[RouterFactory | APIRouter]
) -> FastAPI:
    """One app serving the given vendors' routers (factories are called with the shop and
    the clock)."""
    app = FastAPI(title="vendor fakes", docs_url=None, redoc_url=None, openapi_url=None)
    for each in routers:
        app.include_router(each if isinstance(each, APIRouter) else each(shop, clock))
    return app
