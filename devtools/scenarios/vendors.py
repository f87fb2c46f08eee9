"""``desk scenario run --vendors``: a scenario through the merchant-side adapters the
production wiring builds (``build_ports``), talking HTTP to the vendor fakes on 127.0.0.1.

The fakes (``devtools/vendor_fakes``) serve Shopify, USPS / UPS / FedEx / EasyPost and
Zendesk over the scenario's own sandbox shop, as of the time-skipping server's clock, so the
outcome is still read from the sandbox's ledger. What the vendors' documented shapes cannot
carry changes what the desk sees, on purpose (README "Connecting the merchant's systems"):
a USPS / UPS / FedEx search is a task for a person (no API files one), a FedEx or USPS
delivery photo and any GPS fix do not arrive, and return labels are refused (no label
service is wired), so a few scenarios end differently than on the sandbox.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from desk.adapters.sandbox import SandboxShop
from desk.adapters.wiring import Ports, build_ports
from desk.config import Settings
from devtools.scenarios.format import Scenario
from devtools.vendor_fakes import carriers as carriers_fake
from devtools.vendor_fakes import create_app
from devtools.vendor_fakes import helpdesk as helpdesk_fake
from devtools.vendor_fakes import shopify as shopify_fake
from devtools.vendor_fakes.loopback import serve_on_loopback

# Our own pacing off: the fakes answer at once, and each scenario is its own account.
_UNPACED = "100000"


def vendor_env(base: str, data_dir: Path, shop_url: str) -> dict[str, str]:
    """The settings a merchant would set, pointed at the fakes served at ``base``."""
    return {
        "DESK_DATA_DIR": str(data_dir),
        "DESK_DATABASE_URL": shop_url,
        "DESK_ORDER_SYSTEM": "shopify",
        "DESK_SHOPIFY_SHOP": "scenario-shop.myshopify.com",
        "DESK_SHOPIFY_ACCESS_TOKEN": "shpat_scenario",
        "DESK_SHOPIFY_BASE_URL": f"{base}/shopify",
        "DESK_SHOPIFY_RATE": _UNPACED,
        "DESK_SHOPIFY_BURST": "100",
        "DESK_CARRIERS": "vendor",
        **{
            f"DESK_{vendor}_{name}": value
            for vendor in ("USPS", "UPS", "FEDEX")
            for name, value in (
                ("CLIENT_ID", f"{vendor.lower()}-scenario"),
                ("CLIENT_SECRET", "secret"),
                ("BASE_URL", f"{base}/{vendor.lower()}"),
            )
        },
        "DESK_USPS_QUOTA_PER_HOUR": _UNPACED,
        "DESK_UPS_RATE_PER_SECOND": _UNPACED,
        "DESK_FEDEX_RATE_PER_SECOND": _UNPACED,
        # Carriers with no adapter of their own (DHL) go through the aggregator.
        "DESK_EASYPOST_API_KEY": "EZTK_scenario",
        "DESK_EASYPOST_BASE_URL": f"{base}/easypost/v2",
        "DESK_EASYPOST_RATE_PER_SECOND": _UNPACED,
        "DESK_HELPDESK": "vendor",
        "DESK_HELPDESK_REPLIES": "zendesk",
        "DESK_ZENDESK_BASE_URL": f"{base}/zendesk",
        "DESK_ZENDESK_EMAIL": "desk@scenario-shop.example",
        "DESK_ZENDESK_API_TOKEN": "zendesk-scenario",
        "DESK_ZENDESK_REQUESTS_PER_MINUTE": _UNPACED,
    }


def seed_desk_claims(shop: SandboxShop, scenario: Scenario, t0: datetime) -> None:
    """The scenario's prior claims, where the desk keeps them when the order system is the
    merchant's (the desk's own claims table)."""
    for customer in scenario.customers:
        for i, claim in enumerate(customer.prior_claims):
            shop.record_desk_claim(
                customer.id, claim.kind, t0 + claim.at, f"prior:{customer.id}:{i}"
            )


@contextmanager
def vendor_ports(
    shop: SandboxShop, clock: Callable[[], datetime], data_dir: Path, shop_url: str
) -> Iterator[Ports]:
    """The production wiring's ports over the fakes, serving ``shop`` as of ``clock()``."""
    app = create_app(shop, clock, [shopify_fake.router, carriers_fake.router, helpdesk_fake.router])
    with serve_on_loopback(app) as base:
        env = vendor_env(base, data_dir, shop_url)
        ports = build_ports(Settings.from_env(env), env)
        try:
            yield ports
        finally:
            ports.close()
