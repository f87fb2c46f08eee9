"""MemoryShop: every port of ``desk.ports`` in memory, with the sandbox shop's semantics.

``desk.adapters.sandbox.SandboxShop`` is the contract: same idempotency (a key seen before
returns the first result and changes nothing), one carrier search per shipment whatever the
key, scans hidden until ``as_of``, search outcomes that conclude after their delay,
Conflict on changing a shipped order, NotFound on unknown orders, shipments and customers,
the same identity normalisation, the same numbers (``RF-000001``, ``R-<order>-<n>``,
``RMA-<order>-<hash>``, ``MMS-<10 digits>``, ``OUT-000001``, ``alert-<n>``) and the same
error messages. ``tests/test_port_contract.py`` runs one suite against both.

It shares with the sandbox only the normalised forms of identities and numbers
(``desk.identities``), the case numbering and the read-out record shapes; the behaviour is
its own, so the contract suite is what keeps the two in step.

Not mirrored: the sandbox's ``clock_origin`` / ``clock_speed`` (a demo feature), and
``table_counts``. Everything is guarded by one lock, so the shop is safe to call from the
threads of a worker's activity executor.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from desk.adapters.line_cancel import lines_to_cancel
from desk.adapters.sandbox import OutboxMessage, RefundRecord, ReplacementRecord
from desk.adapters.sandbox.carriers import case_number_for
from desk.identities import (
    IDENTITY_KINDS,
    IdentityKind,
    claim_contact,
    identity_lookups,
    normalise_identity,
    normalise_order_number,
    normalise_tracking,
)
from desk.models import (
    Address,
    AttemptLimits,
    AttemptVerdict,
    Carrier,
    CarrierCase,
    Claim,
    ClaimKind,
    Customer,
    ExecutionResult,
    Identity,
    LineRef,
    Order,
    OrderLine,
    OrderStatus,
    Reply,
    ScanEvent,
    ScanStatus,
    Shipment,
    Tier,
    TraceResult,
    UnverifiedAttempt,
)
from desk.policy.identity import attempt_verdict
from desk.ports import Conflict, NotFound
from devtools.scenarios.format import Scenario, ScenarioCustomer, ScenarioError, ScenarioOrder

SearchResult = Literal["found", "not_found"]

# The sandbox's wording, so a test reading a trace reads the same scan from either shop.
FOUND_BY_SEARCH = "Delivered, Left with Individual (found by carrier search)"


def as_utc(value: datetime) -> datetime:
    """A naive datetime is taken to be UTC already, as the sandbox takes it."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _cents(amount: float) -> float:
    return round(float(amount), 2)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SearchOutcome:
    """What a carrier search of a shipment concludes, and how long after filing."""

    result: SearchResult
    after: timedelta


# ---------------------------------------------------------------- stored state


@dataclass
class _Customer:
    id: str
    name: str
    tier: Tier
    identities: list[tuple[IdentityKind, str]]
    claims: list[tuple[Claim, int]] = field(default_factory=list)  # (claim, insertion seq)


@dataclass
class _Shipment:
    order_number: str
    carrier: Carrier
    tracking: str
    service: str
    skus: list[str]
    expected_delivery: datetime | None
    events: list[ScanEvent]  # every scan, past and future, by time then insertion
    label_voided: bool = False
    search: SearchOutcome | None = None


@dataclass
class _Order:
    number: str
    customer_id: str
    placed_at: datetime
    status: OrderStatus
    shipping_cost: float
    prior_reships: int
    address: Address
    lines: list[OrderLine]
    trackings: list[str]


@dataclass
class _Case:
    case_number: str
    carrier: Carrier
    tracking: str
    kind: str
    reason: str
    filed_at: datetime
    key: str


@dataclass
class _Label:
    key: str
    label_number: str
    order_number: str
    lines: list[LineRef]


@dataclass
class _Alert:
    id: int
    key: str
    contact_id: str
    level: int
    text: str


@dataclass
class _OpenContact:
    customer_id: str
    order_number: str
    opened: int  # a sequence: the sandbox orders by opened_at
    closed: bool = False


# ---------------------------------------------------------------- the shop


