"""``HelpdeskFake``: both fakes over one sandbox shop, their routes, HTTP Basic auth (401
without it) and throttling; ``router(shop, clock)``: its routes, any credentials accepted.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import threading
import time
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from desk.adapters.sandbox import SandboxShop
from devtools.vendor_fakes import Clock
from devtools.vendor_fakes.helpdesk.common import Injected, _injected_response
from devtools.vendor_fakes.helpdesk.gorgias import (
    GORGIAS_BUCKET,
    GORGIAS_WINDOW,
    GorgiasHandlers,
    GTicket,
)
from devtools.vendor_fakes.helpdesk.zendesk import (
    ZENDESK_LIMIT_PER_MINUTE,
    ZendeskHandlers,
    ZTicket,
    ZUser,
)


class HelpdeskFake(ZendeskHandlers, GorgiasHandlers):
    """The state of both fakes and their routes (``router``); tests keep the object to
    inject failures and read what the vendors hold."""

    def __init__(
        self,
        shop: SandboxShop,
        clock: Clock,
        *,
        zendesk_credentials: tuple[str, str] | None = None,
        gorgias_credentials: tuple[str, str] | None = None,
        comment_cap: int = 5000,
        gorgias_bucket: int = GORGIAS_BUCKET,
    ) -> None:
        self.shop = shop
        self.clock = clock
        self.zendesk_credentials = zendesk_credentials
        self.gorgias_credentials = gorgias_credentials
        self.comment_cap = comment_cap
        self.gorgias_bucket = gorgias_bucket
        self._lock = threading.RLock()
        self._ids = 1000
        self.z_users: dict[int, ZUser] = {}
        self.z_tickets: dict[int, ZTicket] = {}
        self._z_idempotency: dict[str, tuple[str, dict[str, Any]]] = {}
        self._z_window: list[float] = []
        self.g_tickets: dict[int, GTicket] = {}
        self._g_customers: dict[str, dict[str, Any]] = {}
        self._g_level = 0.0
        self._g_at = time.monotonic()
        self._injected: list[Injected] = []
        self._keys_seen: dict[str, int] = {}
        self.requests: list[tuple[str, str, str]] = []  # (vendor, method, path)
        self.router = self._routes()

    # ------------------------------------------------------------ plumbing

    def _routes(self) -> APIRouter:
        router = APIRouter()
        fake = self

        async def call(vendor: str, request: Request, handler: Any, **params: Any) -> Response:
            fake.requests.append((vendor, request.method, request.url.path))
            denied = fake._authenticate(vendor, request)
            if denied is not None:
                return denied
            throttled = fake._throttle(vendor)
            if throttled is not None:
                return throttled
            injected = fake._take_injected(vendor, request.method)
            if injected is not None and not injected.lost:
                return _injected_response(injected)
            raw = await request.body()
            try:
                body = json.loads(raw) if raw else {}
            except json.JSONDecodeError:
                return JSONResponse({"error": "InvalidJSON"}, status_code=400)
            response: Response = handler(request, body, **params)
            if vendor == "gorgias":
                response.headers["X-Gorgias-Account-Api-Call-Limit"] = (
                    f"{math.ceil(fake._g_level)}/{fake.gorgias_bucket}"
                )
            if injected is not None:  # done, and the answer lost on the way
                return _injected_response(injected)
            return response

        # -------------------------------- Zendesk

        @router.get("/zendesk/api/v2/tickets.json")
        async def z_list(request: Request) -> Response:
            return await call("zendesk", request, fake._z_list)

        @router.post("/zendesk/api/v2/tickets.json")
        async def z_create(request: Request) -> Response:
            return await call("zendesk", request, fake._z_create)

        @router.put("/zendesk/api/v2/tickets/{ticket_id}.json")
        async def z_update(request: Request, ticket_id: int) -> Response:
            return await call("zendesk", request, fake._z_update, ticket_id=ticket_id)

        @router.get("/zendesk/api/v2/tickets/{ticket_id}/audits.json")
        async def z_audits(request: Request, ticket_id: int) -> Response:
            return await call("zendesk", request, fake._z_audits, ticket_id=ticket_id)

        @router.post("/zendesk/api/v2/users/create_or_update.json")
        async def z_user(request: Request) -> Response:
            return await call("zendesk", request, fake._z_upsert_user)

        # -------------------------------- Gorgias

        @router.get("/gorgias/api/tickets")
        async def g_list(request: Request) -> Response:
            return await call("gorgias", request, fake._g_list)

        @router.post("/gorgias/api/tickets")
        async def g_create(request: Request) -> Response:
            return await call("gorgias", request, fake._g_create)

        @router.post("/gorgias/api/tickets/{ticket_id}/messages")
        async def g_message(request: Request, ticket_id: int) -> Response:
            return await call("gorgias", request, fake._g_message, ticket_id=ticket_id)

        @router.get("/gorgias/api/messages")
        async def g_messages(request: Request) -> Response:
            return await call("gorgias", request, fake._g_messages)

        return router

    def _authenticate(self, vendor: str, request: Request) -> Response | None:
        header = request.headers.get("authorization", "")
        user = secret = ""
        if header.lower().startswith("basic "):
            try:
                user, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                user = secret = ""
        if vendor == "zendesk":
            expected = self.zendesk_credentials
            ok = user.endswith("/token") and bool(secret)
            if ok and expected is not None:
                ok = (user, secret) == (f"{expected[0]}/token", expected[1])
            if not ok:
                return JSONResponse({"error": "Couldn't authenticate you"}, status_code=401)
            return None
        expected = self.gorgias_credentials
        ok = bool(user) and bool(secret)
        if ok and expected is not None:
            ok = (user, secret) == expected
        if not ok:
            return JSONResponse({"error": {"msg": "Unauthorized"}}, status_code=401)
        return None

    def _throttle(self, vendor: str) -> Response | None:
        now = time.monotonic()
        with self._lock:
            if vendor == "zendesk":
                self._z_window = [t for t in self._z_window if now - t < 60] + [now]
                if len(self._z_window) > ZENDESK_LIMIT_PER_MINUTE:
                    wait = max(1, math.ceil(60 - (now - self._z_window[0])))
                    return PlainTextResponse(
                        "Number of allowed API requests per minute exceeded",
                        status_code=429,
                        headers={
                            "Retry-After": str(wait),
                            "X-Rate-Limit": str(ZENDESK_LIMIT_PER_MINUTE),
                            "X-Rate-Limit-Remaining": "0",
                        },
                    )
                return None
            bucket = self.gorgias_bucket
            drain = bucket / GORGIAS_WINDOW
            self._g_level = max(0.0, self._g_level - (now - self._g_at) * drain)
            self._g_at = now
            if self._g_level + 1 > bucket:
                wait = math.ceil((self._g_level + 1 - bucket) / drain)
                return JSONResponse(
                    {"error": {"msg": "Too Many Requests"}},
                    status_code=429,
                    headers={
                        "Retry-after": str(wait),
                        "X-Gorgias-Account-Api-Call-Limit": f"{bucket}/{bucket}",
                    },
                )
            self._g_level += 1
            return None


def router(shop: SandboxShop, clock: Clock) -> APIRouter:
    """The Zendesk and Gorgias fakes over ``shop`` (any credentials accepted)."""
    return HelpdeskFake(shop, clock).router
