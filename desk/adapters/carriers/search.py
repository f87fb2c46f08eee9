"""Carrier searches no API can file: the request a person files by hand.

USPS has no public API for a Missing Mail search (or a domestic claim): both are web forms
on usps.com. UPS and FedEx have no public trace or claim API either, and AfterShip files
nothing. For those ``file_search`` raises ``SearchNeedsOperator`` (``desk.ports``) carrying a
``MissingMailRequest`` (``desk.models``) with every field the carrier's form asks for,
filled from what the adapter knows:

- the carrier's own record: the mailing date (its first acceptance scan);
- the merchant's ship-from address (``ShipFromSettings``, ``DESK_SHIP_FROM_*``): the sender,
  and the usual container;
- when the adapter was given one, a ``ParcelDetails`` lookup (tracking number → recipient,
  contents, value) over the merchant's systems.

The contact's carrier-search activity turns the exception into a task for a person
(``desk carrier tasks``), who completes what is still empty (``missing_fields``), files it
where ``SEARCH_FORMS`` says, and signals the carrier's case number back
(``desk carrier filed``). ``complete_request`` fills a request from the order for whoever
holds it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from desk.models import Address, Carrier, MissingMailRequest, Order, ScanStatus, Shipment
from desk.ports import SearchNeedsOperator

# Where a person files it, per carrier.
SEARCH_FORMS: dict[Carrier, str] = {
    Carrier.usps: "https://missingmail.usps.com (Missing Mail search request; "
    "help: https://www.usps.com/help/missing-mail.htm)",
    Carrier.ups: "https://www.ups.com/us/en/support/file-a-claim.page (UPS claim / package "
    "trace, as the shipper)",
    Carrier.fedex: "https://www.fedex.com/en-us/customer-support/claims.html (FedEx claim / "
    "trace, as the shipper)",
    Carrier.dhl: "the DHL account's customer service (trace request, as the shipper)",
}
# USPS: a Missing Mail search once an item is "lost, late or missing for 7 days or more".
USPS_SEARCH_WAIT = timedelta(days=7)


class Party(BaseModel):
    """A sender or recipient as a carrier's form asks for them."""

    name: str = ""
    company: str | None = None
    address: Address | None = None
    email: str | None = None
    phone: str | None = None


class ParcelDetails(BaseModel):
    """What the merchant knows of a parcel that the carrier does not: given to an adapter
    as a lookup (tracking number → details) when the merchant's systems can answer it."""

    recipient: Party | None = None
    contents: list[str] = Field(default_factory=list)
    value: float | None = None
    container: str | None = None


DetailsLookup = Callable[[str], ParcelDetails | None]


class ShipFromSettings(BaseModel):
    """The merchant's ship-from address and contact, the sender on every search request:
    ``DESK_SHIP_FROM_NAME``, ``_COMPANY``, ``_LINE1``, ``_LINE2``, ``_CITY``, ``_REGION``,
    ``_POSTAL_CODE``, ``_COUNTRY``, ``_EMAIL``, ``_PHONE``, and ``_CONTAINER`` (the usual
    package, e.g. "box 12x10x4 in"; default "box")."""

    name: str = ""
    company: str | None = None
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str = "US"
    email: str | None = None
    phone: str | None = None
    container: str = "box"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ShipFromSettings:
        from desk.adapters.carriers.common import settings_from_env

        return settings_from_env(cls, "DESK_SHIP_FROM_", env)

    def party(self) -> Party:
        address = None
        if self.line1 and self.city and self.postal_code:
            address = Address(
                line1=self.line1,
                line2=self.line2,
                city=self.city,
                region=self.region,
                postal_code=self.postal_code,
                country=self.country,
            )
        return Party(
            name=self.name,
            company=self.company,
            address=address,
            email=self.email,
            phone=self.phone,
        )


def mailing_date(shipment: Shipment) -> datetime | None:
    """When the carrier took the parcel: its first scan after the label."""
    return next((e.at for e in shipment.events if e.status != ScanStatus.label_created), None)


def earliest_filing(request: MissingMailRequest) -> datetime | None:
    """The first day the carrier accepts the search (USPS: 7 days after mailing)."""
    if request.carrier == Carrier.usps and request.mailing_date is not None:
        return request.mailing_date + USPS_SEARCH_WAIT
    return None


def missing_fields(request: MissingMailRequest) -> list[str]:
    """Fields the form needs that are still empty (the person completes them)."""
    gaps = [
        name
        for name in ("sender_name", "sender_address", "recipient_name", "recipient_address")
        if not getattr(request, name)
    ]
    if request.mailing_date is None:
        gaps.append("mailing_date")
    if not request.contents:
        gaps.append("contents")
    if request.value <= 0:
        gaps.append("value")
    return gaps


def _sender_name(party: Party) -> str:
    if party.company and party.name:
        return f"{party.name}, {party.company}"
    return party.company or party.name


def operator_request(
    *,
    carrier: Carrier,
    tracking: str,
    reason: str,
    shipment: Shipment | None,
    ship_from: ShipFromSettings | None,
    details: ParcelDetails | None,
) -> MissingMailRequest:
    """The request as complete as the carrier's record, the ship-from settings and the
    merchant's details make it."""
    sender = ship_from.party() if ship_from is not None else Party()
    recipient = details.recipient if details and details.recipient else Party()
    container = (details.container if details else None) or (
        ship_from.container if ship_from else None
    )
    return MissingMailRequest(
        carrier=carrier,
        tracking=tracking,
        reason=reason,
        sender_name=_sender_name(sender),
        sender_address=sender.address.one_line() if sender.address else "",
        recipient_name=recipient.name,
        recipient_address=recipient.address.one_line() if recipient.address else "",
        recipient_email=recipient.email,
        container=container or "box",
        mailing_date=mailing_date(shipment) if shipment is not None else None,
        contents="; ".join(details.contents) if details else "",
        value=details.value if details and details.value else 0.0,
    )


def complete_request(
    request: MissingMailRequest,
    order: Order,
    shipment: Shipment | None = None,
    recipient_name: str = "",
) -> MissingMailRequest:
    """Fill what the order knows and the request lacks: the recipient's address, the
    contents (the shipment's lines) and their value, the mailing date (the carrier's first
    acceptance scan). Pure: workflow code may call it."""
    skus = set(shipment.skus) if shipment is not None and shipment.skus else None
    lines = [ln for ln in order.lines if not ln.cancelled and (skus is None or ln.sku in skus)]
    update: dict[str, object] = {}
    if not request.recipient_address:
        update["recipient_address"] = order.address.one_line()
    if not request.recipient_name and recipient_name:
        update["recipient_name"] = recipient_name
    if not request.contents and lines:
        update["contents"] = "; ".join(f"{ln.name} ({ln.sku}) x{ln.qty}" for ln in lines)
    if request.value <= 0 and lines:
        update["value"] = round(sum(ln.total for ln in lines), 2)
    if request.mailing_date is None and shipment is not None:
        update["mailing_date"] = mailing_date(shipment)
    return request.model_copy(update=update)


__all__ = [
    "SEARCH_FORMS",
    "DetailsLookup",
    "MissingMailRequest",
    "ParcelDetails",
    "Party",
    "SearchNeedsOperator",
    "ShipFromSettings",
    "complete_request",
    "earliest_filing",
    "missing_fields",
    "operator_request",
]
