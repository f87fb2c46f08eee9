"""``router(shop, clock)``: every carrier fake over a sandbox shop, each under its vendor's
prefix, all sharing one ``CarrierFakeState``.
"""

from __future__ import annotations

from fastapi import APIRouter

from desk.adapters.sandbox import SandboxShop
from devtools.vendor_fakes import Clock
from devtools.vendor_fakes.carriers.aftership import AFTERSHIP_VERSION, _aftership
from devtools.vendor_fakes.carriers.common import CarrierFakeState
from devtools.vendor_fakes.carriers.easypost import _easypost
from devtools.vendor_fakes.carriers.fedex import _fedex
from devtools.vendor_fakes.carriers.ups import _ups
from devtools.vendor_fakes.carriers.usps import _usps


def router(shop: SandboxShop, clock: Clock, state: CarrierFakeState | None = None) -> APIRouter:
    """Every carrier fake over ``shop``, as of ``clock()``, each under its vendor's prefix."""
    state = state or CarrierFakeState()
    api = APIRouter()
    api.include_router(_usps(shop, clock, state), prefix="/usps")
    api.include_router(_ups(shop, clock, state), prefix="/ups")
    api.include_router(_fedex(shop, clock, state), prefix="/fedex")
    api.include_router(_easypost(shop, clock, state), prefix="/easypost/v2")
    api.include_router(
        _aftership(shop, clock, state), prefix=f"/aftership/tracking/{AFTERSHIP_VERSION}"
    )
    return api
