"""Where the shop is and how to talk to it: ``ShopifySettings`` (``DESK_SHOPIFY_*``), the
defaults for tier tags and carriers, and the API versions from which the adapter sends a
different shape."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from desk.loopback import is_loopback
from desk.models import Carrier, Tier

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
        if parts.scheme == "http" and is_loopback(parts.hostname or ""):
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
