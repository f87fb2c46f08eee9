"""The CarrierRouter: each number to its carrier's adapter (the merchant's record first,
then the number's shape), an aggregator for the rest, the merchant's SKUs and service kept;
built from DESK_* settings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from desk.adapters.carriers import (
    AftershipTracking,
    CarrierRouter,
    EasypostTracking,
    FedexTracking,
    UpsTracking,
    UspsTracking,
    guess_carrier,
)
from desk.config import ConfigError
from desk.models import Carrier, CarrierCase, ScanEvent, ScanStatus, Shipment, TraceResult
from desk.ports import CarrierTracking, NotFound

AT = datetime(2026, 3, 1, tzinfo=UTC)


class Recorder:
    """A CarrierTracking that says which carrier answered, as a service name."""

    def __init__(self, name: str, hint: bool = False) -> None:
        self.name, self.hint, self.calls = name, hint, []  # type: ignore[var-annotated]

    def trace(self, tracking: str, as_of: datetime, **kw: object) -> TraceResult:
        self.calls.append(("trace", tracking, kw))
        carrier = kw.get("carrier", Carrier.usps)
        scan = ScanEvent(at=AT, status=ScanStatus.in_transit, description=self.name)
        shipment = Shipment(carrier=carrier, tracking=tracking, service=self.name, events=[scan])  # type: ignore[arg-type]
        return TraceResult(shipment=shipment)

    def file_search(
        self, tracking: str, reason: str, filed_at: datetime, key: str, **kw: object
    ) -> CarrierCase:
        self.calls.append(("search", tracking, kw))
        return CarrierCase(
            case_number=self.name,
            carrier=Carrier.usps,
            tracking=tracking,
            kind="trace",
            reason=reason,
            filed_at=filed_at,
        )


@pytest.mark.parametrize(
    ("number", "carrier"),
    [
        ("9400 1118 9922 3100 0123 45", Carrier.usps),
        ("9261290289104185136058", Carrier.usps),
        ("EA123456785US", Carrier.usps),
        ("1Z999AA10123456784", Carrier.ups),
        ("1z9123456789012", Carrier.ups),
        ("794600003010", Carrier.fedex),
        ("961234567890123456789", None),
        ("96123456789012345678", Carrier.fedex),
        ("1234567890", Carrier.dhl),
        ("JD014600006281230704", Carrier.dhl),
        ("hello", None),
    ],
)
def test_the_shape_of_a_number_points_to_its_carrier(number: str, carrier: Carrier | None) -> None:
    assert guess_carrier(number) == carrier


def test_numbers_go_to_their_carrier_and_the_rest_to_the_fallback() -> None:
    usps, ups, fallback = Recorder("usps"), Recorder("ups"), Recorder("aggregator")
    router = CarrierRouter({Carrier.usps: usps, Carrier.ups: ups}, fallback=fallback)
    assert router.trace("9400111899223100012345", AT).shipment.service == "usps"
    assert router.trace("1Z999AA10123456784", AT).shipment.service == "ups"
    assert router.trace("794600003010", AT).shipment.service == "aggregator"
    assert router.file_search("1Z999AA10123456784", "lost", AT, "k").case_number == "ups"


def test_without_an_adapter_for_the_carrier_the_number_is_not_found() -> None:
    router = CarrierRouter({Carrier.usps: Recorder("usps")})
    with pytest.raises(NotFound, match="fedex"):
        router.trace("794600003010", AT)


def test_the_merchants_record_names_the_carrier_and_keeps_skus_and_service() -> None:
    record = Shipment(
        carrier=Carrier.fedex,
        tracking="123",
        service="2day",
        skus=["HAT-2"],
        expected_delivery=AT,
    )
    fedex = Recorder("fedex")
    router = CarrierRouter({Carrier.fedex: fedex}, known=lambda t: record if t == "123" else None)
    shipment = router.trace("123", AT).shipment
    assert shipment.skus == ["HAT-2"] and shipment.service == "2day"
    assert shipment.expected_delivery == AT
    assert router.carrier_of("123") == Carrier.fedex


def test_an_aggregator_is_told_the_carrier() -> None:
    aggregator = EasypostTracking.__new__(EasypostTracking)  # only its type matters here
    calls: list[dict[str, object]] = []

    def trace(tracking: str, as_of: datetime, carrier: Carrier | None = None) -> TraceResult:
        calls.append({"carrier": carrier})
        return TraceResult(shipment=Shipment(carrier=carrier or Carrier.usps, tracking=tracking))

    aggregator.trace = trace  # type: ignore[method-assign]
    router = CarrierRouter({}, fallback=aggregator)
    router.trace("1Z999AA10123456784", AT)
    assert calls == [{"carrier": Carrier.ups}]


def test_the_router_is_a_carrier_tracking_port() -> None:
    router: CarrierTracking = CarrierRouter({})
    assert callable(router.trace) and callable(router.file_search)


ENV = {
    "DESK_USPS_CLIENT_ID": "usps-id",
    "DESK_USPS_CLIENT_SECRET": "usps-secret",
    "DESK_UPS_CLIENT_ID": "ups-id",
    "DESK_UPS_CLIENT_SECRET": "ups-secret",
    "DESK_FEDEX_CLIENT_ID": "fedex-id",
    "DESK_FEDEX_CLIENT_SECRET": "fedex-secret",
    "DESK_EASYPOST_API_KEY": "ep-key",
}


def test_from_env_routes_each_carrier_to_its_own_adapter_and_dhl_to_the_aggregator() -> None:
    router = CarrierRouter.from_env(ENV)
    assert isinstance(router.adapters[Carrier.usps], UspsTracking)
    assert isinstance(router.adapters[Carrier.ups], UpsTracking)
    assert isinstance(router.adapters[Carrier.fedex], FedexTracking)
    assert Carrier.dhl not in router.adapters and isinstance(router.fallback, EasypostTracking)


def test_everything_through_one_aggregator() -> None:
    env = ENV | {"DESK_AFTERSHIP_API_KEY": "as-key", "DESK_CARRIER_ROUTES": "*=aftership"}
    router = CarrierRouter.from_env(env)
    assert router.adapters == {} and isinstance(router.fallback, AftershipTracking)
    only_dhl = CarrierRouter.from_env(ENV | {"DESK_CARRIER_ROUTES": "dhl=easypost, usps=easypost"})
    assert isinstance(only_dhl.adapters[Carrier.usps], EasypostTracking)


def test_bad_routes_and_no_carrier_at_all_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="aftership is not configured"):
        CarrierRouter.from_env(ENV | {"DESK_CARRIER_ROUTES": "dhl=aftership"})
    with pytest.raises(ConfigError, match="unknown carrier 'ontrac'"):
        CarrierRouter.from_env(ENV | {"DESK_CARRIER_ROUTES": "ontrac=easypost"})
    with pytest.raises(ConfigError, match="no carrier configured"):
        CarrierRouter.from_env({})
    with pytest.raises(ConfigError, match="DESK_UPS_CLIENT_SECRET"):
        CarrierRouter.from_env({"DESK_UPS_CLIENT_ID": "x"})


def test_a_number_no_carrier_knows_is_the_ports_own_not_found() -> None:
    """Temporal reports an error under its exact type name; only the ports' names are final
    for the activities' retry policy (FINAL_ERRORS), so adapters raise NotFound itself."""
    import httpx
    import respx
    from pydantic import SecretStr

    from desk.adapters.carriers import UpsSettings
    from desk.ports import FINAL_ERRORS
    from tests.adapters.carrier_kit import payload

    base = "https://ups.test"
    ups = UpsTracking(UpsSettings(client_id="i", client_secret=SecretStr("s"), base_url=base))
    with respx.mock:
        respx.post(f"{base}/security/v1/oauth/token").mock(
            return_value=httpx.Response(200, json=payload("ups_token.json"))
        )
        respx.get(f"{base}/api/track/v1/details/1Z0").mock(
            return_value=httpx.Response(200, json=payload("ups_not_found.json"))
        )
        with pytest.raises(NotFound) as err:
            ups.trace("1Z0", AT)
    assert type(err.value).__name__ in FINAL_ERRORS
