"""Carrier scans: USPS, UPS and FedEx routes, services and wording, one parcel's journey
from label to door, and carrier-shaped tracking numbers.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from desk.models import Address, Carrier, ExceptionKind, ScanStatus
from devtools.demo_shop.customers import Person
from devtools.demo_shop.places import CITIES, WAREHOUSE


@dataclass
class Scan:
    at: datetime
    status: ScanStatus
    description: str
    city: str | None
    photo: bool = False
    signature: bool = False
    lat: float | None = None
    lon: float | None = None
    exception: ExceptionKind | None = None


# The road from the warehouse to the door, one line per scan until out for delivery:
# (status, description, where) with where one of warehouse / origin / hub / dest.
_ROUTE: dict[Carrier, list[tuple[ScanStatus, str, str]]] = {
    Carrier.usps: [
        (ScanStatus.accepted, "USPS in possession of item", "warehouse"),
        (ScanStatus.in_transit, "Arrived at USPS Regional Origin Facility", "origin"),
        (ScanStatus.in_transit, "Departed USPS Regional Facility", "origin"),
        (ScanStatus.in_transit, "Arrived at USPS Regional Facility", "hub"),
        (ScanStatus.in_transit, "Arrived at Post Office", "dest"),
        (ScanStatus.out_for_delivery, "Out for Delivery", "dest"),
    ],
    Carrier.ups: [
        (ScanStatus.accepted, "Picked up", "warehouse"),
        (ScanStatus.in_transit, "Departed from facility", "origin"),
        (ScanStatus.in_transit, "Arrived at Facility", "hub"),
        (ScanStatus.in_transit, "Departed from facility", "hub"),
        (ScanStatus.in_transit, "Arrived at Facility", "dest"),
        (ScanStatus.out_for_delivery, "Out For Delivery Today", "dest"),
    ],
    Carrier.fedex: [
        (ScanStatus.accepted, "Picked up", "warehouse"),
        (ScanStatus.in_transit, "Departed FedEx location", "origin"),
        (ScanStatus.in_transit, "Arrived at FedEx hub", "hub"),
        (ScanStatus.in_transit, "Departed FedEx hub", "hub"),
        (ScanStatus.in_transit, "At local FedEx facility", "dest"),
        (ScanStatus.out_for_delivery, "On FedEx vehicle for delivery", "dest"),
    ],
}
_TRANSIT_STAGES = 5  # the route's scans before "out for delivery"
_STAGE_FRACTIONS = (0.0, 0.12, 0.35, 0.5, 0.85)
_ORIGIN = {
    Carrier.usps: "Columbus, OH",
    Carrier.ups: "Columbus, OH",
    Carrier.fedex: "Grove City, OH",
}
_AIR_HUB = {Carrier.usps: None, Carrier.ups: "Louisville, KY", Carrier.fedex: "Memphis, TN"}
_LABEL_TEXT = {
    Carrier.usps: "Shipping Label Created, USPS Awaiting Item",
    Carrier.ups: "Shipper created a label, UPS has not received the package yet.",
    Carrier.fedex: "Shipment information sent to FedEx",
}
_DELAY_TEXT = {
    Carrier.usps: "In Transit, Arriving Late",
    Carrier.ups: "Your package is running late. We're adjusting plans to deliver it as soon "
    "as possible.",
    Carrier.fedex: "Delay: package delayed in transit",
}
_LOST_TEXT = {
    Carrier.usps: "Alert: item could not be located, presumed lost",
    Carrier.ups: "Exception: the package cannot be located. A trace has been started.",
    Carrier.fedex: "Shipment exception: package not located",
}
_RTS_TEXT = {
    Carrier.usps: "Addressee Unknown, Return to Sender Processed",
    Carrier.ups: "Returning to sender: the receiver's address is incorrect.",
    Carrier.fedex: "Returning package to shipper: incorrect address",
}
# (description, photo, signature, gps at the door). "{name}" is the recipient's surname.
_STRONG_DELIVERIES: dict[Carrier, list[tuple[str, bool, bool, bool]]] = {
    Carrier.usps: [
        ("Delivered, Left with Individual", False, False, False),
        ("Delivered, Front Desk/Reception/Mail Room", False, False, False),
        ("Delivered, Parcel Locker", False, False, False),
        ("Delivered, In/At Mailbox", False, False, True),
        ("Delivered, Front Door/Porch", False, False, True),
    ],
    Carrier.ups: [
        ("Delivered, front door", True, False, False),
        ("Delivered, Front Desk/Reception", False, False, False),
        ("Delivered, signed by {name}", False, True, False),
        ("Delivered, Front Porch", True, False, True),
    ],
    Carrier.fedex: [
        ("Delivered, Left at front door", True, False, False),
        ("Delivered, Signed for by: {name}", False, True, False),
        ("Delivered, Receptionist/Front Desk", False, False, False),
        ("Delivered, Left at front door", False, False, True),
    ],
}
_WEAK_DELIVERIES: dict[Carrier, list[str]] = {
    Carrier.usps: [
        "Delivered, In/At Mailbox",
        "Delivered, Front Door/Porch",
        "Delivered, Garage or Other Location at Address",
    ],
    Carrier.ups: ["Delivered, front door", "Delivered, Front Porch", "Delivered, Side Door"],
    Carrier.fedex: [
        "Delivered, Left at front door",
        "Delivered, Left at back door",
        "Delivered, Left at garage",
    ],
}
_SERVICES: dict[Carrier, list[tuple[str, float, float]]] = {
    # service, fastest and slowest transit in days
    Carrier.usps: [("ground_advantage", 3, 5), ("priority", 2, 3), ("priority_express", 1, 2)],
    Carrier.ups: [("ground", 3, 5), ("2nd_day_air", 2, 2.5), ("next_day_air", 1, 1.3)],
    Carrier.fedex: [("ground", 3, 5), ("2day", 2, 2.5), ("express", 1, 1.3)],
}


@dataclass
class Parcel:
    carrier: Carrier
    tracking: str
    service: str
    skus: list[str]
    expected: datetime | None
    scans: list[Scan]
    voided: bool = False
    search: tuple[str, float] | None = None  # (found | not_found, seconds after filing)


class _Trip:
    """One parcel's journey: which carrier, service and places, and the scans it leaves."""

    def __init__(
        self, rng: random.Random, tracking: str, carrier: Carrier, speed: int, person: Person
    ) -> None:
        self.rng = rng
        self.carrier = carrier
        self.speed = speed
        self.service, fastest, slowest = _SERVICES[carrier][speed]
        self.transit = timedelta(days=rng.uniform(fastest, slowest))
        self.person = person
        self.tracking = tracking
        city = next(c for c in CITIES if c.name == person.address.city)
        air_hub = _AIR_HUB[carrier] if speed > 0 else None
        self.places = {
            "warehouse": WAREHOUSE,
            "origin": _ORIGIN[carrier],
            "hub": air_hub or city.hub,
            "dest": f"{city.name}, {city.region}",
        }

    def label(self, at: datetime) -> Scan:
        return Scan(
            at, ScanStatus.label_created, _LABEL_TEXT[self.carrier], self.places["warehouse"]
        )

    def stages(self, start: datetime, end: datetime, count: int) -> list[Scan]:
        """The first ``count`` route scans, spread between ``start`` and ``end``."""
        scans = [self.label(start - timedelta(hours=self.rng.uniform(3, 20)))]
        route = _ROUTE[self.carrier][:count]
        fractions = _STAGE_FRACTIONS if count == _TRANSIT_STAGES else _even(count)
        for (status, text, where), fraction in zip(route, fractions, strict=False):
            at = start + (end - start) * fraction + timedelta(minutes=self.rng.randint(0, 50))
            scans.append(Scan(at, status, text, self.places[where]))
        return scans

    def to_door(self, shipped: datetime, delivered: datetime) -> list[Scan]:
        """Every scan up to and including out for delivery."""
        scans = self.stages(shipped, delivered - timedelta(hours=5), _TRANSIT_STAGES)
        status, text, where = _ROUTE[self.carrier][_TRANSIT_STAGES]
        ofd = delivered - timedelta(hours=self.rng.uniform(1.5, 4.5))
        return [*scans, Scan(ofd, status, text, self.places[where])]

    def delivery(self, at: datetime, proof: str) -> Scan:
        address = self.person.address
        scan = Scan(at, ScanStatus.delivered, "", self.places["dest"].split(",")[0])
        if proof == "strong":
            text, photo, signature, near = self.rng.choice(_STRONG_DELIVERIES[self.carrier])
            surname = self.person.name.split()[-1].upper().replace("'", "")
            scan.description, scan.photo, scan.signature = (
                text.format(name=surname),
                photo,
                signature,
            )
            if near:
                scan.lat, scan.lon = _jitter(self.rng, address, 0.0002)
        elif proof == "misdelivered":
            scan.description = self.rng.choice(_WEAK_DELIVERIES[self.carrier])
            scan.photo = self.rng.random() < 0.5  # a photo of somebody else's door
            scan.lat, scan.lon = _far_from(self.rng, address)
        else:
            scan.description = self.rng.choice(_WEAK_DELIVERIES[self.carrier])
        return scan


