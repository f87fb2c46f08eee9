"""Fake vendor APIs on 127.0.0.1, backed by a sandbox shop, for the scenario suite and the
adapters' tests: each module's ``router(shop, clock)`` serves one family of vendors under
its own prefix; ``create_app`` puts routers together in one FastAPI app."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from fastapi import APIRouter, FastAPI

from desk.adapters.sandbox import SandboxShop

Clock = Callable[[], datetime]
RouterFactory = Callable[[SandboxShop, Clock], APIRouter]


def create_app(shop: SandboxShop, clock: Clock, routers: Iterable[RouterFactory]) -> FastAPI:
    """One app serving every given vendor router over ``shop``, as of ``clock()``."""
    app = FastAPI(title="vendor fakes", docs_url=None, redoc_url=None, openapi_url=None)
    for make in routers:
        app.include_router(make(shop, clock))
    return app
