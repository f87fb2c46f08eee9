"""What every vendor adapter shares: one HTTP client per vendor with timeouts, a rate
limit, retries with backoff on 429 and 5xx that honour Retry-After, and typed errors the
workflow understands.

Adapters are synchronous (activities run them in the worker's thread pool), so this is
``httpx.Client`` with a thread-safe token bucket. A request either returns the response
(2xx, or a 4xx the adapter reads itself, e.g. a 404 that means "not found") or raises:

- ``desk.ports.Unavailable``: the vendor is down, slow or throttling after our own
  retries; retryable, the activity's retry policy tries again later.
- ``desk.ports.Refused``: a 4xx that will never succeed (bad request, forbidden, declined);
  final, the workflow escalates to a person.
- ``VendorAuthError`` (a ``Refused``): 401/403, the credentials are wrong or lack a scope.

Nothing here logs or raises a credential: headers are never echoed, and an error carries
the vendor's name, the status and the vendor's own short message only.
"""

from __future__ import annotations

import email.utils
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import structlog

from desk.ports import Refused, Unavailable

log = structlog.get_logger("desk.vendor")

RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


class VendorAuthError(Refused):
    """The vendor refused our credentials (401) or their scope (403)."""


@dataclass
class RateLimit:
    """A token bucket: ``per_second`` on average, bursts of up to ``burst``."""

    per_second: float
    burst: int = 1
    _tokens: float = field(init=False)
    _at: float = field(init=False)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._tokens = float(self.burst)
        self._at = time.monotonic()

    def wait_time(self) -> float:
        """Take a token; how long the caller must wait first (0 when one was there)."""
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.per_second)
            self._at = now
            self._tokens -= 1
            if self._tokens >= 0:
                return 0.0
            return -self._tokens / self.per_second

    def acquire(self, sleep: Callable[[float], None] = time.sleep) -> None:
        delay = self.wait_time()
        if delay > 0:
            sleep(delay)


def retry_after(response: httpx.Response, now: datetime | None = None) -> float | None:
    """Seconds the vendor asks us to wait (``Retry-After`` as seconds or an HTTP date)."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def short_message(response: httpx.Response) -> str:
    """The vendor's own words about a failure, short, never the request's headers."""
    text = response.text.strip().replace("\n", " ")
    return text[:300] if text else response.reason_phrase


@dataclass
class VendorClient:
    """One vendor's HTTP client. ``auth`` returns the headers to add to each request (a
    callable so a token can be fetched and refreshed; never logged)."""

    vendor: str
    base_url: str
    auth: Callable[[], Mapping[str, str]] = lambda: {}
    timeout: float = 15.0
    attempts: int = 4
    max_wait: float = 30.0
    rate: RateLimit | None = None
    transport: httpx.BaseTransport | None = None
    sleep: Callable[[float], None] = time.sleep
    _client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self._client = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, 5.0)),
            transport=self.transport,
            follow_redirects=False,
        )

    def close(self) -> None:
        self._client.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        expect: Iterable[int] = (),
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """The response of a 2xx, or of a status in ``expect`` (the adapter reads those:
        a 404 that means "no such order"); raises ``Unavailable`` / ``Refused`` otherwise."""
        wanted = set(expect)
        last: str = ""
        for attempt in range(1, self.attempts + 1):
            if self.rate is not None:
                self.rate.acquire(self.sleep)
            try:
                response = self._client.request(
                    method, path, headers={**self.auth(), **(headers or {})}, **kwargs
                )
            except httpx.TimeoutException:
                last = "timed out"
                self._backoff(attempt, None)
                continue
            except httpx.TransportError as err:
                last = f"unreachable ({type(err).__name__})"
                self._backoff(attempt, None)
                continue
            status = response.status_code
            if 200 <= status < 300 or status in wanted:
                return response
            if status in RETRYABLE_STATUS:
                last = f"HTTP {status}: {short_message(response)}"
                asked = retry_after(response)
                if asked is not None and asked > self.max_wait:
                    # A long wait is the activity retry policy's to keep, not a thread's.
                    raise Unavailable(
                        f"{self.vendor} {method} {path}: {last}; asks to wait {asked:.0f}s"
                    )
                log.warning(
                    "vendor.retry", vendor=self.vendor, status=status, attempt=attempt, path=path
                )
                self._backoff(attempt, asked)
                continue
            message = f"{self.vendor} {method} {path}: HTTP {status}: {short_message(response)}"
            if status in (401, 403):
                raise VendorAuthError(message)
            raise Refused(message)
        raise Unavailable(f"{self.vendor} {method} {path}: {last} after {self.attempts} attempts")

    def _backoff(self, attempt: int, asked: float | None) -> None:
        if attempt >= self.attempts:
            return
        if asked is not None:
            delay = min(asked, self.max_wait)
        else:  # exponential with jitter, so many workers do not retry in step
            delay = min(self.max_wait, 0.5 * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)
        self.sleep(delay)
