"""The one place ports are chosen: from settings, the sandbox by default.

``Ports`` bundles what the worker's activities call. ``build_ports(settings)`` builds the
configured adapters over the desk's own database (``store``: the attempt ledger, the
helpdesk's open-contact registry, supervisor alerts, claims of external customers, carrier
tasks, and, by default, the sandbox shop itself).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from desk.adapters.sandbox import SandboxShop
from desk.config import Settings
from desk.ports import (
    AttemptLedger,
    CarrierTasks,
    CarrierTracking,
    Fulfilment,
    Helpdesk,
    OrderSystem,
    Payments,
)

Check = tuple[str, Callable[[], str]]  # (what, a call that says it works or raises)


@dataclass
class Ports:
    orders: OrderSystem
    carriers: CarrierTracking
    payments: Payments
    fulfilment: Fulfilment
    helpdesk: Helpdesk
    ledger: AttemptLedger
    tasks: CarrierTasks
    store: SandboxShop
    checks: list[Check] = field(default_factory=list)
    closers: list[Callable[[], None]] = field(default_factory=list)

    @classmethod
    def sandbox(cls, shop: SandboxShop) -> Ports:
        """Every port on the sandbox shop (the embedded default, scenarios, tests)."""
        return cls(
            orders=shop,
            carriers=shop,
            payments=shop,
            fulfilment=shop,
            helpdesk=shop,
            ledger=shop,
            tasks=shop,
            store=shop,
            checks=[("desk database", lambda: f"{shop.table_counts().get('orders', 0)} orders")],
        )

    def close(self) -> None:
        for close in self.closers:
            close()
        self.store.close()


def open_store(settings: Settings) -> SandboxShop:
    """The desk's own database (SQLite in the data folder by default), at the newest
    migration."""
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    store = SandboxShop(settings.shop_url)
    store.create_all()
    return store


def build_ports(settings: Settings) -> Ports:
    """The ports the settings choose (see README "Connecting the merchant's systems")."""
    return Ports.sandbox(open_store(settings))
