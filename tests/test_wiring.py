"""``build_ports``: the settings choose the adapters; a missing vendor setting is a
``ConfigError`` naming it, and nothing is left open."""

from __future__ import annotations

from pathlib import Path

import pytest

from desk.adapters.claims import WithDeskClaims
from desk.adapters.sandbox import SandboxShop
from desk.adapters.wiring import build_ports
from desk.config import ConfigError, Settings
from desk.models import LineRef
from desk.ports import Refused


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"DESK_DATA_DIR": str(tmp_path / "data"), **extra}


def _ports(env: dict[str, str]):  # type: ignore[no-untyped-def]
    return build_ports(Settings.from_env(env), env)


def test_the_default_is_the_sandbox_on_the_desks_database(tmp_path: Path) -> None:
    ports = _ports(_env(tmp_path))
    try:
        assert isinstance(ports.orders, SandboxShop)
        assert ports.orders is ports.payments is ports.helpdesk is ports.store
        assert [what for what, _ in ports.checks] == ["desk database"]
        assert ports.checks[0][1]().endswith("orders")
    finally:
        ports.close()


def test_shopify_keeps_claims_in_the_desk_and_refuses_return_labels(tmp_path: Path) -> None:
    env = _env(
        tmp_path,
        DESK_ORDER_SYSTEM="shopify",
        DESK_SHOPIFY_SHOP="example.myshopify.com",
        DESK_SHOPIFY_ACCESS_TOKEN="shpat_test",
    )
    ports = _ports(env)
    try:
        assert isinstance(ports.orders, WithDeskClaims)
        assert ports.payments is not ports.store
        with pytest.raises(Refused, match="person sends the label for #1001"):
            ports.fulfilment.create_return_label(
                "#1001", [LineRef(sku="A", name="Mug", qty=1, unit_price=10)], "k"
            )
        assert "shopify" in [what for what, _ in ports.checks]
    finally:
        ports.close()


def test_a_missing_vendor_setting_is_named(tmp_path: Path) -> None:
    env = _env(tmp_path, DESK_ORDER_SYSTEM="shopify", DESK_SHOPIFY_SHOP="example.myshopify.com")
    with pytest.raises(ConfigError, match="DESK_SHOPIFY_ACCESS_TOKEN is not set"):
        _ports(env)


def test_stripe_needs_to_know_which_payment_paid_an_order(tmp_path: Path) -> None:
    env = _env(tmp_path, DESK_PAYMENTS="stripe", DESK_STRIPE_API_KEY="sk_test_x")
    with pytest.raises(ConfigError, match="DESK_STRIPE_PAYMENT_INTENT_TEMPLATE"):
        _ports(env)
    env["DESK_STRIPE_PAYMENT_INTENT_TEMPLATE"] = "pi_{order}"
    ports = _ports(env)
    try:
        assert type(ports.payments).__name__ == "StripePayments"
        assert ports.orders is ports.store  # orders still the sandbox's
    finally:
        ports.close()


def test_vendor_replies_go_through_the_helpdesk_and_the_registry_stays(tmp_path: Path) -> None:
    env = _env(
        tmp_path,
        DESK_HELPDESK="vendor",
        DESK_HELPDESK_REPLIES="zendesk",
        DESK_ZENDESK_SUBDOMAIN="example",
        DESK_ZENDESK_EMAIL="agent@example.com",
        DESK_ZENDESK_API_TOKEN="t",
    )
    ports = _ports(env)
    try:
        assert type(ports.helpdesk).__name__ == "CompositeHelpdesk"
        assert ports.orders is ports.store
    finally:
        ports.close()


def test_an_unknown_adapter_name_is_refused_by_the_settings(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="DESK_ORDER_SYSTEM"):
        Settings.from_env(_env(tmp_path, DESK_ORDER_SYSTEM="magento"))


def test_vendor_carriers_route_by_the_shops_record(tmp_path: Path) -> None:
    env = _env(
        tmp_path,
        DESK_CARRIERS="vendor",
        DESK_USPS_CLIENT_ID="id",
        DESK_USPS_CLIENT_SECRET="secret",
        DESK_EASYPOST_API_KEY="EZTK_test",
    )
    ports = _ports(env)
    try:
        assert type(ports.carriers).__name__ == "CarrierRouter"
        routes = dict(ports.checks)["carriers"]()
        assert routes == "usps: UspsTracking, others: EasypostTracking"
    finally:
        ports.close()


def test_vendor_carriers_need_one_carrier_configured(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no carrier configured: set DESK_USPS_CLIENT_ID"):
        _ports(_env(tmp_path, DESK_CARRIERS="vendor"))
