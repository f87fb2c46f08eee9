"""``ShopifyAdapter``: the order system, refunds and replacement orders of a Shopify shop.

``ShopifyAdapter`` implements ``OrderSystem`` (without ``record_claim``), ``Payments`` and
``Fulfilment.create_replacement`` over one ``POST /admin/api/{version}/graphql.json``
endpoint, through ``ShopifyGraphQL`` (``client``: the shared vendor client and Shopify's
calculated-cost rate limit).

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

import re
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx
import structlog

from desk.adapters.line_cancel import lines_to_cancel
from desk.adapters.shopify.client import ShopifyGraphQL
from desk.adapters.shopify.documents import (
    CUSTOMER_BY_ID,
    CUSTOMER_ORDERS,
    DRAFT_ORDER,
    DRAFT_ORDER_COMPLETE,
    DRAFT_ORDER_CREATE,
    DRAFT_ORDER_DELETE,
    FIND_CUSTOMERS,
    METAFIELDS_SET,
    ORDER_BY_NAME,
    ORDER_CANCEL,
    ORDER_EDIT_BEGIN,
    ORDER_EDIT_COMMIT,
    ORDER_EDIT_SET_QUANTITY,
    ORDER_PAYMENTS,
    ORDER_UPDATE,
    REFUND_CREATE,
    STOCK,
)
from desk.adapters.shopify.settings import (
    IDEMPOTENT_DIRECTIVE_SINCE,
    REFUND_METHOD_SINCE,
    ShopifySettings,
)
from desk.adapters.shopify.shapes import (
    _CANCELLED_FULFILLMENT,
    _FAILED_TRANSACTION,
    REPLACEMENT_TAG,
    _address,
    _carrier_from_tracking,
    _digest,
    _draft_order_name,
    _error_text,
    _fulfilled_skus,
    _gid,
    _identity_pairs,
    _live_fulfillments,
    _mailing_address,
    _mailing_address_copy,
    _metafield,
    _metafield_input,
    _money,
    _nodes,
    _order_status,
    _parse_time,
    _refund_line_items,
    _refund_transactions,
    _reship_tag,
    _search_value,
    _service,
    _tags,
    _tail,
    _user_errors,
    _utc,
    refund_key,
)
from desk.identities import identity_lookups, normalise_order_number, normalise_tracking
from desk.models import (
    Address,
    Carrier,
    Customer,
    ExecutionResult,
    Identity,
    LineRef,
    Order,
    OrderLine,
    Shipment,
    Tier,
)
from desk.ports import Conflict, NotFound, Refused, Unavailable

log = structlog.get_logger("desk.vendor.shopify")


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
