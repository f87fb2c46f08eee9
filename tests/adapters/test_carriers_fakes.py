"""The real adapters against the fake vendor APIs on 127.0.0.1 over a sandbox shop loaded
from every scenario: each shipment reads the same through each carrier's API as the
sandbox's own trace does, except for what that vendor's documented shape cannot carry
(``CARRIES``: a photo only through UPS, GPS only through AfterShip), which is asserted too.
EasyPost claims go through the sandbox's file_search and come back found."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from pydantic import SecretStr

from activities.carrier_search import CarrierSearchActivities
from desk.adapters.carriers import (
    AftershipSettings,
    AftershipTracking,
    CarrierRouter,
    EasypostSettings,
    EasypostTracking,
    FedexSettings,
    FedexTracking,
    ShipFromSettings,
    UpsSettings,
    UpsTracking,
    UspsSettings,
    UspsTracking,
)
from desk.adapters.sandbox import FOUND_BY_SEARCH, SandboxShop
from desk.models import Carrier, CarrierReading, Order, ScanStatus, Shipment
from desk.policy.carrier_record import read_carrier_record
from desk.policy.shipped import shipped_skus
from desk.ports import NotFound
from devtools.scenarios.format import load_scenario, scenario_files
from devtools.scenarios.loader import load_scenario_into
from devtools.vendor_fakes import create_app
from devtools.vendor_fakes.carriers import CARRIES, CarrierFakeState, router
from devtools.vendor_fakes.loopback import serve_on_loopback
from tests.adapters.carrier_kit import CFG

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = scenario_files([str(ROOT / "scenarios"), str(ROOT.parent / "shared" / "scenarios")])
T0 = datetime(2026, 3, 10, 15, 4, 5, tzinfo=UTC)  # whole seconds, never midnight
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
COMPARED = ("status", "proof", "late", "stalled", "exception", "delivered_at", "expected_delivery")


class CurrentShop:
    """The fakes serve whichever scenario's shop the test loaded last."""

    shop: SandboxShop

    def __getattr__(self, name: str) -> Any:
        return getattr(self.shop, name)


class Now:
    def __init__(self) -> None:
        self.at = T0
        self.lock = threading.Lock()

    def __call__(self) -> datetime:
        return self.at


@dataclass
class Fakes:
    base: str
    current: CurrentShop
    now: Now
    state: CarrierFakeState
    made: dict[str, Any] | None = None

    def load(self, path: Path) -> SandboxShop:
        shop = SandboxShop("sqlite://")
        shop.create_all()
        load_scenario_into(shop, load_scenario(path), T0)
        self.current.shop = shop
        return shop

    def adapters(self) -> dict[str, Any]:
        """One set of adapters for the module (HTTP clients are slow to make)."""
        if self.made is None:
            self.made = self._make_adapters()
        return self.made

    def _make_adapters(self) -> dict[str, Any]:
        secret = SecretStr("s3cr3t")
        return {
            "usps": UspsTracking(
                UspsSettings(
                    client_id="id",
                    client_secret=secret,
                    base_url=f"{self.base}/usps",
                    quota_per_hour=10**6,
                ),
                ship_from=ShipFromSettings(
                    name="Shop", line1="1 Depot Rd", city="Chicago", postal_code="60601"
                ),
            ),
            "ups": UpsTracking(
                UpsSettings(
                    client_id="id",
                    client_secret=secret,
                    base_url=f"{self.base}/ups",
                    rate_per_second=1e4,
                )
            ),
            "fedex": FedexTracking(
                FedexSettings(
                    client_id="id",
                    client_secret=secret,
                    base_url=f"{self.base}/fedex",
                    rate_per_second=1e4,
                )
            ),
            "easypost": EasypostTracking(
                EasypostSettings(
                    api_key=secret,
                    base_url=f"{self.base}/easypost/v2",
                    claim_email="claims@shop.example",
                    rate_per_second=1e4,
                )
            ),
            "aftership": AftershipTracking(
                AftershipSettings(
                    api_key=secret,
                    base_url=f"{self.base}/aftership/tracking/2025-01",
                    rate_per_second=1e4,
                )
            ),
        }


@pytest.fixture(scope="module")
def fakes() -> Iterator[Fakes]:
    current, now, state = CurrentShop(), Now(), CarrierFakeState()
    app = create_app(
        cast(SandboxShop, current), now, [lambda shop, clock: router(shop, clock, state)]
    )
    with serve_on_loopback(app) as base:
        yield Fakes(base, current, now, state)


