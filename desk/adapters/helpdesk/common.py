"""What the helpdesk adapters share: the part of the Helpdesk port a vendor adapter
implements, how the desk's keys and contact ids are written on the vendor's side, settings
from the environment, and errors without personal data or credentials."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, SecretStr, ValidationError

from desk.adapters.http import RETRYABLE_STATUS, VendorClient, retry_after, short_message
from desk.logs import EMAIL, redact_text
from desk.models import Reply
from desk.ports import Refused, Unavailable

S = TypeVar("S", bound=BaseModel)

# What the vendor is told about the desk's objects (tickets, comments, messages) starts with
# this, so an agent, a view or a trigger can tell the desk's own writes.
MARK = "desk"


class ReplySender(Protocol):
    """The sending half of ``desk.ports.Helpdesk``: a vendor adapter (Zendesk, Gorgias,
    SMTP) implements these two; ``CompositeHelpdesk`` adds the registry."""

    def send_reply(self, contact_id: str, reply: Reply, key: str) -> str:
        """Send on the customer's channel; one message per key. Returns the outbox id."""

    def alert_supervisors(self, contact_id: str, text: str, level: int, key: str) -> str:
        """Put an alert in front of the supervisors; one per key."""


def digest(value: str, length: int = 32) -> str:
    """A short, stable, non-reversible name for a key or an id (hex of SHA-256)."""
    return hashlib.sha256(value.encode()).hexdigest()[:length]


def contact_ref(contact_id: str, kind: str = "contact") -> str:
    """The external id a contact's ticket carries on the vendor's side: ``desk:<contact id>``
    (contact ids are ids, never names: ``contact-order-60102``), or a digest of an id too
    long for the vendor's 255 characters. ``kind`` separates the supervisors' alert ticket
    (``desk-alerts:<contact id>``) from the customer's."""
    prefix = MARK if kind == "contact" else f"{MARK}-{kind}"
    ref = f"{prefix}:{contact_id}"
    return ref if len(ref) <= 200 else f"{prefix}:sha256:{digest(contact_id, 64)}"


def contact_from_ref(ref: str | None, kind: str = "contact") -> str | None:
    """The contact id a ``contact_ref`` names (None for a digest or a foreign id)."""
    prefix = (MARK if kind == "contact" else f"{MARK}-{kind}") + ":"
    if not ref or not ref.startswith(prefix) or ref.startswith(prefix + "sha256:"):
        return None
    return ref[len(prefix) :]


def key_marker(key: str) -> str:
    """The marker a comment or message carries for the desk's idempotency key:
    ``desk:<key>`` (keys are ids and counters: ``contact-order-60102:r3``), or a digest of a
    key too long for the vendor's field."""
    marker = f"{MARK}:{key}"
    return marker if len(marker) <= 200 else f"{MARK}:sha256:{digest(key, 64)}"


def vendor_words(text: str, limit: int = 200) -> str:
    """A vendor's own error text, short, with email addresses and phone numbers taken out
    (a validation error can quote the requester's address)."""
    return redact_text(" ".join(text.split()))[:limit]


def settings_from_env(
    model: type[S],
    prefix: str,
    env: Mapping[str, str] | None = None,
    lists: tuple[str, ...] = (),
    maps: tuple[str, ...] = (),
) -> S:
    """``model`` from ``<prefix><FIELD>`` variables: comma-separated lists for the fields in
    ``lists``, JSON objects for those in ``maps``. A bad value raises ``ValueError`` naming
    the variable, never its value (it may be a secret)."""
    env = os.environ if env is None else env
    data: dict[str, Any] = {}
    for name in model.model_fields:
        variable = prefix + name.upper()
        if variable not in env:
            continue
        value: Any = env[variable]
        if name in lists:
            value = [part.strip() for part in value.split(",") if part.strip()]
        elif name in maps:
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                raise ValueError(f"{variable} must be a JSON object") from None
        data[name] = value
    try:
        return model.model_validate(data)
    except ValidationError as err:
        fields = ", ".join(
            prefix + ".".join(str(p) for p in e["loc"]).upper() + f" ({e['msg']})"
            for e in err.errors()
        )
        raise ValueError(f"invalid settings: {fields}") from None