class MemoryShop:
    """OrderSystem, CarrierTracking, Payments, Fulfilment, Helpdesk and AttemptLedger in
    memory."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._seq = 0
        self._customers: dict[str, _Customer] = {}
        self._identities: dict[tuple[IdentityKind, str], str] = {}
        self._claim_keys: dict[str, Claim] = {}
        self._orders: dict[str, _Order] = {}
        self._shipments: dict[str, _Shipment] = {}
        self._stock: dict[str, int] = {}
        self._cases: dict[str, _Case] = {}  # by tracking, in filing order
        self._changes: dict[str, Order] = {}  # order-change key -> its first result
        self._refunds: list[RefundRecord] = []
        self._replacements: list[ReplacementRecord] = []
        self._labels: list[_Label] = []
        self._outbox: list[OutboxMessage] = []
        self._alerts: list[_Alert] = []
        self._contacts: dict[str, _OpenContact] = {}
        # key -> (sender key, order, at, verdict): the attempt ledger
        self._attempts: dict[str, tuple[str, str | None, datetime, AttemptVerdict]] = {}

    # ------------------------------------------------------------ building a test's shop

    @classmethod
    def from_scenario(cls, scenario: Scenario, t0: datetime) -> MemoryShop:
        """A shop holding the scenario's data, as ``load_scenario_into`` would store it."""
        shop = cls()
        shop.load_scenario(scenario, t0)
        return shop

    def load_scenario(self, scenario: Scenario, t0: datetime) -> None:
        """Add the scenario's customers, orders, scans, search outcomes and stock.

        All or nothing: a clash inside the scenario or with data already here raises
        ``ScenarioError`` and stores nothing.
        """
        t0 = as_utc(t0)
        customers = [_scenario_customer(c, t0) for c in scenario.customers]
        orders = [_scenario_order(o, t0) for o in scenario.orders]
        with self._lock:
            staged = self._copy_for_staging()
            try:
                for customer in customers:
                    staged.add_customer(customer)
                for order, searches in orders:
                    staged.add_order(order, searches=searches)
            except ValueError as err:
                raise ScenarioError(
                    f"scenario {scenario.name}: clashes with data already in the shop or "
                    f"repeats itself, nothing was loaded: {err}"
                ) from err
            self._adopt(staged)
            self.set_stock(scenario.inventory)

    def add_customer(self, customer: Customer) -> Customer:
        """A customer with identities (stored normalised) and prior claims (no key)."""
        identities = [
            (ident.kind, normalise_identity(ident.kind, ident.value))
            for ident in customer.identities
        ]
        with self._lock:
            if customer.id in self._customers:
                raise ValueError(f"customer id {customer.id!r} is already used")
            seen: set[tuple[IdentityKind, str]] = set()
            for pair in identities:
                if pair in self._identities or pair in seen:
                    raise ValueError(f"identity {pair[0]} {pair[1]!r} is already used")
                seen.add(pair)
            record = _Customer(customer.id, customer.name, customer.tier, identities)
            for claim in customer.claims:
                stored = Claim(kind=claim.kind, at=as_utc(claim.at), contact_id=claim.contact_id)
                record.claims.append((stored, self._next()))
            self._customers[customer.id] = record
            for pair in identities:
                self._identities[pair] = customer.id
            return self._customer(record)

    def add_order(
        self, order: Order, *, searches: Mapping[str, SearchOutcome] | None = None
    ) -> Order:
        """An order with its lines, address and shipments, scan events included.

        A shipment without ``skus`` carries every line, as in a scenario file. ``searches``
        gives, per tracking number, what a carrier search would conclude and when.
        ``prior_reships`` counts reships made before the test; replacements made here add
        to it on every read, as in the sandbox.
        """
        number = normalise_order_number(order.number)
        every_sku = [line.sku for line in order.lines]
        searches = {normalise_tracking(t): s for t, s in (searches or {}).items()}
        with self._lock:
            if order.customer_id not in self._customers:
                raise ValueError(f"order {number}: no customer {order.customer_id!r}")
            if number in self._orders:
                raise ValueError(f"order number {number!r} is already used")
            ships: list[_Shipment] = []
            for ship in order.shipments:
                tracking = normalise_tracking(ship.tracking)
                if tracking in self._shipments or any(s.tracking == tracking for s in ships):
                    raise ValueError(f"tracking number {tracking!r} is already used")
                unknown = [sku for sku in ship.skus if sku not in every_sku]
                if unknown:
                    raise ValueError(f"shipment {tracking}: {', '.join(unknown)} not on the order")
                ships.append(
                    _Shipment(
                        order_number=number,
                        carrier=ship.carrier,
                        tracking=tracking,
                        service=ship.service,
                        skus=list(ship.skus) if ship.skus else list(every_sku),
                        expected_delivery=(
                            as_utc(ship.expected_delivery) if ship.expected_delivery else None
                        ),
                        events=_by_time([_stored_scan(e) for e in ship.events]),
                        label_voided=ship.label_voided,
                        search=searches.pop(tracking, None),
                    )
                )
            if searches:
                raise ValueError(f"order {number}: no shipment {sorted(searches)[0]} to search")
            self._orders[number] = _Order(
                number=number,
                customer_id=order.customer_id,
                placed_at=as_utc(order.placed_at),
                status=order.status,
                shipping_cost=_cents(order.shipping_cost),
                prior_reships=order.prior_reships,
                address=order.address.model_copy(),
                lines=[
                    ln.model_copy(update={"unit_price": _cents(ln.unit_price)})
                    for ln in order.lines
                ],
                trackings=[s.tracking for s in ships],
            )
            for ship_record in ships:
                self._shipments[ship_record.tracking] = ship_record
            return self._order(self._orders[number])

    def add_scan(self, tracking: str, event: ScanEvent) -> None:
        """One more scan on a shipment (hidden from ``trace`` until ``as_of`` reaches it)."""
        with self._lock:
            ship = self._ship(tracking)
            ship.events = _by_time([*ship.events, _stored_scan(event)])

    def set_search_outcome(self, tracking: str, result: SearchResult, after: timedelta) -> None:
        """What a carrier search of this shipment concludes, ``after`` its filing."""
        with self._lock:
            self._ship(tracking).search = SearchOutcome(result, after)

    def set_stock(self, units: Mapping[str, int]) -> None:
        """Units per SKU (replaces the count of each SKU named; others stay)."""
        with self._lock:
            self._stock.update(units)

    # ------------------------------------------------------------ OrderSystem

    def find_customer(self, identity: str) -> Customer | None:
        with self._lock:
            for pair in identity_lookups(identity):
                customer_id = self._identities.get(pair)
                if customer_id is not None:
                    return self._customer(self._customers[customer_id])
            return None

    def find_customer_by_id(self, customer_id: str) -> Customer | None:
        with self._lock:
            record = self._customers.get(customer_id)
            return self._customer(record) if record is not None else None

    def get_order(self, number: str) -> Order:
        with self._lock:
            return self._order(self._order_record(number))

    def latest_order(self, customer_id: str) -> Order | None:
        with self._lock:
            theirs = [o for o in self._orders.values() if o.customer_id == customer_id]
            if not theirs:
                return None
            return self._order(max(theirs, key=lambda o: (o.placed_at, o.number)))

    def recent_order_numbers(self, customer_id: str, since: datetime) -> list[str]:
        with self._lock:
            theirs = [
                o
                for o in self._orders.values()
                if o.customer_id == customer_id and o.placed_at >= as_utc(since)
            ]
            return [
                o.number
                for o in sorted(theirs, key=lambda o: (o.placed_at, o.number), reverse=True)
            ]

    def stock(self, skus: list[str]) -> dict[str, int]:
        with self._lock:
            return {sku: max(self._stock.get(sku, 0), 0) for sku in skus}

    def record_claim(self, customer_id: str, kind: ClaimKind, at: datetime, key: str) -> Claim:
        with self._lock:
            if key in self._claim_keys:
                return self._claim_keys[key].model_copy()
            record = self._customers.get(customer_id)
            if record is None:
                raise NotFound(f"no customer {customer_id}")
            claim = Claim(kind=kind, at=as_utc(at), contact_id=claim_contact(key))
            record.claims.append((claim, self._next()))
            self._claim_keys[key] = claim
            return claim.model_copy()

    def cancel_lines(self, order_number: str, skus: list[str], key: str) -> Order:
        return self._change_order(order_number, key, lambda order: self._cancel(order, skus))

    def update_address(self, order_number: str, address: Address, key: str) -> Order:
        return self._change_order(order_number, key, lambda order: self._move(order, address))

    def _change_order(self, order_number: str, key: str, change: Callable[[_Order], None]) -> Order:
        """Once per key, shared by cancellations and address changes as in the sandbox."""
        with self._lock:
            done = self._changes.get(key)
            if done is not None:
                return done.model_copy(deep=True)  # the first result, as the sandbox
            order = self._order_record(order_number)
            change(order)
            result = self._changes[key] = self._order(order)
            return result.model_copy(deep=True)

    def _cancel(self, order: _Order, skus: list[str]) -> None:
        shipped = self._shipped_skus(order)
        for line in lines_to_cancel(order.number, order.lines, shipped, skus):
            line.cancelled = True
        self._void_unused_labels(order)
        self._settle_status(order)

    def _move(self, order: _Order, address: Address) -> None:
        if any(not s.label_voided and _has_carrier_scan(s) for s in self._ships_of(order)):
            raise Conflict(f"order {order.number} has shipped; the carrier has the parcel")
        if not all(x.strip() for x in (address.line1, address.city, address.postal_code)) or not (
            address.country.strip()
        ):
            raise ValueError("an address needs a street, a city, a postal code and a country")
        order.address = address.model_copy()

    def _shipped_skus(self, order: _Order) -> set[str]:
        # Every stored scan counts, as in the sandbox, including ones a trace still hides.
        return {
            sku
            for ship in self._ships_of(order)
            if not ship.label_voided and _has_carrier_scan(ship)
            for sku in ship.skus
        }

    def _void_unused_labels(self, order: _Order) -> None:
        live = {line.sku for line in order.lines if not line.cancelled}
        for ship in self._ships_of(order):
            if ship.label_voided or _has_carrier_scan(ship):
                continue
            remaining = [sku for sku in ship.skus if sku in live]
            if remaining:
                ship.skus = remaining
            else:
                ship.label_voided = True

    def _settle_status(self, order: _Order) -> None:
        live = {line.sku for line in order.lines if not line.cancelled}
        if not live:
            order.status = OrderStatus.cancelled
            return
        covered = {
            sku for ship in self._ships_of(order) if not ship.label_voided for sku in ship.skus
        }
        if live <= covered:
            order.status = OrderStatus.fulfilled

    # ------------------------------------------------------------ CarrierTracking

    def trace(self, tracking: str, as_of: datetime) -> TraceResult:
        as_of = as_utc(as_of)
        with self._lock:
            ship = self._ship(tracking)
            events = [e.model_copy() for e in ship.events if e.at <= as_of]
            carrier_case = None
            filed = self._cases.get(ship.tracking)
            if filed is not None and filed.filed_at <= as_of:
                carrier_case = self._case(filed, ship, as_of)
                if carrier_case.status == "found":
                    events.append(self._found_scan(ship, filed))
                    events = _by_time(events)
            return TraceResult(shipment=self._shipment(ship, events), case=carrier_case)

    def file_search(self, tracking: str, reason: str, filed_at: datetime, key: str) -> CarrierCase:
        filed_at = as_utc(filed_at)
        with self._lock:
            ship = self._ship(tracking)
            filed = self._cases.get(ship.tracking)
            if filed is None:
                filed = _Case(
                    case_number=case_number_for(ship.carrier, ship.tracking, key),
                    carrier=ship.carrier,
                    tracking=ship.tracking,
                    kind="missing_mail_search" if ship.carrier == Carrier.usps else "trace",
                    reason=reason,
                    filed_at=filed_at,
                    key=key,
                )
                self._cases[ship.tracking] = filed
            return self._case(filed, ship, filed_at)

    # ------------------------------------------------------------ Payments

    def refund(
        self, order_number: str, amount: float, lines: list[LineRef], reason: str, key: str
    ) -> ExecutionResult:
        if amount < 0:
            raise ValueError(f"refund amount must not be negative, got {amount}")
        with self._lock:
            done = next((r for r in self._refunds if r.key == key), None)
            if done is None:
                order = self._order_record(order_number)
                done = RefundRecord(
                    refund_id=f"RF-{len(self._refunds) + 1:06d}",
                    key=key,
                    order_number=order.number,
                    amount=_cents(amount),
                    lines=[line.model_copy() for line in lines],
                    reason=reason,
                    created_at=_now(),
                )
                self._refunds.append(done)
            return ExecutionResult(refund_id=done.refund_id, refunded=done.amount)

    # ------------------------------------------------------------ Fulfilment

    def create_return_label(self, order_number: str, lines: list[LineRef], key: str) -> str:
        with self._lock:
            done = next((label for label in self._labels if label.key == key), None)
            if done is None:
                order = self._order_record(order_number)
                digest = hashlib.sha256(key.encode()).hexdigest()[:10].upper()
                done = _Label(
                    key=key,
                    label_number=f"RMA-{order.number}-{digest}",
                    order_number=order.number,
                    lines=[line.model_copy() for line in lines],
                )
                self._labels.append(done)
            return done.label_number

    def create_replacement(
        self,
        order_number: str,
        lines: list[LineRef],
        service: str,
        note: str | None,
        key: str,
    ) -> ExecutionResult:
        with self._lock:
            done = next((r for r in self._replacements if r.key == key), None)
            if done is None:
                order = self._order_record(order_number)
                done = ReplacementRecord(
                    number=f"R-{order.number}-{self._replacements_of(order.number) + 1}",
                    key=key,
                    original_order=order.number,
                    lines=[line.model_copy() for line in lines],
                    service=service,
                    note=note,
                    address=order.address.model_copy(),
                    created_at=_now(),
                )
                self._replacements.append(done)
                self._take_from_stock(lines)
            return ExecutionResult(replacement_order=done.number)

    def _take_from_stock(self, lines: list[LineRef]) -> None:
        wanted: dict[str, int] = {}
        for line in lines:
            wanted[line.sku] = wanted.get(line.sku, 0) + line.qty
        for sku, qty in wanted.items():
            # Only SKUs the shop stocks; never below zero (a shortfall is a backorder).
            if sku in self._stock:
                units = self._stock[sku]
                self._stock[sku] = units - qty if units > qty else 0

    # ------------------------------------------------------------ Helpdesk

    def send_reply(self, contact_id: str, reply: Reply, key: str) -> str:
        with self._lock:
            done = next((m for m in self._outbox if m.key == key), None)
            if done is None:
                done = OutboxMessage(
                    outbox_id=f"OUT-{len(self._outbox) + 1:06d}",
                    key=key,
                    contact_id=contact_id,
                    channel=reply.channel,
                    to=reply.to,
                    subject=reply.subject,
                    body=reply.body,
                    created_at=_now(),
                )
                self._outbox.append(done)
            return done.outbox_id

    def alert_supervisors(self, contact_id: str, text: str, level: int, key: str) -> str:
        with self._lock:
            done = next((a for a in self._alerts if a.key == key), None)
            if done is None:
                done = _Alert(len(self._alerts) + 1, key, contact_id, level, text)
                self._alerts.append(done)
            return f"alert-{done.id}"

    def open_contact(self, contact_id: str, customer_id: str, order_number: str) -> None:
        with self._lock:
            known = self._contacts.get(contact_id)
            if known is None:
                self._contacts[contact_id] = _OpenContact(customer_id, order_number, self._next())
            else:
                known.closed = False  # a contact id reused by a new run is open again

    def close_contact(self, contact_id: str) -> None:
        with self._lock:
            known = self._contacts.get(contact_id)
            if known is not None:
                known.closed = True

    def open_contact_order(self, customer_id: str) -> str | None:
        with self._lock:
            still_open = [
                c for c in self._contacts.values() if c.customer_id == customer_id and not c.closed
            ]
            if not still_open:
                return None
            return max(still_open, key=lambda c: c.opened).order_number

    # ------------------------------------------------------------ read-outs

    # ------------------------------------------------------------ AttemptLedger

    def register_attempt(self, attempt: UnverifiedAttempt, limits: AttemptLimits) -> AttemptVerdict:
        with self._lock:
            if attempt.key in self._attempts:
                return self._attempts[attempt.key][3]
            at = as_utc(attempt.at)
            since = at - timedelta(hours=limits.window_hours)
            order = normalise_order_number(attempt.order_number) if attempt.order_number else None
            counted = [
                (sender, number, when)
                for sender, number, when, verdict in self._attempts.values()
                if verdict.allowed and since < when <= at
            ]
            by_sender = [when for sender, _, when in counted if sender == attempt.sender_key]
            by_order = [when for _, number, when in counted if order and number == order]
            verdict = attempt_verdict(attempt, limits, by_sender, by_order)
            self._attempts[attempt.key] = (attempt.sender_key, order, at, verdict)
            return verdict

    def unverified_attempts(self) -> int:
        with self._lock:
            return len(self._attempts)

    def refunds(self, order_numbers: list[str] | None = None) -> list[RefundRecord]:
        with self._lock:
            keep = _order_filter(order_numbers)
            return [r.model_copy(deep=True) for r in self._refunds if keep(r.order_number)]

    def refund_total(self, order_numbers: list[str] | None = None) -> float:
        return _cents(sum(r.amount for r in self.refunds(order_numbers)))

    def replacements(self, order_numbers: list[str] | None = None) -> list[ReplacementRecord]:
        with self._lock:
            keep = _order_filter(order_numbers)
            return [r.model_copy(deep=True) for r in self._replacements if keep(r.original_order)]

    def replacement_count(self, order_numbers: list[str] | None = None) -> int:
        return len(self.replacements(order_numbers))

    def return_labels(self, order_numbers: list[str] | None = None) -> list[str]:
        # As in the sandbox, the numbers given are matched as they are (no "#" stripping).
        with self._lock:
            return [
                label.label_number
                for label in self._labels
                if order_numbers is None or label.order_number in order_numbers
            ]

    def outbox(self, contact_id: str | None = None) -> list[OutboxMessage]:
        with self._lock:
            return [
                m.model_copy()
                for m in self._outbox
                if contact_id is None or m.contact_id == contact_id
            ]

    def carrier_cases(self, as_of: datetime | None = None) -> list[CarrierCase]:
        """Every filed search; status as of ``as_of`` (default: the wall clock)."""
        moment = as_utc(as_of) if as_of is not None else _now()
        with self._lock:
            return [
                self._case(c, self._shipments[c.tracking], moment) for c in self._cases.values()
            ]

    def supervisor_alerts(self, contact_id: str | None = None) -> list[tuple[int, str]]:
        """(level, text) of each alert, oldest first."""
        with self._lock:
            return [
                (a.level, a.text)
                for a in self._alerts
                if contact_id is None or a.contact_id == contact_id
            ]

    # ------------------------------------------------------------ internals

    def _next(self) -> int:
        self._seq += 1
        return self._seq

    def _order_record(self, number: str) -> _Order:
        key = normalise_order_number(number)
        order = self._orders.get(key)
        if order is None:
            raise NotFound(f"no order {key}")
        return order

    def _ship(self, tracking: str) -> _Shipment:
        key = normalise_tracking(tracking)
        ship = self._shipments.get(key)
        if ship is None:
            raise NotFound(f"no shipment with tracking {key}")
        return ship

    def _ships_of(self, order: _Order) -> list[_Shipment]:
        return [self._shipments[t] for t in order.trackings]

    def _replacements_of(self, order_number: str) -> int:
        return sum(1 for r in self._replacements if r.original_order == order_number)

    def _customer(self, record: _Customer) -> Customer:
        return Customer(
            id=record.id,
            name=record.name,
            tier=record.tier,
            identities=[Identity(kind=kind, value=value) for kind, value in record.identities],
            claims=[
                c.model_copy() for c, _ in sorted(record.claims, key=lambda p: (p[0].at, p[1]))
            ],
        )

    def _order(self, order: _Order) -> Order:
        return Order(
            number=order.number,
            customer_id=order.customer_id,
            placed_at=order.placed_at,
            status=order.status,
            shipping_cost=order.shipping_cost,
            prior_reships=order.prior_reships + self._replacements_of(order.number),
            address=order.address.model_copy(),
            lines=[line.model_copy() for line in order.lines],
            shipments=[self._shipment(ship, []) for ship in self._ships_of(order)],
        )

    def _shipment(self, ship: _Shipment, events: list[ScanEvent]) -> Shipment:
        return Shipment(
            carrier=ship.carrier,
            tracking=ship.tracking,
            service=ship.service,
            skus=list(ship.skus),
            expected_delivery=ship.expected_delivery,
            events=events,
            label_voided=ship.label_voided,
        )

    def _case(self, filed: _Case, ship: _Shipment, as_of: datetime) -> CarrierCase:
        status: Literal["open", "found", "not_found"] = "open"
        if ship.search is not None and as_of >= filed.filed_at + ship.search.after:
            status = ship.search.result
        return CarrierCase(
            case_number=filed.case_number,
            carrier=filed.carrier,
            tracking=filed.tracking,
            kind=filed.kind,
            reason=filed.reason,
            filed_at=filed.filed_at,
            status=status,
        )

    def _found_scan(self, ship: _Shipment, filed: _Case) -> ScanEvent:
        """How "the carrier finds it later" looks: a delivery with a photo, when it ends."""
        assert ship.search is not None  # only called for a concluded search
        return ScanEvent(
            at=filed.filed_at + ship.search.after,
            status=ScanStatus.delivered,
            description=FOUND_BY_SEARCH,
            city=self._orders[ship.order_number].address.city,
            photo=True,
        )

    def _copy_for_staging(self) -> MemoryShop:
        """A shop sharing nothing mutable with this one, for an all-or-nothing load."""
        staged = MemoryShop()
        staged._seq = self._seq
        staged._customers = dict(self._customers)
        staged._identities = dict(self._identities)
        staged._orders = dict(self._orders)
        staged._shipments = dict(self._shipments)
        return staged

    def _adopt(self, staged: MemoryShop) -> None:
        # Only additions were staged: new customers, identities, orders and shipments.
        self._seq = staged._seq
        self._customers = staged._customers
        self._identities = staged._identities
        self._orders = staged._orders
        self._shipments = staged._shipments


