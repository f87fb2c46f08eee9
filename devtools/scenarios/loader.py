"""Putting a scenario's shop data (SCHEMA.md) into a sandbox shop, all of it or nothing.

Offsets become datetimes here, once t0 is known. Scans at positive offsets are stored too:
the trace hides them until workflow time reaches them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from desk.adapters.sandbox import SandboxShop
from desk.adapters.sandbox.tables import (
    ClaimRow,
    CustomerRow,
    IdentityRow,
    InventoryRow,
    OrderLineRow,
    OrderRow,
    ScanEventRow,
    ShipmentRow,
    as_utc,
)
from desk.identities import (
    IDENTITY_KINDS,
    IdentityKind,
    normalise_identity,
    normalise_order_number,
    normalise_tracking,
)
from devtools.scenarios.format import (
    Scenario,
    ScenarioCustomer,
    ScenarioError,
    ScenarioEvent,
    ScenarioOrder,
    ScenarioShipment,
)


class ScenarioLoadError(ScenarioError):
    """The scenario's data cannot go into the shop; nothing of it was stored."""


def load_scenario_into(shop: SandboxShop, scenario: Scenario, t0: datetime) -> None:
    """Insert the scenario's customers, orders, shipments, scans and stock in one transaction."""
    _refuse_duplicates(scenario)
    t0 = as_utc(t0)
    try:
        with shop.unit_of_work() as session:
            for customer in scenario.customers:
                session.add(_customer_row(customer, t0))
            session.flush()
            for order in scenario.orders:
                session.add(_order_row(order, t0))
            session.flush()
            _stock_up(session, scenario.inventory)
    except IntegrityError as err:
        raise ScenarioLoadError(
            f"scenario {scenario.name}: clashes with data already in the shop, nothing was "
            f"loaded: {_first_line(err)}"
        ) from err


def identities_of(customer: ScenarioCustomer) -> list[tuple[IdentityKind, str]]:
    """The customer's identities as stored: normalised, one per kind given."""
    found: list[tuple[IdentityKind, str]] = []
    for kind in IDENTITY_KINDS:
        value = getattr(customer, kind)
        if value:
            found.append((kind, normalise_identity(kind, value)))
    return found


# ---------------------------------------------------------------- rows


def _customer_row(customer: ScenarioCustomer, t0: datetime) -> CustomerRow:
    return CustomerRow(
        id=customer.id,
        name=customer.name,
        tier=customer.tier.value,
        identities=[IdentityRow(kind=k, value=v) for k, v in identities_of(customer)],
        claims=[ClaimRow(kind=c.kind.value, at=t0 + c.at) for c in customer.prior_claims],
    )


def _order_row(order: ScenarioOrder, t0: datetime) -> OrderRow:
    every_sku = [line.sku for line in order.lines]
    return OrderRow(
        number=normalise_order_number(order.number),
        customer_id=order.customer,
        placed_at=t0 + order.placed,
        status=order.status.value,
        shipping_cost=round(order.shipping_cost, 2),
        prior_reships=order.prior_reships,
        **order.address.model_dump(),
        lines=[
            OrderLineRow(sku=ln.sku, name=ln.name, qty=ln.qty, unit_price=round(ln.unit_price, 2))
            for ln in order.lines
        ],
        shipments=[_shipment_row(ship, every_sku, t0) for ship in order.shipments],
    )


def _shipment_row(ship: ScenarioShipment, every_sku: list[str], t0: datetime) -> ShipmentRow:
    return ShipmentRow(
        carrier=ship.carrier.value,
        tracking=normalise_tracking(ship.tracking),
        service=ship.service,
        skus=list(ship.skus) if ship.skus else list(every_sku),
        expected_delivery=_at(t0, ship.expected_delivery),
        search_result=ship.search.result if ship.search else None,
        search_after_seconds=ship.search.after.total_seconds() if ship.search else None,
        events=[_scan_row(event, t0) for event in ship.events],
    )


def _scan_row(event: ScenarioEvent, t0: datetime) -> ScanEventRow:
    return ScanEventRow(
        at=t0 + event.at,
        status=event.status.value,
        description=event.description,
        city=event.city,
        photo=event.photo,
        signature=event.signature,
        lat=event.lat,
        lon=event.lon,
        exception=event.exception.value if event.exception else None,
    )


def _stock_up(session: Session, inventory: dict[str, int]) -> None:
    for sku, units in inventory.items():
        session.merge(InventoryRow(sku=sku, units=units))


def _at(t0: datetime, offset: timedelta | None) -> datetime | None:
    return None if offset is None else t0 + offset


# ---------------------------------------------------------------- checks


def _refuse_duplicates(scenario: Scenario) -> None:
    """Name the field of a duplicate in the file, before the database names a constraint."""
    _first_repeat(
        ((f"customers[{i}].id", c.id) for i, c in enumerate(scenario.customers)), "customer id"
    )
    _first_repeat(
        (
            (f"customers[{i}].{kind}", f"{kind}:{value}")
            for i, c in enumerate(scenario.customers)
            for kind, value in identities_of(c)
        ),
        "identity",
    )
    _first_repeat(
        (
            (f"orders[{i}].number", normalise_order_number(o.number))
            for i, o in enumerate(scenario.orders)
        ),
        "order number",
    )
    _first_repeat(
        (
            (f"orders[{i}].shipments[{j}].tracking", normalise_tracking(s.tracking))
            for i, o in enumerate(scenario.orders)
            for j, s in enumerate(o.shipments)
        ),
        "tracking number",
    )


def _first_repeat(values: Iterable[tuple[str, str]], what: str) -> None:
    seen: dict[str, str] = {}
    for where, value in values:
        if value in seen:
            raise ScenarioLoadError(
                f"{where}: {what} {value.split(':', 1)[-1]!r} is already used at {seen[value]}"
            )
        seen[value] = where


def _first_line(err: IntegrityError) -> str:
    return str(err.orig).strip().splitlines()[0] if err.orig is not None else str(err)
