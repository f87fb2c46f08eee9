"""The one place ports are chosen: from settings, the sandbox by default.

``Ports`` bundles what the worker's activities call. ``build_ports(settings)`` builds the
configured adapters over the desk's own database (``store``: the attempt ledger, the
helpdesk's open-contact registry, supervisor alerts, claims of external customers, carrier
tasks, the helpdesk adapters' sent records, and, by default, the sandbox shop itself):

| setting | choices | ports |
| --- | --- | --- |
| ``DESK_ORDER_SYSTEM`` | ``sandbox``, ``shopify`` | OrderSystem, Fulfilment (replacements) |
| ``DESK_PAYMENTS`` | ``order_system``, ``stripe`` | Payments |
| ``DESK_CARRIERS`` | ``sandbox``, ``vendor`` | CarrierTracking (a ``CarrierRouter``) |
| ``DESK_HELPDESK`` | ``sandbox``, ``vendor`` | Helpdesk (replies; the registry stays here) |
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desk.adapters.claims import WithDeskClaims
from desk.adapters.sandbox import SandboxShop
from desk.config import ConfigError, Settings
from desk.models import ExecutionResult, LineRef
from desk.ports import (
    AttemptLedger,
    CarrierTasks,
    CarrierTracking,
    Fulfilment,
    Helpdesk,
    OrderSystem,
    Payments,
    Refused,
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


class ReplacementsOnly:
    """Fulfilment whose replacements come from the order system; return labels are not
    something it makes, so a label is refused and a person sends one (the contact
    escalates, with the refusal on its timeline)."""

    def __init__(self, replacements: Any) -> None:
        self.replacements = replacements

    def create_replacement(
        self, order_number: str, lines: list[LineRef], service: str, note: str | None, key: str
    ) -> ExecutionResult:
        result: ExecutionResult = self.replacements.create_replacement(
            order_number, lines, service, note, key
        )
        return result

    def create_return_label(self, order_number: str, lines: list[LineRef], key: str) -> str:
        raise Refused(
            f"no return-label service is configured: a person sends the label for {order_number}"
        )


def open_store(settings: Settings) -> SandboxShop:
    """The desk's own database (SQLite in the data folder by default), at the newest
    migration."""
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    store = SandboxShop(settings.shop_url)
    store.create_all()
    return store


def build_ports(settings: Settings, env: Mapping[str, str] | None = None) -> Ports:
    """The ports the settings choose; a vendor's own settings come from its ``DESK_<VENDOR>_*``
    variables (``env``, default the process's). A missing or bad one is a ``ConfigError``
    naming it."""
    env = dict(os.environ) if env is None else dict(env)
    store = open_store(settings)
    ports = Ports.sandbox(store)
    try:
        _order_system(settings, env, ports)
        _payments(settings, env, ports)
        _carriers(settings, env, ports)
        _helpdesk(settings, env, ports)
    except (ValueError, KeyError) as err:
        ports.close()
        raise ConfigError(f"adapter settings: {err}") from None
    return ports


def _order_system(settings: Settings, env: dict[str, str], ports: Ports) -> None:
    if settings.order_system != "shopify":
        return
    from desk.adapters.shopify import ShopifyAdapter, ShopifySettings

    shopify = ShopifyAdapter(ShopifySettings.from_env(env))
    ports.orders = WithDeskClaims(shopify, ports.store)
    ports.payments = shopify
    ports.fulfilment = ReplacementsOnly(shopify)
    ports.closers.append(shopify.close)
    ports.checks.append(("shopify", lambda: _checked_shop(shopify)))


def _checked_shop(shopify: Any) -> str:
    shopify.latest_order("gid://shopify/Customer/0")  # a cheap authenticated query
    return f"{shopify.settings.origin} reachable, token accepted"


def _payments(settings: Settings, env: dict[str, str], ports: Ports) -> None:
    if settings.payments != "stripe":
        return
    from desk.adapters.stripe import StripePayments, StripeSettings

    payment_for = getattr(ports.orders, "payment_intent_for", None) or _payment_intent_template(env)
    stripe = StripePayments(StripeSettings.from_env(env), payment_for)
    ports.payments = stripe
    closer = getattr(stripe, "close", None)
    if callable(closer):
        ports.closers.append(closer)


def _payment_intent_template(env: Mapping[str, str]) -> Callable[[str], str]:
    """Which Stripe payment intent paid an order: the order system's own answer where it
    has one, else ``DESK_STRIPE_PAYMENT_INTENT_TEMPLATE`` (e.g. ``pi_{order}`` for a shop
    that names its intents after its orders)."""
    template = env.get("DESK_STRIPE_PAYMENT_INTENT_TEMPLATE")
    if not template or "{order}" not in template:
        raise ValueError(
            "DESK_PAYMENTS=stripe needs the order system to say which payment intent paid an "
            "order, or DESK_STRIPE_PAYMENT_INTENT_TEMPLATE with {order}"
        )
    return lambda number: template.format(order=number)


def _carriers(settings: Settings, env: dict[str, str], ports: Ports) -> None:
    if settings.carriers != "vendor":
        return
    from desk.adapters.carriers import CarrierRouter

    # The sandbox shop knows each parcel's carrier; other order systems are not asked by
    # tracking number, so the number's shape names the carrier (an aggregator takes the
    # rest). The SKUs and service inside come from the order in the workflow either way.
    known = ports.store.known_shipment if settings.order_system == "sandbox" else None
    router = CarrierRouter.from_env(env, known=known)
    ports.carriers = router
    for adapter in {id(a): a for a in [*router.adapters.values(), router.fallback] if a}.values():
        closer = getattr(adapter, "close", None)
        if callable(closer):
            ports.closers.append(closer)
    ports.checks.append(("carriers", lambda: _routes(router)))


def _routes(router: Any) -> str:
    routes = [f"{c.value}: {type(a).__name__}" for c, a in router.adapters.items()]
    if router.fallback is not None:
        routes.append(f"others: {type(router.fallback).__name__}")
    return ", ".join(routes)


def _helpdesk(settings: Settings, env: dict[str, str], ports: Ports) -> None:
    if settings.helpdesk != "vendor":
        return
    from desk.adapters.helpdesk import CompositeHelpdesk, SqlSentStore

    sent = SqlSentStore(ports.store.engine)  # its tables come with the desk's migrations
    helpdesk = CompositeHelpdesk.from_env(ports.store, store=sent, env=env)
    ports.helpdesk = helpdesk
    ports.closers.append(helpdesk.close)
