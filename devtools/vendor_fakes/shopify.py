"""A Shopify Admin GraphQL API on 127.0.0.1, backed by a ``SandboxShop``.

``POST /shopify/admin/api/{version}/graphql.json`` answers the operations the desk's
Shopify adapter sends (matched on the operation name; the query text is not parsed beyond
an ``@idempotent(key:)`` directive), in the documented response shapes, with
``extensions.cost`` from a leaky bucket (2000 points, 100 restored per second by default).
Reads come from the sandbox (orders, customers, stock, refunds); writes go through its port
methods (``cancel_lines``, ``update_address``, ``refund``, ``create_replacement``), so the
sandbox's ledger stays the truth and its idempotency applies. What only Shopify keeps
(draft orders, metafields, order-edit sessions, ``@idempotent`` keys) lives in memory.

How the sandbox looks through Shopify's eyes: order ``41880`` is ``#41880``
(``gid://shopify/Order/41880``); customer ``C-1001`` is ``gid://shopify/Customer/C-1001``
tagged with its tier (``vip``, ``b2b``, ``new``); each shipment is a fulfillment (cancelled
when its label was voided) with the carrier's name and the tracking number; each line a
line item whose variant is ``gid://shopify/ProductVariant/<sku>``; the order was paid by
one ``SALE`` of its lines and shipping; sandbox refunds are refunds (note: the reason).

Test switches (``POST /shopify/_fake/faults``, a JSON ``Fault``): answer ``THROTTLED``
(HTTP 200), an HTTP status (429 with Retry-After, 5xx), a user error, or a slow answer,
``count`` times, for one operation or any. ``GET /shopify/_fake/operations`` lists the
operations served.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Body, Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from desk.adapters.sandbox import SandboxShop
from desk.identities import normalise_order_number
from desk.models import Address, Carrier, LineRef, Order, ScanStatus, Tier
from desk.ports import Conflict, NotFound

Clock = Callable[[], datetime]

_CARRIER_NAMES = {
    Carrier.usps: "USPS",
    Carrier.ups: "UPS",
    Carrier.fedex: "FedEx",
    Carrier.dhl: "DHL Express",
}
_TIER_TAGS = {Tier.vip: ["vip"], Tier.b2b: ["b2b"], Tier.new: ["new"], Tier.standard: []}
_DISPLAY = {
    ScanStatus.label_created: "LABEL_PURCHASED",
    ScanStatus.accepted: "IN_TRANSIT",
    ScanStatus.in_transit: "IN_TRANSIT",
    ScanStatus.out_for_delivery: "OUT_FOR_DELIVERY",
    ScanStatus.delivered: "DELIVERED",
    ScanStatus.exception: "FAILURE",
}
_FULFILLMENT_STATUS = {
    "fulfilled": "FULFILLED",
    "partially_fulfilled": "PARTIALLY_FULFILLED",
    "unfulfilled": "UNFULFILLED",
    "cancelled": "UNFULFILLED",
}
# The root field of each mutation and where its user errors go.
_MUTATIONS = {
    "DeskRefundCreate": ("refundCreate", "userErrors"),
    "DeskOrderCancel": ("orderCancel", "orderCancelUserErrors"),
    "DeskOrderEditBegin": ("orderEditBegin", "userErrors"),
    "DeskOrderEditSetQuantity": ("orderEditSetQuantity", "userErrors"),
    "DeskOrderEditCommit": ("orderEditCommit", "userErrors"),
    "DeskOrderUpdate": ("orderUpdate", "userErrors"),
    "DeskMetafieldsSet": ("metafieldsSet", "userErrors"),
    "DeskDraftOrderCreate": ("draftOrderCreate", "userErrors"),
    "DeskDraftOrderComplete": ("draftOrderComplete", "userErrors"),
    "DeskDraftOrderDelete": ("draftOrderDelete", "userErrors"),
}
_COSTS = {"DeskOrderByName": 40.0, "DeskOrderPayments": 30.0, "DeskStock": 25.0}
_IDEMPOTENT = re.compile(r'@idempotent\(\s*key:\s*"([^"]+)"\s*\)')
_OPERATION = re.compile(r"\b(?:query|mutation)\s+(\w+)")
_TERM = re.compile(r'(\w+):("(?:[^"\\]|\\.)*"|\S+)')
_IN_PROGRESS = "in progress"


class Fault(BaseModel):
    """A test switch: the next ``count`` matching requests fail (or are slow) this way."""

    kind: Literal["throttled", "http", "user_error", "slow"]
    count: int = Field(1, ge=1)
    operation: str | None = None
    status: int = 503
    retry_after: str | None = None
    message: str = "refused by the fake"
    seconds: float = 0.0


class _GraphQLErrors(Exception):
    def __init__(self, *errors: dict[str, Any]) -> None:
        super().__init__(errors)
        self.errors = list(errors)


@dataclass
class _Bucket:
    maximum: float
    restore: float
    available: float = 0.0
    at: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.available = self.maximum

    def take(self, cost: float) -> bool:
        now = time.monotonic()
        self.available = min(self.maximum, self.available + (now - self.at) * self.restore)
        self.at = now
        if self.available < cost:
            return False
        self.available -= cost
        return True

    def status(self) -> dict[str, float]:
        return {
            "maximumAvailable": self.maximum,
            "currentlyAvailable": round(self.available),
            "restoreRate": self.restore,
        }


class ShopifyFake:
    """The fake's state (drafts, metafields, edits, idempotency keys, faults) and router."""

    def __init__(
        self,
        shop: SandboxShop,
        clock: Clock,
        *,
        maximum: float = 2000.0,
        restore_rate: float = 100.0,
        token: str | None = None,
    ) -> None:
        self.shop = shop
        self.clock = clock
        self.token = token  # the one access token the shop accepts; None: any
        self.operations: list[str] = []
        self._lock = threading.Lock()
        self._bucket = _Bucket(maximum, restore_rate)
        self._faults: list[Fault] = []
        self._metafields: dict[tuple[str, str], str] = {}
        self._drafts: dict[str, dict[str, Any]] = {}
        self._edits: dict[str, dict[str, Any]] = {}
        self._refund_keys: dict[str, Any] = {}
        self._ids = itertools.count(1)
        self._local = threading.local()

    # ------------------------------------------------------------ HTTP

    def router(self) -> APIRouter:
        router = APIRouter()

        @router.post("/shopify/admin/api/{version}/graphql.json")
        def graphql(
            version: str,
            payload: dict[str, Any] = Body(...),  # noqa: B008 - FastAPI's way
            x_shopify_access_token: str | None = Header(None),
        ) -> JSONResponse:
            if not x_shopify_access_token or self.token not in (None, x_shopify_access_token):
                return JSONResponse(
                    {
                        "errors": "[API] Invalid API key or access token "
                        "(unrecognized login or wrong password)"
                    },
                    status_code=401,
                )
            return self.serve(payload)

        @router.post("/shopify/_fake/faults")
        def add_fault(fault: Fault) -> dict[str, int]:
            with self._lock:
                self._faults.append(fault)
                return {"faults": len(self._faults)}

        @router.delete("/shopify/_fake/faults")
        def clear_faults() -> dict[str, int]:
            with self._lock:
                self._faults.clear()
            return {"faults": 0}

        @router.get("/shopify/_fake/operations")
        def operations() -> list[str]:
            with self._lock:
                return list(self.operations)

        return router

    def serve(self, payload: dict[str, Any]) -> JSONResponse:
        query = str(payload.get("query") or "")
        operation = str(payload.get("operationName") or "")
        if not operation and (found := _OPERATION.search(query)):
            operation = found.group(1)
        variables = payload.get("variables") or {}
        with self._lock:
            self.operations.append(operation)
            fault = self._take_fault(operation)
            cost = _COSTS.get(operation, 10.0)
            enough = self._bucket.take(cost)
            status = self._bucket.status()
        extensions = {
            "cost": {
                "requestedQueryCost": cost,
                "actualQueryCost": cost if enough else None,
                "throttleStatus": status,
            }
        }
        if fault is not None and fault.kind == "http":
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            return JSONResponse({"errors": fault.message}, fault.status, headers=headers)
        if not enough or (fault is not None and fault.kind == "throttled"):
            if fault is not None:
                extensions["cost"]["throttleStatus"] = {**status, "currentlyAvailable": 0}
            return JSONResponse({"errors": [_throttled()], "extensions": extensions})
        if fault is not None and fault.kind == "user_error" and operation in _MUTATIONS:
            root, errors = _MUTATIONS[operation]
            data: dict[str, Any] = {root: {errors: [{"field": None, "message": fault.message}]}}
            return JSONResponse({"data": data, "extensions": extensions})
        self._local.delay = fault.seconds if fault is not None and fault.kind == "slow" else 0.0
        handler = self._handlers().get(operation)
        try:
            if handler is None:
                raise _GraphQLErrors(
                    {"message": f"the fake does not know {operation or 'this operation'}"}
                )
            data = handler(variables, query)
        except _GraphQLErrors as err:
            return JSONResponse({"errors": err.errors, "extensions": extensions})
        self._delay()
        return JSONResponse({"data": data, "extensions": extensions})

    def _take_fault(self, operation: str) -> Fault | None:
        for fault in self._faults:
            if fault.operation in (None, operation):
                fault.count -= 1
                if fault.count <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _delay(self) -> None:
        seconds = getattr(self._local, "delay", 0.0)
        self._local.delay = 0.0
        if seconds > 0:
            time.sleep(seconds)

    def _handlers(self) -> dict[str, Callable[[dict[str, Any], str], dict[str, Any]]]:
        return {
            "DeskFindCustomers": self._find_customers,
            "DeskCustomer": self._customer_by_id,
            "DeskOrderByName": self._order_by_name,
            "DeskCustomerOrders": self._customer_orders,
            "DeskOrderPayments": self._order_payments,
            "DeskStock": self._stock,
            "DeskRefundCreate": self._refund_create,
            "DeskOrderCancel": self._order_cancel,
            "DeskOrderEditBegin": self._edit_begin,
            "DeskOrderEditSetQuantity": self._edit_set_quantity,
            "DeskOrderEditCommit": self._edit_commit,
            "DeskOrderUpdate": self._order_update,
            "DeskMetafieldsSet": self._metafields_set,
            "DeskDraftOrderCreate": self._draft_create,
            "DeskDraftOrder": self._draft_read,
            "DeskDraftOrderComplete": self._draft_complete,
            "DeskDraftOrderDelete": self._draft_delete,
        }

    # ------------------------------------------------------------ customers

    def _find_customers(self, variables: dict[str, Any], _: str) -> dict[str, Any]:
        found: dict[str, dict[str, Any]] = {}
        for name, value in _terms(str(variables.get("q", ""))):
            if name in ("email", "phone"):
                customer = self.shop.find_customer(value)
                if customer is not None:
                    found.setdefault(customer.id, self._customer_node(customer.id))
        return {"customers": {"nodes": list(found.values())}}

    def _customer_by_id(self, variables: dict[str, Any], _: str) -> dict[str, Any]:
        customer_id = _tail(str(variables.get("id", "")))
        if self.shop.find_customer_by_id(customer_id) is None:
            return {"customer": None}
        return {"customer": self._customer_node(customer_id)}

    def _customer_node(self, customer_id: str) -> dict[str, Any]:
        customer = self.shop.find_customer_by_id(customer_id)
        assert customer is not None
        email = next((i.value for i in customer.identities if i.kind == "email"), None)
        phone = next((i.value for i in customer.identities if i.kind == "phone"), None)
        return {
            "id": f"gid://shopify/Customer/{customer.id}",
            "displayName": customer.name,
            "tags": _TIER_TAGS[customer.tier],
            "defaultEmailAddress": {"emailAddress": email} if email else None,
            "defaultPhoneNumber": {"phoneNumber": _e164(phone)} if phone else None,
        }

    # ------------------------------------------------------------ orders

    def _order_by_name(self, variables: dict[str, Any], _: str) -> dict[str, Any]:
        marker = str(variables.get("mf") or "")
        nodes = [self._order_node(order, marker) for order in self._orders_named(variables)]
        reships: list[dict[str, Any]] = []
        for name, value in _terms(str(variables.get("reships", ""))):
            if name == "tag" and value.startswith("desk-reship-of-"):
                number = value.removeprefix("desk-reship-of-")
                try:
                    count = self.shop.get_order(number).prior_reships
                except NotFound:
                    count = 0
                reships = [{"id": f"gid://shopify/Order/R-{number}-{i + 1}"} for i in range(count)]
        return {"orders": {"nodes": nodes}, "reships": {"nodes": reships}}

    def _orders_named(self, variables: dict[str, Any]) -> list[Order]:
        for name, value in _terms(str(variables.get("q", ""))):
            if name == "name":
                try:
                    return [self.shop.get_order(normalise_order_number(value))]
                except NotFound:
                    return []
        return []

    def _customer_orders(self, variables: dict[str, Any], _: str) -> dict[str, Any]:
        nodes: list[dict[str, Any]] = []
        for name, value in _terms(str(variables.get("q", ""))):
            if name == "customer_id":
                numbers = self.shop.recent_order_numbers(value, datetime(1970, 1, 1, tzinfo=UTC))
                for number in numbers[:25]:
                    order = self.shop.get_order(number)
                    nodes.append(
                        {"name": f"#{number}", "createdAt": _iso(order.placed_at), "tags": []}
                    )
        return {"orders": {"nodes": nodes}}

    def _order_payments(self, variables: dict[str, Any], _: str) -> dict[str, Any]:
        nodes = []
        for order in self._orders_named(variables):
            node = self._order_node(order, "")
            nodes.append(
                {
                    key: node[key]
                    for key in (
                        "id",
                        "name",
                        "currencyCode",
                        "lineItems",
                        "transactions",
                        "refunds",
                    )
                }
            )
        return {"orders": {"nodes": nodes}}

    def _order_node(self, order: Order, marker: str) -> dict[str, Any]:
        number = order.number
        gid = f"gid://shopify/Order/{number}"
        refunds = self.shop.refunds([number])
        refunded_qty: dict[str, int] = {}
        for record in refunds:
            for ref in record.lines:
                refunded_qty[ref.sku] = refunded_qty.get(ref.sku, 0) + ref.qty
        customer = self.shop.find_customer_by_id(order.customer_id)
        first, _, last = (customer.name if customer else "").partition(" ")
        lines = []
        for i, line in enumerate(order.lines):
            refunded = min(refunded_qty.get(line.sku, 0), line.qty)
            lines.append(
                {
                    "id": f"gid://shopify/LineItem/{number}-{i}",
                    "sku": line.sku,
                    "title": line.name,
                    "quantity": line.qty,
                    "currentQuantity": 0 if line.cancelled else line.qty - refunded,
                    "refundableQuantity": 0 if line.cancelled else line.qty - refunded,
                    "variant": {"id": f"gid://shopify/ProductVariant/{line.sku}"},
                    "originalUnitPriceSet": _money(line.unit_price),
                }
            )
        sale_id = f"gid://shopify/OrderTransaction/{number}-sale"
        transactions: list[dict[str, Any]] = [
            {
                "id": sale_id,
                "kind": "SALE",
                "status": "SUCCESS",
                "gateway": "shopify_payments",
                "amountSet": _money(_paid(order)),
                "parentTransaction": None,
            }
        ]
        for record in refunds:
            transactions.append(
                {
                    "id": f"gid://shopify/OrderTransaction/{number}-{record.refund_id}",
                    "kind": "REFUND",
                    "status": "SUCCESS",
                    "gateway": "shopify_payments",
                    "amountSet": _money(record.amount),
                    "parentTransaction": {"id": sale_id},
                }
            )
        service = order.shipments[0].service if order.shipments else "ground"
        metafield = self._metafields.get((gid, marker)) if marker else None
        return {
            "id": gid,
            "name": f"#{number}",
            "createdAt": _iso(order.placed_at),
            "cancelledAt": _iso(self.clock()) if order.status.value == "cancelled" else None,
            "tags": [],
            "displayFulfillmentStatus": _FULFILLMENT_STATUS[order.status.value],
            "currencyCode": "USD",
            "customer": {"id": f"gid://shopify/Customer/{order.customer_id}"},
            "totalShippingPriceSet": _money(order.shipping_cost),
            "shippingLine": {"title": service, "code": service},
            "shippingAddress": {
                "firstName": first or None,
                "lastName": last or None,
                "company": None,
                "address1": order.address.line1,
                "address2": order.address.line2,
                "city": order.address.city,
                "province": order.address.region,
                "provinceCode": order.address.region,
                "zip": order.address.postal_code,
                "country": order.address.country,
                "countryCodeV2": order.address.country,
                "phone": None,
                "latitude": order.address.lat,
                "longitude": order.address.lon,
            },
            "lineItems": {"nodes": lines},
            "fulfillments": [self._fulfillment(order, i) for i in range(len(order.shipments))],
            "transactions": transactions,
            "refunds": [
                {
                    "id": f"gid://shopify/Refund/{record.refund_id}",
                    "note": record.reason,
                    "totalRefundedSet": _money(record.amount),
                }
                for record in refunds
            ],
            "metafield": {"value": metafield} if metafield is not None else None,
        }

    def _fulfillment(self, order: Order, index: int) -> dict[str, Any]:
        ship = order.shipments[index]
        line_ids = {
            line.sku: f"gid://shopify/LineItem/{order.number}-{i}"
            for i, line in enumerate(order.lines)
        }
        qty = {line.sku: line.qty for line in order.lines}
        events = self.shop.trace(ship.tracking, self.clock()).shipment.events
        display = _DISPLAY[events[-1].status] if events else "CONFIRMED"
        return {
            "id": f"gid://shopify/Fulfillment/{order.number}-{index}",
            "status": "CANCELLED" if ship.label_voided else "SUCCESS",
            "displayStatus": "CANCELED" if ship.label_voided else display,
            "createdAt": _iso(order.placed_at),
            "estimatedDeliveryAt": _iso(ship.expected_delivery) if ship.expected_delivery else None,
            "trackingInfo": [
                {"company": _CARRIER_NAMES[ship.carrier], "number": ship.tracking, "url": None}
            ],
            "fulfillmentLineItems": {
                "nodes": [
                    {"quantity": qty.get(sku, 1), "lineItem": {"id": line_ids.get(sku), "sku": sku}}
                    for sku in ship.skus
                ]
            },
        }

    def _stock(self, variables: dict[str, Any], _: str) -> dict[str, Any]:
        skus = [value for name, value in _terms(str(variables.get("q", ""))) if name == "sku"]
        units = self.shop.stock(skus) if skus else {}
        nodes = [
            {
                "sku": sku,
                "inventoryItem": {
                    "inventoryLevels": {
                        "nodes": [{"quantities": [{"name": "available", "quantity": count}]}]
                    }
                },
            }
            for sku, count in units.items()
        ]
        return {"productVariants": {"nodes": nodes}}

    # ------------------------------------------------------------ refunds

    def _refund_create(self, variables: dict[str, Any], query: str) -> dict[str, Any]:
        refund_input = variables.get("input") or {}
        found = _IDEMPOTENT.search(query)
        key = found.group(1) if found else None
        fingerprint = hashlib.sha256(json.dumps(refund_input, sort_keys=True).encode()).hexdigest()
        if key is not None:
            with self._lock:
                entry = self._refund_keys.get(key)
                if entry == _IN_PROGRESS:
                    raise _GraphQLErrors(
                        {
                            "message": "This request is currently in progress, please try again.",
                            "extensions": {"code": "IDEMPOTENCY_CONCURRENT_REQUEST"},
                        }
                    )
                if entry is not None:
                    if entry[0] != fingerprint:
                        raise _GraphQLErrors(
                            {
                                "message": "The same idempotency key cannot be used with "
                                "different operation parameters.",
                                "extensions": {"code": "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"},
                            }
                        )
                    return dict(entry[1])
                self._refund_keys[key] = _IN_PROGRESS
        try:
            data = self._refund(refund_input, key or uuid.uuid4().hex)
            self._delay()  # a slow answer: the key stays in progress meanwhile
        except BaseException:
            if key is not None:
                with self._lock:
                    self._refund_keys.pop(key, None)
            raise
        if key is not None:
            with self._lock:
                self._refund_keys[key] = (fingerprint, data)
        return data

    def _refund(self, refund_input: dict[str, Any], key: str) -> dict[str, Any]:
        number = _tail(str(refund_input.get("orderId", "")))
        try:
            order = self.shop.get_order(number)
        except NotFound:
            return _user_error("refundCreate", ["orderId"], "Order does not exist")
        amount = round(
            sum(float(t.get("amount") or 0) for t in refund_input.get("transactions") or []), 2
        )
        refundable = round(_paid(order) - self.shop.refund_total([number]), 2)
        if amount > refundable + 0.005:
            return _user_error(
                "refundCreate",
                ["transactions", "0", "amount"],
                "Amount cannot be greater than the refundable amount",
            )
        lines = []
        for item in refund_input.get("refundLineItems") or []:
            index = int(_tail(str(item.get("lineItemId", ""))).rsplit("-", 1)[-1])
            line = order.lines[index]
            lines.append(
                LineRef(
                    sku=line.sku,
                    name=line.name,
                    qty=int(item.get("quantity") or 0),
                    unit_price=line.unit_price,
                )
            )
        note = str(refund_input.get("note") or "")
        result = self.shop.refund(number, amount, lines, note, f"shopify-refund:{key}")
        money = _money(result.refunded)
        return {
            "refundCreate": {
                "refund": {
                    "id": f"gid://shopify/Refund/{result.refund_id}",
                    "note": note,
                    "totalRefundedSet": money,
                    "transactions": {
                        "nodes": [{"status": "SUCCESS", "kind": "REFUND", "amountSet": money}]
                        if amount > 0
                        else []
                    },
                },
                "userErrors": [],
            }
        }

    # ------------------------------------------------------------ order changes

    def _order_cancel(self, variables: dict[str, Any], _: str) -> dict[str, Any]:
        number = _tail(str(variables.get("orderId", "")))

        def refused(message: str, code: str = "INVALID") -> dict[str, Any]:
            error = {"field": ["orderId"], "message": message, "code": code}
            return {
                "orderCancel": {"job": None, "orderCancelUserErrors": [error], "userErrors": []}
            }

        try:
            order = self.shop.get_order(number)
        except NotFound:
            return refused("Order does not exist", "NOT_FOUND")
        if order.status.value == "cancelled":
            return refused("Order has already been cancelled")
        if any(not ship.label_voided for ship in order.shipments):
            return refused("Cannot cancel an order that has fulfillments; cancel them first")
        try:
            self.shop.cancel_lines(number, [], f"shopify-cancel:{number}")
        except Conflict as err:
            return refused(str(err))
        method = variables.get("refundMethod") or {}
        if variables.get("refund") is True or method.get("originalPaymentMethodsRefund") is True:
            left = round(_paid(order) - self.shop.refund_total([number]), 2)
            if left > 0:
                self.shop.refund(number, left, [], "orderCancel", f"shopify-cancel-refund:{number}")
        job = {"id": f"gid://shopify/Job/{uuid.uuid4()}", "done": True}
        return {"orderCancel": {"job": job, "orderCancelUserErrors": [], "userErrors": []}}

    def _edit_begin(self, variables: dict[str, Any], _: str) -> dict[str, Any]:
        number = _tail(str(variables.get("id", "")))
        try:
            order = self.shop.get_order(number)
        except NotFound:
            return _user_error("orderEditBegin", ["id"], "Order does not exist")
        if order.status.value == "cancelled":
            return _user_error("orderEditBegin", ["id"], "A cancelled order cannot be edited")
        edit_id = f"gid://shopify/CalculatedOrder/{number}.{next(self._ids)}"
        with self._lock:
            self._edits[edit_id] = {"number": number, "removed": [], "committed": False}
        items = [
            {
                "id": f"gid://shopify/CalculatedLineItem/{number}-{i}",
                "sku": line.sku,
                "quantity": line.qty,
            }
            for i, line in enumerate(order.lines)
            if not line.cancelled
        ]
        calculated = {"id": edit_id, "lineItems": {"nodes": items}}
        return {"orderEditBegin": {"calculatedOrder": calculated, "userErrors": []}}

    def _edit_set_quantity(self, variables: dict[str, Any], _: str) -> dict[str, Any]:
        edit = self._edits.get(str(variables.get("id", "")))
        if edit is None or edit["committed"]:
            return _user_error("orderEditSetQuantity", ["id"], "The order edit does not exist")
        if int(variables.get("quantity", -1)) != 0:
            return _user_error("orderEditSetQuantity", ["quantity"], "the fake only removes lines")
        line_id = str(variables.get("lineItemId", ""))
        index = int(_tail(line_id).rsplit("-", 1)[-1])
        order = self.shop.get_order(edit["number"])
        edit["removed"].append(order.lines[index].sku)
        return {
            "orderEditSetQuantity": {
                "calculatedLineItem": {"id": line_id, "quantity": 0},
                "userErrors": [],
            }
        }

    def _edit_commit(self, variables: dict[str, Any], _: str) -> dict[str, Any]:
        edit_id = str(variables.get("id", ""))
        edit = self._edits.get(edit_id)
        if edit is None or edit["committed"]:
            return _user_error("orderEditCommit", ["id"], "The order edit has been committed")
        try:
            self.shop.cancel_lines(edit["number"], edit["removed"], f"shopify-edit:{edit_id}")
        except Conflict as err:
            return _user_error("orderEditCommit", ["id"], str(err))
        edit["committed"] = True
        order = {"id": f"gid://shopify/Order/{edit['number']}"}
        return {"orderEditCommit": {"order": order, "userErrors": []}}

    def _order_update(self, variables: dict[str, Any], _: str) -> dict[str, Any]:
        order_input = variables.get("input") or {}
        number = _tail(str(order_input.get("id", "")))
        raw = order_input.get("shippingAddress")
        if not isinstance(raw, dict):
            return {"orderUpdate": {"order": {"id": order_input.get("id")}, "userErrors": []}}
        address = Address(
            line1=str(raw.get("address1") or ""),
            line2=raw.get("address2") or None,
            city=str(raw.get("city") or ""),
            region=raw.get("provinceCode") or raw.get("province") or None,
            postal_code=str(raw.get("zip") or ""),
            country=str(raw.get("countryCode") or raw.get("country") or ""),
        )
        digest = hashlib.sha256(json.dumps(order_input, sort_keys=True).encode()).hexdigest()
        try:
            self.shop.update_address(number, address, f"shopify-address:{digest}")
        except NotFound:
            return _user_error("orderUpdate", ["id"], "Order does not exist")
        except ValueError as err:  # Conflict too: the sandbox's word on a shipped order
            return _user_error("orderUpdate", ["shippingAddress"], str(err))
        return {"orderUpdate": {"order": {"id": order_input.get("id")}, "userErrors": []}}

    def _metafields_set(self, variables: dict[str, Any], _: str) -> dict[str, Any]:
        entries = variables.get("metafields") or []
        with self._lock:
            for i, entry in enumerate(entries):
                slot = (str(entry.get("ownerId")), str(entry.get("key")))
                if "compareDigest" not in entry:
                    continue
                existing = self._metafields.get(slot)
                expected = entry["compareDigest"]
                current = _digest(existing) if existing is not None else None
                if expected != current:
                    error = {
                        "field": ["metafields", str(i), "compareDigest"],
                        "message": "The resource has been updated since it was loaded.",
                        "code": "STALE_OBJECT",
                    }
                    return {"metafieldsSet": {"metafields": None, "userErrors": [error]}}
            for entry in entries:
                slot = (str(entry.get("ownerId")), str(entry.get("key")))
                self._metafields[slot] = str(entry.get("value"))
        written = [{"key": e.get("key"), "value": e.get("value")} for e in entries]
        return {"metafieldsSet": {"metafields": written, "userErrors": []}}

    # ------------------------------------------------------------ drafts

    def _draft_create(self, variables: dict[str, Any], _: str) -> dict[str, Any]:
        draft_input = variables.get("input") or {}
        if not draft_input.get("lineItems"):
            return _user_error("draftOrderCreate", ["lineItems"], "Add at least 1 product")
        draft_id = f"gid://shopify/DraftOrder/{next(self._ids)}"
        with self._lock:
            self._drafts[draft_id] = {"input": draft_input, "status": "OPEN", "order": None}
        draft = {"id": draft_id, "status": "OPEN"}
        return {"draftOrderCreate": {"draftOrder": draft, "userErrors": []}}

    def _draft_node(self, draft_id: str) -> dict[str, Any] | None:
        draft = self._drafts.get(draft_id)
        if draft is None:
            return None
        made = {"name": draft["order"]} if draft["order"] else None
        return {"id": draft_id, "status": draft["status"], "order": made}

    def _draft_read(self, variables: dict[str, Any], _: str) -> dict[str, Any]:
        return {"draftOrder": self._draft_node(str(variables.get("id", "")))}

    def _draft_complete(self, variables: dict[str, Any], _: str) -> dict[str, Any]:
        draft_id = str(variables.get("id", ""))
        draft = self._drafts.get(draft_id)
        if draft is None:
            return _user_error("draftOrderComplete", ["id"], "Draft order does not exist")
        if draft["status"] == "COMPLETED":
            return _user_error("draftOrderComplete", ["id"], "This draft order has been paid")
        draft_input = draft["input"]
        tags = [str(t) for t in draft_input.get("tags") or []]
        original = next(
            (t.removeprefix("desk-reship-of-") for t in tags if t.startswith("desk-reship-of-")),
            None,
        )
        if original is None:
            return _user_error("draftOrderComplete", ["id"], "the fake needs a desk-reship-of tag")
        order = self.shop.get_order(original)
        by_sku = {line.sku: line for line in order.lines}
        lines = []
        for item in draft_input.get("lineItems") or []:
            sku = (
                _tail(str(item.get("variantId") or ""))
                if item.get("variantId")
                else item.get("sku")
            )
            known = by_sku.get(str(sku))
            price = (
                known.unit_price
                if known
                else float((item.get("originalUnitPriceWithCurrency") or {}).get("amount") or 0)
            )
            lines.append(
                LineRef(
                    sku=str(sku),
                    name=known.name if known else str(item.get("title") or sku),
                    qty=int(item.get("quantity") or 1),
                    unit_price=price,
                )
            )
        service = str((draft_input.get("shippingLine") or {}).get("title") or "ground")
        note = draft_input.get("note")
        result = self.shop.create_replacement(
            original, lines, service, note, f"shopify-draft:{draft_id}"
        )
        with self._lock:
            draft["status"] = "COMPLETED"
            draft["order"] = f"#{result.replacement_order}"
        return {"draftOrderComplete": {"draftOrder": self._draft_node(draft_id), "userErrors": []}}

    def _draft_delete(self, variables: dict[str, Any], _: str) -> dict[str, Any]:
        draft_id = str((variables.get("input") or {}).get("id", ""))
        with self._lock:
            draft = self._drafts.get(draft_id)
            if draft is None or draft["status"] == "COMPLETED":
                return _user_error("draftOrderDelete", ["id"], "The draft cannot be deleted")
            del self._drafts[draft_id]
        return {"draftOrderDelete": {"deletedId": draft_id, "userErrors": []}}

    def drafts(self) -> list[dict[str, Any]]:
        """Every draft the fake holds (a read-out for tests)."""
        with self._lock:
            return [{"id": k, **v} for k, v in self._drafts.items()]


