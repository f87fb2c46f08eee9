"""Real carrier tracking: one adapter per vendor and a router that implements the desk's
``CarrierTracking`` port over them.

| module | vendor | files searches |
| --- | --- | --- |
| ``usps`` | USPS Tracking v3 (OAuth) | no API: ``SearchNeedsOperator`` |
| ``ups`` | UPS Track API (OAuth) | no API: ``SearchNeedsOperator`` |
| ``fedex`` | FedEx Track API (OAuth) | no API: ``SearchNeedsOperator`` |
| ``easypost`` | EasyPost Trackers, any carrier | EasyPost claims (the claim id is the case) |
| ``aftership`` | AfterShip Tracking, any carrier | no API: ``SearchNeedsOperator`` |

Each module has a pure ``parse(payload) -> Shipment`` (a saved response to the desk's
model, tested without HTTP), its settings (``UspsSettings.from_env()`` reading
``DESK_USPS_*`` ...), and its adapter class. ``docs/adapters/carriers.md`` says what each
maps and how a person files the searches no API files.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from desk.adapters.carriers.aftership import AftershipSettings, AftershipTracking
from desk.adapters.carriers.common import CarrierErrorResponse, CarrierFormatError
from desk.adapters.carriers.easypost import EasypostSettings, EasypostTracking
from desk.adapters.carriers.fedex import FedexSettings, FedexTracking
from desk.adapters.carriers.search import (
    DetailsLookup,
    MissingMailRequest,
    ParcelDetails,
    Party,
    SearchNeedsOperator,
    ShipFromSettings,
    complete_request,
    missing_fields,
)
from desk.adapters.carriers.ups import UpsSettings, UpsTracking
from desk.adapters.carriers.usps import UspsSettings, UspsTracking
from desk.config import ConfigError
from desk.identities import normalise_tracking
from desk.models import Carrier, CarrierCase, Shipment, TraceResult
from desk.policy.carrier_record import with_merchant_record
from desk.ports import CarrierTracking, NotFound

KnownShipments = Callable[[str], Shipment | None]

_UPS = re.compile(r"^1Z[0-9A-Z]{8,16}$")
_USPS = re.compile(r"^(?:9[2-5]\d{18,20}|420\d{5}(?:\d{4})?9[2-5]\d{18,20}|[A-Z]{2}\d{9}US)$")
_FEDEX = re.compile(r"^(?:\d{12}|\d{15}|96\d{18}|96\d{20}|DT\d{12})$")
_DHL = re.compile(r"^(?:\d{10}|JJD\d{9,}|JD\d{16,18}|GM\d{16,22}|[A-Z]{3}\d{7})$")


def guess_carrier(tracking: str) -> Carrier | None:
    """The carrier a number's shape points to (UPS ``1Z…``; USPS 20-22 digits from 92-95,
    IMpb with a ZIP routing prefix, ``XX#########US``; FedEx 12 / 15 digits, ``96…``; DHL
    10 digits, ``JD…``). A guess: the merchant's own record of the shipment wins."""
    number = normalise_tracking(tracking)
    for pattern, carrier in (
        (_UPS, Carrier.ups),
        (_USPS, Carrier.usps),
        (_FEDEX, Carrier.fedex),
        (_DHL, Carrier.dhl),
    ):
        if pattern.match(number):
            return carrier
    return None


