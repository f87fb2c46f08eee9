"""Shopify Admin GraphQL: the order system, refunds and replacement orders of a Shopify shop.

``ShopifyAdapter`` implements ``OrderSystem`` (without ``record_claim``), ``Payments`` and
``Fulfilment.create_replacement`` over one ``POST /admin/api/{version}/graphql.json``
endpoint, through the shared vendor client (``desk.adapters.http``: timeouts, a request
rate limit, retries on 429 / 5xx honouring Retry-After). On top of it, Shopify's
calculated-cost rate limit: every response's ``extensions.cost.throttleStatus`` is read and
the next request waits *before* the bucket runs dry; a ``THROTTLED`` answer (HTTP 200,
``errors[].extensions.code``) is retried after the time the restore rate implies, then
``Unavailable``.

Not Shopify's job, so not here: ``record_claim`` (Shopify has nowhere to keep the desk's
claims; the wiring keeps them in the desk's own store and merges them into the customer)
and ``create_return_label`` (labels come from the carrier or a label service). The wiring
routes both elsewhere. ``Customer.claims`` is always empty from this adapter.

How each port method maps onto Shopify, and how it stays exactly-once:

- ``get_order``: ``orders(query: "name:#1001")``; a fulfillment's tracking numbers become
  ``Shipment`` s (carrier from the tracking company; scans are the carriers' business, so
  ``events`` is empty); ``prior_reships`` counts the replacement orders the desk made
  (tag ``desk-reship-of-<number>``).
- ``cancel_lines``: a whole unshipped order is cancelled with ``orderCancel`` (no refund:
  the desk refunds on its own, with its own key; restock on); unshipped lines of an order
  that keeps other lines are removed with an order edit (``orderEditBegin`` /
  ``orderEditSetQuantity`` to 0 / ``orderEditCommit``), which is how Shopify cancels part
  of an order. A line in a Shopify fulfillment counts as shipped (the label is bought; its
  parcel may be with the carrier): ``Conflict``, as the sandbox answers for a shipped line.
  Done once per key: an already cancelled order is returned as it is, and a change done
  under the key is marked in the order's metafield ``desk.cancel_<hash>``.
- ``update_address``: ``orderUpdate`` with ``shippingAddress`` before any fulfillment;
  marked in ``desk.address_<hash>``.
- ``refund``: ``refundCreate`` with ``@idempotent(key:)`` (a UUID derived from the desk's
  key; API 2026-01 and later), lines by SKU, the amount as refund transactions against the
  order's captured payments. The refund's note carries ``[desk <hash>]``, so a retry after
  the directive's retention window (or on an older API version) finds the first refund in
  ``order.refunds`` instead of paying twice.
- ``create_replacement``: a draft order with the lines, a 100 % discount, free shipping,
  the original shipping address and tags (``desk-replacement``, ``desk-reship-of-<number>``,
  ``desk-key-<hash>``), completed into an order. Exactly once: the draft's id is written
  into the original order's metafield ``desk.reship_<hash>`` with compare-and-set
  (``compareDigest: null``, only if absent) before the draft is completed; a retry reads
  that metafield (a strongly consistent read, unlike search) and completes or returns that
  draft; a concurrent attempt that loses the compare-and-set deletes its own draft.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx
import structlog
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from desk.adapters.http import RateLimit, VendorAuthError, VendorClient
from desk.adapters.line_cancel import lines_to_cancel
from desk.identities import (
    identity_lookups,
    normalise_identity,
    normalise_order_number,
    normalise_tracking,
)
from desk.models import (
    Address,
    Carrier,
    Customer,
    ExecutionResult,
    Identity,
    LineRef,
    Order,
    OrderLine,
    OrderStatus,
    Shipment,
    Tier,
)
from desk.ports import Conflict, NotFound, Refused, Unavailable

log = structlog.get_logger("desk.vendor.shopify")

DEFAULT_API_VERSION = "2026-01"
# From this version on refundCreate takes @idempotent(key:) (optional in 2026-01,
# mandatory from 2026-04); orderCancel takes refundMethod instead of refund (2025-07).
IDEMPOTENT_DIRECTIVE_SINCE = "2026-01"
REFUND_METHOD_SINCE = "2025-07"

DEFAULT_TIER_TAGS: dict[str, Tier] = {
    "b2b": Tier.b2b,
    "wholesale": Tier.b2b,
    "vip": Tier.vip,
    "new": Tier.new,
}
DEFAULT_CARRIERS: dict[str, Carrier] = {
    "usps": Carrier.usps,
    "united states postal service": Carrier.usps,
    "ups": Carrier.ups,
    "united parcel service": Carrier.ups,
    "fedex": Carrier.fedex,
    "federal express": Carrier.fedex,
    "dhl": Carrier.dhl,
}

REPLACEMENT_TAG = "desk-replacement"
_METAFIELD_NAMESPACE = "desk"
_KEY_UUID_NAMESPACE = uuid.UUID("5a1e8c8e-3f2b-4b7e-9d0a-6c1f2e3d4b5a")
_RETRYABLE_CODES = {"THROTTLED", "INTERNAL_SERVER_ERROR", "IDEMPOTENCY_CONCURRENT_REQUEST"}
_CANCELLED_FULFILLMENT = {"CANCELLED", "ERROR", "FAILURE"}
_FAILED_TRANSACTION = {"FAILURE", "ERROR"}
_PAYMENT_KINDS = {"SALE", "CAPTURE"}


# ---------------------------------------------------------------- settings


class ShopifySettings(BaseModel):
    """Where the shop is and how to talk to it. ``from_env`` reads ``DESK_SHOPIFY_*``."""

    model_config = ConfigDict(frozen=True)

    shop: str = Field(description="the shop's domain, e.g. example.myshopify.com")
    access_token: SecretStr = Field(description="an Admin API access token (shpat_...)")
    api_version: str = Field(DEFAULT_API_VERSION, pattern=r"^\d{4}-\d{2}$")
    base_url: str | None = Field(
        None,
        description="override of https://<shop> (a proxy, or a fake on 127.0.0.1); "
        "plain http only on loopback",
    )
    tier_tags: dict[str, Tier] = Field(
        default_factory=lambda: dict(DEFAULT_TIER_TAGS),
        description="customer tag -> tier; the first tag of this mapping the customer has wins",
    )
    carriers: dict[str, Carrier] = Field(
        default_factory=lambda: dict(DEFAULT_CARRIERS),
        description="tracking company (lower case, prefix) -> carrier",
    )
    order_name_prefix: str = Field("#", description="what the shop puts before order numbers")
    requests_per_second: float = Field(4.0, gt=0)
    burst: int = Field(4, ge=1)
    timeout: float = Field(15.0, gt=0)
    cost_reserve: float = Field(
        100.0, ge=0, description="query-cost points kept in hand for other workers"
    )
    default_query_cost: float = Field(
        50.0, gt=0, description="assumed cost of an operation not seen yet"
    )
    max_throttle_wait: float = Field(30.0, gt=0)
    throttle_attempts: int = Field(4, ge=1)
    notify_customer: bool = Field(
        False, description="let Shopify email the customer too (the desk replies itself)"
    )
    restock_on_cancel: bool = True
    cancel_poll_attempts: int = Field(5, ge=1)
    cancel_poll_interval: float = Field(1.0, ge=0)

    @field_validator("shop")
    @classmethod
    def _bare_domain(cls, value: str) -> str:
        host = value.strip().removeprefix("https://").removeprefix("http://").strip("/")
        if not host:
            raise ValueError("the shop's domain is empty")
        return host if "." in host or host.startswith("127.") else f"{host}.myshopify.com"

    @field_validator("base_url")
    @classmethod
    def _safe_base_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if parts.scheme == "https":
            return value.strip().rstrip("/")
        if parts.scheme == "http" and _is_loopback(parts.hostname or ""):
            return value.strip().rstrip("/")
        raise ValueError("base_url must be https (plain http only to 127.0.0.1 / localhost)")

    @property
    def origin(self) -> str:
        return self.base_url or f"https://{self.shop}"

    @property
    def graphql_path(self) -> str:
        return f"/admin/api/{self.api_version}/graphql.json"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ShopifySettings:
        """``DESK_SHOPIFY_SHOP``, ``DESK_SHOPIFY_ACCESS_TOKEN`` (required), and optionally
        ``DESK_SHOPIFY_API_VERSION``, ``DESK_SHOPIFY_BASE_URL``, ``DESK_SHOPIFY_TIER_TAGS``
        (``vip=vip,wholesale=b2b`` or JSON), ``DESK_SHOPIFY_ORDER_NAME_PREFIX``,
        ``DESK_SHOPIFY_RATE`` (requests per second), ``DESK_SHOPIFY_BURST``,
        ``DESK_SHOPIFY_TIMEOUT``, ``DESK_SHOPIFY_COST_RESERVE``,
        ``DESK_SHOPIFY_NOTIFY_CUSTOMER``."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name in ("SHOP", "ACCESS_TOKEN"):
            raw = env.get(f"DESK_SHOPIFY_{name}", "").strip()
            if not raw:
                raise ValueError(f"DESK_SHOPIFY_{name} is not set")
            values[name.lower()] = raw
        optional = {
            "API_VERSION": "api_version",
            "BASE_URL": "base_url",
            "ORDER_NAME_PREFIX": "order_name_prefix",
            "RATE": "requests_per_second",
            "BURST": "burst",
            "TIMEOUT": "timeout",
            "COST_RESERVE": "cost_reserve",
            "NOTIFY_CUSTOMER": "notify_customer",
        }
        for env_name, field in optional.items():
            given = env.get(f"DESK_SHOPIFY_{env_name}", "").strip()
            if given:
                values[field] = given
        if tags := env.get("DESK_SHOPIFY_TIER_TAGS", "").strip():
            values["tier_tags"] = _parse_mapping(tags, "DESK_SHOPIFY_TIER_TAGS")
        return cls.model_validate(values)