def router(shop: SandboxShop, clock: Clock) -> APIRouter:
    """Shopify's Admin GraphQL API over the sandbox shop, under ``/shopify``."""
    return ShopifyFake(shop, clock).router()


# ---------------------------------------------------------------- helpers


def _terms(query: str) -> list[tuple[str, str]]:
    terms = []
    for name, raw in _TERM.findall(query):
        value = raw[1:-1].replace('\\"', '"').replace("\\\\", "\\") if raw.startswith('"') else raw
        terms.append((name, value))
    return terms


def _tail(gid: str) -> str:
    return gid.rstrip("/").rsplit("/", 1)[-1]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _money(amount: float) -> dict[str, Any]:
    return {"shopMoney": {"amount": f"{amount:.2f}", "currencyCode": "USD"}}


def _paid(order: Order) -> float:
    return round(sum(line.total for line in order.lines) + order.shipping_cost, 2)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _e164(phone: str) -> str:
    digits = phone.lstrip("+")
    if phone.startswith("+"):
        return phone
    return f"+1{digits}" if len(digits) == 10 else f"+{digits}"


def _user_error(root: str, where: list[str], message: str) -> dict[str, Any]:
    return {root: {"userErrors": [{"field": where, "message": message}]}}


def _throttled() -> dict[str, Any]:
    return {
        "message": "Throttled",
        "extensions": {
            "code": "THROTTLED",
            "documentation": "https://shopify.dev/api/usage/rate-limits",
        },
    }
