"""The sandbox shop: ports, idempotency, scenario loading and the demo shop.

Every test that takes ``shop`` runs on a SQLite file and on PostgreSQL.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from desk.adapters.sandbox import FOUND_BY_SEARCH, SandboxShop, case_number_for
from desk.adapters.sandbox.tables import (
    Base,
    CarrierCaseRow,
    ClaimRow,
    OrderChangeRow,
    OutboxRow,
    RefundRow,
    ShipmentRow,
)
from desk.config import PolicyConfig
from desk.models import (
    Address,
    Carrier,
    Channel,
    ClaimKind,
    ExecutionResult,
    LineRef,
    OrderStatus,
    Reply,
    ScanStatus,
)
from desk.policy.carrier_record import read_carrier_record
from desk.ports import Conflict, NotFound
from devtools.demo_shop import ORDER_STATES, demo_contacts, seed_demo_shop
from devtools.scenarios.format import Scenario, load_scenario
from devtools.scenarios.loader import ScenarioLoadError, load_scenario_into

SCENARIOS = Path(__file__).resolve().parents[2] / "shared" / "scenarios"
EXAMPLES = sorted(SCENARIOS.glob("*.yaml"))
T0 = datetime(2025, 6, 2, 15, 0, tzinfo=UTC)
T = TypeVar("T")


@pytest.fixture
def shop(shop_sandbox: SandboxShop) -> SandboxShop:
    return shop_sandbox


def load(shop: SandboxShop, name: str) -> Scenario:
    scenario = load_scenario(SCENARIOS / f"{name}.yaml")
    load_scenario_into(shop, scenario, T0)
    return scenario


def story(
    name: str, orders: list[dict[str, Any]], inventory: dict[str, int] | None = None
) -> Scenario:
    """A scenario written inline, with one customer (C-9001, kim@example.com)."""
    return Scenario.model_validate(
        {
            "name": name,
            "customers": [
                {"id": "C-9001", "name": "Kim Vo", "tier": "standard", "email": "kim@example.com"}
            ],
            "orders": orders,
            "inventory": inventory or {},
            "messages": [{"at": 0, "channel": "email", "from": "kim@example.com", "text": "hi"}],
        }
    )


def order(
    number: str, shipments: list[dict[str, Any]] | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "number": number,
        "customer": "C-9001",
        "placed": "-3d",
        "status": "fulfilled" if shipments else "unfulfilled",
        "shipping_cost": 5.0,
        "address": {
            "line1": "4 Ash Ct",
            "city": "Tulsa",
            "region": "OK",
            "postal_code": "74103",
            "country": "US",
            "lat": 36.154,
            "lon": -95.993,
        },
        "lines": [
            {"sku": "LAMP", "name": "Lamp", "qty": 1, "unit_price": 40.0},
            {"sku": "BULB", "name": "Bulb", "qty": 2, "unit_price": 5.0},
        ],
        "shipments": shipments or [],
        **extra,
    }


def usps(tracking: str, events: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "carrier": "usps",
        "tracking": tracking,
        "expected_delivery": "-1d",
        "events": events,
        **extra,
    }


ACCEPTED = {"at": "-2d", "status": "accepted", "description": "USPS in possession of item"}
MAILBOX = {"at": "-1d", "status": "delivered", "description": "Delivered, In/At Mailbox"}
LABEL = {"at": "-2d", "status": "label_created", "description": "Shipping Label Created"}


def at_once(count: int, call: Callable[[], T]) -> list[T]:
    """Run ``call`` from ``count`` threads released together."""
    barrier = threading.Barrier(count)
    results: list[T] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run() -> None:
        barrier.wait()
        try:
            result = call()
        except BaseException as err:  # noqa: BLE001 - reported to the test below
            with lock:
                errors.append(err)
            return
        with lock:
            results.append(result)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


# ---------------------------------------------------------------- loading scenarios


def test_example_scenarios_exist() -> None:
    assert len(EXAMPLES) >= 5, f"no example scenarios under {SCENARIOS}"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_scenario_loads(shop: SandboxShop, path: Path) -> None:
    scenario = load_scenario(path)
    load_scenario_into(shop, scenario, T0)

    for customer in scenario.customers:
        for sender in filter(None, [customer.email, customer.phone, customer.chat]):
            found = shop.find_customer(sender)
            assert found is not None and found.id == customer.id, sender
    for planned in scenario.orders:
        stored = shop.get_order(planned.number)
        assert stored.customer_id == planned.customer
        assert stored.placed_at == T0 + planned.placed
        assert stored.status == planned.status
        assert [ln.sku for ln in stored.lines] == [ln.sku for ln in planned.lines]
        assert stored.shipping_cost == pytest.approx(planned.shipping_cost)
        for ship, want in zip(stored.shipments, planned.shipments, strict=True):
            assert ship.skus == (want.skus or [ln.sku for ln in planned.lines])
            assert ship.events == []
            traced = shop.trace(want.tracking, T0 + timedelta(days=30)).shipment
            assert [e.at for e in traced.events] == [T0 + e.at for e in want.events]
    assert shop.stock(list(scenario.inventory)) == scenario.inventory


def test_prior_claims_are_loaded_newest_last(shop: SandboxShop) -> None:
    load(shop, "dnr-repeat-claims")
    sam = shop.find_customer("sam@example.com")
    assert sam is not None
    assert [c.at for c in sam.claims] == [T0 - timedelta(days=120), T0 - timedelta(days=30)]
    assert {c.kind for c in sam.claims} == {ClaimKind.delivered_not_received}


def test_a_duplicate_tracking_number_in_the_file_loads_nothing(shop: SandboxShop) -> None:
    twice = story(
        "twice",
        [
            order("1", [usps("9400100000000000000001", [ACCEPTED])]),
            order("2", [usps("9400100000000000000001", [ACCEPTED])]),
        ],
    )
    with pytest.raises(ScenarioLoadError, match=r"orders\[1\]\.shipments\[0\]\.tracking"):
        load_scenario_into(shop, twice, T0)
    assert sum(shop.table_counts().values()) == 0


def test_a_clash_with_stored_data_rolls_the_whole_load_back(shop: SandboxShop) -> None:
    load(shop, "wismo-in-transit")
    before = shop.table_counts()
    clash = story(
        "clash",
        [
            order("1", [usps("9400100000000000000002", [ACCEPTED])]),
            order("2", [usps("1Z999AA10123456784", [ACCEPTED])]),
        ],
        inventory={"LAMP": 3},
    )
    with pytest.raises(ScenarioLoadError, match="nothing was loaded"):
        load_scenario_into(shop, clash, T0)
    assert shop.table_counts() == before
    assert shop.find_customer("kim@example.com") is None
    assert shop.stock(["LAMP"]) == {"LAMP": 0}


# ---------------------------------------------------------------- customers and orders


def test_identity_lookup_across_kinds_and_spellings(shop: SandboxShop) -> None:
    load(shop, "dnr-weak-proof-standard")
    load(shop, "wismo-in-transit")
    for sender in ["dana@example.com", "  Dana@Example.COM ", "dana-r", "@Dana-R"]:
        found = shop.find_customer(sender)
        assert found is not None and found.id == "C-1001", sender
    for sender in ["+15551230002", "(555) 123-0002", "+1 555.123.0002", "15551230002"]:
        found = shop.find_customer(sender)
        assert found is not None and found.id == "C-2001", sender
    for stranger in ["nobody@example.com", "+15550000000", "someone", "", "   "]:
        assert shop.find_customer(stranger) is None, stranger

    dana = shop.find_customer_by_id("C-1001")
    assert dana is not None
    assert {(i.kind, i.value) for i in dana.identities} == {
        ("email", "dana@example.com"),
        ("chat", "dana-r"),
    }
    assert shop.find_customer_by_id("C-0000") is None


def test_get_order_accepts_a_hash_and_names_a_missing_order(shop: SandboxShop) -> None:
    load(shop, "wismo-in-transit")
    assert shop.get_order("#52011").number == "52011"
    assert shop.get_order(" 52011 ").number == "52011"
    with pytest.raises(NotFound, match=r"^no order 99999$"):
        shop.get_order("#99999")


def test_latest_order_and_stock(shop: SandboxShop) -> None:
    load(shop, "dnr-weak-proof-standard")
    latest = shop.latest_order("C-1001")
    assert latest is not None and latest.number == "41880"
    assert shop.latest_order("C-0000") is None
    assert shop.stock(["TEE-BLK-M", "NO-SUCH-SKU"]) == {"TEE-BLK-M": 12, "NO-SUCH-SKU": 0}


def test_record_claim_once_per_key(shop: SandboxShop) -> None:
    load(shop, "dnr-repeat-claims")
    first = shop.record_claim("C-4001", ClaimKind.wrong_item, T0, "contact-1:claim")
    again = shop.record_claim(
        "C-4001", ClaimKind.wrong_item, T0 + timedelta(hours=1), "contact-1:claim"
    )
    assert again == first
    sam = shop.find_customer_by_id("C-4001")
    assert sam is not None
    assert [c.kind for c in sam.claims][-1] == ClaimKind.wrong_item
    assert len(sam.claims) == 3
    with pytest.raises(NotFound):
        shop.record_claim("C-0000", ClaimKind.wrong_item, T0, "contact-2:claim")


# ---------------------------------------------------------------- carrier tracking


def test_trace_shows_only_what_happened_by_as_of(shop: SandboxShop) -> None:
    load(shop, "wismo-in-transit")
    tracking = "1Z999AA10123456784"

    def statuses(as_of: datetime) -> list[ScanStatus]:
        return [e.status for e in shop.trace(tracking, as_of).shipment.events]

    assert statuses(T0) == [ScanStatus.accepted, ScanStatus.in_transit]
    assert statuses(T0 + timedelta(days=1)) == [
        ScanStatus.accepted,
        ScanStatus.in_transit,
        ScanStatus.in_transit,
    ]
    assert statuses(T0 + timedelta(days=2))[-1] == ScanStatus.delivered
    result = shop.trace(tracking.lower(), T0 + timedelta(days=2))
    assert result.case is None
    assert all(
        e.at.tzinfo is not None and e.at.utcoffset() == timedelta(0) for e in result.shipment.events
    )
    assert result.shipment.expected_delivery == T0 + timedelta(days=2)
    with pytest.raises(NotFound, match="no shipment with tracking 1Z000"):
        shop.trace("1Z000", T0)


def test_search_not_found_reports_after_its_delay(shop: SandboxShop) -> None:
    load(shop, "dnr-weak-proof-standard")
    tracking = "9400111899223100012345"
    case = shop.file_search(tracking, "weak proof", T0, "contact-1:search")
    assert re.fullmatch(r"MMS-\d{10}", case.case_number)
    assert case.kind == "missing_mail_search"
    assert case.carrier == Carrier.usps
    assert case.status == "open"

    early = shop.trace(tracking, T0 + timedelta(hours=29))
    assert early.case is not None and early.case.status == "open"
    late = shop.trace(tracking, T0 + timedelta(hours=30))
    assert late.case is not None and late.case.status == "not_found"
    assert late.case.case_number == case.case_number
    assert all(e.description != FOUND_BY_SEARCH for e in late.shipment.events)


def test_search_found_shows_a_delivery_with_a_photo(shop: SandboxShop) -> None:
    ship = usps(
        "9400100000000000000010", [ACCEPTED, MAILBOX], search={"result": "found", "after": "20h"}
    )
    load_scenario_into(shop, story("found", [order("10", [ship])]), T0)
    filed = T0 + timedelta(hours=1)
    shop.file_search("9400100000000000000010", "weak proof", filed, "k")

    before = shop.trace("9400100000000000000010", filed + timedelta(hours=19))
    assert before.case is not None and before.case.status == "open"
    assert before.shipment.events[-1].description == "Delivered, In/At Mailbox"

    after = shop.trace("9400100000000000000010", filed + timedelta(hours=20))
    assert after.case is not None and after.case.status == "found"
    found = after.shipment.events[-1]
    assert found.status == ScanStatus.delivered and found.photo
    assert found.description == FOUND_BY_SEARCH
    assert found.at == filed + timedelta(hours=20)


def test_a_search_without_an_outcome_stays_open(shop: SandboxShop) -> None:
    load(shop, "wismo-in-transit")
    load(shop, "lost-over-limit-approved")
    ups = shop.file_search("1Z999AA10123456784", "late", T0, "a")
    fedex = shop.file_search("794600000000", "lost", T0, "b")
    assert re.fullmatch(r"UPS-TRACE-\d{10}", ups.case_number) and ups.kind == "trace"
    assert re.fullmatch(r"FEDEX-TRACE-\d{10}", fedex.case_number)
    later = shop.trace("794600000000", T0 + timedelta(days=60))
    assert later.case is not None and later.case.status == "open"


def test_one_carrier_search_per_shipment_whatever_the_key(shop: SandboxShop) -> None:
    load(shop, "dnr-weak-proof-standard")
    tracking = "9400111899223100012345"
    first = shop.file_search(tracking, "weak proof", T0, "contact-1:search")
    assert first.case_number == case_number_for(Carrier.usps, tracking, "contact-1:search")
    assert shop.file_search(tracking, "again", T0 + timedelta(hours=2), "contact-1:search") == (
        first.model_copy()
    )
    other = shop.file_search(tracking, "another contact", T0 + timedelta(hours=3), "contact-2")
    assert other.case_number == first.case_number and other.reason == "weak proof"
    racing = at_once(6, lambda: shop.file_search(tracking, "race", T0, "contact-3"))
    assert {c.case_number for c in racing} == {first.case_number}
    assert shop.table_counts()["carrier_cases"] == 1
    assert [c.case_number for c in shop.carrier_cases(T0)] == [first.case_number]
    with pytest.raises(NotFound):
        shop.file_search("9400000000000000000000", "x", T0, "k")


def test_racing_searches_under_different_keys_file_one_case(shop: SandboxShop) -> None:
    load(shop, "dnr-weak-proof-standard")
    keys = iter(f"contact-{i}" for i in range(8))
    lock = threading.Lock()

    def file() -> str:
        with lock:
            key = next(keys)
        return shop.file_search("9400111899223100012345", "race", T0, key).case_number

    assert len(set(at_once(8, file))) == 1
    assert shop.table_counts()["carrier_cases"] == 1


# ---------------------------------------------------------------- money, goods, replies


TEES = [LineRef(sku="TEE-BLK-M", name="Black tee, M", qty=2, unit_price=32.0)]


def test_refund_once_per_key(shop: SandboxShop) -> None:
    load(shop, "dnr-weak-proof-standard")
    first = shop.refund("41880", 70.5, TEES, "lost", "contact-1:1:refund")
    assert first.refund_id and first.refunded == 70.5
    again = shop.refund("#41880", 99.0, TEES, "retry", "contact-1:1:refund")
    assert again == first
    assert shop.table_counts()["refunds"] == 1
    assert shop.refund_total() == 70.5
    assert shop.refund_total(["41880"]) == 70.5 and shop.refund_total(["1"]) == 0.0

    second = shop.refund("41880", 6.5, [], "shipping", "contact-1:2:refund")
    assert second.refund_id != first.refund_id
    assert shop.refund_total(["41880"]) == 77.0
    [record, _] = shop.refunds()
    assert record.lines == TEES and record.reason == "lost" and record.created_at.tzinfo
    with pytest.raises(NotFound, match="no order 404"):
        shop.refund("404", 1.0, [], "x", "contact-9:refund")


def test_racing_refunds_with_one_key_make_one_refund(shop: SandboxShop) -> None:
    load(shop, "dnr-weak-proof-standard")
    for attempt in range(3):

        def refund(key: str = f"race-{attempt}") -> ExecutionResult:
            return shop.refund("41880", 10.0, TEES, "race", key)

        results = at_once(8, refund)
        assert len({r.refund_id for r in results}) == 1
        assert all(r == results[0] for r in results)
    assert shop.table_counts()["refunds"] == 3
    assert shop.refund_total() == 30.0


def test_replacement_once_per_key_and_it_takes_stock(shop: SandboxShop) -> None:
    load(shop, "dnr-weak-proof-standard")
    first = shop.create_replacement("41880", TEES, "ground_advantage", "leave at door", "c1:r")
    assert first == ExecutionResult(replacement_order="R-41880-1")
    assert shop.create_replacement("41880", TEES, "express", None, "c1:r") == first
    assert shop.stock(["TEE-BLK-M"]) == {"TEE-BLK-M": 10}

    second = shop.create_replacement("41880", TEES, "express", None, "c2:r")
    assert second.replacement_order == "R-41880-2"
    assert shop.stock(["TEE-BLK-M"]) == {"TEE-BLK-M": 8}
    assert shop.replacement_count() == 2 and shop.replacement_count(["41880"]) == 2
    assert shop.replacement_count(["52011"]) == 0
    assert shop.get_order("41880").prior_reships == 2

    [record, _] = shop.replacements()
    assert record.address == shop.get_order("41880").address
    assert record.note == "leave at door" and record.lines == TEES


def test_racing_replacements_make_one_order_and_take_stock_once(shop: SandboxShop) -> None:
    load(shop, "dnr-weak-proof-standard")
    results = at_once(6, lambda: shop.create_replacement("41880", TEES, "ground", None, "k"))
    assert {r.replacement_order for r in results} == {"R-41880-1"}
    assert shop.stock(["TEE-BLK-M"]) == {"TEE-BLK-M": 10}


def test_racing_replacements_under_different_keys_get_their_own_numbers(
    shop: SandboxShop,
) -> None:
    load(shop, "dnr-weak-proof-standard")
    keys = iter(f"k{i}" for i in range(4))
    lock = threading.Lock()
    one = [LineRef(sku="TEE-BLK-M", name="Black tee, M", qty=1, unit_price=32.0)]

    def replace() -> str:
        with lock:
            key = next(keys)
        return str(shop.create_replacement("41880", one, "ground", None, key).replacement_order)

    assert sorted(at_once(4, replace)) == [f"R-41880-{n}" for n in range(1, 5)]
    assert shop.stock(["TEE-BLK-M"]) == {"TEE-BLK-M": 8}


def test_send_reply_once_per_key(shop: SandboxShop) -> None:
    reply = Reply(channel=Channel.sms, to="+15551230002", body="On its way!")
    first = shop.send_reply("contact-1", reply, "contact-1:reply:1")
    assert shop.send_reply("contact-1", reply, "contact-1:reply:1") == first
    shop.send_reply("contact-2", reply.model_copy(update={"body": "Hi"}), "contact-2:reply:1")
    mine = shop.outbox("contact-1")
    assert [m.outbox_id for m in mine] == [first]
    assert mine[0].channel == Channel.sms and mine[0].to == "+15551230002"
    assert len(shop.outbox()) == 2


# ---------------------------------------------------------------- order changes


def test_cancelling_a_shipped_order_is_a_conflict(shop: SandboxShop) -> None:
    load(shop, "dnr-weak-proof-standard")
    with pytest.raises(Conflict, match=r"^order 41880 line TEE-BLK-M has shipped$"):
        shop.cancel_lines("41880", ["TEE-BLK-M"], "c1:cancel")
    with pytest.raises(Conflict, match="has shipped"):
        shop.cancel_lines("41880", [], "c1:cancel")
    assert shop.get_order("41880").status == OrderStatus.fulfilled
    assert shop.table_counts()["order_changes"] == 0


def test_cancelling_an_unshipped_order_once(shop: SandboxShop) -> None:
    load(shop, "cancel-unshipped")
    cancelled = shop.cancel_lines("60102", [], "c1:cancel")
    assert cancelled.status == OrderStatus.cancelled
    assert all(line.cancelled for line in cancelled.lines)
    assert shop.cancel_lines("#60102", [], "c1:cancel") == cancelled
    assert shop.table_counts()["order_changes"] == 1
    with pytest.raises(NotFound):
        shop.cancel_lines("60103", [], "c2:cancel")


def test_cancelling_voids_a_label_the_carrier_never_scanned(shop: SandboxShop) -> None:
    labelled = order("20", [usps("9400100000000000000020", [LABEL])])
    load_scenario_into(shop, story("label", [labelled]), T0)
    result = shop.cancel_lines("20", [], "k")
    assert result.status == OrderStatus.cancelled
    assert result.shipments[0].label_voided


def test_cancelling_the_unshipped_part_of_a_split_order(shop: SandboxShop) -> None:
    split = order(
        "30",
        [usps("9400100000000000000030", [ACCEPTED], skus=["LAMP"])],
        status="partially_fulfilled",
    )
    load_scenario_into(shop, story("split", [split]), T0)
    with pytest.raises(Conflict, match="order 30 line LAMP has shipped"):
        shop.cancel_lines("30", ["LAMP", "BULB"], "k1")
    result = shop.cancel_lines("30", [], "k2")
    assert {ln.sku: ln.cancelled for ln in result.lines} == {"LAMP": False, "BULB": True}
    assert result.status == OrderStatus.fulfilled
    with pytest.raises(Conflict, match="no line TORCH"):
        shop.cancel_lines("30", ["TORCH"], "k3")


def test_address_change_before_shipping_only(shop: SandboxShop) -> None:
    load(shop, "cancel-unshipped")
    load(shop, "dnr-weak-proof-standard")
    new = Address(
        line1="220 Harbor St",
        line2="Apt 5",
        city="Portland",
        region="OR",
        postal_code="97209",
        country="US",
    )
    moved = shop.update_address("60102", new, "c1:address")
    assert moved.address == new
    other = new.model_copy(update={"line1": "1 Other Rd"})
    assert shop.update_address("60102", other, "c1:address").address == new
    with pytest.raises(Conflict, match="order 41880 has shipped"):
        shop.update_address("41880", new, "c2:address")
    assert shop.get_order("41880").address.line1 == "12 Elm St"


# ---------------------------------------------------------------- the demo shop


NOW = datetime(2025, 3, 14, 15, 30, tzinfo=UTC)


def test_demo_shop_is_deterministic_and_has_every_order_state(shop: SandboxShop) -> None:
    summary = seed_demo_shop(shop, NOW, seed=7)
    twin = SandboxShop("sqlite://")
    twin.create_all()
    assert seed_demo_shop(twin, NOW, seed=7) == summary

    assert summary.orders == 300 and summary.customers == 40
    assert set(summary.customers_by_tier) == {"vip", "standard", "new", "b2b"}
    assert summary.customers_with_prior_claims >= 3
    assert all(summary.orders_by_state[state] > 0 for state in ORDER_STATES)
    assert set(summary.shipments_by_carrier) == {"usps", "ups", "fedex"}
    assert summary.search_outcomes.get("found") and summary.search_outcomes.get("not_found")
    assert summary.out_of_stock and all(n == 0 for n in shop.stock(summary.out_of_stock).values())
    for numbers in summary.order_numbers_by_state.values():
        for number in numbers[:3]:
            assert shop.get_order(number) == twin.get_order(number)

    contacts = demo_contacts(summary)
    assert len(contacts) >= 35
    assert len({c.message_id for c in contacts}) == len(contacts)
    assert seed_demo_shop(_empty_memory_shop(), NOW, seed=8).contacts != contacts


def test_demo_orders_read_as_the_state_they_were_made_for(shop: SandboxShop) -> None:
    summary = seed_demo_shop(shop, NOW, seed=3, search_delay_scale=0.01)
    policy = PolicyConfig()
    expected = {
        "unfulfilled_recent": ("not_shipped", None),
        "unfulfilled_old": ("not_shipped", None),
        "label_created": ("not_shipped", None),
        "cancelled": ("not_shipped", None),
        "in_transit": ("in_transit", None),
        "late": ("in_transit", None),
        "stalled": ("in_transit", None),
        "delivered_strong": ("delivered", "strong"),
        "delivered_weak": ("delivered", "weak"),
        "misdelivered": ("delivered", "misdelivered"),
        "lost": ("exception", None),
        "return_to_sender": ("exception", None),
    }
    for state, numbers in summary.order_numbers_by_state.items():
        for number in numbers:
            placed = shop.get_order(number)
            ship = placed.shipments[0] if placed.shipments else None
            traced = shop.trace(ship.tracking, NOW).shipment if ship else None
            reading = read_carrier_record(traced, placed.address, NOW, policy)
            if state == "partially_shipped":
                assert placed.status == OrderStatus.partially_fulfilled
                assert any(not line.cancelled for line in placed.lines)
                continue
            assert (reading.status, reading.proof) == expected[state], (state, number)
            assert reading.late == (state in {"late", "stalled"}), (state, number)
            assert reading.stalled == (state == "stalled"), (state, number)
    days_ago_6 = NOW - timedelta(days=5)
    for number in summary.order_numbers_by_state["unfulfilled_old"]:
        assert shop.get_order(number).placed_at < days_ago_6


def test_demo_contacts_come_from_their_customers(shop: SandboxShop) -> None:
    summary = seed_demo_shop(shop, NOW)
    situations = {c.situation for c in summary.contacts}
    assert {"in_transit", "delivered_weak", "unknown_sender", "unfulfilled_recent"} <= situations
    for contact in summary.contacts:
        sender = shop.find_customer(contact.sender)
        if contact.customer_id is None:
            assert sender is None, contact.sender
            continue
        assert sender is not None and sender.id == contact.customer_id, contact.sender
        assert contact.order_number is not None
        assert shop.get_order(contact.order_number).customer_id == contact.customer_id
        for follow_up in contact.follow_ups:
            again = shop.find_customer(follow_up.sender)
            assert again is not None and again.id == contact.customer_id
    assert any(c.attachments for c in summary.contacts)
    assert any(c.follow_ups for c in summary.contacts)
    assert {c.channel for c in summary.contacts} >= {Channel.email, Channel.sms, Channel.chat}


def _empty_memory_shop() -> SandboxShop:
    shop = SandboxShop("sqlite://")
    shop.create_all()
    return shop


# ---------------------------------------------------------------- engines


def test_memory_database_is_shared_by_threads() -> None:
    shop = _empty_memory_shop()
    load(shop, "dnr-weak-proof-standard")
    results = at_once(6, lambda: shop.refund("41880", 5.0, [], "race", "one-key"))
    assert len({r.refund_id for r in results}) == 1
    assert shop.refund_total() == 5.0


def test_a_bare_postgresql_url_means_psycopg() -> None:
    shop = SandboxShop("postgresql://nobody@127.0.0.1:1/none")
    assert shop.url.drivername == "postgresql+psycopg"


@pytest.mark.parametrize(
    "make_row",
    [
        lambda: RefundRow(
            key="k", order_number="41880", amount=1.0, lines=[], reason="", created_at=T0
        ),
        lambda: OutboxRow(
            key="k", contact_id="c", channel="sms", recipient="x", body="b", created_at=T0
        ),
        lambda: ClaimRow(customer_id="C-1001", kind="wrong_item", at=T0, key="k"),
        lambda: OrderChangeRow(
            key="k", order_number="41880", kind="cancel_lines", detail={}, created_at=T0
        ),
    ],
    ids=["refund", "reply", "claim", "order_change"],
)
def test_the_database_itself_refuses_a_second_row_for_a_key(
    shop: SandboxShop, make_row: Callable[[], Base]
) -> None:
    load(shop, "dnr-weak-proof-standard")
    with shop.unit_of_work() as session:
        session.add(make_row())
    with pytest.raises(IntegrityError), shop.unit_of_work() as session:
        session.add(make_row())


def test_the_database_itself_refuses_a_second_search_for_a_shipment(shop: SandboxShop) -> None:
    load(shop, "dnr-weak-proof-standard")
    with shop.unit_of_work() as session:
        ship_id = session.scalars(select(ShipmentRow.id)).one()

    def case(number: str) -> CarrierCaseRow:
        return CarrierCaseRow(
            shipment_id=ship_id,
            case_number=number,
            carrier="usps",
            kind="missing_mail_search",
            reason="",
            filed_at=T0,
            key=number,
        )

    with shop.unit_of_work() as session:
        session.add(case("MMS-1"))
    with pytest.raises(IntegrityError), shop.unit_of_work() as session:
        session.add(case("MMS-2"))
