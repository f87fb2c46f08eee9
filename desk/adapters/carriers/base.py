"""The part every carrier adapter shares: calls through the shared vendor client with a
fresh token after a 401, ``trace`` as "what the carrier says now, seen as of ``as_of``",
and ``file_search`` handed to a person where the vendor has no API for it
(``SearchNeedsOperator``, which the carrier-search activity turns into a task)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import httpx

from desk.adapters.carriers.common import OAuthToken, TrackingNotFound, as_of_view
from desk.adapters.carriers.search import (
    DetailsLookup,
    SearchNeedsOperator,
    ShipFromSettings,
    operator_request,
)
from desk.adapters.http import RateLimit, VendorAuthError, VendorClient, short_message
from desk.models import Carrier, CarrierCase, Shipment, TraceResult
from desk.ports import NotFound, Refused, Unavailable


class CarrierAdapter:
    """One vendor's ``CarrierTracking``. Subclasses implement ``current`` (the carrier's
    record now, one HTTP exchange or a few) and, where the vendor files searches,
    ``file_search``."""

    vendor = "carrier"

    def __init__(
        self,
        client: VendorClient,
        token: OAuthToken | None = None,
        *,
        ship_from: ShipFromSettings | None = None,
        details: DetailsLookup | None = None,
    ) -> None:
        self.client = client
        self.token = token
        self.ship_from = ship_from
        self.details = details

    def _oauth_client(
        self,
        fetch_token: Callable[[], tuple[str, float]],
        *,
        base_url: str,
        timeout: float,
        rate: RateLimit,
        transport: httpx.BaseTransport | None,
        sleep: Callable[[float], None],
        clock: Callable[[], float],
        margin: float = 300.0,
    ) -> tuple[VendorClient, OAuthToken]:
        """The client of a vendor behind OAuth client credentials (USPS, UPS, FedEx): the
        token comes from its own client (``self._auth_client``, which ``fetch_token``
        calls; not rate-limited with the API) and is renewed ``margin`` seconds early."""
        common: dict[str, Any] = {"transport": transport, "sleep": sleep, "timeout": timeout}
        self._auth_client = VendorClient(vendor=f"{self.vendor} OAuth", base_url=base_url, **common)
        token = OAuthToken(fetch_token, clock=clock, margin=margin)
        client = VendorClient(
            vendor=self.vendor, base_url=base_url, auth=token.headers, rate=rate, **common
        )
        return client, token

    # ------------------------------------------------------------ the port

    def trace(self, tracking: str, as_of: datetime) -> TraceResult:
        """What the carrier says now, with events later than ``as_of`` dropped."""
        with port_errors():
            return as_of_view(self.current(tracking), as_of)

    def current(self, tracking: str) -> TraceResult:
        raise NotImplementedError

    def file_search(self, tracking: str, reason: str, filed_at: datetime, key: str) -> CarrierCase:
        """No API files this carrier's searches: a person does, with the request built
        here (``SearchNeedsOperator``)."""
        raise self.needs_operator(self.carrier_of(tracking), tracking, reason)

    # ------------------------------------------------------------ helpers

    def carrier_of(self, tracking: str) -> Carrier:
        raise NotImplementedError

    def needs_operator(self, carrier: Carrier, tracking: str, reason: str) -> SearchNeedsOperator:
        shipment: Shipment | None
        try:  # the carrier's record adds the mail class, mailing date and last scan
            shipment = self.current(tracking).shipment
        except (Refused, Unavailable, LookupError):
            shipment = None
        details = self.details(tracking) if self.details is not None else None
        request = operator_request(
            carrier=carrier,
            tracking=tracking,
            reason=reason,
            shipment=shipment,
            ship_from=self.ship_from,
            details=details,
        )
        return SearchNeedsOperator(request)

    def call(
        self, method: str, path: str, *, expect: tuple[int, ...] = (), **kwargs: Any
    ) -> httpx.Response:
        """One request; a 401 with a cached token fetches a new token and tries once more
        (tokens can be revoked before they expire), then is ``VendorAuthError``."""
        wanted = (*expect, 401) if self.token is not None else expect
        response = self.client.request(method, path, expect=wanted, **kwargs)
        if response.status_code == 401 and 401 not in expect and self.token is not None:
            self.token.invalidate()
            response = self.client.request(method, path, expect=wanted, **kwargs)
            if response.status_code == 401:
                raise VendorAuthError(
                    f"{self.vendor} {method} {path}: HTTP 401: {short_message(response)}"
                )
        return response

    def close(self) -> None:
        self.client.close()
        if (auth := getattr(self, "_auth_client", None)) is not None:
            auth.close()


@contextmanager
def port_errors() -> Iterator[None]:
    """The port's own ``NotFound`` for a carrier's "no such number": Temporal reports an
    error under its exact type name, and only the ports' names are final for the
    activities' retry policy (``desk.ports.FINAL_ERRORS``), not a subclass's."""
    try:
        yield
    except TrackingNotFound as err:
        raise NotFound(str(err)) from None


def json_body(response: httpx.Response, vendor: str) -> Any:
    """The response's JSON; a body that is not JSON is the vendor misbehaving (retryable)."""
    try:
        return response.json()
    except ValueError:
        raise Unavailable(
            f"{vendor}: HTTP {response.status_code} with a body that is not JSON: "
            f"{short_message(response)}"
        ) from None
