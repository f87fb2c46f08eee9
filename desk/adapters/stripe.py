"""Stripe refunds: the ``Payments`` port for shops whose order system does not refund.

``StripePayments.refund`` sends a form-encoded ``POST /v1/refunds`` with the order's
``payment_intent`` (from the ``payment_for`` callable the wiring supplies: the order
system's record of the payment, or the desk's own), the amount in the currency's minor
units (zero-decimal and three-decimal currencies handled), ``metadata[order]`` and an
``Idempotency-Key`` derived from the desk's key (``desk-`` + SHA-256 of it: the same on
every retry, 69 characters).

Exactly once, inside and beyond Stripe's 24 h key window:

- every retry sends the same Idempotency-Key, so within 24 h Stripe answers a repeat with
  the first result (``Idempotent-Replayed: true``) instead of refunding again;
- before posting, the refunds already on the payment intent are listed and one carrying
  ``metadata[desk_key]`` (the key's hash) is returned as the result, so a retry after the
  key was pruned still finds the first refund;
- ``409 idempotency_key_in_use`` (the first attempt still running) is retried, with the
  same key; a replayed error stays an error (``Refused``): Stripe stored that outcome for
  the key, and only a person can decide to try again under a new one.

Errors: ``card_declined`` and other card errors, ``charge_already_refunded``,
``amount_too_large``, ``charge_disputed``, an unknown payment intent, a parameter
mismatch on the key: ``Refused`` (the sandbox never raises ``Conflict`` for a refund).
429 and 5xx are retried with backoff, then ``Unavailable``. The API key never appears in a
log line, an exception or a result.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx
import structlog
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from desk.adapters.http import RateLimit, VendorAuthError, VendorClient
from desk.identities import normalise_order_number
from desk.models import ExecutionResult, LineRef
from desk.ports import Refused, Unavailable

log = structlog.get_logger("desk.vendor.stripe")

# docs.stripe.com/currencies: amounts in the API are in the currency's minor unit.
ZERO_DECIMAL = frozenset(
    [
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    ]
)
# Three-decimal currencies; Stripe wants the last digit 0 (a multiple of 10).
THREE_DECIMAL = frozenset(["bhd", "jod", "kwd", "omr", "tnd"])
# Zero-decimal in use but two-decimal in Stripe's API, whole units only (x100).
WHOLE_UNITS_TWO_DECIMAL = frozenset({"isk"})

_EXPECTED = (400, 402, 404, 409, 500, 502, 503, 504)
_FAILED_STATUS = {"failed", "canceled"}


class StripeSettings(BaseModel):
    """How to reach Stripe. ``from_env`` reads ``DESK_STRIPE_*``."""

    model_config = ConfigDict(frozen=True)

    api_key: SecretStr = Field(description="a secret or restricted key (sk_... / rk_...)")
    base_url: str = "https://api.stripe.com"
    api_version: str | None = Field(None, description="Stripe-Version header, e.g. 2024-06-20")
    account: str | None = Field(None, description="Stripe-Account header (Connect), acct_...")
    currency: str = Field("usd", description="used when payment_for names no currency")
    refund_reason: Literal["duplicate", "fraudulent", "requested_by_customer"] | None = (
        "requested_by_customer"
    )
    requests_per_second: float = Field(10.0, gt=0)
    burst: int = Field(5, ge=1)
    timeout: float = Field(20.0, gt=0)
    attempts: int = Field(4, ge=1, description="tries of one refund on 409 / 5xx")
    max_wait: float = Field(30.0, gt=0)

    @field_validator("base_url")
    @classmethod
    def _safe_base_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        host = parts.hostname or ""
        if parts.scheme == "https" or (
            parts.scheme == "http" and host in {"127.0.0.1", "localhost", "::1"}
        ):
            return value.strip().rstrip("/")
        raise ValueError("base_url must be https (plain http only to 127.0.0.1 / localhost)")

    @field_validator("currency")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.strip().lower()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> StripeSettings:
        """``DESK_STRIPE_API_KEY`` (required), and optionally ``DESK_STRIPE_BASE_URL``,
        ``DESK_STRIPE_API_VERSION``, ``DESK_STRIPE_ACCOUNT``, ``DESK_STRIPE_CURRENCY``,
        ``DESK_STRIPE_REFUND_REASON``, ``DESK_STRIPE_RATE``, ``DESK_STRIPE_BURST``,
        ``DESK_STRIPE_TIMEOUT``."""
        env = os.environ if environ is None else environ
        key = env.get("DESK_STRIPE_API_KEY", "").strip()
        if not key:
            raise ValueError("DESK_STRIPE_API_KEY is not set")
        values: dict[str, Any] = {"api_key": key}
        optional = {
            "BASE_URL": "base_url",
            "API_VERSION": "api_version",
            "ACCOUNT": "account",
            "CURRENCY": "currency",
            "REFUND_REASON": "refund_reason",
            "RATE": "requests_per_second",
            "BURST": "burst",
            "TIMEOUT": "timeout",
        }
        for env_name, field in optional.items():
            given = env.get(f"DESK_STRIPE_{env_name}", "").strip()
            if given:
                values[field] = given
        return cls.model_validate(values)


@dataclass(frozen=True)
class StripePayment:
    """Where an order's money is at Stripe."""

    payment_intent: str
    currency: str | None = None  # the payment intent's currency; default: the settings'


