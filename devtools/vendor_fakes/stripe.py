"""Stripe's Refunds API on 127.0.0.1, backed by a ``SandboxShop``.

- ``POST /stripe/v1/refunds`` (form-encoded: ``payment_intent``, ``amount`` in cents,
  ``reason``, ``metadata[...]``) refunds through the sandbox's ``refund`` port method, so
  the refund lands in the sandbox's ledger (key ``stripe:<Idempotency-Key>``).
- ``GET /stripe/v1/refunds?payment_intent=pi_...`` lists the refunds of a payment intent.

Stripe's idempotency as documented: the first result for an ``Idempotency-Key`` is saved
once execution begins, errors included, and replayed for 24 hours (by the fake's clock) with
``Idempotent-Replayed: true``; a different body under the key is ``400 idempotency_error``;
a request while the first is still running is ``409 idempotency_key_in_use``. Errors in
Stripe's shape: ``amount_too_large``, ``charge_already_refunded``, ``resource_missing``.

The payment intent of order ``41880`` is ``pi_desk_41880`` (``payment_intent_for``), paid
in USD for its lines and shipping. Test switches (``POST /stripe/_fake/faults``): an HTTP
status without executing (429 ``rate_limit``, 5xx), a declined card (``402
card_declined``, saved under the key like Stripe saves it), or a slow answer (executed,
the key in progress meanwhile). ``GET /stripe/_fake/requests`` lists the requests served
with their Idempotency-Keys.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from desk.adapters.sandbox import SandboxShop
from desk.identities import normalise_order_number
from desk.models import Order
from desk.ports import NotFound

Clock = Callable[[], datetime]
KEY_WINDOW = timedelta(hours=24)
_PREFIX = "pi_desk_"


def payment_intent_for(order_number: str) -> str:
    """The fake's payment intent of an order (what the wiring's ``payment_for`` returns)."""
    return f"{_PREFIX}{normalise_order_number(order_number)}"


class Fault(BaseModel):
    kind: Literal["http", "declined", "slow"]
    count: int = Field(1, ge=1)
    status: int = 503
    seconds: float = 0.0


@dataclass
class _Saved:
    fingerprint: str
    status: int
    body: dict[str, Any]
    at: datetime


class StripeFake:
    def __init__(self, shop: SandboxShop, clock: Clock) -> None:
        self.shop = shop
        self.clock = clock
        self.requests: list[tuple[str, str | None]] = []  # (method and path, idempotency key)
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._keys: dict[str, _Saved | None] = {}  # None: the first request is still running
        self._metadata: dict[str, dict[str, str]] = {}

    def router(self) -> APIRouter:
        router = APIRouter()

        @router.post("/stripe/v1/refunds")
        async def create_refund(request: Request) -> JSONResponse:
            if (refused := _unauthorised(request)) is not None:
                return refused
            form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
            key = request.headers.get("idempotency-key")
            with self._lock:
                self.requests.append(("POST /v1/refunds", key))
            return await self._create(form, key)

        @router.get("/stripe/v1/refunds")
        async def list_refunds(request: Request) -> JSONResponse:
            if (refused := _unauthorised(request)) is not None:
                return refused
            with self._lock:
                self.requests.append(("GET /v1/refunds", None))
            intent = request.query_params.get("payment_intent", "")
            data = await run_in_threadpool(self._refunds_of, intent)
            return JSONResponse(
                {"object": "list", "data": data, "has_more": False, "url": "/v1/refunds"}
            )

        @router.get("/stripe/_fake/requests")
        def requests() -> list[tuple[str, str | None]]:
            with self._lock:
                return list(self.requests)

        @router.post("/stripe/_fake/faults")
        def add_fault(fault: Fault) -> dict[str, int]:
            with self._lock:
                self._faults.append(fault)
                return {"faults": len(self._faults)}

        return router

    async def _create(self, form: dict[str, str], key: str | None) -> JSONResponse:
        fingerprint = hashlib.sha256(json.dumps(form, sort_keys=True).encode()).hexdigest()
        with self._lock:
            fault = self._faults.pop(0) if self._faults else None
            if fault is not None and fault.count > 1:
                self._faults.insert(0, fault.model_copy(update={"count": fault.count - 1}))
        if fault is not None and fault.kind == "http":
            # Refused before execution began: nothing is saved under the key.
            return _error(fault.status, "api_error", "rate_limit" if fault.status == 429 else None)
        if key is not None:
            with self._lock:
                saved = self._keys.get(key, "absent")
                if isinstance(saved, _Saved) and self.clock() - saved.at > KEY_WINDOW:
                    saved = "absent"  # pruned: the key executes anew
                if saved is None:
                    return _error(
                        409,
                        "invalid_request_error",
                        "idempotency_key_in_use",
                        "There is currently another in-progress request using this Idempotent "
                        f"Key (that probably means you submitted twice, and the other request "
                        f"is still going through): {key}. Please try again later.",
                    )
                if isinstance(saved, _Saved):
                    if saved.fingerprint != fingerprint:
                        return _error(
                            400,
                            "idempotency_error",
                            None,
                            "Keys for idempotent requests can only be used with the same "
                            "parameters they were first used with. Try using a key other than "
                            f"'{key}' if you meant to execute a different request.",
                        )
                    return JSONResponse(
                        saved.body, saved.status, headers={"Idempotent-Replayed": "true"}
                    )
                self._keys[key] = None
        try:
            if fault is not None and fault.kind == "declined":
                status, body = (
                    402,
                    _error_body(
                        "card_error", "card_declined", "Your card was declined.", "generic_decline"
                    ),
                )
            else:
                status, body = await run_in_threadpool(self._execute, form, key)
            if fault is not None and fault.kind == "slow":
                await asyncio.sleep(fault.seconds)
        except BaseException:
            if key is not None:
                with self._lock:
                    self._keys.pop(key, None)
            raise
        if key is not None:
            with self._lock:
                self._keys[key] = _Saved(fingerprint, status, body, self.clock())
        return JSONResponse(body, status)

    def _execute(self, form: dict[str, str], key: str | None) -> tuple[int, dict[str, Any]]:
        intent = form.get("payment_intent", "")
        order = self._order(intent)
        if order is None:
            return 400, _error_body(
                "invalid_request_error",
                "resource_missing",
                f"No such payment_intent: '{intent}'",
                param="payment_intent",
            )
        try:
            cents = int(form.get("amount") or _cents(self._refundable(order)))
        except ValueError:
            return 400, _error_body("invalid_request_error", "parameter_invalid_integer", "amount")
        refundable = _cents(self._refundable(order))
        if refundable <= 0:
            return 400, _error_body(
                "invalid_request_error",
                "charge_already_refunded",
                f"Charge ch_desk_{order.number} has already been refunded.",
            )
        if cents <= 0 or cents > refundable:
            return 400, _error_body(
                "invalid_request_error",
                "amount_too_large",
                f"Refund amount (${cents / 100:.2f}) is greater than unrefunded amount on "
                f"charge (${refundable / 100:.2f})",
                param="amount",
            )
        metadata = {
            name[len("metadata[") : -1]: value
            for name, value in form.items()
            if name.startswith("metadata[") and name.endswith("]")
        }
        reason = metadata.get("desk_reason") or form.get("reason") or "stripe refund"
        sandbox_key = (
            f"stripe:{key}" if key else f"stripe:{hashlib.sha256(repr(form).encode()).hexdigest()}"
        )
        result = self.shop.refund(order.number, cents / 100, [], reason, sandbox_key)
        refund_id = _refund_id(str(result.refund_id))
        with self._lock:
            self._metadata.setdefault(refund_id, metadata)
            metadata = self._metadata[refund_id]
        return 200, _refund(
            refund_id, _cents(result.refunded), intent, order, metadata, form, self.clock()
        )

    def _order(self, intent: str) -> Order | None:
        if not intent.startswith(_PREFIX):
            return None
        try:
            return self.shop.get_order(intent.removeprefix(_PREFIX))
        except NotFound:
            return None

    def _refundable(self, order: Order) -> float:
        paid = sum(line.total for line in order.lines) + order.shipping_cost
        return round(paid - self.shop.refund_total([order.number]), 2)

    def _refunds_of(self, intent: str) -> list[dict[str, Any]]:
        order = self._order(intent)
        if order is None:
            return []
        listed = []
        for record in reversed(self.shop.refunds([order.number])):
            refund_id = _refund_id(record.refund_id)
            with self._lock:
                metadata = dict(self._metadata.get(refund_id, {}))
            listed.append(
                _refund(
                    refund_id, _cents(record.amount), intent, order, metadata, {}, record.created_at
                )
            )
        return listed


def router(shop: SandboxShop, clock: Clock) -> APIRouter:
    """Stripe's refunds over the sandbox shop, under ``/stripe/v1``."""
    return StripeFake(shop, clock).router()