class CarrierRouter:
    """``CarrierTracking`` that sends each tracking number to the adapter of its carrier.

    - ``adapters``: one per carrier (usps, ups, fedex; dhl usually the aggregator);
      ``fallback``: for a carrier with no adapter of its own (an aggregator tracks them
      all). Configure every carrier to the aggregator to use it for everything.
    - ``known``: the merchant's record of a shipment by tracking number (the order
      system's). It names the carrier (else the number's shape is used) and supplies what
      carriers do not know: the SKUs in the parcel, the desk's service code (replacements
      ship with it) and a voided label; the carrier's expected date wins over the
      merchant's.
    """

    def __init__(
        self,
        adapters: Mapping[Carrier, CarrierTracking],
        *,
        fallback: CarrierTracking | None = None,
        known: KnownShipments | None = None,
    ) -> None:
        self.adapters = dict(adapters)
        self.fallback = fallback
        self.known = known

    def trace(self, tracking: str, as_of: datetime) -> TraceResult:
        record = self._known(tracking)
        carrier, adapter = self._route(tracking, record)
        if _takes_hint(adapter) and carrier is not None:
            result = adapter.trace(tracking, as_of, carrier=carrier)  # type: ignore[call-arg]
        else:
            result = adapter.trace(tracking, as_of)
        return result.model_copy(update={"shipment": with_merchant_record(result.shipment, record)})

    def file_search(self, tracking: str, reason: str, filed_at: datetime, key: str) -> CarrierCase:
        """The carrier's search, or a claim through the aggregator; at most one per shipment
        as each adapter keeps it. ``SearchNeedsOperator`` when no API files it."""
        carrier, adapter = self._route(tracking, self._known(tracking))
        if _takes_hint(adapter) and carrier is not None:
            return adapter.file_search(  # type: ignore[call-arg]
                tracking, reason, filed_at, key, carrier=carrier
            )
        return adapter.file_search(tracking, reason, filed_at, key)

    def carrier_of(self, tracking: str) -> Carrier | None:
        record = self._known(tracking)
        return record.carrier if record is not None else guess_carrier(tracking)

    def _known(self, tracking: str) -> Shipment | None:
        if self.known is None:
            return None
        try:
            return self.known(tracking)
        except NotFound:
            return None

    def _route(
        self, tracking: str, record: Shipment | None
    ) -> tuple[Carrier | None, CarrierTracking]:
        carrier = record.carrier if record is not None else guess_carrier(tracking)
        adapter = self.adapters.get(carrier) if carrier is not None else None
        adapter = adapter or self.fallback
        if adapter is None:
            named = carrier.value if carrier else "an unknown carrier"
            raise NotFound(f"no carrier adapter for {named} (tracking {tracking})")
        return carrier, adapter

    # ------------------------------------------------------------ configuration

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        known: KnownShipments | None = None,
        details: DetailsLookup | None = None,
        **adapter_options: Any,
    ) -> CarrierRouter:
        """Adapters for every vendor whose credentials are set (``DESK_USPS_CLIENT_ID``,
        ``DESK_UPS_CLIENT_ID``, ``DESK_FEDEX_CLIENT_ID``, ``DESK_EASYPOST_API_KEY``,
        ``DESK_AFTERSHIP_API_KEY``). Each carrier goes to its own adapter when configured,
        else to the aggregator (EasyPost first). ``DESK_CARRIER_ROUTES`` overrides, e.g.
        ``dhl=easypost`` or ``*=aftership`` (everything through AfterShip)."""
        source = os.environ if env is None else env
        ship_from = ShipFromSettings.from_env(source)
        common: dict[str, Any] = {"ship_from": ship_from, "details": details, **adapter_options}
        vendors: dict[str, CarrierTracking] = {}
        aggregators = {k: v for k, v in common.items() if k != "clock"}  # no token clock
        if source.get("DESK_USPS_CLIENT_ID"):
            vendors["usps"] = UspsTracking(UspsSettings.from_env(source), **common)
        if source.get("DESK_UPS_CLIENT_ID"):
            vendors["ups"] = UpsTracking(UpsSettings.from_env(source), **common)
        if source.get("DESK_FEDEX_CLIENT_ID"):
            vendors["fedex"] = FedexTracking(FedexSettings.from_env(source), **common)
        if source.get("DESK_EASYPOST_API_KEY"):
            vendors["easypost"] = EasypostTracking(EasypostSettings.from_env(source), **aggregators)
        if source.get("DESK_AFTERSHIP_API_KEY"):
            vendors["aftership"] = AftershipTracking(
                AftershipSettings.from_env(source), **aggregators
            )
        aggregator = vendors.get("easypost") or vendors.get("aftership")
        adapters: dict[Carrier, CarrierTracking] = {
            c: vendors[c.value] for c in Carrier if c.value in vendors
        }
        fallback = aggregator
        for rule in filter(
            None, (r.strip() for r in source.get("DESK_CARRIER_ROUTES", "").split(","))
        ):
            name, _, vendor = (part.strip().lower() for part in rule.partition("="))
            if vendor not in vendors:
                raise ConfigError(
                    f"DESK_CARRIER_ROUTES: {rule!r}: {vendor or '(empty)'} is not configured "
                    f"(configured: {', '.join(sorted(vendors)) or 'none'})"
                )
            if name == "*":
                adapters = {}
                fallback = vendors[vendor]
            elif name in {c.value for c in Carrier}:
                adapters[Carrier(name)] = vendors[vendor]
            else:
                raise ConfigError(f"DESK_CARRIER_ROUTES: {rule!r}: unknown carrier {name!r}")
        if not adapters and fallback is None:
            raise ConfigError(
                "no carrier configured: set DESK_USPS_CLIENT_ID, DESK_UPS_CLIENT_ID, "
                "DESK_FEDEX_CLIENT_ID, DESK_EASYPOST_API_KEY or DESK_AFTERSHIP_API_KEY"
            )
        return cls(adapters, fallback=fallback, known=known)


def _takes_hint(adapter: CarrierTracking) -> bool:
    return isinstance(adapter, EasypostTracking | AftershipTracking)


__all__ = [
    "AftershipSettings",
    "AftershipTracking",
    "CarrierErrorResponse",
    "CarrierFormatError",
    "CarrierRouter",
    "EasypostSettings",
    "EasypostTracking",
    "FedexSettings",
    "FedexTracking",
    "MissingMailRequest",
    "ParcelDetails",
    "Party",
    "SearchNeedsOperator",
    "ShipFromSettings",
    "UpsSettings",
    "UpsTracking",
    "UspsSettings",
    "UspsTracking",
    "complete_request",
    "guess_carrier",
    "missing_fields",
]