def response_words(response: Any, limit: int = 200) -> str:
    """What a vendor's error response says, short and redacted: the string leaves of a JSON
    body as ``path: text``, or the plain text (Zendesk's 429 body is plain text)."""
    try:
        data = response.json()
    except ValueError:
        return vendor_words(response.text or response.reason_phrase, limit)
    parts: list[str] = []

    def walk(value: Any, path: str) -> None:
        if len(parts) >= 12:
            return
        if isinstance(value, str):
            parts.append(f"{path}: {value}" if path else value)
        elif isinstance(value, dict):
            for name, inner in value.items():
                walk(inner, f"{path}.{name}" if path else str(name))
        elif isinstance(value, list):
            for inner in value:
                walk(inner, path)

    walk(data, "")
    return vendor_words("; ".join(parts) or response.reason_phrase, limit)


def checked_base_url(value: str | None) -> str | None:
    """https anywhere; plain http only on loopback (credentials never cross a network in
    the clear)."""
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme == "https" and parts.hostname:
        return value
    if parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1"):
        return value
    raise ValueError("base_url must be https://…, or http:// on 127.0.0.1 / localhost")


def basic_auth(user: str, secret: SecretStr) -> Callable[[], dict[str, str]]:
    def headers() -> dict[str, str]:
        pair = f"{user}:{secret.get_secret_value()}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}

    return headers


class SingleWrites:
    """Writes the vendor does not deduplicate (a Zendesk comment, a Gorgias message), each
    tried once. ``VendorClient`` retries a request itself after a 5xx or a timeout, and
    for these that could post twice: the vendor may have written before failing to answer.
    Here such an answer comes back as None (after the backoff, or the ``Retry-After`` of a
    429), and the adapter looks for its key's marker again before it writes again.
    ``last`` says what went wrong, for the ``Unavailable`` after the last attempt."""

    def __init__(self, client: VendorClient, max_wait: float, sleep: Callable[[float], None]):
        self.client = client
        self.max_wait = max_wait
        self.sleep = sleep
        self.last = ""

    def close(self) -> None:
        self.client.close()

    def send(
        self,
        attempt: int,
        attempts: int,
        method: str,
        path: str,
        *,
        expect: tuple[int, ...] = (),
        **kwargs: Any,
    ) -> httpx.Response | None:
        asked: float | None = None
        try:
            response = self.client.request(
                method, path, expect=(*expect, *RETRYABLE_STATUS), **kwargs
            )
        except Unavailable as err:  # timed out or unreachable: written or not, unknown
            self.last = str(err)
        else:
            status = response.status_code
            if status not in RETRYABLE_STATUS or status in expect:
                return response
            self.last = f"{self.client.vendor} {method} {path}: HTTP {status}: " + vendor_words(
                short_message(response)
            )
            asked = retry_after(response)
            if asked is not None and asked > self.max_wait:
                raise Unavailable(f"{self.last}; asks to wait {asked:.0f}s")
        if attempt < attempts:
            if asked is None:  # exponential with jitter, as VendorClient does
                asked = min(self.max_wait, 0.5 * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)
            self.sleep(min(asked, self.max_wait))
        return None


@contextmanager
def redacted_errors() -> Iterator[None]:
    """The port's errors with email addresses and phone numbers taken out of their text
    (``VendorClient`` quotes a vendor's 4xx as it came; a validation error may name the
    customer), their types kept."""
    try:
        yield
    except (Refused, Unavailable) as err:
        raise type(err)(_redacted(str(err))) from None


def _redacted(text: str) -> str:
    """Emails out of the whole text; phone-like numbers only out of the vendor's words after
    ``HTTP <status>:`` (a ticket id of seven digits is not a phone number)."""
    head, sep, tail = text.partition(": HTTP ")
    if sep:
        status, colon, words = tail.partition(": ")
        text = head + sep + status + colon + redact_text(words)
    return EMAIL.sub("[email]", text)
