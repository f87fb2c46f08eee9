"""The planned customers and orders as the sandbox shop's table rows."""

from __future__ import annotations

from desk.adapters.sandbox.tables import (
    ClaimRow,
    CustomerRow,
    IdentityRow,
    OrderLineRow,
    OrderRow,
    ScanEventRow,
    ShipmentRow,
)
from desk.identities import normalise_identity
from devtools.demo_shop.carriers import Parcel
from devtools.demo_shop.customers import Person
from devtools.demo_shop.orders import PlannedOrder


def _customer_row(person: Person) -> CustomerRow:
    kinds = {
        "email": person.email,
        "phone": person.phone,
        "chat": person.chat,
        "social": person.social,
    }
    return CustomerRow(
        id=person.id,
        name=person.name,
        tier=person.tier.value,
        identities=[
            IdentityRow(kind=kind, value=normalise_identity(kind, value))  # type: ignore[arg-type]
            for kind, value in kinds.items()
            if value
        ],
        claims=[ClaimRow(kind=kind.value, at=at) for kind, at in person.claims],
    )


def _order_row(order: PlannedOrder) -> OrderRow:
    return OrderRow(
        number=order.number,
        customer_id=order.person.id,
        placed_at=order.placed_at,
        status=order.status.value,
        shipping_cost=order.shipping_cost,
        prior_reships=order.prior_reships,
        **order.person.address.model_dump(),
        lines=[
            OrderLineRow(
                sku=p.sku,
                name=p.name,
                qty=qty,
                unit_price=p.price,
                cancelled=p.sku in order.cancelled_skus,
            )
            for p, qty in order.lines
        ],
        shipments=[_shipment_row(parcel) for parcel in order.parcels],
    )


def _shipment_row(parcel: Parcel) -> ShipmentRow:
    return ShipmentRow(
        carrier=parcel.carrier.value,
        tracking=parcel.tracking,
        service=parcel.service,
        skus=parcel.skus,
        expected_delivery=parcel.expected,
        label_voided=parcel.voided,
        search_result=parcel.search[0] if parcel.search else None,
        search_after_seconds=parcel.search[1] if parcel.search else None,
        events=[
            ScanEventRow(
                at=s.at,
                status=s.status.value,
                description=s.description,
                city=s.city,
                photo=s.photo,
                signature=s.signature,
                lat=s.lat,
                lon=s.lon,
                exception=s.exception.value if s.exception else None,
            )
            for s in sorted(parcel.scans, key=lambda s: s.at)
        ],
    )