def _even(count: int) -> list[float]:
    return [i / max(count - 1, 1) for i in range(count)]


def _jitter(rng: random.Random, address: Address, degrees: float) -> tuple[float, float]:
    assert address.lat is not None and address.lon is not None
    return (
        round(address.lat + rng.uniform(-degrees, degrees), 6),
        round(address.lon + rng.uniform(-degrees, degrees), 6),
    )


def _far_from(rng: random.Random, address: Address) -> tuple[float, float]:
    """1.3 to 3 km away: the next street over is not where the parcel was meant to go."""
    assert address.lat is not None and address.lon is not None
    return (
        round(address.lat + rng.choice([-1, 1]) * rng.uniform(0.012, 0.027), 6),
        round(address.lon + rng.uniform(-0.01, 0.01), 6),
    )


def _daytime(rng: random.Random, moment: datetime, now: datetime) -> datetime:
    """Carriers deliver between 9 am and 7 pm US time (14:00-24:00 UTC), never in the future."""
    day = moment.replace(hour=14, minute=0, second=0, microsecond=0)
    at = day + timedelta(minutes=rng.randint(0, 9 * 60 + 59))
    while at > now:
        at -= timedelta(days=1)
    return at


class _TrackingNumbers:
    """Carrier-shaped tracking numbers, never the same twice in one shop."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def next(self, carrier: Carrier, speed: int) -> str:
        while True:
            number = self._draw(carrier, speed)
            if number not in self.used:
                self.used.add(number)
                return number

    def _draw(self, carrier: Carrier, speed: int) -> str:
        if carrier == Carrier.usps:
            return f"9400111899{self.rng.randrange(10**12):012d}"  # 22 digits
        if carrier == Carrier.ups:
            service_code = ("03", "02", "01")[speed]
            return f"1Z8V4F29{service_code}{self.rng.randrange(10**8):08d}"  # 18 characters
        return f"7{self.rng.randrange(10**11):011d}"  # FedEx: 12 digits
