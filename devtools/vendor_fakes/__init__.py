"""Fakes of the merchant's vendors (Shopify, Stripe, carriers, helpdesks) speaking their
real APIs on 127.0.0.1, each backed by a ``SandboxShop``: they read its orders and write
through its port methods, so the sandbox's ledger stays the truth and its idempotency
applies. Each vendor module has ``router(shop, clock) -> APIRouter``; ``create_app`` serves
any of them together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from fastapi import APIRouter, FastAPI

from desk.adapters.sandbox import SandboxShop

Clock = Callable[[], datetime]
RouterFactory = Callable[[SandboxShop, Clock], APIRouter]


def create_app(shop: SandboxShop, clock: Clock, routers: Iterable[RouterFactory]) -> FastAPI:
    """One app serving the given vendors' routers over one sandbox shop."""
    app = FastAPI(title="vendor fakes", docs_url=None, redoc_url=None, openapi_url=None)
    for make in routers:
        app.include_router(make(shop, clock))
    return app
