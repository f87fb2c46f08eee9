"""The GraphQL client of one shop: Shopify's cost-based throttling and typed errors.

Every request goes through the shared vendor client (``desk.adapters.http``: timeouts, a
request rate limit, retries on 429 / 5xx honouring Retry-After). On top of it, Shopify's
calculated-cost rate limit: every response's ``extensions.cost.throttleStatus`` is read and
the next request waits *before* the bucket runs dry; a ``THROTTLED`` answer (HTTP 200,
``errors[].extensions.code``) is retried after the time the restore rate implies, then
``Unavailable``.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import structlog

from desk.adapters.http import RateLimit, VendorAuthError, VendorClient
from desk.adapters.shopify.settings import ShopifySettings
from desk.ports import Refused, Unavailable

log = structlog.get_logger("desk.vendor.shopify")

_RETRYABLE_CODES = {"THROTTLED", "INTERNAL_SERVER_ERROR", "IDEMPOTENCY_CONCURRENT_REQUEST"}


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