PaymentFor = Callable[[str], "str | StripePayment | None"]


def minor_units(amount: float, currency: str) -> int:
    """The amount in the smallest unit Stripe's API counts for the currency."""
    code = currency.strip().lower()
    value = Decimal(str(amount))
    if code in ZERO_DECIMAL:
        return int(value.quantize(Decimal(1), ROUND_HALF_UP))
    if code in WHOLE_UNITS_TWO_DECIMAL:
        return int(value.quantize(Decimal(1), ROUND_HALF_UP)) * 100
    if code in THREE_DECIMAL:
        return int((value * 100).quantize(Decimal(1), ROUND_HALF_UP)) * 10
    return int((value * 100).quantize(Decimal(1), ROUND_HALF_UP))


def major_units(amount: int, currency: str) -> float:
    code = currency.strip().lower()
    if code in ZERO_DECIMAL:
        return float(amount)
    if code in THREE_DECIMAL:
        return round(amount / 1000, 3)
    return round(amount / 100, 2)


def idempotency_key(key: str) -> str:
    """Stripe's Idempotency-Key for a desk key: the same on every retry, ≤ 255 chars."""
    return f"desk-{hashlib.sha256(key.encode()).hexdigest()}"


def key_tag(key: str) -> str:
    """What ``metadata[desk_key]`` holds: finds the refund again after the key expired."""
    return hashlib.sha256(key.encode()).hexdigest()[:40]


