"""The Shopify and Stripe adapters against the vendor fakes, served by uvicorn on 127.0.0.1
over a sandbox shop loaded from a scenario: what the adapters read is what the sandbox
holds, and what they write lands once in the sandbox's ledger, retried or not."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from desk.adapters.sandbox import SandboxShop
from desk.adapters.shopify import ShopifyAdapter, ShopifySettings
from desk.adapters.stripe import StripePayments, StripeSettings
from desk.models import Address, LineRef, OrderStatus, Tier
from desk.ports import Conflict, NotFound, Refused
from devtools.scenarios.format import Scenario
from devtools.scenarios.loader import load_scenario_into
from devtools.vendor_fakes import create_app
from devtools.vendor_fakes import shopify as shopify_fake
from devtools.vendor_fakes import stripe as stripe_fake

T0 = datetime(2025, 6, 2, 15, 0, tzinfo=UTC)
ADDRESS = {
    "line1": "4 Ash Ct",
    "city": "Tulsa",
    "region": "OK",
    "postal_code": "74103",
    "country": "US",
}
LAMP_AND_BULBS = [
    {"sku": "LAMP", "name": "Lamp", "qty": 1, "unit_price": 40.0},
    {"sku": "BULB", "name": "Bulb", "qty": 2, "unit_price": 5.0},
]
TEES = [LineRef(sku="TEE", name="Black tee, M", qty=2, unit_price=32.0)]

WORLD = Scenario.model_validate(
    {
        "name": "vendor-fakes",
        "customers": [
            {"id": "C-1001", "name": "Dana Reyes", "tier": "standard", "email": "Dana@Example.com"},
            {"id": "C-2001", "name": "Sam Ito", "tier": "vip", "phone": "(555) 123-0002"},
            {"id": "C-3001", "name": "Priya Shah", "tier": "new", "email": "priya@example.com"},
        ],
        "orders": [
            {
                "number": "41880",
                "customer": "C-1001",
                "placed": "-10d",
                "status": "fulfilled",
                "shipping_cost": 6.5,
                "address": {**ADDRESS, "city": "Springfield", "lat": 39.799, "lon": -89.644},
                "lines": [{"sku": "TEE", "name": "Black tee, M", "qty": 2, "unit_price": 32.0}],
                "shipments": [
                    {
                        "carrier": "usps",
                        "tracking": "9400111899223100012345",
                        "service": "ground_advantage",
                        "expected_delivery": "-5d",
                        "events": [
                            {"at": "-9d", "status": "accepted"},
                            {"at": "-5d", "status": "delivered", "description": "In/At Mailbox"},
                        ],
                    }
                ],
            },
            {
                "number": "41890",
                "customer": "C-1001",
                "placed": "-2d",
                "status": "fulfilled",
                "address": ADDRESS,
                "lines": [{"sku": "MUG", "name": "Mug", "qty": 1, "unit_price": 12.5}],
                "shipments": [
                    {
                        "carrier": "ups",
                        "tracking": "1Z999AA10123456784",
                        "events": [{"at": "-1d", "status": "accepted", "city": "Dallas"}],
                    }
                ],
            },
            {
                "number": "70",
                "customer": "C-2001",
                "placed": "-8d",
                "status": "fulfilled",
                "prior_reships": 1,
                "shipping_cost": 5.0,
                "address": ADDRESS,
                "lines": LAMP_AND_BULBS,
                "shipments": [
                    {
                        "carrier": "fedex",
                        "tracking": "794600000000",
                        "events": [{"at": "-7d", "status": "accepted"}],
                    }
                ],
            },
            {
                "number": "60102",
                "customer": "C-3001",
                "placed": "-6h",
                "status": "unfulfilled",
                "shipping_cost": 5.0,
                "address": ADDRESS,
                "lines": LAMP_AND_BULBS,
            },
            {
                "number": "30",
                "customer": "C-3001",
                "placed": "-3d",
                "status": "partially_fulfilled",
                "shipping_cost": 5.0,
                "address": ADDRESS,
                "lines": LAMP_AND_BULBS,
                "shipments": [
                    {
                        "carrier": "usps",
                        "tracking": "9400100000000000000030",
                        "skus": ["LAMP"],
                        "events": [{"at": "-2d", "status": "accepted"}],
                    }
                ],
            },
        ],
        "inventory": {"TEE": 12, "LAMP": 3, "MUG": 0},
        "messages": [{"at": 0, "channel": "email", "from": "dana@example.com", "text": "hi"}],
    }
)
NEW_ADDRESS = Address(
    line1="220 Harbor St",
    line2="Apt 5",
    city="Portland",
    region="OR",
    postal_code="97209",
    country="US",
)


@dataclass
class Served:
    shop: SandboxShop
    base: str
    shopify: ShopifyAdapter
    stripe: StripePayments

    def fault(self, vendor: str, **fault: Any) -> None:
        httpx.post(f"{self.base}/{vendor}/_fake/faults", json=fault).raise_for_status()

    def stripe_posts(self) -> list[str | None]:
        answer = httpx.get(f"{self.base}/stripe/_fake/requests")
        answer.raise_for_status()
        return [key for what, key in answer.json() if what == "POST /v1/refunds"]

    def operations(self) -> list[str]:
        answer = httpx.get(f"{self.base}/shopify/_fake/operations")
        answer.raise_for_status()
        return list(answer.json())


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    shop = SandboxShop(f"sqlite:///{tmp_path / 'shop.db'}")
    shop.create_all()
    load_scenario_into(shop, WORLD, T0)
    app = create_app(shop, lambda: T0, [shopify_fake.router, stripe_fake.router])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="critical", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.02)
    assert server.started
    base = f"http://127.0.0.1:{port}"
    shopify = ShopifyAdapter(
        ShopifySettings(
            shop="desk-test.myshopify.com",
            access_token="shpat_fake_token",
            base_url=f"{base}/shopify",
            cancel_poll_interval=0,
            timeout=2.0,
            requests_per_second=100,
            burst=20,
        )
    )
    stripe = StripePayments(
        StripeSettings(
            api_key="sk_test_fake", base_url=f"{base}/stripe", timeout=2.0, requests_per_second=100
        ),
        stripe_fake.payment_intent_for,
    )
    try:
        yield Served(shop, base, shopify, stripe)
    finally:
        shopify.close()
        stripe.close()
        server.should_exit = True
        thread.join(10)
        shop.close()


# ---------------------------------------------------------------- reading


@pytest.mark.parametrize("number", ["41880", "41890", "70", "60102", "30"])
def test_an_order_reads_back_as_the_sandbox_holds_it(served: Served, number: str) -> None:
    through_shopify = served.shopify.get_order(f"#{number}")
    held = served.shop.get_order(number)
    assert through_shopify == held  # number, lines, address, status, money, shipments
    assert [(s.carrier, s.tracking, s.skus) for s in through_shopify.shipments] == [
        (s.carrier, s.tracking, s.skus) for s in held.shipments
    ]
    assert all(s.events == [] for s in through_shopify.shipments)


def test_customers_orders_and_stock_read_back(served: Served) -> None:
    dana = served.shopify.find_customer(" DANA@example.com ")
    assert dana is not None and (dana.id, dana.name, dana.tier) == (
        "C-1001",
        "Dana Reyes",
        Tier.standard,
    )
    sam = served.shopify.find_customer("(555) 123-0002")
    assert sam is not None and (sam.id, sam.tier) == ("C-2001", Tier.vip)
    assert served.shopify.find_customer("nobody@example.com") is None
    assert served.shopify.find_customer("@dana-r") is None  # Shopify keeps no chat handles
    priya = served.shopify.find_customer_by_id("C-3001")
    assert priya is not None and priya.tier == Tier.new
    assert served.shopify.find_customer_by_id("C-0000") is None
    latest = served.shopify.latest_order("C-1001")
    assert latest is not None and latest == served.shop.latest_order("C-1001")
    since = T0 - timedelta(days=4)
    assert served.shopify.recent_order_numbers("C-3001", since) == served.shop.recent_order_numbers(
        "C-3001", since
    )
    skus = ["TEE", "LAMP", "MUG", "NONE"]
    assert (
        served.shopify.stock(skus)
        == served.shop.stock(skus)
        == {"TEE": 12, "LAMP": 3, "MUG": 0, "NONE": 0}
    )
    with pytest.raises(NotFound, match=r"^no order 99999$"):
        served.shopify.get_order("99999")


# ---------------------------------------------------------------- money, once


def test_a_refund_through_shopify_lands_once_however_often_it_is_retried(served: Served) -> None:
    first = served.shopify.refund("41880", 64.0, TEES, "lost in transit", "c1:d1:refund")
    assert first.refunded == 64.0 and first.refund_id
    assert served.shopify.refund("#41880", 64.0, TEES, "lost in transit", "c1:d1:refund") == first
    # A slow answer: the client times out and resends the same @idempotent key while the
    # first is still running (IDEMPOTENCY_CONCURRENT_REQUEST), then gets the first result.
    served.fault("shopify", kind="slow", seconds=2.5, operation="DeskRefundCreate")
    second = served.shopify.refund("41880", 6.5, [], "shipping", "c1:d2:refund")
    assert second.refunded == 6.5
    assert served.operations().count("DeskRefundCreate") >= 3  # 1 + the slow one, resent
    [one, two] = served.shop.refunds(["41880"])
    assert (one.amount, one.lines, two.amount) == (64.0, TEES, 6.5)
    assert served.shop.refund_total(["41880"]) == 70.5
    # Nothing is left to refund: Shopify's refusal is final.
    with pytest.raises(Refused, match="refundable|can still return"):
        served.shopify.refund("41880", 1.0, [], "more", "c1:d3:refund")
    assert served.shop.refund_total(["41880"]) == 70.5


def test_a_refund_through_stripe_lands_once_however_often_it_is_retried(served: Served) -> None:
    first = served.stripe.refund("41880", 64.0, TEES, "lost in transit", "c1:d1:refund")
    assert first.refunded == 64.0 and (first.refund_id or "").startswith("re_")
    assert served.stripe.refund("41880", 64.0, TEES, "lost in transit", "c1:d1:refund") == first
    # Executed, but the answer comes too late: the resend with the same Idempotency-Key
    # meets 409 idempotency_key_in_use, then the first result replayed.
    served.fault("stripe", kind="slow", seconds=2.5)
    late = served.stripe.refund("41880", 6.5, [], "shipping", "c1:d2:refund")
    assert late.refunded == 6.5
    [once, *resent] = served.stripe_posts()[1:]
    assert resent and all(key == once for key in resent)  # the same key every time
    assert [r.amount for r in served.shop.refunds(["41880"])] == [64.0, 6.5]
    with pytest.raises(Refused, match="charge_already_refunded"):
        served.stripe.refund("41880", 1.0, [], "more", "c1:d3:refund")


def test_a_declined_stripe_refund_stays_declined_when_retried(served: Served) -> None:
    served.fault("stripe", kind="declined")
    with pytest.raises(Refused, match="card_declined"):
        served.stripe.refund("70", 10.0, [], "damaged", "c9:d1:refund")
    with pytest.raises(Refused, match="earlier attempt with this key ended in card_declined"):
        served.stripe.refund("70", 10.0, [], "damaged", "c9:d1:refund")
    with pytest.raises(Refused, match="amount_too_large"):
        served.stripe.refund("70", 500.0, [], "too much", "c9:d2:refund")
    assert served.shop.refunds(["70"]) == []


def test_outages_and_throttling_are_waited_out(served: Served) -> None:
    served.fault("shopify", kind="throttled", count=2, operation="DeskOrderByName")
    served.fault("shopify", kind="http", status=503, operation="DeskStock")
    served.fault("shopify", kind="http", status=429, retry_after="0", operation="DeskStock")
    assert served.shopify.get_order("70") == served.shop.get_order("70")
    assert served.shopify.stock(["LAMP"]) == {"LAMP": 3}
    assert served.operations().count("DeskOrderByName") == 3
    served.fault("stripe", kind="http", status=429)
    served.fault("stripe", kind="http", status=500)
    assert served.stripe.refund("70", 10.0, [], "damaged", "c8:d1:refund").refunded == 10.0
    assert served.shop.refund_total(["70"]) == 10.0


# ---------------------------------------------------------------- goods and changes


def test_a_replacement_is_made_once_per_key(served: Served) -> None:
    made = served.shopify.create_replacement(
        "41880", TEES, "ground_advantage", "leave at door", "c1:r"
    )
    assert made.replacement_order == "R-41880-1"
    again = served.shopify.create_replacement("41880", TEES, "express", None, "c1:r")
    assert again == made
    [record] = served.shop.replacements(["41880"])
    assert (record.lines, record.service, record.address) == (
        TEES,
        "ground_advantage",
        served.shop.get_order("41880").address,
    )
    assert record.note is not None and "leave at door" in record.note
    assert served.shop.stock(["TEE"]) == {"TEE": 10}
    assert served.shopify.get_order("41880").prior_reships == 1
    other = served.shopify.create_replacement("41880", TEES, "ground", None, "c2:r")
    assert other.replacement_order == "R-41880-2" and served.shop.stock(["TEE"]) == {"TEE": 8}


def test_cancelling_a_shipped_order_is_refused_as_the_sandbox_refuses_it(served: Served) -> None:
    for skus in (["TEE"], []):
        with pytest.raises(Conflict) as through_shopify:
            served.shopify.cancel_lines("41880", skus, "c1:cancel")
        with pytest.raises(Conflict) as in_the_sandbox:
            served.shop.cancel_lines("41880", skus, "c1:cancel")
        assert (
            str(through_shopify.value)
            == str(in_the_sandbox.value)
            == ("order 41880 line TEE has shipped")
        )
    with pytest.raises(Conflict, match="has no line TORCH"):
        served.shopify.cancel_lines("30", ["TORCH"], "c2:cancel")
    order = served.shop.get_order("41880")
    assert order.status == OrderStatus.fulfilled and not any(ln.cancelled for ln in order.lines)
    assert served.shop.order_changes() == [] and served.shop.refunds() == []


def test_an_unshipped_order_is_cancelled_whole_and_once(served: Served) -> None:
    cancelled = served.shopify.cancel_lines("60102", [], "c3:d1:cancel")
    assert cancelled.status == OrderStatus.cancelled and all(ln.cancelled for ln in cancelled.lines)
    assert served.shop.get_order("60102").status == OrderStatus.cancelled
    assert served.shopify.cancel_lines("60102", [], "c3:d1:cancel") == cancelled
    assert served.shop.refunds() == []  # the desk refunds itself, under its own key
    assert served.shop.order_changes(["60102"]) == [("60102", "cancel_lines")]


def test_the_unshipped_lines_of_a_split_order_are_cancelled_by_an_order_edit(
    served: Served,
) -> None:
    result = served.shopify.cancel_lines("30", [], "c4:d1:cancel")
    assert {ln.sku: ln.cancelled for ln in result.lines} == {"LAMP": False, "BULB": True}
    assert {ln.sku: ln.cancelled for ln in served.shop.get_order("30").lines} == {
        "LAMP": False,
        "BULB": True,
    }
    # The same key again: done already, not "LAMP has shipped".
    assert served.shopify.cancel_lines("30", [], "c4:d1:cancel") == result
    assert served.shop.order_changes(["30"]) == [("30", "cancel_lines")]


def test_an_address_changes_before_shipping_only(served: Served) -> None:
    moved = served.shopify.update_address("60102", NEW_ADDRESS, "c5:address")
    assert moved.address == NEW_ADDRESS == served.shop.get_order("60102").address
    assert served.shopify.update_address("60102", NEW_ADDRESS, "c5:address") == moved
    with pytest.raises(Conflict) as through_shopify:
        served.shopify.update_address("41880", NEW_ADDRESS, "c6:address")
    with pytest.raises(Conflict) as in_the_sandbox:
        served.shop.update_address("41880", NEW_ADDRESS, "c6:address")
    assert str(through_shopify.value) == str(in_the_sandbox.value)
    with pytest.raises(ValueError, match="needs a street"):
        served.shopify.update_address("60102", NEW_ADDRESS.model_copy(update={"line1": " "}), "c7")