def _unauthorised(request: Request) -> JSONResponse | None:
    auth = request.headers.get("authorization", "")
    if auth.startswith("Bearer sk_") or auth.startswith("Bearer rk_"):
        return None
    return _error(401, "invalid_request_error", None, "Invalid API Key provided.")


def _cents(amount: float) -> int:
    return round(amount * 100)


def _refund_id(sandbox_id: str) -> str:
    return "re_desk_" + sandbox_id.replace("-", "")


def _refund(
    refund_id: str,
    cents: int,
    intent: str,
    order: Order,
    metadata: dict[str, str],
    form: dict[str, str],
    created: datetime,
) -> dict[str, Any]:
    return {
        "id": refund_id,
        "object": "refund",
        "amount": cents,
        "balance_transaction": f"txn_{refund_id}",
        "charge": f"ch_desk_{order.number}",
        "created": int(created.timestamp()),
        "currency": "usd",
        "metadata": metadata,
        "payment_intent": intent,
        "reason": form.get("reason"),
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }


def _error_body(
    kind: str,
    code: str | None,
    message: str,
    decline_code: str | None = None,
    param: str | None = None,
) -> dict[str, Any]:
    error: dict[str, Any] = {"type": kind, "message": message}
    if code:
        error["code"] = code
        error["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
    if decline_code:
        error["decline_code"] = decline_code
    if param:
        error["param"] = param
    return {"error": error}


def _error(
    status: int, kind: str, code: str | None, message: str = "An error occurred."
) -> JSONResponse:
    if code == "rate_limit":
        message = "Request rate limit exceeded."
    return JSONResponse(_error_body(kind, code, message), status)