class StripePayments:
    """The ``Payments`` port over Stripe's Refunds API.

    ``payment_for(order_number)`` names the order's payment intent (a ``pi_...`` string or
    a ``StripePayment`` with its currency); it may raise ``NotFound`` for an unknown order
    and returns ``None`` when the order was not paid through Stripe (``Refused``).
    """

    def __init__(
        self,
        settings: StripeSettings,
        payment_for: PaymentFor,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.payment_for = payment_for
        self._sleep = sleep
        secret = settings.api_key

        def headers() -> dict[str, str]:
            sent = {"Authorization": f"Bearer {secret.get_secret_value()}"}
            if settings.api_version:
                sent["Stripe-Version"] = settings.api_version
            if settings.account:
                sent["Stripe-Account"] = settings.account
            return sent

        self._http = VendorClient(
            vendor="stripe",
            base_url=settings.base_url,
            auth=headers,
            timeout=settings.timeout,
            max_wait=settings.max_wait,
            rate=RateLimit(settings.requests_per_second, settings.burst),
            transport=transport,
            sleep=sleep,
        )

    def close(self) -> None:
        self._http.close()

    def refund(
        self, order_number: str, amount: float, lines: list[LineRef], reason: str, key: str
    ) -> ExecutionResult:
        if amount < 0:
            raise ValueError(f"refund amount must not be negative, got {amount}")
        number = normalise_order_number(order_number)
        payment = self._payment(number)
        currency = (payment.currency or self.settings.currency).lower()
        minor = minor_units(amount, currency)
        if minor == 0:
            return ExecutionResult()  # Stripe moves no zero amounts; nothing to refund
        earlier = self._earlier_refund(payment.payment_intent, key, currency)
        if earlier is not None:
            return earlier
        form: dict[str, str] = {
            "payment_intent": payment.payment_intent,
            "amount": str(minor),
            "metadata[order]": number,
            "metadata[desk_key]": key_tag(key),
        }
        if reason.strip():
            form["metadata[desk_reason]"] = reason.strip()[:500]
        if lines:
            summary = ", ".join(f"{line.sku} x{line.qty}" for line in lines)
            form["metadata[lines]"] = summary[:500]
        if self.settings.refund_reason:
            form["reason"] = self.settings.refund_reason
        return self._post_refund(form, idempotency_key(key), number, currency)

    def _payment(self, number: str) -> StripePayment:
        found = self.payment_for(number)  # NotFound for an unknown order passes through
        if found is None:
            raise Refused(f"order {number} has no Stripe payment to refund")
        payment = StripePayment(found) if isinstance(found, str) else found
        if not payment.payment_intent.startswith("pi_"):
            raise Refused(f"order {number}: {payment.payment_intent[:40]!r} is no payment intent")
        return payment

    def _earlier_refund(
        self, payment_intent: str, key: str, currency: str
    ) -> ExecutionResult | None:
        response = self._call(
            "GET", "/v1/refunds", params={"payment_intent": payment_intent, "limit": "100"}
        )
        if response.status_code != 200:
            raise self._final(response, f"list refunds of {payment_intent}")
        tag = key_tag(key)
        for refund in _json(response).get("data") or []:
            if (refund.get("metadata") or {}).get("desk_key") == tag:
                return self._result(refund, currency, "the earlier refund")
        return None

    def _post_refund(
        self, form: dict[str, str], idem: str, number: str, currency: str
    ) -> ExecutionResult:
        last = ""
        for attempt in range(1, self.settings.attempts + 1):
            response = self._call(
                "POST", "/v1/refunds", data=form, headers={"Idempotency-Key": idem}
            )
            status = response.status_code
            if 200 <= status < 300:
                return self._result(_json(response), currency, f"the refund of order {number}")
            replayed = response.headers.get("idempotent-replayed", "").lower() == "true"
            error = _error(response)
            code = str(error.get("code") or error.get("type") or status)
            should_retry = response.headers.get("stripe-should-retry", "").lower()
            if replayed:
                # Stripe stored this outcome for the key: retrying it only replays it.
                raise Refused(
                    f"stripe refund of order {number}: an earlier attempt with this key "
                    f"ended in {code}: {_message(error)}"
                )
            retryable = status == 409 or status >= 500
            if should_retry == "false" or not retryable:
                raise self._final(response, f"refund of order {number}")
            last = f"HTTP {status} {code}"
            if attempt < self.settings.attempts:
                log.warning("stripe.retry", status=status, code=code, attempt=attempt)
                self._sleep(self._backoff(attempt))
        raise Unavailable(
            f"stripe refund of order {number}: {last} after {self.settings.attempts} attempts"
        )

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._http.request(method, path, expect=_EXPECTED, **kwargs)
        except VendorAuthError as err:
            # Exactly Refused (the workflow's retry policy names final errors by type), and
            # without Stripe's words, which may quote part of the key.
            status = re.search(r"HTTP (\d{3})", str(err))
            raise Refused(
                f"stripe {method} {path}: the API key was refused "
                f"(HTTP {status.group(1) if status else '401/403'})"
            ) from None

    def _final(self, response: httpx.Response, what: str) -> Refused:
        error = _error(response)
        code = str(error.get("code") or error.get("type") or "error")
        if error.get("decline_code"):
            code += f" ({error['decline_code']})"
        return Refused(f"stripe {what}: HTTP {response.status_code} {code}: {_message(error)}")

    def _result(self, refund: Mapping[str, Any], currency: str, what: str) -> ExecutionResult:
        status = str(refund.get("status") or "")
        if status in _FAILED_STATUS:
            why = refund.get("failure_reason") or status
            raise Refused(f"stripe: {what} {refund.get('id')} {status} ({why})")
        amount = int(refund.get("amount") or 0)
        return ExecutionResult(
            refund_id=str(refund.get("id") or ""),
            refunded=major_units(amount, str(refund.get("currency") or currency)),
        )

    def _backoff(self, attempt: int) -> float:
        base = min(self.settings.max_wait, 0.5 * 2 ** (attempt - 1))
        return base * (0.5 + random.random() / 2)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise Unavailable(
            f"stripe: HTTP {response.status_code}, an answer that is not JSON"
        ) from None
    if not isinstance(body, dict):
        raise Unavailable("stripe: an answer that is not a JSON object")
    return body


def _error(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {"message": response.text[:200]}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _message(error: Mapping[str, Any]) -> str:
    return str(error.get("message") or "")[:300]