# ---------------------------------------------------------------- helpers


def _has_carrier_scan(ship: _Shipment) -> bool:
    return any(e.status != ScanStatus.label_created for e in ship.events)


def _by_time(events: Iterable[ScanEvent]) -> list[ScanEvent]:
    return sorted(events, key=lambda e: e.at)  # stable: insertion order breaks ties


def _stored_scan(event: ScanEvent) -> ScanEvent:
    return event.model_copy(update={"at": as_utc(event.at)})


def _order_filter(order_numbers: list[str] | None) -> Callable[[str], bool]:
    if order_numbers is None:
        return lambda _number: True
    wanted = {normalise_order_number(n) for n in order_numbers}
    return lambda number: number in wanted


def _scenario_customer(customer: ScenarioCustomer, t0: datetime) -> Customer:
    identities = [
        Identity(kind=kind, value=value)
        for kind in IDENTITY_KINDS
        if (value := getattr(customer, kind))
    ]
    return Customer(
        id=customer.id,
        name=customer.name,
        tier=customer.tier,
        identities=identities,
        claims=[Claim(kind=c.kind, at=t0 + c.at) for c in customer.prior_claims],
    )


def _scenario_order(order: ScenarioOrder, t0: datetime) -> tuple[Order, dict[str, SearchOutcome]]:
    searches = {
        ship.tracking: SearchOutcome(ship.search.result, ship.search.after)
        for ship in order.shipments
        if ship.search is not None
    }
    model = Order(
        number=order.number,
        customer_id=order.customer,
        placed_at=t0 + order.placed,
        status=order.status,
        shipping_cost=order.shipping_cost,
        prior_reships=order.prior_reships,
        address=Address.model_validate(order.address.model_dump()),
        lines=[
            OrderLine(sku=ln.sku, name=ln.name, qty=ln.qty, unit_price=ln.unit_price)
            for ln in order.lines
        ],
        shipments=[
            Shipment(
                carrier=ship.carrier,
                tracking=ship.tracking,
                service=ship.service,
                skus=list(ship.skus or []),
                expected_delivery=(
                    t0 + ship.expected_delivery if ship.expected_delivery is not None else None
                ),
                events=[
                    ScanEvent.model_validate({**event.model_dump(), "at": t0 + event.at})
                    for event in ship.events
                ],
            )
            for ship in order.shipments
        ],
    )
    return model, searches
