"""The demo shop's orders and shipments: one planned order per state the policy
distinguishes, then weighted chance, numbered in the order they were placed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from desk.models import Carrier, ExceptionKind, OrderStatus, ScanStatus, Tier
from devtools.demo_shop.carriers import (
    _DELAY_TEXT,
    _LOST_TEXT,
    _RTS_TEXT,
    _TRANSIT_STAGES,
    Parcel,
    Scan,
    _daytime,
    _TrackingNumbers,
    _Trip,
)
from devtools.demo_shop.catalogue import _B2B_PRODUCTS, _IN_STOCK, _OUT_OF_STOCK, Product
from devtools.demo_shop.customers import Person
from devtools.demo_shop.states import (
    _STATE_WEIGHTS,
    ORDER_STATES,
    PARTIALLY_SHIPPED,
    UNFULFILLED_OLD,
)

ORDER_COUNT = 300
_SHIPPING_FEE = (5.95, 9.95, 19.95)  # by service speed, waived from $75


@dataclass
class PlannedOrder:
    state: str
    person: Person
    placed_at: datetime
    status: OrderStatus
    lines: list[tuple[Product, int]]
    shipping_cost: float
    parcels: list[Parcel] = field(default_factory=list)
    cancelled_skus: set[str] = field(default_factory=set)
    prior_reships: int = 0
    number: str = ""

    @property
    def subject_item(self) -> Product:
        return max((p for p, _ in self.lines), key=lambda p: p.price)

    def parcel(self) -> Parcel | None:
        return self.parcels[0] if self.parcels else None


class _OrderMaker:
    def __init__(self, rng: random.Random, now: datetime, search_delay_scale: float) -> None:
        self.rng = rng
        self.now = now
        self.scale = search_delay_scale
        self.tracking = _TrackingNumbers(rng)

    def days_ago(self, low: float, high: float) -> datetime:
        return self.now - timedelta(days=self.rng.uniform(low, high))

    def make(self, state: str, person: Person) -> PlannedOrder:
        lines = self.basket(person, needs_backorder=state in {PARTIALLY_SHIPPED, UNFULFILLED_OLD})
        speed = self.speed(person)
        order = PlannedOrder(
            state,
            person,
            self.now,
            OrderStatus.fulfilled,
            lines,
            self.shipping(lines, speed, person),
        )
        getattr(self, f"_{state}")(order, speed)
        return order

    def basket(self, person: Person, needs_backorder: bool) -> list[tuple[Product, int]]:
        if person.tier == Tier.b2b:
            picks = self.rng.sample(_B2B_PRODUCTS, self.rng.randint(1, 3))
            lines = [(p, self.rng.choice([4, 6, 10, 12, 24])) for p in picks]
        else:
            count = self.rng.choices([1, 2, 3], weights=[55, 30, 15])[0]
            picks = self.rng.sample(_IN_STOCK, count)
            lines = [(p, 1 if p.price > 60 or self.rng.random() < 0.8 else 2) for p in picks]
        if needs_backorder:
            backordered = self.rng.choice([p for p in _OUT_OF_STOCK if p not in picks])
            lines.append((backordered, 1))
        return lines

    def speed(self, person: Person) -> int:
        weights = [30, 50, 20] if person.tier == Tier.vip else [70, 25, 5]
        return self.rng.choices([0, 1, 2], weights=weights)[0]

    def shipping(self, lines: list[tuple[Product, int]], speed: int, person: Person) -> float:
        subtotal = sum(p.price * qty for p, qty in lines)
        if person.tier == Tier.b2b:
            return 14.00
        return 0.0 if subtotal >= 75 and speed == 0 else _SHIPPING_FEE[speed]

    def trip(self, person: Person, speed: int) -> _Trip:
        carrier = self.rng.choices(
            [Carrier.usps, Carrier.ups, Carrier.fedex], weights=[45, 30, 25]
        )[0]
        return _Trip(self.rng, self.tracking.next(carrier, speed), carrier, speed, person)

    def ship(
        self,
        order: PlannedOrder,
        trip: _Trip,
        expected: datetime | None,
        scans: list[Scan],
        skus: list[str] | None = None,
    ) -> Parcel:
        parcel = Parcel(
            trip.carrier,
            trip.tracking,
            trip.service,
            skus or [p.sku for p, _ in order.lines],
            expected,
            scans,
        )
        order.parcels.append(parcel)
        return parcel

    def placed_before(self, shipped: datetime) -> datetime:
        return shipped - timedelta(hours=self.rng.uniform(5, 40))

    def search(self, parcel: Parcel, chance: float, found: float) -> None:
        """What a carrier search would conclude, and after how long (scaled for demos)."""
        if self.rng.random() >= chance:
            return
        result = "found" if self.rng.random() < found else "not_found"
        hours = self.rng.choice([6, 12, 18, 24, 30, 36, 48])
        parcel.search = (result, hours * 3600 * self.scale)

    # ---- one method per state

    def _unfulfilled_recent(self, order: PlannedOrder, speed: int) -> None:
        order.placed_at = self.now - timedelta(hours=self.rng.uniform(1, 40))
        order.status = OrderStatus.unfulfilled

    def _unfulfilled_old(self, order: PlannedOrder, speed: int) -> None:
        order.placed_at = self.days_ago(5.5, 11)
        order.status = OrderStatus.unfulfilled

    def _label_created(self, order: PlannedOrder, speed: int) -> None:
        trip = self.trip(order.person, speed)
        label_at = self.now - timedelta(hours=self.rng.uniform(2, 20))
        order.placed_at = self.placed_before(label_at)
        order.status = OrderStatus.unfulfilled
        self.ship(order, trip, label_at + trip.transit + timedelta(days=1), [trip.label(label_at)])

    def _in_transit(self, order: PlannedOrder, speed: int) -> None:
        trip = self.trip(order.person, speed)
        shipped = self.days_ago(0.3, 2.0)
        due = max(shipped + trip.transit, self.now + timedelta(hours=8))
        delivered = _daytime(self.rng, due, due + timedelta(days=1))
        if delivered <= self.now + timedelta(hours=2):
            delivered += timedelta(days=1)
        order.placed_at = self.placed_before(shipped)
        proof = "strong" if self.rng.random() < 0.6 else "weak"
        # The rest of the journey is already written; a trace shows it as time reaches it.
        scans = [*trip.to_door(shipped, delivered), trip.delivery(delivered, proof)]
        self.ship(order, trip, delivered + timedelta(hours=self.rng.uniform(0, 20)), scans)

    def _late(self, order: PlannedOrder, speed: int) -> None:
        trip = self.trip(order.person, speed)
        expected = self.days_ago(0.5, 2.5)
        shipped = expected - trip.transit
        scans = trip.stages(shipped, shipped + trip.transit * 0.5, 4)
        delay_at = max(scans[-1].at + timedelta(hours=3), self.days_ago(0.2, 1.5))
        scans.append(
            Scan(
                delay_at,
                ScanStatus.in_transit,
                _DELAY_TEXT[trip.carrier],
                None if trip.carrier == Carrier.usps else trip.places["hub"],
            )
        )
        order.placed_at = self.placed_before(shipped)
        self.ship(order, trip, expected, scans)

    def _stalled(self, order: PlannedOrder, speed: int) -> None:
        trip = self.trip(order.person, speed)
        last = self.days_ago(5.5, 10)
        shipped = last - timedelta(days=self.rng.uniform(1, 2))
        expected = min(shipped + trip.transit, self.days_ago(3.2, 4))
        order.placed_at = self.placed_before(shipped)
        parcel = self.ship(order, trip, expected, trip.stages(shipped, last, 4))
        self.search(parcel, chance=0.5, found=0.25)

    def _lost(self, order: PlannedOrder, speed: int) -> None:
        trip = self.trip(order.person, speed)
        last = self.days_ago(4, 9)
        shipped = last - timedelta(days=self.rng.uniform(1, 2))
        scans = trip.stages(shipped, last, 4)
        scans.append(
            Scan(
                self.days_ago(0.5, 3),
                ScanStatus.exception,
                _LOST_TEXT[trip.carrier],
                trip.places["hub"],
                exception=ExceptionKind.lost,
            )
        )
        order.placed_at = self.placed_before(shipped)
        parcel = self.ship(order, trip, shipped + trip.transit, scans)
        self.search(parcel, chance=0.5, found=0.2)

    def _return_to_sender(self, order: PlannedOrder, speed: int) -> None:
        trip = self.trip(order.person, speed)
        arrived = self.days_ago(2, 5)
        shipped = arrived - trip.transit
        scans = trip.stages(shipped, arrived, _TRANSIT_STAGES)
        scans.append(
            Scan(
                arrived + timedelta(hours=self.rng.uniform(8, 30)),
                ScanStatus.exception,
                _RTS_TEXT[trip.carrier],
                trip.places["dest"],
                exception=ExceptionKind.return_to_sender,
            )
        )
        order.placed_at = self.placed_before(shipped)
        self.ship(order, trip, shipped + trip.transit, scans)

    def _delivered(
        self, order: PlannedOrder, speed: int, proof: str, age: tuple[float, float]
    ) -> Parcel:
        trip = self.trip(order.person, speed)
        delivered = _daytime(self.rng, self.days_ago(*age), self.now)
        shipped = delivered - trip.transit
        order.placed_at = self.placed_before(shipped)
        scans = [*trip.to_door(shipped, delivered), trip.delivery(delivered, proof)]
        expected = shipped + trip.transit + timedelta(hours=self.rng.uniform(0, 24))
        return self.ship(order, trip, expected, scans)

    def _delivered_strong(self, order: PlannedOrder, speed: int) -> None:
        self._delivered(order, speed, "strong", (0.4, 45))

    def _delivered_weak(self, order: PlannedOrder, speed: int) -> None:
        parcel = self._delivered(order, speed, "weak", (0.3, 20))
        self.search(parcel, chance=0.7, found=0.4)
        if self.rng.random() < 0.08:
            order.prior_reships = 1

    def _misdelivered(self, order: PlannedOrder, speed: int) -> None:
        parcel = self._delivered(order, speed, "misdelivered", (0.5, 10))
        self.search(parcel, chance=0.6, found=0.5)

    def _partially_shipped(self, order: PlannedOrder, speed: int) -> None:
        waiting = {p.sku for p in _OUT_OF_STOCK}
        shipped_skus = [p.sku for p, _ in order.lines if p.sku not in waiting]
        if self.rng.random() < 0.6:
            self._in_transit(order, speed)
        else:
            self._delivered(order, speed, "strong", (1, 12))
        order.parcels[-1].skus = shipped_skus
        order.status = OrderStatus.partially_fulfilled

    def _cancelled(self, order: PlannedOrder, speed: int) -> None:
        order.placed_at = self.days_ago(1, 30)
        order.status = OrderStatus.cancelled
        order.cancelled_skus = {p.sku for p, _ in order.lines}
        if self.rng.random() < 0.35:
            trip = self.trip(order.person, speed)
            label_at = order.placed_at + timedelta(hours=self.rng.uniform(4, 20))
            parcel = self.ship(order, trip, None, [trip.label(label_at)])
            parcel.voided = True


def _orders(
    rng: random.Random, now: datetime, people: list[Person], search_delay_scale: float
) -> list[PlannedOrder]:
    maker = _OrderMaker(rng, now, search_delay_scale)
    weights = [
        {Tier.b2b: 3.0, Tier.vip: 2.5, Tier.standard: 1.0, Tier.new: 0.5}[p.tier] for p in people
    ]
    states, state_weights = list(_STATE_WEIGHTS), list(_STATE_WEIGHTS.values())
    orders: list[PlannedOrder] = []
    for i in range(ORDER_COUNT):
        # Every state and every customer appears at least once; the rest is weighted chance.
        state = ORDER_STATES[i] if i < len(ORDER_STATES) else rng.choices(states, state_weights)[0]
        person = people[i] if i < len(people) else rng.choices(people, weights)[0]
        orders.append(maker.make(state, person))
    orders.sort(key=lambda o: o.placed_at)
    number = 48200
    for order in orders:
        number += rng.randint(1, 4)
        order.number = str(number)
    return orders
