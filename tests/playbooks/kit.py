"""Setting up one playbook run: a shop in memory, a matched first message, the harness on
the time-skipping server with every activity mocked by name, and the calls it made.

A test builds the order (``order``, ``shipment``, ``scan``), the customer and the message
(with the reading it wants the playbook to see: the classifier is not under test here),
then ``start`` or ``play`` it, and asserts on the outcome, the calls and the shop.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from desk.config import PolicyConfig
from desk.contact import ContactRecord
from desk.models import (
    Address,
    Attachment,
    Carrier,
    Channel,
    Claim,
    ClaimKind,
    Customer,
    Identity,
    InboundMessage,
    Intent,
    Order,
    OrderLine,
    OrderStatus,
    RoutedMessage,
    ScanEvent,
    ScanStatus,
    SenderMatch,
    Shipment,
    Tier,
    Understanding,
)
from tests.fakes.activities import ActivityCall, calls_to, mocked_activities
from tests.fakes.shop import MemoryShop, SearchOutcome
from tests.playbooks.harness import HarnessInput, PlaybookHarness, PlaybookResult

HOME = Address(
    line1="12 Elm St",
    city="Springfield",
    region="IL",
    postal_code="62701",
    country="US",
    lat=39.7990,
    lon=-89.6440,
)
EMAIL = "dana@example.com"
_ids = itertools.count(1)


def line(sku: str, price: float, qty: int = 1, name: str | None = None) -> OrderLine:
    return OrderLine(sku=sku, name=name or sku.replace("-", " ").title(), qty=qty, unit_price=price)


def scan(t0: datetime, hours: float, status: ScanStatus, text: str = "", **kw: Any) -> ScanEvent:
    return ScanEvent(at=t0 + timedelta(hours=hours), status=status, description=text, **kw)


def shipment(
    *events: ScanEvent,
    t0: datetime,
    expected_hours: float | None = None,
    skus: list[str] | None = None,
    carrier: Carrier = Carrier.usps,
    tracking: str = "9400111899223100012345",
) -> Shipment:
    return Shipment(
        carrier=carrier,
        tracking=tracking,
        service="ground_advantage",
        skus=skus or [],
        expected_delivery=None if expected_hours is None else t0 + timedelta(hours=expected_hours),
        events=list(events),
    )


def delivered(
    t0: datetime, hours: float = -72, text: str = "Delivered, In/At Mailbox", **kw: Any
) -> list[ScanEvent]:
    """Accepted a week back, delivered ``hours`` from t0 (weak proof unless ``kw`` adds some)."""
    return [
        scan(t0, -24 * 7, ScanStatus.accepted, "USPS in possession of item"),
        scan(t0, hours, ScanStatus.delivered, text, **kw),
    ]


@dataclass
class Desk:
    env: WorkflowEnvironment
    shop: MemoryShop = field(default_factory=MemoryShop)
    calls: list[ActivityCall] = field(default_factory=list)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    customer: Customer | None = None
    order: Order | None = None
    queue: str = field(default_factory=lambda: f"playbook-{next(_ids)}")

    async def t0(self) -> datetime:
        return await self.env.get_current_time()

    def add(
        self,
        *lines: OrderLine,
        t0: datetime,
        shipments: list[Shipment] | None = None,
        tier: Tier = Tier.standard,
        placed_hours: float = -24 * 8,
        shipping_cost: float = 6.5,
        prior_reships: int = 0,
        status: OrderStatus = OrderStatus.fulfilled,
        claims: list[tuple[ClaimKind, float]] = (),  # type: ignore[assignment]
        stock: dict[str, int] | None = None,
        searches: dict[str, SearchOutcome] | None = None,
        number: str = "41880",
    ) -> None:
        self.customer = self.shop.add_customer(
            Customer(
                id="C-1001",
                name="Dana Reyes",
                tier=tier,
                identities=[Identity(kind="email", value=EMAIL)],
                claims=[Claim(kind=k, at=t0 + timedelta(days=d)) for k, d in claims],
            )
        )
        self.order = self.shop.add_order(
            Order(
                number=number,
                customer_id="C-1001",
                placed_at=t0 + timedelta(hours=placed_hours),
                status=status,
                shipping_cost=shipping_cost,
                prior_reships=prior_reships,
                address=HOME,
                lines=list(lines),
                shipments=shipments or [],
            ),
            searches=searches,
        )
        self.shop.set_stock(stock or {})

    def routed(
        self,
        text: str,
        intent: Intent,
        confidence: float = 0.95,
        images: int = 0,
        **reading: Any,
    ) -> RoutedMessage:
        """A message from the order's customer, read as the test says."""
        assert self.customer is not None and self.order is not None
        n = next(_ids)
        return RoutedMessage(
            message=InboundMessage(
                message_id=f"m-{n}",
                channel=Channel.email,
                sender=EMAIL,
                subject=f"Order {self.order.number}",
                text=text,
                attachments=[Attachment(kind="image", name=f"photo{i}.jpg") for i in range(images)],
            ),
            understanding=Understanding(
                intent=intent, confidence=confidence, has_image=images > 0, **reading
            ),
            match=SenderMatch(
                customer=self.shop.find_customer_by_id("C-1001"),
                order=self.shop.get_order(self.order.number),
                verified=True,
            ),
            contact_id=f"contact-order-{self.order.number}",
        )

    @asynccontextmanager
    async def running(
        self, first: RoutedMessage
    ) -> AsyncIterator[WorkflowHandle[Any, PlaybookResult]]:
        """The playbook for ``first``'s intent, started; the worker stops on exit."""
        record = ContactRecord(routed=[first])
        async with Worker(
            self.env.client,
            task_queue=self.queue,
            workflows=[PlaybookHarness],
            activities=mocked_activities(self.shop, self.calls, route=False),
        ):
            handle = await self.env.client.start_workflow(
                PlaybookHarness.run,
                HarnessInput(contact_id=first.contact_id, policy=self.policy, record=record),
                id=f"{first.contact_id}-{self.queue}",
                task_queue=self.queue,
            )
            yield handle

    async def play(self, first: RoutedMessage) -> PlaybookResult:
        """Run the playbook to its outcome, skipping through every timer."""
        async with self.running(first) as handle:
            return await handle.result()

    def called(self, name: str) -> list[tuple[Any, ...]]:
        return calls_to(self.calls, name)

    def replies(self) -> list[str]:
        return [m.body for m in self.shop.outbox()]
