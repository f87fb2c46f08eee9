"""What the carrier fakes share: the state they keep between requests, the sandbox's
record of a parcel, the words and times every vendor's shape is built from, and reading
request bodies.

Tokens are checked (a request without one the fake issued is a 401, and
``CarrierFakeState.revoke_tokens`` makes every issued token stale).

What a vendor's documented shape cannot carry is not invented: USPS, FedEx and EasyPost
have no delivery photo, and only AfterShip has GPS coordinates, so a sandbox scan's photo
or GPS reaches the desk only through the vendors that carry it (``CARRIES``). Times are
whole seconds (UPS's format has no fractions).
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from sqlalchemy import select

from desk.adapters.carriers.common import exception_from_text
from desk.adapters.sandbox import SandboxShop
from desk.adapters.sandbox.tables import ShipmentRow
from desk.identities import normalise_tracking
from desk.models import ExceptionKind, Order, ScanEvent, ScanStatus, TraceResult
from desk.ports import NotFound
from devtools.vendor_fakes import Clock

# What each vendor's response can say about a delivery, besides its words.
CARRIES: dict[str, frozenset[str]] = {
    "usps": frozenset({"signature"}),
    "ups": frozenset({"photo", "signature"}),
    "fedex": frozenset({"signature"}),
    "easypost": frozenset({"signature"}),
    "aftership": frozenset({"signature", "gps"}),
}
_EXCEPTION_WORDS = {
    ExceptionKind.lost: "package could not be located",
    ExceptionKind.damaged: "package damaged",
    ExceptionKind.return_to_sender: "returning to sender",
}


@dataclass
class CarrierFakeState:
    """What the fakes remember between requests: issued tokens, registered trackers."""

    tokens: set[str] = field(default_factory=set)
    trackers: dict[str, datetime] = field(default_factory=dict)  # EasyPost: number → created
    trackings: dict[str, datetime] = field(default_factory=dict)  # AfterShip: number → created
    lock: threading.Lock = field(default_factory=threading.Lock)

    def issue(self, prefix: str) -> str:
        token = f"{prefix}_{secrets.token_hex(16)}"
        with self.lock:
            self.tokens.add(token)
        return token

    def valid(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        return scheme.lower() == "bearer" and token in self.tokens

    def revoke_tokens(self) -> None:
        """Every token issued so far stops working (a revoked or expired token)."""
        with self.lock:
            self.tokens.clear()


# ---------------------------------------------------------------- the sandbox's record


@dataclass
class Parcel:
    result: TraceResult
    order: Order | None
    recipient: str | None  # the customer's name, for a signature


def lookup(shop: SandboxShop, clock: Clock, tracking: str) -> Parcel | None:
    try:
        result = shop.trace(tracking, clock())
    except NotFound:
        return None
    with shop.unit_of_work() as session:
        row = session.scalars(
            select(ShipmentRow).where(ShipmentRow.tracking == normalise_tracking(tracking))
        ).first()
        number = row.order_number if row is not None else None
    order = shop.get_order(number) if number else None
    recipient = None
    if order is not None:
        customer = shop.find_customer_by_id(order.customer_id)
        recipient = customer.name if customer is not None else None
    return Parcel(result, order, recipient)


def signer_of(scan: ScanEvent, recipient: str | None) -> str:
    """Who signed: the name in the scan's words, else the recipient as drivers key it."""
    named = re.search(r"sign(?:ed)?(?: for)? by:?\s*([A-Za-z][\w.' -]*)", scan.description, re.I)
    if named:
        return named.group(1).strip()
    if recipient:
        parts = recipient.split()
        return f"{parts[0][0]} {parts[-1]}".upper() if len(parts) > 1 else recipient.upper()
    return "SIGNER"


def words_for(scan: ScanEvent, default: str) -> str:
    """The scan's words, naming the exception kind when its words do not already."""
    text = scan.description or default
    kind = scan.exception
    if (
        scan.status == ScanStatus.exception
        and kind is not None
        and exception_from_text(text) != kind
    ):
        cue = _EXCEPTION_WORDS[kind]
        text = f"{text} - {cue}" if scan.description else cue.capitalize()
    return text


def _z(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _plain(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _offset(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _words(code: str) -> str:
    return " ".join(w.capitalize() if not w[0].isdigit() else w for w in code.split("_"))


def _id(prefix: str, *parts: str) -> str:
    return prefix + hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def _last_delivery(events: list[ScanEvent]) -> ScanEvent | None:
    return next((e for e in reversed(events) if e.status == ScanStatus.delivered), None)


# ---------------------------------------------------------------- request bodies


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


async def _form_or_json(request: Request) -> dict[str, str]:
    if "json" in request.headers.get("content-type", ""):
        return {k: str(v) for k, v in (await _json(request)).items()}
    form = await request.form()
    return {k: str(v) for k, v in form.items()}


async def _client_credentials(request: Request) -> dict[str, str] | None:
    """The body (form or JSON) of an OAuth 2.0 client-credentials grant, as USPS and FedEx
    take it, or None when it is not one; each fake answers that in its own vendor's words."""
    form = await _form_or_json(request)
    if (
        form.get("grant_type") != "client_credentials"
        or not form.get("client_id")
        or not form.get("client_secret")
    ):
        return None
    return form


def _basic(request: Request) -> tuple[str, str]:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return "", ""
    try:
        user, _, secret = base64.b64decode(value).decode().partition(":")
    except ValueError:
        return "", ""
    return user, secret
