"""What the Zendesk and Gorgias fakes share: the shop they write through, the clock, the
ids they hand out, the failures ``inject`` queues, and the row keys already used.

What reaches the shop goes through ``_deliver`` (``shop.send_reply``) and ``_alert``
(``shop.alert_supervisors``), keyed by the desk's key the comment or message carries. Like
the real vendors the fakes never deduplicate: a second comment with the same key is a
second row, keyed ``<key>#dup2``. ``inject`` makes the next requests fail (before or,
``lost=True``, after doing the work) for the retry tests.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC

from fastapi import Response
from fastapi.responses import PlainTextResponse

from desk.adapters.sandbox import SandboxShop
from desk.models import Reply
from devtools.vendor_fakes import Clock


@dataclass
class Injected:
    vendor: str
    status: int
    method: str | None
    lost: bool
    headers: dict[str, str]
    body: str


class HelpdeskFakeBase:
    """The state and plumbing both vendors' handlers use; ``HelpdeskFake`` sets it up."""

    shop: SandboxShop
    clock: Clock
    _lock: threading.RLock
    _ids: int
    _injected: list[Injected]
    _keys_seen: dict[str, int]

    # ------------------------------------------------------------ for tests

    def inject(
        self,
        vendor: str,
        status: int,
        *,
        times: int = 1,
        method: str | None = None,
        lost: bool = False,
        retry_after: float | None = None,
        body: str = "",
    ) -> None:
        """The next ``times`` requests to ``vendor`` (of ``method``, if given) answer
        ``status``; with ``lost`` the request is carried out first, its answer lost."""
        headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
        with self._lock:
            for _ in range(times):
                self._injected.append(Injected(vendor, status, method, lost, headers, body))

    # ------------------------------------------------------------ plumbing

    def _next_id(self) -> int:
        with self._lock:
            self._ids += 1
            return self._ids

    def _now(self) -> str:
        return self.clock().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _take_injected(self, vendor: str, method: str) -> Injected | None:
        with self._lock:
            for i, each in enumerate(self._injected):
                if each.vendor == vendor and each.method in (None, method):
                    return self._injected.pop(i)
        return None

    def _deliver(self, contact_id: str, key: str | None, fallback: str, reply: Reply) -> None:
        self.shop.send_reply(contact_id, reply, self._row_key(key or fallback))

    def _alert(
        self, contact_id: str, key: str | None, fallback: str, text: str, level: int
    ) -> None:
        self.shop.alert_supervisors(contact_id, text, level, self._row_key(key or fallback))

    def _row_key(self, key: str) -> str:
        """The key itself the first time; like the vendors, a repeat is a new message."""
        with self._lock:
            seen = self._keys_seen.get(key, 0) + 1
            self._keys_seen[key] = seen
        return key if seen == 1 else f"{key}#dup{seen}"


def _injected_response(injected: Injected) -> Response:
    return PlainTextResponse(
        injected.body or f"injected {injected.status}",
        status_code=injected.status,
        headers=injected.headers,
    )
