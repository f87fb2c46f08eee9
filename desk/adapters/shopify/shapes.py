"""Helpers without state: keys and ids (the desk's key digests, ``refund_key``, Shopify
gids, search values, times) and Shopify's shapes (connections, tags, money, identities,
addresses, fulfillments, metafields, user errors, refund lines and transactions)."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from desk.adapters.shopify.client import _number
from desk.identities import normalise_identity, normalise_order_number
from desk.models import Address, Carrier, LineRef, OrderStatus
from desk.ports import Refused

REPLACEMENT_TAG = "desk-replacement"
_METAFIELD_NAMESPACE = "desk"
_KEY_UUID_NAMESPACE = uuid.UUID("5a1e8c8e-3f2b-4b7e-9d0a-6c1f2e3d4b5a")
_CANCELLED_FULFILLMENT = {"CANCELLED", "ERROR", "FAILURE"}
_FAILED_TRANSACTION = {"FAILURE", "ERROR"}
_PAYMENT_KINDS = {"SALE", "CAPTURE"}


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