def known(shop: SandboxShop) -> Any:
    """The merchant's record of a shipment (carrier, SKUs, service), without scans."""

    def lookup(tracking: str) -> Shipment | None:
        try:
            return shop.trace(tracking, EPOCH).shipment
        except NotFound:
            return None

    return lookup


def projected(shipment: Shipment, vendor: str) -> Shipment:
    """The sandbox's shipment as far as the vendor's documented shape can say it."""
    carries = CARRIES[vendor]
    events = [
        e.model_copy(
            update={
                "photo": e.photo and "photo" in carries,
                "lat": e.lat if "gps" in carries else None,
                "lon": e.lon if "gps" in carries else None,
            }
        )
        for e in shipment.events
    ]
    return shipment.model_copy(update={"events": events})


def compare(want: CarrierReading, got: CarrierReading) -> dict[str, tuple[Any, Any]]:
    return {
        k: (getattr(want, k), getattr(got, k))
        for k in COMPARED
        if getattr(want, k) != getattr(got, k)
    }


def vendors_for(carrier: Carrier) -> list[str]:
    own = [carrier.value] if carrier != Carrier.dhl else []
    return [*own, "easypost", "aftership"]


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_shipment_reads_the_same_through_each_carriers_api(fakes: Fakes, path: Path) -> None:
    shop = fakes.load(path)
    adapters = fakes.adapters()
    orders: list[Order] = [shop.get_order(o.number) for o in load_scenario(path).orders]
    checked = lost = 0
    later = any(
        e.at > T0
        for o in orders
        for s in o.shipments
        for e in shop.trace(s.tracking, T0 + timedelta(days=30)).shipment.events
    )
    moments = (T0, T0 + timedelta(days=4)) if later else (T0,)  # scans still to come
    for moment in moments:
        fakes.now.at = moment
        for order in orders:
            for record in order.shipments:
                mine = shop.trace(record.tracking, moment).shipment
                for vendor in vendors_for(record.carrier):
                    route = CarrierRouter(
                        {record.carrier: adapters[vendor]}
                        if vendor == record.carrier.value
                        else {},
                        fallback=adapters[vendor],
                        known=known(shop),
                    )
                    theirs = route.trace(record.tracking, moment).shipment
                    got = read_carrier_record(theirs, order.address, moment, CFG)
                    want = read_carrier_record(projected(mine, vendor), order.address, moment, CFG)
                    assert compare(want, got) == {}, (vendor, record.tracking, moment)
                    assert theirs.skus == mine.skus and theirs.service == mine.service
                    sandbox = read_carrier_record(mine, order.address, moment, CFG)
                    if compare(sandbox, got):
                        # Only what the vendor cannot carry may differ: a photo or GPS.
                        last = sandbox.last_scan
                        assert last is not None and (last.photo or last.lat is not None), vendor
                        lost += 1
                    checked += 1
    assert checked or not any(o.shipments for o in orders)


def test_what_each_vendor_cannot_carry_is_what_the_docs_say(fakes: Fakes) -> None:
    # dnr-misdelivered: FedEx with GPS 3 km away. Only AfterShip carries the GPS.
    shop = fakes.load(ROOT / "scenarios" / "dnr-misdelivered.yaml")
    adapters = fakes.adapters()
    order = shop.get_order("90301")
    tracking = order.shipments[0].tracking
    fakes.now.at = T0
    proof = {}
    for vendor in ("fedex", "easypost", "aftership"):
        route = CarrierRouter({}, fallback=adapters[vendor], known=known(shop))
        shipment = route.trace(tracking, T0).shipment
        proof[vendor] = read_carrier_record(shipment, order.address, T0, CFG).proof
    assert proof == {"fedex": "weak", "easypost": "weak", "aftership": "misdelivered"}