def _parse_mapping(raw: str, name: str) -> dict[str, str]:
    if raw.startswith("{"):
        try:
            parsed = json.loads(raw)
        except json.JSONDecodeError as err:
            raise ValueError(f"{name} is not valid JSON") from err
        if not isinstance(parsed, dict):
            raise ValueError(f"{name} must be a JSON object")
        return {str(k).strip().lower(): str(v).strip() for k, v in parsed.items()}
    mapping: dict[str, str] = {}
    for pair in raw.split(","):
        tag, sep, value = pair.partition("=")
        if not sep or not tag.strip():
            raise ValueError(f"{name}: expected tag=tier pairs separated by commas")
        mapping[tag.strip().lower()] = value.strip()
    return mapping


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# ---------------------------------------------------------------- cost-based throttling


class CostBudget:
    """Shopify's leaky bucket as last reported, projected forward by its restore rate.

    Shared by every thread of one adapter; ``wait_before`` says how long to wait so that
    the operation's expected cost plus the reserve is available when the request goes out.
    """

    def __init__(
        self,
        reserve: float,
        default_cost: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.reserve = reserve
        self.default_cost = default_cost
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._available: float | None = None
        self._maximum = 0.0
        self._restore = 0.0
        self._at = 0.0
        self._costs: dict[str, float] = {}

    def wait_before(self, operation: str) -> float:
        with self._lock:
            if self._available is None or self._restore <= 0:
                return 0.0
            now = self._monotonic()
            available = min(self._maximum, self._available + (now - self._at) * self._restore)
            need = min(self._maximum, self._costs.get(operation, self.default_cost) + self.reserve)
            if available >= need:
                # Count this request against the projection until its answer says better.
                expected = self._costs.get(operation, self.default_cost)
                self._available, self._at = available - expected, now
                return 0.0
            return (need - available) / self._restore

    def observe(self, operation: str, cost: Mapping[str, Any] | None) -> None:
        if not isinstance(cost, Mapping):
            return
        status = cost.get("throttleStatus")
        requested = _number(cost.get("requestedQueryCost"))
        with self._lock:
            if requested is not None:
                self._costs[operation] = requested
            if isinstance(status, Mapping):
                available = _number(status.get("currentlyAvailable"))
                maximum = _number(status.get("maximumAvailable"))
                restore = _number(status.get("restoreRate"))
                if available is not None and maximum is not None and restore is not None:
                    self._available, self._maximum, self._restore = available, maximum, restore
                    self._at = self._monotonic()

    @staticmethod
    def throttled_wait(cost: Mapping[str, Any] | None) -> float | None:
        """Seconds until a throttled request's cost is restored, from its own answer."""
        if not isinstance(cost, Mapping):
            return None
        status = cost.get("throttleStatus")
        if not isinstance(status, Mapping):
            return None
        requested = _number(cost.get("requestedQueryCost"))
        available = _number(status.get("currentlyAvailable"))
        restore = _number(status.get("restoreRate"))
        if requested is None or available is None or not restore:
            return None
        return max(0.0, (requested - available) / restore)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------- the GraphQL client


class GraphQLError(Exception):
    """Top-level GraphQL errors that are not the desk's business to retry."""

    def __init__(self, operation: str, errors: list[dict[str, Any]]) -> None:
        self.operation = operation
        self.codes = [_error_code(e) for e in errors]
        words = "; ".join(str(e.get("message", ""))[:200] for e in errors)
        super().__init__(f"shopify {operation}: {words}"[:400])


def _error_code(error: Mapping[str, Any]) -> str:
    extensions = error.get("extensions")
    if isinstance(extensions, Mapping):
        return str(extensions.get("code") or "")
    return ""


class ShopifyGraphQL:
    """One shop's GraphQL endpoint: cost-aware, retrying THROTTLED, typed errors."""

    def __init__(
        self,
        settings: ShopifySettings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self._sleep = sleep
        token = settings.access_token
        self._http = VendorClient(
            vendor="shopify",
            base_url=settings.origin,
            auth=lambda: {"X-Shopify-Access-Token": token.get_secret_value()},
            timeout=settings.timeout,
            max_wait=settings.max_throttle_wait,
            rate=RateLimit(settings.requests_per_second, settings.burst),
            transport=transport,
            sleep=sleep,
        )
        self.budget = CostBudget(settings.cost_reserve, settings.default_query_cost, monotonic)

    def close(self) -> None:
        self._http.close()

    def execute(self, operation: str, query: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        """The ``data`` of a successful answer. Raises ``Unavailable`` (throttled, down),
        ``Refused`` (credentials, scopes, a query Shopify will never run)."""
        attempts = self.settings.throttle_attempts
        last = ""
        for attempt in range(1, attempts + 1):
            wait = self.budget.wait_before(operation)
            if wait > 0:
                if wait > self.settings.max_throttle_wait:
                    raise Unavailable(
                        f"shopify {operation}: the cost budget needs {wait:.0f}s to refill"
                    )
                log.info("shopify.cost_wait", operation=operation, seconds=round(wait, 2))
                self._sleep(wait)
            body = self._post(operation, query, variables)
            extensions = body.get("extensions")
            cost = extensions.get("cost") if isinstance(extensions, dict) else None
            self.budget.observe(operation, cost)
            errors = body.get("errors")
            if not errors:
                data = body.get("data")
                if not isinstance(data, dict):
                    raise Unavailable(f"shopify {operation}: an answer without data")
                return data
            if isinstance(errors, str):  # the REST-style shape of auth failures
                raise Refused(f"shopify {operation}: {errors[:200]}")
            error_list = [e for e in errors if isinstance(e, dict)]
            codes = {_error_code(e) for e in error_list}
            if not codes & _RETRYABLE_CODES:
                error = GraphQLError(operation, error_list)
                if "ACCESS_DENIED" in codes:
                    raise Refused(f"{error} (the access token lacks a scope)")
                raise Refused(str(error))
            last = ", ".join(sorted(codes & _RETRYABLE_CODES))
            if attempt == attempts:
                break
            if "THROTTLED" in codes:
                delay = CostBudget.throttled_wait(cost)
                delay = 1.0 if delay is None else max(delay, 0.1)
            else:
                delay = min(self.settings.max_throttle_wait, 0.5 * 2 ** (attempt - 1))
            if delay > self.settings.max_throttle_wait:
                raise Unavailable(f"shopify {operation}: {last}; asks to wait {delay:.0f}s")
            log.warning("shopify.retry", operation=operation, code=last, attempt=attempt)
            self._sleep(delay)
        raise Unavailable(f"shopify {operation}: {last} after {attempts} attempts")

    def _post(self, operation: str, query: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        try:
            response = self._http.request(
                "POST",
                self.settings.graphql_path,
                json={"query": query, "variables": dict(variables), "operationName": operation},
            )
        except VendorAuthError as err:
            # Exactly Refused (the workflow's retry policy names final errors by type), and
            # without the vendor's words: nothing of a credential can ride along.
            status = re.search(r"HTTP (\d{3})", str(err))
            raise Refused(
                f"shopify {operation}: the access token was refused "
                f"(HTTP {status.group(1) if status else '401/403'}; check the token and its scopes)"
            ) from None
        try:
            body = response.json()
        except ValueError:
            raise Unavailable(f"shopify {operation}: an answer that is not JSON") from None
        if not isinstance(body, dict):
            raise Unavailable(f"shopify {operation}: an answer that is not a JSON object")
        return body


# ---------------------------------------------------------------- GraphQL documents

_CUSTOMER_FIELDS = """
fragment DeskCustomer on Customer {
  id
  displayName
  tags
  defaultEmailAddress { emailAddress }
  defaultPhoneNumber { phoneNumber }
}
"""

FIND_CUSTOMERS = (
    """
query DeskFindCustomers($q: String!) {
  customers(first: 10, query: $q) { nodes { ...DeskCustomer } }
}
"""
    + _CUSTOMER_FIELDS
)

CUSTOMER_BY_ID = (
    """
query DeskCustomer($id: ID!) {
  customer(id: $id) { ...DeskCustomer }
}
"""
    + _CUSTOMER_FIELDS
)

_ORDER_FIELDS = """
fragment DeskOrder on Order {
  id
  name
  createdAt
  cancelledAt
  tags
  displayFulfillmentStatus
  currencyCode
  customer { id }
  totalShippingPriceSet { shopMoney { amount currencyCode } }
  shippingLine { title code }
  shippingAddress {
    firstName lastName company address1 address2 city province provinceCode
    zip country countryCodeV2 phone latitude longitude
  }
  lineItems(first: 50) {
    nodes {
      id sku title quantity currentQuantity refundableQuantity
      variant { id }
      originalUnitPriceSet { shopMoney { amount currencyCode } }
    }
  }
  fulfillments(first: 10) {
    id status displayStatus createdAt estimatedDeliveryAt
    trackingInfo(first: 5) { company number url }
    fulfillmentLineItems(first: 25) { nodes { quantity lineItem { id sku } } }
  }
  metafield(namespace: "desk", key: $mf) { value }
}
"""

ORDER_BY_NAME = (
    """
query DeskOrderByName($q: String!, $reships: String!, $mf: String!) {
  orders(first: 5, query: $q) { nodes { ...DeskOrder } }
  reships: orders(first: 50, query: $reships) { nodes { id } }
}
"""
    + _ORDER_FIELDS
)

CUSTOMER_ORDERS = """
query DeskCustomerOrders($q: String!) {
  orders(first: 25, sortKey: CREATED_AT, reverse: true, query: $q) {
    nodes { name createdAt tags }
  }
}
"""

ORDER_PAYMENTS = """
query DeskOrderPayments($q: String!) {
  orders(first: 5, query: $q) {
    nodes {
      id
      name
      currencyCode
      lineItems(first: 50) { nodes { id sku refundableQuantity } }
      transactions(first: 20) {
        id kind status gateway
        amountSet { shopMoney { amount currencyCode } }
        parentTransaction { id }
      }
      refunds(first: 30) {
        id note
        totalRefundedSet { shopMoney { amount currencyCode } }
      }
    }
  }
}
"""

STOCK = """
query DeskStock($q: String!) {
  productVariants(first: 25, query: $q) {
    nodes {
      sku
      inventoryItem {
        inventoryLevels(first: 10) {
          nodes { quantities(names: ["available"]) { name quantity } }
        }
      }
    }
  }
}
"""

REFUND_CREATE = """
mutation DeskRefundCreate($input: RefundInput!) {
  refundCreate(input: $input)%s {
    refund {
      id
      note
      totalRefundedSet { shopMoney { amount currencyCode } }
      transactions(first: 10) {
        nodes { status kind amountSet { shopMoney { amount currencyCode } } }
      }
    }
    userErrors { field message }
  }
}
"""

ORDER_CANCEL = """
mutation DeskOrderCancel($orderId: ID!, $notifyCustomer: Boolean, %s, $restock: Boolean!,
    $reason: OrderCancelReason!, $staffNote: String) {
  orderCancel(orderId: $orderId, notifyCustomer: $notifyCustomer, %s, restock: $restock,
      reason: $reason, staffNote: $staffNote) {
    job { id done }
    orderCancelUserErrors { field message code }
    userErrors { field message }
  }
}
"""

ORDER_EDIT_BEGIN = """
mutation DeskOrderEditBegin($id: ID!) {
  orderEditBegin(id: $id) {
    calculatedOrder { id lineItems(first: 50) { nodes { id sku quantity } } }
    userErrors { field message }
  }
}
"""

ORDER_EDIT_SET_QUANTITY = """
mutation DeskOrderEditSetQuantity($id: ID!, $lineItemId: ID!, $quantity: Int!,
    $restock: Boolean) {
  orderEditSetQuantity(id: $id, lineItemId: $lineItemId, quantity: $quantity,
      restock: $restock) {
    calculatedLineItem { id quantity }
    userErrors { field message }
  }
}
"""

ORDER_EDIT_COMMIT = """
mutation DeskOrderEditCommit($id: ID!, $notifyCustomer: Boolean, $staffNote: String) {
  orderEditCommit(id: $id, notifyCustomer: $notifyCustomer, staffNote: $staffNote) {
    order { id }
    userErrors { field message }
  }
}
"""

ORDER_UPDATE = """
mutation DeskOrderUpdate($input: OrderInput!) {
  orderUpdate(input: $input) {
    order { id }
    userErrors { field message }
  }
}
"""

METAFIELDS_SET = """
mutation DeskMetafieldsSet($metafields: [MetafieldsSetInput!]!) {
  metafieldsSet(metafields: $metafields) {
    metafields { key value }
    userErrors { field message code }
  }
}
"""

DRAFT_ORDER_CREATE = """
mutation DeskDraftOrderCreate($input: DraftOrderInput!) {
  draftOrderCreate(input: $input) {
    draftOrder { id status }
    userErrors { field message }
  }
}
"""

DRAFT_ORDER = """
query DeskDraftOrder($id: ID!) {
  draftOrder(id: $id) { id status order { name } }
}
"""

DRAFT_ORDER_COMPLETE = """
mutation DeskDraftOrderComplete($id: ID!) {
  draftOrderComplete(id: $id) {
    draftOrder { id status order { name } }
    userErrors { field message }
  }
}
"""

DRAFT_ORDER_DELETE = """
mutation DeskDraftOrderDelete($input: DraftOrderDeleteInput!) {
  draftOrderDelete(input: $input) {
    deletedId
    userErrors { field message }
  }
}
"""


# ---------------------------------------------------------------- the adapter


class ShopifyAdapter:
    """``OrderSystem`` (all but ``record_claim``), ``Payments`` and
    ``Fulfilment.create_replacement`` over the Shopify Admin GraphQL API.

    ``record_claim`` and ``create_return_label`` are deliberately absent: Shopify keeps
    neither the desk's claims nor return labels, so the wiring routes claims to the desk's
    own store (merging them into ``find_customer`` 's answer) and labels to the carrier or a
    label service. The access token needs the scopes listed in
    ``docs/adapters/shopify_stripe.md``.
    """

    def __init__(
        self,
        settings: ShopifySettings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self._sleep = sleep
        self.graphql = ShopifyGraphQL(
            settings, transport=transport, sleep=sleep, monotonic=monotonic
        )

    def close(self) -> None:
        self.graphql.close()

    def _run(self, operation: str, query: str, **variables: Any) -> dict[str, Any]:
        return self.graphql.execute(operation, query, variables)

    # ------------------------------------------------------------ customers

    def find_customer(self, identity: str) -> Customer | None:
        lookups = [
            (kind, value)
            for kind, value in identity_lookups(identity)
            if kind in ("email", "phone")
        ]
        terms: list[str] = []
        for kind, value in lookups:
            if kind == "email":
                terms.append(f"email:{_search_value(value)}")
            elif value.startswith("+") or not any(v.startswith("+") for k, v in lookups):
                terms.append(f"phone:{_search_value(value)}")
        if not terms:
            return None  # chat and social handles: Shopify keeps none
        data = self._run("DeskFindCustomers", FIND_CUSTOMERS, q=" OR ".join(dict.fromkeys(terms)))
        rank = {pair: i for i, pair in enumerate(lookups)}
        best: tuple[int, dict[str, Any]] | None = None
        for node in _nodes(data.get("customers")):
            mine = set(_identity_pairs(node))
            # Search is fuzzy; only an identity the sender really has counts.
            hits = [rank[pair] for pair in mine if pair in rank]
            if hits and (best is None or min(hits) < best[0]):
                best = (min(hits), node)
        return self._customer(best[1]) if best is not None else None

    def find_customer_by_id(self, customer_id: str) -> Customer | None:
        data = self._run("DeskCustomer", CUSTOMER_BY_ID, id=_gid("Customer", customer_id))
        node = data.get("customer")
        return self._customer(node) if isinstance(node, dict) else None

    def _customer(self, node: Mapping[str, Any]) -> Customer:
        identities = [Identity(kind=kind, value=value) for kind, value in _identity_pairs(node)]
        return Customer(
            id=_tail(str(node["id"])),
            name=str(node.get("displayName") or ""),
            tier=self._tier(node.get("tags") or []),
            identities=identities,
        )

    def _tier(self, tags: Iterable[str]) -> Tier:
        have = {str(tag).strip().lower() for tag in tags}
        for tag, tier in self.settings.tier_tags.items():
            if tag.lower() in have:
                return tier
        return Tier.standard

    # ------------------------------------------------------------ orders

    def get_order(self, number: str) -> Order:
        order, _ = self._read_order(number)
        return order

    def latest_order(self, customer_id: str) -> Order | None:
        names = self._customer_order_names(customer_id, None)
        return self.get_order(names[0]) if names else None

    def recent_order_numbers(self, customer_id: str, since: datetime) -> list[str]:
        return self._customer_order_names(customer_id, since)

    def _customer_order_names(self, customer_id: str, since: datetime | None) -> list[str]:
        # Newest first; the time window is applied here, not in the search string, so a
        # search syntax that differs between API versions cannot drop an order.
        query = f"customer_id:{_search_value(_tail(customer_id))}"
        data = self._run("DeskCustomerOrders", CUSTOMER_ORDERS, q=query)
        found: list[tuple[datetime, str]] = []
        for node in _nodes(data.get("orders")):
            if REPLACEMENT_TAG in _tags(node):
                continue  # the desk's own replacements are not the customer's orders
            placed = _parse_time(node.get("createdAt"))
            if placed is None or (since is not None and placed < _utc(since)):
                continue
            found.append((placed, normalise_order_number(str(node.get("name", "")))))
        found.sort(key=lambda pair: (pair[0], pair[1]), reverse=True)
        return [number for _, number in found]

    def stock(self, skus: list[str]) -> dict[str, int]:
        wanted = list(dict.fromkeys(skus))
        units: dict[str, int] = {}
        for start in range(0, len(wanted), 20):
            chunk = wanted[start : start + 20]
            query = " OR ".join(f"sku:{_search_value(sku)}" for sku in chunk)
            data = self._run("DeskStock", STOCK, q=query)
            for node in _nodes(data.get("productVariants")):
                sku = str(node.get("sku") or "")
                if sku not in chunk:
                    continue  # search matched more than the exact SKU
                levels = _nodes((node.get("inventoryItem") or {}).get("inventoryLevels"))
                for level in levels:
                    for quantity in level.get("quantities") or []:
                        if quantity.get("name") == "available":
                            units[sku] = units.get(sku, 0) + int(quantity.get("quantity") or 0)
        return {sku: max(units.get(sku, 0), 0) for sku in skus}

    def _read_order(self, number: str, marker: str = "none") -> tuple[Order, dict[str, Any]]:
        """The order and its raw Shopify node (ids, metafield ``desk.<marker>``)."""
        wanted = normalise_order_number(number)
        if not wanted:
            raise NotFound(f"no order {wanted}")
        data = self._run(
            "DeskOrderByName",
            ORDER_BY_NAME,
            q=f"name:{_search_value(self._shopify_name(wanted))}",
            reships=f"tag:{_search_value(_reship_tag(wanted))}",
            mf=marker,
        )
        node = next(
            (
                n
                for n in _nodes(data.get("orders"))
                if normalise_order_number(str(n.get("name", ""))) in self._names_for(wanted)
            ),
            None,
        )
        if node is None:
            raise NotFound(f"no order {wanted}")
        reships = len(_nodes(data.get("reships")))
        return self._order(node, reships), node

    def _shopify_name(self, number: str) -> str:
        prefix = self.settings.order_name_prefix
        return number if not prefix or number.startswith(prefix) else f"{prefix}{number}"

    def _names_for(self, number: str) -> set[str]:
        return {number, normalise_order_number(self._shopify_name(number))}

    def _order(self, node: Mapping[str, Any], reships: int) -> Order:
        cancelled = node.get("cancelledAt") is not None
        fulfilled = _fulfilled_skus(node)
        lines = []
        for item in _nodes(node.get("lineItems")):
            sku = str(item.get("sku") or item.get("id"))
            current = item.get("currentQuantity")
            # Removed (edited out) and never fulfilled: cancelled. A refunded line that
            # was delivered stays a line of the order.
            removed = current is not None and int(current) == 0 and sku not in fulfilled
            lines.append(
                OrderLine(
                    sku=sku,
                    name=str(item.get("title") or sku),
                    qty=max(int(item.get("quantity") or 1), 1),
                    unit_price=_money(item.get("originalUnitPriceSet")),
                    cancelled=cancelled or removed,
                )
            )
        return Order(
            number=normalise_order_number(str(node["name"])),
            customer_id=_tail(str((node.get("customer") or {}).get("id") or "")),
            placed_at=_parse_time(node.get("createdAt")) or datetime.fromtimestamp(0, UTC),
            status=_order_status(node),
            shipping_cost=_money(node.get("totalShippingPriceSet")),
            prior_reships=reships,
            address=_address(node.get("shippingAddress") or {}),
            lines=lines,
            shipments=self._shipments(node),
        )

    def _shipments(self, node: Mapping[str, Any]) -> list[Shipment]:
        service = _service(node.get("shippingLine"))
        every_sku = [str(i.get("sku") or i.get("id")) for i in _nodes(node.get("lineItems"))]
        shipments: list[Shipment] = []
        for fulfillment in node.get("fulfillments") or []:
            skus = [
                str((fli.get("lineItem") or {}).get("sku") or "")
                for fli in _nodes(fulfillment.get("fulfillmentLineItems"))
            ]
            skus = [s for s in dict.fromkeys(skus) if s] or every_sku
            voided = str(fulfillment.get("status") or "").upper() in _CANCELLED_FULFILLMENT
            for info in fulfillment.get("trackingInfo") or []:
                tracking = normalise_tracking(str(info.get("number") or ""))
                carrier = self._carrier(str(info.get("company") or ""), tracking)
                if not tracking or carrier is None:
                    log.warning("shopify.unknown_carrier", order=str(node.get("id")))
                    continue
                shipments.append(
                    Shipment(
                        carrier=carrier,
                        tracking=tracking,
                        service=service,
                        skus=skus,
                        expected_delivery=_parse_time(fulfillment.get("estimatedDeliveryAt")),
                        label_voided=voided,
                    )
                )
        return shipments

    def _carrier(self, company: str, tracking: str) -> Carrier | None:
        name = company.strip().lower()
        for prefix, carrier in sorted(self.settings.carriers.items(), key=lambda kv: -len(kv[0])):
            if name.startswith(prefix.lower()):
                return carrier
        if name:
            return None
        return _carrier_from_tracking(tracking)

    # ------------------------------------------------------------ order changes

    def cancel_lines(self, order_number: str, skus: list[str], key: str) -> Order:
        marker = f"cancel_{_digest(key)}"
        order, node = self._read_order(order_number, marker)
        if _metafield(node) is not None or node.get("cancelledAt") is not None:
            return order  # done under this key, or cancelled already: nothing more to do
        shipped = _fulfilled_skus(node, live_only=True)
        targets = lines_to_cancel(order.number, order.lines, shipped, skus)
        if not targets:
            return order
        whole = {line.sku for line in targets} == {
            line.sku for line in order.lines if not line.cancelled
        }
        if whole and not _live_fulfillments(node):
            self._cancel_whole(order.number, node, key)
        else:
            self._remove_lines(order.number, node, [line.sku for line in targets], key)
        self._mark(str(node["id"]), marker)
        return self.get_order(order.number)

    def _cancel_whole(self, number: str, node: Mapping[str, Any], key: str) -> None:
        if self.settings.api_version >= REFUND_METHOD_SINCE:
            declaration, argument = (
                "$refundMethod: OrderCancelRefundMethodInput!",
                "refundMethod: $refundMethod",
            )
            no_refund: dict[str, Any] = {"refundMethod": {"originalPaymentMethodsRefund": False}}
        else:
            declaration, argument = "$refund: Boolean!", "refund: $refund"
            no_refund = {"refund": False}
        data = self._run(
            "DeskOrderCancel",
            ORDER_CANCEL % (declaration, argument),
            orderId=str(node["id"]),
            notifyCustomer=self.settings.notify_customer,
            restock=self.settings.restock_on_cancel,
            reason="CUSTOMER",
            staffNote=f"Cancelled by the contact desk [desk {_digest(key)}]",
            **no_refund,
        )
        payload = data.get("orderCancel") or {}
        errors = _user_errors(payload, "orderCancelUserErrors", "userErrors")
        if errors:
            _, again = self._read_order(number)
            if again.get("cancelledAt") is not None:
                return  # an earlier attempt's job got there first
            text = _error_text(errors)
            if re.search(r"fulfill|shipped", text, re.IGNORECASE):
                raise Conflict(f"order {number} has shipped: {text}")
            raise Refused(f"Shopify refused to cancel order {number}: {text}")
        for attempt in range(self.settings.cancel_poll_attempts):
            _, again = self._read_order(number)
            if again.get("cancelledAt") is not None:
                return
            if attempt + 1 < self.settings.cancel_poll_attempts:
                self._sleep(self.settings.cancel_poll_interval)
        raise Unavailable(f"order {number}: Shopify's cancellation job has not finished yet")

    def _remove_lines(
        self, number: str, node: Mapping[str, Any], skus: list[str], key: str
    ) -> None:
        data = self._run("DeskOrderEditBegin", ORDER_EDIT_BEGIN, id=str(node["id"]))
        payload = data.get("orderEditBegin") or {}
        if errors := _user_errors(payload, "userErrors"):
            raise Refused(f"Shopify refused to edit order {number}: {_error_text(errors)}")
        calculated = payload.get("calculatedOrder") or {}
        edit_id = str(calculated.get("id") or "")
        by_sku: dict[str, list[str]] = {}
        for item in _nodes(calculated.get("lineItems")):
            by_sku.setdefault(str(item.get("sku") or ""), []).append(str(item["id"]))
        for sku in skus:
            ids = by_sku.get(sku, [])
            if len(ids) != 1:
                raise Refused(f"order {number}: cannot find line {sku} in Shopify's order edit")
            data = self._run(
                "DeskOrderEditSetQuantity",
                ORDER_EDIT_SET_QUANTITY,
                id=edit_id,
                lineItemId=ids[0],
                quantity=0,
                restock=self.settings.restock_on_cancel,
            )
            if errors := _user_errors(data.get("orderEditSetQuantity") or {}, "userErrors"):
                raise Refused(f"Shopify refused to remove line {sku}: {_error_text(errors)}")
        data = self._run(
            "DeskOrderEditCommit",
            ORDER_EDIT_COMMIT,
            id=edit_id,
            notifyCustomer=self.settings.notify_customer,
            staffNote=f"Lines cancelled by the contact desk [desk {_digest(key)}]",
        )
        if errors := _user_errors(data.get("orderEditCommit") or {}, "userErrors"):
            again, _ = self._read_order(number)
            if all(line.cancelled for line in again.lines if line.sku in skus):
                return
            raise Refused(f"Shopify refused the order edit of {number}: {_error_text(errors)}")

    def update_address(self, order_number: str, address: Address, key: str) -> Order:
        if not all(x.strip() for x in (address.line1, address.city, address.postal_code)) or not (
            address.country.strip()
        ):
            raise ValueError("an address needs a street, a city, a postal code and a country")
        marker = f"address_{_digest(key)}"
        order, node = self._read_order(order_number, marker)
        if _metafield(node) is not None:
            return order
        if _live_fulfillments(node):
            raise Conflict(f"order {order.number} has shipped; the carrier has the parcel")
        data = self._run(
            "DeskOrderUpdate",
            ORDER_UPDATE,
            input={
                "id": str(node["id"]),
                "shippingAddress": _mailing_address(address, node.get("shippingAddress") or {}),
            },
        )
        if errors := _user_errors(data.get("orderUpdate") or {}, "userErrors"):
            text = _error_text(errors)
            if re.search(r"fulfill|shipped", text, re.IGNORECASE):
                raise Conflict(f"order {order.number} has shipped: {text}")
            raise Refused(f"Shopify refused the address of order {order.number}: {text}")
        self._mark(str(node["id"]), marker)
        return self.get_order(order.number)

    def _mark(self, owner: str, marker: str) -> None:
        """Remember on the order that the change under this key is done."""
        data = self._run(
            "DeskMetafieldsSet",
            METAFIELDS_SET,
            metafields=[_metafield_input(owner, marker, "done")],
        )
        if errors := _user_errors(data.get("metafieldsSet") or {}, "userErrors"):
            log.warning("shopify.mark_failed", errors=len(errors))

    # ------------------------------------------------------------ refunds

    def refund(
        self, order_number: str, amount: float, lines: list[LineRef], reason: str, key: str
    ) -> ExecutionResult:
        if amount < 0:
            raise ValueError(f"refund amount must not be negative, got {amount}")
        number = normalise_order_number(order_number)
        node = self._payments_of(number)
        tag = f"[desk {_digest(key)}]"
        for earlier in node.get("refunds") or []:
            if tag in str(earlier.get("note") or ""):
                return ExecutionResult(
                    refund_id=_tail(str(earlier["id"])),
                    refunded=_money(earlier.get("totalRefundedSet")),
                )
        cents = round(amount * 100)
        if cents == 0 and not lines:
            return ExecutionResult()
        refund_lines = _refund_line_items(node, lines)
        transactions = _refund_transactions(node, cents, number)
        refund_input: dict[str, Any] = {
            "orderId": str(node["id"]),
            "note": f"{reason.strip()[:200]} {tag}".strip(),
            "notify": self.settings.notify_customer,
            "refundLineItems": refund_lines,
            "transactions": transactions,
        }
        directive = ""
        if self.settings.api_version >= IDEMPOTENT_DIRECTIVE_SINCE:
            directive = f' @idempotent(key: "{refund_key(key)}")'
        data = self._run("DeskRefundCreate", REFUND_CREATE % directive, input=refund_input)
        payload = data.get("refundCreate") or {}
        if errors := _user_errors(payload, "userErrors"):
            raise Refused(f"Shopify refused the refund for order {number}: {_error_text(errors)}")
        refund = payload.get("refund")
        if not isinstance(refund, dict):
            raise Refused(f"Shopify made no refund for order {number}")
        moved = _nodes(refund.get("transactions"))
        if moved and all(str(t.get("status")).upper() in _FAILED_TRANSACTION for t in moved):
            raise Refused(f"the refund for order {number} was declined by the payment gateway")
        refunded = sum(
            _money(t.get("amountSet"))
            for t in moved
            if str(t.get("status")).upper() not in _FAILED_TRANSACTION
        )
        if not moved:
            refunded = _money(refund.get("totalRefundedSet"))
        return ExecutionResult(refund_id=_tail(str(refund["id"])), refunded=round(refunded, 2))

    def _payments_of(self, number: str) -> dict[str, Any]:
        data = self._run(
            "DeskOrderPayments",
            ORDER_PAYMENTS,
            q=f"name:{_search_value(self._shopify_name(number))}",
        )
        for node in _nodes(data.get("orders")):
            if normalise_order_number(str(node.get("name", ""))) in self._names_for(number):
                return node
        raise NotFound(f"no order {number}")

    # ------------------------------------------------------------ replacements

    def create_replacement(
        self,
        order_number: str,
        lines: list[LineRef],
        service: str,
        note: str | None,
        key: str,
    ) -> ExecutionResult:
        marker = f"reship_{_digest(key)}"
        order, node = self._read_order(order_number, marker)
        draft_id = _metafield(node)
        if draft_id is None:
            mine = self._create_draft(order, node, lines, service, note, key)
            draft_id = self._claim_draft(str(node["id"]), marker, mine, order.number)
        return ExecutionResult(replacement_order=self._complete_draft(draft_id, order.number))

    def _create_draft(
        self,
        order: Order,
        node: Mapping[str, Any],
        lines: list[LineRef],
        service: str,
        note: str | None,
        key: str,
    ) -> str:
        currency = str(node.get("currencyCode") or "USD")
        variants = {
            str(item.get("sku") or ""): (item.get("variant") or {}).get("id")
            for item in _nodes(node.get("lineItems"))
        }
        items: list[dict[str, Any]] = []
        for line in lines:
            variant = variants.get(line.sku)
            if variant:
                items.append({"variantId": variant, "quantity": line.qty})
            else:
                items.append(
                    {
                        "title": line.name,
                        "sku": line.sku,
                        "quantity": line.qty,
                        "originalUnitPriceWithCurrency": {
                            "amount": f"{line.unit_price:.2f}",
                            "currencyCode": currency,
                        },
                    }
                )
        text = f"Replacement for order {order.number}" + (f". {note}" if note else "")
        draft: dict[str, Any] = {
            "lineItems": items,
            "appliedDiscount": {
                "valueType": "PERCENTAGE",
                "value": 100.0,
                "title": "Replacement",
                "description": f"replacement for order {order.number}",
            },
            "shippingLine": {
                "title": service,
                "priceWithCurrency": {"amount": "0.00", "currencyCode": currency},
            },
            "note": text[:5000],
            "tags": [REPLACEMENT_TAG, _reship_tag(order.number), f"desk-key-{_digest(key)}"],
        }
        if address := node.get("shippingAddress"):
            draft["shippingAddress"] = _mailing_address_copy(address)
        if order.customer_id:
            draft["purchasingEntity"] = {"customerId": _gid("Customer", order.customer_id)}
        data = self._run("DeskDraftOrderCreate", DRAFT_ORDER_CREATE, input=draft)
        payload = data.get("draftOrderCreate") or {}
        if errors := _user_errors(payload, "userErrors"):
            raise Refused(
                f"Shopify refused the replacement for order {order.number}: {_error_text(errors)}"
            )
        created = payload.get("draftOrder") or {}
        if not created.get("id"):
            raise Refused(f"Shopify made no replacement draft for order {order.number}")
        return str(created["id"])

    def _claim_draft(self, owner: str, marker: str, mine: str, number: str) -> str:
        """Write the draft into the original order, only if no draft is there yet."""
        data = self._run(
            "DeskMetafieldsSet",
            METAFIELDS_SET,
            metafields=[_metafield_input(owner, marker, mine, only_if_absent=True)],
        )
        if not _user_errors(data.get("metafieldsSet") or {}, "userErrors"):
            return mine
        _, node = self._read_order(number, marker)
        winner = _metafield(node)
        if winner is None:
            raise Unavailable(f"order {number}: could not record the replacement draft yet")
        if winner != mine:
            # Another attempt of the same key got there first: ours is never completed.
            self._run("DeskDraftOrderDelete", DRAFT_ORDER_DELETE, input={"id": mine})
        return winner

    def _complete_draft(self, draft_id: str, number: str) -> str:
        data = self._run("DeskDraftOrder", DRAFT_ORDER, id=draft_id)
        draft = data.get("draftOrder")
        if not isinstance(draft, dict):
            raise Refused(f"the replacement draft for order {number} is gone from Shopify")
        if (made := _draft_order_name(draft)) is not None:
            return made
        data = self._run("DeskDraftOrderComplete", DRAFT_ORDER_COMPLETE, id=draft_id)
        payload = data.get("draftOrderComplete") or {}
        if errors := _user_errors(payload, "userErrors"):
            again = self._run("DeskDraftOrder", DRAFT_ORDER, id=draft_id).get("draftOrder")
            if isinstance(again, dict) and (made := _draft_order_name(again)) is not None:
                return made
            raise Refused(
                f"Shopify refused to complete the replacement for {number}: {_error_text(errors)}"
            )
        completed = payload.get("draftOrder") or {}
        made = _draft_order_name(completed)
        if made is None:
            raise Unavailable(f"the replacement for order {number} is not an order yet")
        return made


# ---------------------------------------------------------------- helpers: keys and ids


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def refund_key(key: str) -> str:
    """The ``@idempotent`` key for a desk key: a UUID, the same for every retry."""
    return str(uuid.uuid5(_KEY_UUID_NAMESPACE, key))


def _reship_tag(number: str) -> str:
    return f"desk-reship-of-{normalise_order_number(number)}"


def _gid(kind: str, value: str) -> str:
    return value if value.startswith("gid://") else f"gid://shopify/{kind}/{value}"


def _tail(gid: str) -> str:
    return gid.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


_PLAIN_SEARCH = re.compile(r"^[\w#.\-@+]+$")


def _search_value(value: str) -> str:
    """A value for Shopify's search syntax; quoted when it holds anything special."""
    if _PLAIN_SEARCH.match(value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return _utc(datetime.fromisoformat(str(value).replace("Z", "+00:00")))
    except ValueError:
        return None


# ---------------------------------------------------------------- helpers: Shopify shapes


def _nodes(connection: Any) -> list[dict[str, Any]]:
    """A connection's nodes (or edges' nodes), or a plain list."""
    if isinstance(connection, list):
        return [n for n in connection if isinstance(n, dict)]
    if not isinstance(connection, Mapping):
        return []
    if isinstance(connection.get("nodes"), list):
        return [n for n in connection["nodes"] if isinstance(n, dict)]
    if isinstance(connection.get("edges"), list):
        return [e["node"] for e in connection["edges"] if isinstance(e, dict) and "node" in e]
    return []


def _tags(node: Mapping[str, Any]) -> set[str]:
    tags = node.get("tags") or []
    if isinstance(tags, str):
        tags = tags.split(",")
    return {str(tag).strip() for tag in tags}


def _money(value: Any) -> float:
    if not isinstance(value, Mapping):
        return 0.0
    money = value.get("shopMoney") or value.get("presentmentMoney") or value
    return round(_number(money.get("amount")) or 0.0, 2) if isinstance(money, Mapping) else 0.0


def _identity_pairs(node: Mapping[str, Any]) -> list[tuple[Literal["email", "phone"], str]]:
    pairs: list[tuple[Literal["email", "phone"], str]] = []
    email = (node.get("defaultEmailAddress") or {}).get("emailAddress") or node.get("email")
    if email:
        pairs.append(("email", normalise_identity("email", str(email))))
    phone = (node.get("defaultPhoneNumber") or {}).get("phoneNumber") or node.get("phone")
    if phone:
        pairs.append(("phone", normalise_identity("phone", str(phone))))
    return pairs


def _order_status(node: Mapping[str, Any]) -> OrderStatus:
    if node.get("cancelledAt") is not None:
        return OrderStatus.cancelled
    status = str(node.get("displayFulfillmentStatus") or "").upper()
    if status == "FULFILLED":
        return OrderStatus.fulfilled
    if status == "PARTIALLY_FULFILLED":
        return OrderStatus.partially_fulfilled
    return OrderStatus.unfulfilled


def _address(raw: Mapping[str, Any]) -> Address:
    return Address(
        line1=str(raw.get("address1") or ""),
        line2=raw.get("address2") or None,
        city=str(raw.get("city") or ""),
        region=raw.get("provinceCode") or raw.get("province") or None,
        postal_code=str(raw.get("zip") or ""),
        country=str(raw.get("countryCodeV2") or raw.get("countryCode") or raw.get("country") or ""),
        lat=_number(raw.get("latitude")),
        lon=_number(raw.get("longitude")),
    )


def _mailing_address(address: Address, current: Mapping[str, Any]) -> dict[str, Any]:
    """Shopify's MailingAddressInput for the desk's address; the name, company and phone
    on file stay (the desk's address has none)."""
    result: dict[str, Any] = {
        "address1": address.line1,
        "address2": address.line2 or "",
        "city": address.city,
        "zip": address.postal_code,
    }
    for field in ("firstName", "lastName", "company", "phone"):
        if current.get(field):
            result[field] = current[field]
    if address.region:
        key = "provinceCode" if len(address.region.strip()) <= 3 else "province"
        result[key] = address.region.strip()
    country = address.country.strip()
    result["countryCode" if len(country) == 2 else "country"] = (
        country.upper() if len(country) == 2 else country
    )
    return result


def _mailing_address_copy(raw: Mapping[str, Any]) -> dict[str, Any]:
    fields = ("firstName", "lastName", "company", "address1", "address2", "city", "zip", "phone")
    result = {f: raw[f] for f in fields if raw.get(f)}
    if raw.get("provinceCode"):
        result["provinceCode"] = raw["provinceCode"]
    if raw.get("countryCodeV2"):
        result["countryCode"] = raw["countryCodeV2"]
    return result


def _service(shipping_line: Any) -> str:
    if not isinstance(shipping_line, Mapping):
        return "ground"
    raw = str(shipping_line.get("code") or shipping_line.get("title") or "").strip().lower()
    return re.sub(r"[^a-z0-9]+", "_", raw).strip("_") or "ground"


def _live_fulfillments(node: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        f
        for f in node.get("fulfillments") or []
        if str(f.get("status") or "").upper() not in _CANCELLED_FULFILLMENT
    ]


def _fulfilled_skus(node: Mapping[str, Any], live_only: bool = True) -> set[str]:
    every = {str(i.get("sku") or i.get("id")) for i in _nodes(node.get("lineItems"))}
    fulfillments = _live_fulfillments(node) if live_only else node.get("fulfillments") or []
    skus: set[str] = set()
    for fulfillment in fulfillments:
        items = _nodes(fulfillment.get("fulfillmentLineItems"))
        if not items:
            return every  # a fulfillment that names nothing carries the whole order
        skus.update(str((i.get("lineItem") or {}).get("sku") or "") for i in items)
    return skus - {""}


_TRACKING_PATTERNS: list[tuple[re.Pattern[str], Carrier]] = [
    (re.compile(r"^1Z[0-9A-Z]{16}$"), Carrier.ups),
    (re.compile(r"^(94|93|92|95)\d{20}$"), Carrier.usps),
    (re.compile(r"^\d{12}$|^\d{15}$"), Carrier.fedex),
    (re.compile(r"^\d{10}$"), Carrier.dhl),
]


def _carrier_from_tracking(tracking: str) -> Carrier | None:
    for pattern, carrier in _TRACKING_PATTERNS:
        if pattern.match(tracking):
            return carrier
    return None


def _metafield(node: Mapping[str, Any]) -> str | None:
    field = node.get("metafield")
    if isinstance(field, Mapping) and field.get("value"):
        return str(field["value"])
    return None


def _metafield_input(
    owner: str, key: str, value: str, only_if_absent: bool = False
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "ownerId": owner,
        "namespace": _METAFIELD_NAMESPACE,
        "key": key,
        "type": "single_line_text_field",
        "value": value,
    }
    if only_if_absent:
        entry["compareDigest"] = None  # compare-and-set: only if the metafield is absent
    return entry


def _user_errors(payload: Mapping[str, Any], *fields: str) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    for field in fields:
        errors.extend(e for e in payload.get(field) or [] if isinstance(e, dict))
    return errors


def _error_text(errors: list[dict[str, Any]]) -> str:
    return "; ".join(str(e.get("message") or e.get("code") or "?")[:200] for e in errors)[:400]


def _draft_order_name(draft: Mapping[str, Any]) -> str | None:
    made = draft.get("order")
    if isinstance(made, Mapping) and made.get("name"):
        return normalise_order_number(str(made["name"]))
    return None


def _refund_line_items(node: Mapping[str, Any], lines: list[LineRef]) -> list[dict[str, Any]]:
    """The desk's lines as Shopify line items, never more than Shopify can still refund."""
    left = {
        str(item.get("sku") or ""): (str(item["id"]), int(item.get("refundableQuantity") or 0))
        for item in _nodes(node.get("lineItems"))
    }
    wanted: dict[str, int] = {}
    for line in lines:
        wanted[line.sku] = wanted.get(line.sku, 0) + line.qty
    items = []
    for sku, qty in wanted.items():
        line_id, refundable = left.get(sku, ("", 0))
        if line_id and min(qty, refundable) > 0:
            items.append(
                {
                    "lineItemId": line_id,
                    "quantity": min(qty, refundable),
                    "restockType": "NO_RESTOCK",
                }
            )
    return items


def _refund_transactions(node: Mapping[str, Any], cents: int, number: str) -> list[dict[str, Any]]:
    """Refund transactions against the order's captured payments, oldest first, each up
    to what it has left; Refused when the payments cannot cover the amount."""
    if cents <= 0:
        return []
    transactions = node.get("transactions") or []
    refunded: dict[str, int] = {}
    for t in transactions:
        parent = (t.get("parentTransaction") or {}).get("id")
        if str(t.get("kind")).upper() == "REFUND" and str(t.get("status")).upper() == "SUCCESS":
            refunded[str(parent)] = refunded.get(str(parent), 0) + round(
                _money(t.get("amountSet")) * 100
            )
    result: list[dict[str, Any]] = []
    remaining = cents
    available_total = 0
    for t in transactions:
        if str(t.get("kind")).upper() not in _PAYMENT_KINDS:
            continue
        if str(t.get("status")).upper() != "SUCCESS":
            continue
        left = round(_money(t.get("amountSet")) * 100) - refunded.get(str(t["id"]), 0)
        available_total += max(left, 0)
        take = min(left, remaining)
        if take <= 0:
            continue
        result.append(
            {
                "orderId": str(node["id"]),
                "parentId": str(t["id"]),
                "gateway": str(t.get("gateway") or ""),
                "kind": "REFUND",
                "amount": f"{take / 100:.2f}",
            }
        )
        remaining -= take
    if remaining > 0:
        raise Refused(
            f"refund {cents / 100:.2f} exceeds what order {number} can still return "
            f"({available_total / 100:.2f})"
        )
    return result
