"""The Shopify adapter against respx replaying the documented Admin GraphQL shapes
(/work/shared/vendors/shopify_admin_graphql.md): what it sends, what it makes of the
answers, errors, throttling and exactly-once."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import respx

from desk.adapters.shopify import (
    CostBudget,
    ShopifyAdapter,
    ShopifySettings,
    refund_key,
)
from desk.models import Address, Carrier, ExecutionResult, LineRef, OrderStatus, Tier
from desk.ports import Conflict, NotFound, Refused, Unavailable

TOKEN = "shpat_s3cr3t_token_value"
ORIGIN = "https://desk-test.myshopify.com"
URL = f"{ORIGIN}/admin/api/2026-01/graphql.json"

Answer = dict[str, Any] | httpx.Response | Callable[[dict[str, Any]], Any]


def cost(available: float = 1990, requested: float = 10, restore: float = 100.0) -> dict[str, Any]:
    return {
        "cost": {
            "requestedQueryCost": requested,
            "actualQueryCost": requested,
            "throttleStatus": {
                "maximumAvailable": 2000.0,
                "currentlyAvailable": available,
                "restoreRate": restore,
            },
        }
    }


def ok(data: dict[str, Any], **budget: float) -> dict[str, Any]:
    return {"data": data, "extensions": cost(**budget)}


THROTTLED = {
    "errors": [
        {
            "message": "Throttled",
            "extensions": {
                "code": "THROTTLED",
                "documentation": "https://shopify.dev/api/usage/rate-limits",
            },
        }
    ],
    "extensions": {
        "cost": {
            "requestedQueryCost": 752,
            "actualQueryCost": None,
            "throttleStatus": {
                "maximumAvailable": 1000.0,
                "currentlyAvailable": 666,
                "restoreRate": 50.0,
            },
        }
    },
}


class Shopify:
    """respx side effect answering GraphQL operations by name, recording every request."""

    def __init__(self) -> None:
        self.answers: dict[str, list[Answer]] = {}
        self.calls: list[dict[str, Any]] = []
        self.headers: list[httpx.Headers] = []

    def on(self, operation: str, *answers: Answer) -> Shopify:
        self.answers[operation] = list(answers)
        return self

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.calls.append(body)
        self.headers.append(request.headers)
        queue = self.answers[body["operationName"]]
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if callable(answer):
            answer = answer(body)
        return answer if isinstance(answer, httpx.Response) else httpx.Response(200, json=answer)

    def ops(self) -> list[str]:
        return [c["operationName"] for c in self.calls]

    def sent(self, operation: str) -> list[dict[str, Any]]:
        return [c["variables"] for c in self.calls if c["operationName"] == operation]

    def queries(self, operation: str) -> list[str]:
        return [c["query"] for c in self.calls if c["operationName"] == operation]


@pytest.fixture
def shopify() -> Iterator[Shopify]:
    stub = Shopify()
    with respx.mock(assert_all_called=False) as mock:
        mock.post(URL).mock(side_effect=stub)
        yield stub


def adapter(slept: list[float] | None = None, **settings: Any) -> ShopifyAdapter:
    record = slept if slept is not None else []
    return ShopifyAdapter(
        ShopifySettings(
            shop="desk-test",
            access_token=TOKEN,
            cancel_poll_interval=0,
            requests_per_second=1000,
            burst=100,
            **settings,
        ),
        sleep=record.append,
        monotonic=lambda: 1000.0,
    )


# The documented order (#1001), with the fields of the adapter's fragment.
ORDER: dict[str, Any] = {
    "id": "gid://shopify/Order/5531234567890",
    "name": "#1001",
    "createdAt": "2025-03-01T15:04:05Z",
    "cancelledAt": None,
    "tags": [],
    "displayFulfillmentStatus": "FULFILLED",
    "currencyCode": "USD",
    "customer": {"id": "gid://shopify/Customer/7012345678901"},
    "totalShippingPriceSet": {"shopMoney": {"amount": "5.00", "currencyCode": "USD"}},
    "shippingLine": {"title": "Ground Advantage", "code": "Ground Advantage"},
    "shippingAddress": {
        "firstName": "Mia",
        "lastName": "Recipient",
        "company": None,
        "address1": "123 Main St",
        "address2": None,
        "city": "Austin",
        "province": "Texas",
        "provinceCode": "TX",
        "zip": "78701",
        "country": "United States",
        "countryCodeV2": "US",
        "phone": "+15557654321",
        "latitude": 30.2672,
        "longitude": -97.7431,
    },
    "lineItems": {
        "nodes": [
            {
                "id": "gid://shopify/LineItem/13890123456789",
                "sku": "MUG-01",
                "title": "Ceramic Mug",
                "quantity": 2,
                "currentQuantity": 2,
                "refundableQuantity": 2,
                "variant": {"id": "gid://shopify/ProductVariant/4411"},
                "originalUnitPriceSet": {"shopMoney": {"amount": "20.00", "currencyCode": "USD"}},
            }
        ]
    },
    "fulfillments": [
        {
            "id": "gid://shopify/Fulfillment/4912345678901",
            "status": "SUCCESS",
            "displayStatus": "DELIVERED",
            "createdAt": "2025-03-02T09:00:00Z",
            "estimatedDeliveryAt": None,
            "trackingInfo": [
                {
                    "company": "USPS",
                    "number": "9400111899562839182310",
                    "url": "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111899562839182310",
                }
            ],
            "fulfillmentLineItems": {
                "nodes": [
                    {
                        "quantity": 2,
                        "lineItem": {
                            "id": "gid://shopify/LineItem/13890123456789",
                            "sku": "MUG-01",
                        },
                    }
                ]
            },
        }
    ],
    "metafield": None,
}


def order(**changes: Any) -> dict[str, Any]:
    node = copy.deepcopy(ORDER)
    node.update(changes)
    return node


def unfulfilled(**changes: Any) -> dict[str, Any]:
    lamp = {
        "id": "gid://shopify/LineItem/2",
        "sku": "LAMP",
        "title": "Lamp",
        "quantity": 1,
        "currentQuantity": 1,
        "refundableQuantity": 1,
        "variant": {"id": "gid://shopify/ProductVariant/77"},
        "originalUnitPriceSet": {"shopMoney": {"amount": "40.00", "currencyCode": "USD"}},
    }
    lines = copy.deepcopy(ORDER["lineItems"]["nodes"]) + [lamp]
    return order(
        **{
            "displayFulfillmentStatus": "UNFULFILLED",
            "fulfillments": [],
            "lineItems": {"nodes": lines},
            **changes,
        }
    )


def by_name(*nodes: dict[str, Any], reships: int = 0) -> dict[str, Any]:
    return ok(
        {
            "orders": {"nodes": list(nodes)},
            "reships": {"nodes": [{"id": f"gid://shopify/Order/{i}"} for i in range(reships)]},
        },
        requested=40,
    )


# ---------------------------------------------------------------- settings


def test_settings_come_from_the_environment_and_keep_the_token_secret() -> None:
    settings = ShopifySettings.from_env(
        {
            "DESK_SHOPIFY_SHOP": "my-shop",
            "DESK_SHOPIFY_ACCESS_TOKEN": TOKEN,
            "DESK_SHOPIFY_API_VERSION": "2026-04",
            "DESK_SHOPIFY_TIER_TAGS": "VIP=vip, wholesale=b2b, first-order=new",
            "DESK_SHOPIFY_RATE": "2.5",
        }
    )
    assert settings.shop == "my-shop.myshopify.com" and settings.api_version == "2026-04"
    assert settings.origin == "https://my-shop.myshopify.com"
    assert settings.graphql_path == "/admin/api/2026-04/graphql.json"
    assert settings.tier_tags == {"vip": Tier.vip, "wholesale": Tier.b2b, "first-order": Tier.new}
    assert settings.requests_per_second == 2.5
    assert TOKEN not in repr(settings) and TOKEN not in str(settings.model_dump())
    json_tags = {"DESK_SHOPIFY_TIER_TAGS": '{"Gold": "vip"}'}
    base = {"DESK_SHOPIFY_SHOP": "s", "DESK_SHOPIFY_ACCESS_TOKEN": TOKEN}
    assert ShopifySettings.from_env({**base, **json_tags}).tier_tags == {"gold": Tier.vip}
    with pytest.raises(ValueError, match="DESK_SHOPIFY_ACCESS_TOKEN is not set"):
        ShopifySettings.from_env({"DESK_SHOPIFY_SHOP": "s"})
    with pytest.raises(ValueError, match="https"):
        ShopifySettings(shop="s", access_token=TOKEN, base_url="http://proxy.example.com")
    local = ShopifySettings(shop="s", access_token=TOKEN, base_url="http://127.0.0.1:9/shopify/")
    assert local.origin == "http://127.0.0.1:9/shopify"


# ---------------------------------------------------------------- orders


def test_an_order_in_shopifys_shape_becomes_the_desks_order(shopify: Shopify) -> None:
    shopify.on("DeskOrderByName", by_name(ORDER, reships=2))
    got = adapter().get_order(" #1001 ")
    assert (got.number, got.customer_id, got.status) == (
        "1001",
        "7012345678901",
        OrderStatus.fulfilled,
    )
    assert got.placed_at == datetime(2025, 3, 1, 15, 4, 5, tzinfo=UTC)
    assert (got.shipping_cost, got.prior_reships) == (5.0, 2)
    assert got.address == Address(
        line1="123 Main St",
        city="Austin",
        region="TX",
        postal_code="78701",
        country="US",
        lat=30.2672,
        lon=-97.7431,
    )
    [line] = got.lines
    assert (line.sku, line.name, line.qty, line.unit_price, line.cancelled) == (
        "MUG-01",
        "Ceramic Mug",
        2,
        20.0,
        False,
    )
    [ship] = got.shipments
    assert (ship.carrier, ship.tracking, ship.skus, ship.service, ship.events) == (
        Carrier.usps,
        "9400111899562839182310",
        ["MUG-01"],
        "ground_advantage",
        [],
    )
    [sent] = shopify.sent("DeskOrderByName")
    assert sent == {"q": "name:#1001", "reships": "tag:desk-reship-of-1001", "mf": "none"}
    assert shopify.headers[0]["x-shopify-access-token"] == TOKEN


def test_carriers_statuses_and_cancelled_lines_are_mapped() -> None:
    def ship(company: str, number: str, status: str = "SUCCESS") -> dict[str, Any]:
        return {
            "id": "gid://shopify/Fulfillment/1",
            "status": status,
            "trackingInfo": [{"company": company, "number": number}],
            "fulfillmentLineItems": {"nodes": []},
        }

    node = order(
        displayFulfillmentStatus="PARTIALLY_FULFILLED",
        fulfillments=[
            ship("UPS", "1Z999AA10123456784"),
            ship("FedEx", "794600000000"),
            ship("DHL Express", "1234567890", status="CANCELLED"),
            ship("", "9400100000000000000030"),  # no company: told by the number
            ship("Acme Couriers", "ACME-1"),  # unknown: left out, not guessed
        ],
    )
    got = adapter()._order(node, 0)
    assert got.status == OrderStatus.partially_fulfilled
    assert [(s.carrier, s.label_voided) for s in got.shipments] == [
        (Carrier.ups, False),
        (Carrier.fedex, False),
        (Carrier.dhl, True),
        (Carrier.usps, False),
    ]
    assert all(s.skus == ["MUG-01"] for s in got.shipments)  # no line items named: all
    cancelled = adapter()._order(order(cancelledAt="2025-03-02T00:00:00Z"), 0)
    assert cancelled.status == OrderStatus.cancelled and cancelled.lines[0].cancelled
    removed = unfulfilled()
    removed["lineItems"]["nodes"][1]["currentQuantity"] = 0
    assert [ln.cancelled for ln in adapter()._order(removed, 0).lines] == [False, True]


def test_an_unknown_order_is_not_found(shopify: Shopify) -> None:
    # Search is fuzzy: an order whose name only starts with the number is not it.
    shopify.on("DeskOrderByName", by_name(order(name="#10011")))
    with pytest.raises(NotFound, match=r"^no order 1001$"):
        adapter().get_order("1001")
    shopify.on("DeskOrderByName", by_name())
    with pytest.raises(NotFound, match=r"^no order 42$"):
        adapter().get_order("#42")


def test_the_latest_and_recent_orders_leave_out_the_desks_replacements(shopify: Shopify) -> None:
    shopify.on(
        "DeskCustomerOrders",
        ok(
            {
                "orders": {
                    "nodes": [
                        {
                            "name": "#1004",
                            "createdAt": "2025-03-09T00:00:00Z",
                            "tags": ["desk-replacement"],
                        },
                        {"name": "#1003", "createdAt": "2025-03-08T00:00:00Z", "tags": []},
                        {"name": "#1002", "createdAt": "2025-03-05T00:00:00Z", "tags": ["gift"]},
                        {"name": "#1001", "createdAt": "2025-03-01T15:04:05Z", "tags": []},
                    ]
                }
            }
        ),
    )
    shopify.on("DeskOrderByName", by_name(order(name="#1003")))
    since = datetime(2025, 3, 4, tzinfo=UTC)
    assert adapter().recent_order_numbers("7012345678901", since) == ["1003", "1002"]
    latest = adapter().latest_order("gid://shopify/Customer/7012345678901")
    assert latest is not None and latest.number == "1003"
    assert shopify.sent("DeskCustomerOrders")[0] == {"q": "customer_id:7012345678901"}
    shopify.on("DeskCustomerOrders", ok({"orders": {"nodes": []}}))
    assert adapter().latest_order("1") is None


# ---------------------------------------------------------------- customers and stock


CUSTOMER = {
    "id": "gid://shopify/Customer/7012345678901",
    "displayName": "Mia Recipient",
    "tags": ["newsletter", "VIP"],
    "defaultEmailAddress": {"emailAddress": "Mia@Example.com"},
    "defaultPhoneNumber": {"phoneNumber": "+15557654321"},
}


def test_a_customer_is_found_by_email_or_phone_with_the_tier_of_their_tags(
    shopify: Shopify,
) -> None:
    stranger = {
        **CUSTOMER,
        "id": "gid://shopify/Customer/1",
        "defaultEmailAddress": {"emailAddress": "x@y.z"},
        "defaultPhoneNumber": None,
    }
    shopify.on("DeskFindCustomers", ok({"customers": {"nodes": [stranger, CUSTOMER]}}))
    mia = adapter().find_customer(" MIA@example.com ")
    assert mia is not None
    assert (mia.id, mia.name, mia.tier, mia.claims) == (
        "7012345678901",
        "Mia Recipient",
        Tier.vip,
        [],
    )
    assert [(i.kind, i.value) for i in mia.identities] == [
        ("email", "mia@example.com"),
        ("phone", "+15557654321"),
    ]
    assert adapter().find_customer("(555) 765-4321") == mia
    assert shopify.sent("DeskFindCustomers") == [
        {"q": "email:mia@example.com"},
        {"q": "phone:+15557654321"},
    ]
    shopify.on("DeskFindCustomers", ok({"customers": {"nodes": [stranger]}}))
    assert adapter().find_customer("mia@example.com") is None  # a fuzzy hit is no match
    assert adapter().find_customer("@mia-r") is None and len(shopify.calls) == 3  # not asked
    b2b = {**CUSTOMER, "tags": ["Wholesale", "vip"]}
    shopify.on("DeskCustomer", ok({"customer": b2b}), ok({"customer": None}))
    found = adapter().find_customer_by_id("7012345678901")
    assert found is not None and found.tier == Tier.b2b  # the mapping's order decides
    assert shopify.sent("DeskCustomer") == [{"id": "gid://shopify/Customer/7012345678901"}]
    assert adapter().find_customer_by_id("404") is None
    plain = adapter(tier_tags={"gold": Tier.vip})._customer({**CUSTOMER, "tags": ["VIP"]})
    assert plain.tier == Tier.standard


def test_stock_is_the_available_units_of_every_variant_with_the_sku(shopify: Shopify) -> None:
    def variant(sku: str, *levels: int) -> dict[str, Any]:
        nodes = [{"quantities": [{"name": "available", "quantity": n}]} for n in levels]
        return {"sku": sku, "inventoryItem": {"inventoryLevels": {"nodes": nodes}}}

    shopify.on(
        "DeskStock",
        ok(
            {
                "productVariants": {
                    "nodes": [
                        variant("MUG-01", 3, 4),
                        variant("MUG-01", 1),
                        variant("MUG-01-XL", 50),  # search matched more than the SKU
                        variant("LAMP", -2),
                    ]
                }
            }
        ),
    )
    assert adapter().stock(["MUG-01", "LAMP", "GHOST"]) == {"MUG-01": 8, "LAMP": 0, "GHOST": 0}
    assert shopify.sent("DeskStock") == [{"q": "sku:MUG-01 OR sku:LAMP OR sku:GHOST"}]
    many = [f"SKU-{i}" for i in range(45)]
    adapter().stock(many)
    assert len(shopify.sent("DeskStock")) == 1 + 3  # 20 SKUs a query


# ---------------------------------------------------------------- throttling and errors


def test_the_cost_budget_backs_off_before_the_bucket_runs_dry(shopify: Shopify) -> None:
    low = ok(
        {"orders": {"nodes": [ORDER]}, "reships": {"nodes": []}},
        available=30,
        requested=100,
        restore=50,
    )
    shopify.on("DeskOrderByName", low)
    slept: list[float] = []
    shop = adapter(slept, cost_reserve=20)
    shop.get_order("1001")
    assert slept == []  # nothing known yet: no wait
    shop.get_order("1001")
    assert slept == [pytest.approx((100 + 20 - 30) / 50)]  # before the request, not after


def test_the_budget_projects_the_restore_rate_forward() -> None:
    now = [0.0]
    budget = CostBudget(reserve=0, default_cost=50, monotonic=lambda: now[0])
    assert budget.wait_before("Q") == 0
    budget.observe("Q", cost(available=10, requested=60, restore=50)["cost"])
    assert budget.wait_before("Q") == pytest.approx(1.0)
    now[0] = 1.0
    assert budget.wait_before("Q") == 0  # restored meanwhile
    assert CostBudget.throttled_wait(THROTTLED["extensions"]["cost"]) == pytest.approx(1.72)


def test_throttled_is_retried_after_the_time_the_restore_rate_implies(shopify: Shopify) -> None:
    shopify.on("DeskOrderByName", THROTTLED, by_name(ORDER))
    slept: list[float] = []
    assert adapter(slept).get_order("1001").number == "1001"
    assert slept[0] == pytest.approx((752 - 666) / 50) and len(shopify.calls) == 2


def test_throttled_for_good_is_unavailable(shopify: Shopify) -> None:
    shopify.on("DeskOrderByName", THROTTLED)
    with pytest.raises(Unavailable, match="THROTTLED after 3 attempts") as err:
        adapter(throttle_attempts=3).get_order("1001")
    assert len(shopify.calls) == 3 and TOKEN not in str(err.value)


def test_http_429_and_5xx_are_retried_then_unavailable(shopify: Shopify) -> None:
    shopify.on(
        "DeskOrderByName",
        httpx.Response(429, headers={"Retry-After": "2"}, json={"errors": "Throttled"}),
        httpx.Response(502, text="bad gateway"),
        by_name(ORDER),
    )
    slept: list[float] = []
    assert adapter(slept).get_order("1001").number == "1001"
    assert slept[0] == 2.0 and len(shopify.calls) == 3
    shopify.on("DeskOrderByName", httpx.Response(503, text="down"))
    with pytest.raises(Unavailable, match="503"):
        adapter().get_order("1001")


def test_credentials_and_scopes_refused_are_final_and_name_no_secret(shopify: Shopify) -> None:
    shopify.on(
        "DeskOrderByName",
        httpx.Response(
            401,
            json={
                "errors": "[API] Invalid API key or access token "
                "(unrecognized login or wrong password)"
            },
        ),
    )
    with pytest.raises(Refused) as err:
        adapter().get_order("1001")
    assert type(err.value) is Refused  # the retry policy names final errors by type
    assert "401" in str(err.value) and TOKEN not in str(err.value)
    denied = {
        "errors": [
            {
                "message": "Access denied for orders field.",
                "locations": [{"line": 2, "column": 3}],
                "path": ["orders"],
                "extensions": {"code": "ACCESS_DENIED"},
            }
        ]
    }
    shopify.on("DeskOrderByName", denied)
    with pytest.raises(Refused, match="lacks a scope"):
        adapter().get_order("1001")
    shopify.on("DeskOrderByName", httpx.Response(200, text="<html>"))
    with pytest.raises(Unavailable, match="not JSON"):
        adapter().get_order("1001")


# ---------------------------------------------------------------- refunds


PAID = {
    "id": ORDER["id"],
    "name": "#1001",
    "currencyCode": "USD",
    "lineItems": {
        "nodes": [
            {
                "id": "gid://shopify/LineItem/13890123456789",
                "sku": "MUG-01",
                "refundableQuantity": 2,
            }
        ]
    },
    "transactions": [
        {
            "id": "gid://shopify/OrderTransaction/6612345678901",
            "kind": "SALE",
            "status": "SUCCESS",
            "gateway": "shopify_payments",
            "amountSet": {"shopMoney": {"amount": "45.00", "currencyCode": "USD"}},
            "parentTransaction": None,
        }
    ],
    "refunds": [],
}
MUGS = [LineRef(sku="MUG-01", name="Ceramic Mug", qty=2, unit_price=20.0)]


def payments(**changes: Any) -> dict[str, Any]:
    node = copy.deepcopy(PAID)
    node.update(changes)
    return ok({"orders": {"nodes": [node]}}, requested=30)


def refunded(amount: str = "40.00", status: str = "SUCCESS") -> dict[str, Any]:
    money = {"shopMoney": {"amount": amount, "currencyCode": "USD"}}
    return ok(
        {
            "refundCreate": {
                "userErrors": [],
                "refund": {
                    "id": "gid://shopify/Refund/929361464",
                    "note": "x",
                    "totalRefundedSet": money,
                    "transactions": {
                        "nodes": [{"status": status, "kind": "REFUND", "amountSet": money}]
                    },
                },
            }
        }
    )


def test_a_refund_is_one_refundcreate_under_a_key_derived_from_the_desks(shopify: Shopify) -> None:
    shopify.on("DeskOrderPayments", payments())
    shopify.on("DeskRefundCreate", refunded())
    result = adapter().refund(
        "#1001", 40.0, MUGS, "lost in transit", "contact-order-1001:d1:refund"
    )
    assert result == ExecutionResult(refund_id="929361464", refunded=40.0)
    [query] = shopify.queries("DeskRefundCreate")
    key = refund_key("contact-order-1001:d1:refund")
    assert f'refundCreate(input: $input) @idempotent(key: "{key}")' in query
    assert re.fullmatch(r"[0-9a-f-]{36}", key)
    [sent] = shopify.sent("DeskRefundCreate")
    refund_input = sent["input"]
    assert refund_input["orderId"] == ORDER["id"] and refund_input["notify"] is False
    assert refund_input["refundLineItems"] == [
        {
            "lineItemId": "gid://shopify/LineItem/13890123456789",
            "quantity": 2,
            "restockType": "NO_RESTOCK",
        }
    ]
    assert refund_input["transactions"] == [
        {
            "orderId": ORDER["id"],
            "parentId": "gid://shopify/OrderTransaction/6612345678901",
            "gateway": "shopify_payments",
            "kind": "REFUND",
            "amount": "40.00",
        }
    ]
    assert refund_input["note"].startswith("lost in transit [desk ")
    # A retry sends the very same key; another decision another one.
    adapter().refund("1001", 40.0, MUGS, "lost in transit", "contact-order-1001:d1:refund")
    adapter().refund("1001", 5.0, [], "shipping", "contact-order-1001:d2:refund")
    keys = [re.search(r'key: "([^"]+)"', q).group(1) for q in shopify.queries("DeskRefundCreate")]  # type: ignore[union-attr]
    assert keys[0] == keys[1] != keys[2]


def test_a_refund_already_made_under_the_key_is_returned_not_repeated(shopify: Shopify) -> None:
    first = adapter()
    shopify.on("DeskOrderPayments", payments())
    shopify.on("DeskRefundCreate", refunded())
    first.refund("1001", 40.0, MUGS, "lost", "k1")
    note = shopify.sent("DeskRefundCreate")[0]["input"]["note"]
    earlier = {
        "id": "gid://shopify/Refund/929361464",
        "note": note,
        "totalRefundedSet": {"shopMoney": {"amount": "40.00", "currencyCode": "USD"}},
    }
    shopify.on("DeskOrderPayments", payments(refunds=[earlier]))
    again = adapter().refund("1001", 40.0, MUGS, "lost", "k1")
    assert again == ExecutionResult(refund_id="929361464", refunded=40.0)
    assert shopify.ops().count("DeskRefundCreate") == 1


def test_a_refused_or_declined_refund_is_refused(shopify: Shopify) -> None:
    shopify.on("DeskOrderPayments", payments())
    failure = ok(
        {
            "refundCreate": {
                "refund": None,
                "userErrors": [
                    {
                        "field": ["transactions", "0", "amount"],
                        "message": "Amount cannot be greater than the refundable amount",
                    }
                ],
            }
        }
    )
    shopify.on("DeskRefundCreate", failure)
    with pytest.raises(Refused, match="greater than the refundable amount") as err:
        adapter().refund("1001", 40.0, MUGS, "lost", "k1")
    assert type(err.value) is Refused
    shopify.on("DeskRefundCreate", refunded(status="FAILURE"))
    with pytest.raises(Refused, match="declined"):
        adapter().refund("1001", 40.0, MUGS, "lost", "k2")
    # More than the payments can cover: refused before asking Shopify.
    calls = len(shopify.calls)
    with pytest.raises(Refused, match=r"exceeds what order 1001 can still return \(45.00\)"):
        adapter().refund("1001", 45.01, [], "too much", "k3")
    assert len(shopify.calls) == calls + 1  # the read only
    with pytest.raises(ValueError, match="must not be negative"):
        adapter().refund("1001", -1.0, [], "x", "k4")
    shopify.on("DeskOrderPayments", ok({"orders": {"nodes": []}}))
    with pytest.raises(NotFound, match=r"^no order 1001$"):
        adapter().refund("1001", 1.0, [], "x", "k5")


def test_a_concurrent_attempt_on_the_key_is_waited_for(shopify: Shopify) -> None:
    busy = {
        "errors": [
            {
                "message": "This request is currently in progress, please try again.",
                "extensions": {"code": "IDEMPOTENCY_CONCURRENT_REQUEST"},
            }
        ]
    }
    shopify.on("DeskOrderPayments", payments())
    shopify.on("DeskRefundCreate", busy, refunded())
    assert adapter().refund("1001", 40.0, MUGS, "lost", "k1").refunded == 40.0
    [first, second] = shopify.queries("DeskRefundCreate")
    assert first == second
    mismatch = {
        "errors": [
            {"message": "mismatch", "extensions": {"code": "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"}}
        ]
    }
    shopify.on("DeskRefundCreate", mismatch)
    with pytest.raises(Refused, match="mismatch"):
        adapter().refund("1001", 40.0, MUGS, "lost", "k1")


def test_refunds_already_made_reduce_what_a_payment_can_cover(shopify: Shopify) -> None:
    earlier = {
        "id": "gid://shopify/OrderTransaction/1",
        "kind": "REFUND",
        "status": "SUCCESS",
        "gateway": "shopify_payments",
        "amountSet": {"shopMoney": {"amount": "40.00", "currencyCode": "USD"}},
        "parentTransaction": {"id": "gid://shopify/OrderTransaction/6612345678901"},
    }
    second_payment = {
        **PAID["transactions"][0],
        "id": "gid://shopify/OrderTransaction/2",
        "gateway": "gift_card",
        "amountSet": {"shopMoney": {"amount": "10.00", "currencyCode": "USD"}},
    }
    shopify.on(
        "DeskOrderPayments",
        payments(transactions=[PAID["transactions"][0], earlier, second_payment]),
    )
    shopify.on("DeskRefundCreate", refunded("8.00"))
    adapter().refund("1001", 8.0, [], "goodwill", "k1")
    [sent] = shopify.sent("DeskRefundCreate")
    assert [(t["parentId"][-1], t["amount"]) for t in sent["input"]["transactions"]] == [
        ("1", "5.00"),
        ("2", "3.00"),
    ]


def test_before_2026_01_there_is_no_directive_and_the_note_keeps_it_once(shopify: Shopify) -> None:
    shopify.on("DeskOrderPayments", payments())
    shopify.on("DeskRefundCreate", refunded())
    old = ShopifyAdapter(
        ShopifySettings(shop="desk-test", access_token=TOKEN, api_version="2025-10"),
        sleep=lambda _: None,
    )
    with respx.mock(assert_all_called=False) as mock:
        mock.post(f"{ORIGIN}/admin/api/2025-10/graphql.json").mock(side_effect=shopify)
        old.refund("1001", 40.0, MUGS, "lost", "k1")
    [query] = shopify.queries("DeskRefundCreate")
    assert (
        "@idempotent" not in query
        and "[desk " in shopify.sent("DeskRefundCreate")[0]["input"]["note"]
    )


# ---------------------------------------------------------------- cancellations


def marked() -> dict[str, Any]:
    return ok({"metafieldsSet": {"metafields": [{"key": "k", "value": "done"}], "userErrors": []}})


def test_an_unshipped_order_is_cancelled_whole_without_a_refund(shopify: Shopify) -> None:
    open_order = unfulfilled()
    done = unfulfilled(cancelledAt="2025-03-02T00:00:00Z")
    shopify.on(
        "DeskOrderByName", by_name(open_order), by_name(open_order), by_name(done), by_name(done)
    )
    shopify.on(
        "DeskOrderCancel",
        ok(
            {
                "orderCancel": {
                    "job": {"id": "gid://shopify/Job/5c4b", "done": False},
                    "orderCancelUserErrors": [],
                    "userErrors": [],
                }
            }
        ),
    )
    shopify.on("DeskMetafieldsSet", marked())
    slept: list[float] = []
    result = adapter(slept).cancel_lines("1001", [], "c:d1:cancel")
    assert result.status == OrderStatus.cancelled and all(ln.cancelled for ln in result.lines)
    [sent] = shopify.sent("DeskOrderCancel")
    assert sent["orderId"] == ORDER["id"] and sent["refundMethod"] == {
        "originalPaymentMethodsRefund": False
    }
    assert (sent["restock"], sent["reason"], sent["notifyCustomer"]) == (True, "CUSTOMER", False)
    assert "$refundMethod: OrderCancelRefundMethodInput!" in shopify.queries("DeskOrderCancel")[0]
    assert shopify.ops() == [
        "DeskOrderByName",
        "DeskOrderCancel",
        "DeskOrderByName",  # the job is still running
        "DeskOrderByName",  # done
        "DeskMetafieldsSet",
        "DeskOrderByName",
    ]
    [mark] = shopify.sent("DeskMetafieldsSet")[0]["metafields"]
    assert mark["ownerId"] == ORDER["id"] and mark["key"].startswith("cancel_")
    assert len(slept) == 1


def test_older_api_versions_cancel_with_refund_false() -> None:
    shop = adapter(api_version="2025-01")
    stub = Shopify()
    stub.on(
        "DeskOrderByName",
        by_name(unfulfilled()),
        by_name(unfulfilled(cancelledAt="2025-03-02T00:00:00Z")),
    )
    stub.on(
        "DeskOrderCancel",
        ok(
            {
                "orderCancel": {
                    "job": {"id": "j", "done": True},
                    "orderCancelUserErrors": [],
                    "userErrors": [],
                }
            }
        ),
    )
    stub.on("DeskMetafieldsSet", marked())
    with respx.mock(assert_all_called=False) as mock:
        mock.post(f"{ORIGIN}/admin/api/2025-01/graphql.json").mock(side_effect=stub)
        shop.cancel_lines("1001", [], "k")
    assert stub.sent("DeskOrderCancel")[0]["refund"] is False
    assert "$refund: Boolean!" in stub.queries("DeskOrderCancel")[0]


def test_an_order_cancelled_already_or_under_the_key_is_returned_as_it_is(shopify: Shopify) -> None:
    shopify.on("DeskOrderByName", by_name(unfulfilled(cancelledAt="2025-03-02T00:00:00Z")))
    assert adapter().cancel_lines("1001", [], "k").status == OrderStatus.cancelled
    shopify.on("DeskOrderByName", by_name(order(metafield={"value": "done"})))
    assert adapter().cancel_lines("1001", [], "k").status == OrderStatus.fulfilled
    assert shopify.ops() == ["DeskOrderByName", "DeskOrderByName"]


def test_a_cancel_shopify_refuses_is_read_again_then_refused(shopify: Shopify) -> None:
    refusal = {
        "orderCancel": {
            "job": None,
            "orderCancelUserErrors": [
                {
                    "field": ["orderId"],
                    "message": "Order has already been cancelled",
                    "code": "INVALID",
                }
            ],
            "userErrors": [],
        }
    }
    done = unfulfilled(cancelledAt="2025-03-02T00:00:00Z")
    shopify.on("DeskOrderByName", by_name(unfulfilled()), by_name(done), by_name(done))
    shopify.on("DeskOrderCancel", ok(refusal))
    shopify.on("DeskMetafieldsSet", marked())
    assert adapter().cancel_lines("1001", [], "k").status == OrderStatus.cancelled  # the job won
    refusal["orderCancel"]["orderCancelUserErrors"][0]["message"] = (
        "Order has pending payment authorizations"
    )
    shopify.on("DeskOrderByName", by_name(unfulfilled()))
    shopify.on("DeskOrderCancel", ok(refusal))
    with pytest.raises(Refused, match="pending payment authorizations"):
        adapter().cancel_lines("1001", [], "k2")


def test_a_line_in_a_fulfillment_has_shipped(shopify: Shopify) -> None:
    shopify.on("DeskOrderByName", by_name(ORDER))
    with pytest.raises(Conflict, match=r"^order 1001 line MUG-01 has shipped$"):
        adapter().cancel_lines("1001", ["MUG-01"], "k")
    with pytest.raises(Conflict, match=r"^order 1001 line MUG-01 has shipped$"):
        adapter().cancel_lines("1001", [], "k")
    with pytest.raises(Conflict, match=r"^order 1001 has no line TORCH$"):
        adapter().cancel_lines("1001", ["TORCH"], "k")
    assert set(shopify.ops()) == {"DeskOrderByName"}


def test_unshipped_lines_of_a_shipped_order_are_removed_by_an_order_edit(shopify: Shopify) -> None:
    split = unfulfilled(
        displayFulfillmentStatus="PARTIALLY_FULFILLED", fulfillments=ORDER["fulfillments"]
    )
    after = copy.deepcopy(split)
    after["lineItems"]["nodes"][1]["currentQuantity"] = 0
    shopify.on("DeskOrderByName", by_name(split), by_name(after))
    shopify.on(
        "DeskOrderEditBegin",
        ok(
            {
                "orderEditBegin": {
                    "calculatedOrder": {
                        "id": "gid://shopify/CalculatedOrder/9",
                        "lineItems": {
                            "nodes": [
                                {
                                    "id": "gid://shopify/CalculatedLineItem/1",
                                    "sku": "MUG-01",
                                    "quantity": 2,
                                },
                                {
                                    "id": "gid://shopify/CalculatedLineItem/2",
                                    "sku": "LAMP",
                                    "quantity": 1,
                                },
                            ]
                        },
                    },
                    "userErrors": [],
                }
            }
        ),
    )
    shopify.on(
        "DeskOrderEditSetQuantity",
        ok(
            {
                "orderEditSetQuantity": {
                    "calculatedLineItem": {"id": "x", "quantity": 0},
                    "userErrors": [],
                }
            }
        ),
    )
    shopify.on(
        "DeskOrderEditCommit",
        ok({"orderEditCommit": {"order": {"id": ORDER["id"]}, "userErrors": []}}),
    )
    shopify.on("DeskMetafieldsSet", marked())
    result = adapter().cancel_lines("1001", [], "c:d1:cancel")
    assert {ln.sku: ln.cancelled for ln in result.lines} == {"MUG-01": False, "LAMP": True}
    assert shopify.sent("DeskOrderEditSetQuantity") == [
        {
            "id": "gid://shopify/CalculatedOrder/9",
            "lineItemId": "gid://shopify/CalculatedLineItem/2",
            "quantity": 0,
            "restock": True,
        }
    ]
    [commit] = shopify.sent("DeskOrderEditCommit")
    assert commit["id"] == "gid://shopify/CalculatedOrder/9" and commit["notifyCustomer"] is False
    assert "[desk " in commit["staffNote"]


# ---------------------------------------------------------------- address changes


NEW_ADDRESS = Address(
    line1="69 Mott Street", city="New York", region="NY", postal_code="10013", country="us"
)


def test_the_address_is_overwritten_with_orderupdate_before_any_fulfillment(
    shopify: Shopify,
) -> None:
    moved = unfulfilled(shippingAddress={**ORDER["shippingAddress"], "address1": "69 Mott Street"})
    shopify.on("DeskOrderByName", by_name(unfulfilled()), by_name(moved))
    shopify.on(
        "DeskOrderUpdate", ok({"orderUpdate": {"order": {"id": ORDER["id"]}, "userErrors": []}})
    )
    shopify.on("DeskMetafieldsSet", marked())
    result = adapter().update_address("1001", NEW_ADDRESS, "c:address")
    assert result.address.line1 == "69 Mott Street"
    [sent] = shopify.sent("DeskOrderUpdate")
    assert sent["input"] == {
        "id": ORDER["id"],
        "shippingAddress": {
            "address1": "69 Mott Street",
            "address2": "",
            "city": "New York",
            "zip": "10013",
            "firstName": "Mia",
            "lastName": "Recipient",
            "phone": "+15557654321",
            "provinceCode": "NY",
            "countryCode": "US",
        },
    }
    assert shopify.sent("DeskMetafieldsSet")[0]["metafields"][0]["key"].startswith("address_")


def test_an_address_is_not_changed_once_shipped_or_when_incomplete(shopify: Shopify) -> None:
    shopify.on("DeskOrderByName", by_name(ORDER))
    with pytest.raises(Conflict, match=r"^order 1001 has shipped; the carrier has the parcel$"):
        adapter().update_address("1001", NEW_ADDRESS, "k")
    with pytest.raises(ValueError, match="needs a street"):
        adapter().update_address("1001", NEW_ADDRESS.model_copy(update={"city": " "}), "k")
    shopify.on("DeskOrderByName", by_name(unfulfilled()))
    shopify.on(
        "DeskOrderUpdate",
        ok(
            {
                "orderUpdate": {
                    "order": None,
                    "userErrors": [
                        {"field": ["shippingAddress", "zip"], "message": "Zip is invalid"}
                    ],
                }
            }
        ),
    )
    with pytest.raises(Refused, match="Zip is invalid"):
        adapter().update_address("1001", NEW_ADDRESS, "k")


# ---------------------------------------------------------------- replacements


def draft(status: str = "OPEN", name: str | None = None) -> dict[str, Any]:
    made = {"name": name} if name else None
    return {"id": "gid://shopify/DraftOrder/55", "status": status, "order": made}


def test_a_replacement_is_a_free_draft_order_claimed_on_the_original_then_completed(
    shopify: Shopify,
) -> None:
    shopify.on("DeskOrderByName", by_name(ORDER))
    shopify.on(
        "DeskDraftOrderCreate", ok({"draftOrderCreate": {"draftOrder": draft(), "userErrors": []}})
    )
    shopify.on("DeskMetafieldsSet", marked())
    shopify.on("DeskDraftOrder", ok({"draftOrder": draft()}))
    shopify.on(
        "DeskDraftOrderComplete",
        ok({"draftOrderComplete": {"draftOrder": draft("COMPLETED", "#1002"), "userErrors": []}}),
    )
    made = adapter().create_replacement("1001", MUGS, "express", "leave at door", "c:d1:reship")
    assert made == ExecutionResult(replacement_order="1002")
    [sent] = shopify.sent("DeskDraftOrderCreate")
    draft_input = sent["input"]
    assert draft_input["lineItems"] == [
        {"variantId": "gid://shopify/ProductVariant/4411", "quantity": 2}
    ]
    assert draft_input["appliedDiscount"]["valueType"] == "PERCENTAGE"
    assert draft_input["appliedDiscount"]["value"] == 100.0
    assert draft_input["shippingLine"] == {
        "title": "express",
        "priceWithCurrency": {"amount": "0.00", "currencyCode": "USD"},
    }
    assert draft_input["shippingAddress"]["address1"] == "123 Main St"
    assert draft_input["shippingAddress"]["countryCode"] == "US"
    assert draft_input["purchasingEntity"] == {"customerId": "gid://shopify/Customer/7012345678901"}
    assert draft_input["tags"][:2] == ["desk-replacement", "desk-reship-of-1001"]
    assert draft_input["tags"][2].startswith("desk-key-") and "leave at door" in draft_input["note"]
    [claim] = shopify.sent("DeskMetafieldsSet")[0]["metafields"]
    assert claim["value"] == "gid://shopify/DraftOrder/55" and claim["compareDigest"] is None
    assert claim["key"].startswith("reship_")
    assert shopify.sent("DeskOrderByName")[0]["mf"] == claim["key"]


def test_a_retry_finds_the_draft_on_the_original_and_makes_no_second(shopify: Shopify) -> None:
    shopify.on(
        "DeskOrderByName", by_name(order(metafield={"value": "gid://shopify/DraftOrder/55"}))
    )
    shopify.on("DeskDraftOrder", ok({"draftOrder": draft("COMPLETED", "#1002")}))
    made = adapter().create_replacement("1001", MUGS, "express", None, "c:d1:reship")
    assert made.replacement_order == "1002"
    assert shopify.ops() == ["DeskOrderByName", "DeskDraftOrder"]
    # Made but not completed (the worker died in between): completed now.
    shopify.on("DeskDraftOrder", ok({"draftOrder": draft()}))
    shopify.on(
        "DeskDraftOrderComplete",
        ok({"draftOrderComplete": {"draftOrder": draft("COMPLETED", "#1002"), "userErrors": []}}),
    )
    assert adapter().create_replacement("1001", MUGS, "express", None, "c:d1:reship") == made
    assert "DeskDraftOrderCreate" not in shopify.ops()


def test_a_concurrent_attempt_that_loses_the_claim_deletes_its_draft(shopify: Shopify) -> None:
    winner = "gid://shopify/DraftOrder/54"
    shopify.on("DeskOrderByName", by_name(ORDER), by_name(order(metafield={"value": winner})))
    shopify.on(
        "DeskDraftOrderCreate", ok({"draftOrderCreate": {"draftOrder": draft(), "userErrors": []}})
    )
    stale = {
        "field": ["metafields", "0", "compareDigest"],
        "message": "stale",
        "code": "STALE_OBJECT",
    }
    shopify.on(
        "DeskMetafieldsSet", ok({"metafieldsSet": {"metafields": None, "userErrors": [stale]}})
    )
    shopify.on(
        "DeskDraftOrderDelete", ok({"draftOrderDelete": {"deletedId": "x", "userErrors": []}})
    )
    shopify.on("DeskDraftOrder", ok({"draftOrder": {**draft("COMPLETED", "#1002"), "id": winner}}))
    assert (
        adapter().create_replacement("1001", MUGS, "ground", None, "k").replacement_order == "1002"
    )
    assert shopify.sent("DeskDraftOrderDelete") == [
        {"input": {"id": "gid://shopify/DraftOrder/55"}}
    ]
    assert shopify.sent("DeskDraftOrder") == [{"id": winner}]


def test_a_refused_draft_is_refused(shopify: Shopify) -> None:
    shopify.on("DeskOrderByName", by_name(ORDER))
    refused = {
        "draftOrderCreate": {
            "draftOrder": None,
            "userErrors": [{"field": ["lineItems"], "message": "Variant is out of stock"}],
        }
    }
    shopify.on("DeskDraftOrderCreate", ok(refused))
    with pytest.raises(Refused, match="out of stock"):
        adapter().create_replacement("1001", MUGS, "ground", None, "k")


def test_no_secret_in_the_logs(shopify: Shopify, capsys: pytest.CaptureFixture[str]) -> None:
    shopify.on("DeskOrderByName", THROTTLED)
    with pytest.raises(Unavailable):
        adapter(throttle_attempts=2).get_order("1001")
    out = capsys.readouterr()
    assert TOKEN not in out.out + out.err


def test_placed_since_is_compared_in_utc(shopify: Shopify) -> None:
    shopify.on(
        "DeskCustomerOrders",
        ok(
            {
                "orders": {
                    "nodes": [{"name": "#7", "createdAt": "2025-03-01T10:00:00-05:00", "tags": []}]
                }
            }
        ),
    )
    naive = datetime(2025, 3, 1, 15, 0)  # naive: UTC
    assert adapter().recent_order_numbers("1", naive) == ["7"]
    assert adapter().recent_order_numbers("1", naive + timedelta(seconds=1)) == []