def test_an_easypost_claim_goes_through_the_sandboxs_search_and_comes_back_found(
    fakes: Fakes,
) -> None:
    shop = fakes.load(ROOT / "scenarios" / "dnr-carrier-found.yaml")  # USPS, found after 20h
    easypost = fakes.adapters()["easypost"]
    route = CarrierRouter({}, fallback=easypost, known=known(shop))
    tracking = shop.get_order("90101").shipments[0].tracking
    fakes.now.at = T0
    case = route.file_search(tracking, "delivered, not received", T0, "contact-order-90101:search")
    assert case.case_number.startswith("clm_") and case.status == "open" and case.kind == "claim"
    [sandbox_case] = shop.carrier_cases(T0)
    assert sandbox_case.reason.startswith("delivered, not received")
    again = route.file_search(tracking, "misdelivery", T0, "another-key")
    assert again.case_number == case.case_number and len(shop.carrier_cases(T0)) == 1
    assert again.reason == "delivered, not received"

    fakes.now.at = T0 + timedelta(hours=1)
    traced = route.trace(tracking, fakes.now.at)
    assert traced.case is not None and traced.case.status == "open"

    fakes.now.at = T0 + timedelta(hours=21)
    traced = route.trace(tracking, fakes.now.at)
    assert traced.case is not None and traced.case.status == "found"
    last = traced.shipment.events[-1]
    assert last.status == ScanStatus.delivered and FOUND_BY_SEARCH in last.description
    address = shop.get_order("90101").address
    assert read_carrier_record(traced.shipment, address, fakes.now.at, CFG).proof == "strong"


def test_a_usps_search_becomes_a_task_with_what_the_carrier_and_settings_know(
    fakes: Fakes,
) -> None:
    shop = fakes.load(ROOT / "scenarios" / "dnr-carrier-found.yaml")
    usps = fakes.adapters()["usps"]
    route = CarrierRouter({Carrier.usps: usps}, known=known(shop))
    order = shop.get_order("90101")
    tracking = order.shipments[0].tracking
    fakes.now.at = T0
    search = CarrierSearchActivities(route, shop)
    case = search.file_carrier_search(
        tracking, "delivered, not received", T0, "contact-order-90101:search"
    )
    assert case.case_number == "TASK-1" and shop.carrier_cases(T0) == []
    [task] = shop.open_tasks()
    accepted = next(
        e for e in shop.trace(tracking, T0).shipment.events if e.status == ScanStatus.accepted
    )
    assert task.request.mailing_date == accepted.at
    assert task.request.sender_address == "1 Depot Rd, Chicago, 60601, US"


def test_revoked_tokens_are_fetched_again(fakes: Fakes) -> None:
    shop = fakes.load(ROOT / "scenarios" / "dnr-misdelivered.yaml")
    adapters = fakes.adapters()
    tracking = shop.get_order("90301").shipments[0].tracking
    fakes.now.at = T0
    fedex = adapters["fedex"]
    assert fedex.trace(tracking, T0).shipment.events
    fakes.state.revoke_tokens()
    assert fedex.trace(tracking, T0).shipment.events  # a 401, a new token, the answer


def test_numbers_the_carrier_does_not_know(fakes: Fakes) -> None:
    fakes.load(ROOT / "scenarios" / "dnr-misdelivered.yaml")
    adapters = fakes.adapters()
    fakes.now.at = T0
    assert adapters["usps"].trace("9400100000000000000000", T0).shipment.events == []  # 150001
    with pytest.raises(NotFound, match="TW0001"):
        adapters["ups"].trace("1Z0000000000000000", T0)
    with pytest.raises(NotFound, match="NOTFOUND"):
        adapters["fedex"].trace("999999999999", T0)
    assert adapters["easypost"].trace("9400100000000000000001", T0).shipment.events == []
    assert adapters["aftership"].trace("9400100000000000000002", T0).shipment.events == []


def test_the_router_keeps_which_lines_each_parcel_carries(fakes: Fakes) -> None:
    shop = fakes.load(ROOT / "scenarios" / "p3-cancel-partially-shipped.yaml")
    adapters = fakes.adapters()
    route = CarrierRouter(
        {Carrier(c): adapters[c] for c in ("usps", "ups", "fedex")},
        fallback=adapters["easypost"],
        known=known(shop),
    )
    [scenario_order] = load_scenario(ROOT / "scenarios" / "p3-cancel-partially-shipped.yaml").orders
    order = shop.get_order(scenario_order.number)
    fakes.now.at = T0
    traced = [route.trace(s.tracking, T0).shipment for s in order.shipments]
    sandbox = [shop.trace(s.tracking, T0).shipment for s in order.shipments]
    assert shipped_skus(order, traced) == shipped_skus(order, sandbox)
    assert shipped_skus(order, traced) != {ln.sku for ln in order.lines}
