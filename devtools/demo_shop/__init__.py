"""A realistic demo shop, deterministic from a seed, and demo traffic that fits it.

About 40 customers across the four tiers and about 300 orders in every state the policy
distinguishes: unshipped (recent and overdue), label only, in transit on time, late,
stalled, delivered with strong or weak proof, misdelivered, lost, returning to sender,
partially shipped and cancelled. Scan histories read like USPS, UPS and FedEx tracking
pages, with cities along the route. Every time is relative to ``now``, so the same seed and
``now`` give the same shop byte for byte.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from desk.adapters.sandbox import SandboxShop, normalise_identity
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
from desk.models import (
    Address,
    Attachment,
    Carrier,
    Channel,
    ClaimKind,
    ExceptionKind,
    Intent,
    OrderStatus,
    ScanStatus,
    Tier,
)

ORDER_COUNT = 300

# The situations an order can be in, as the policy reads them (POLICY.md).
UNFULFILLED_RECENT = "unfulfilled_recent"
UNFULFILLED_OLD = "unfulfilled_old"
LABEL_CREATED = "label_created"
IN_TRANSIT = "in_transit"
LATE = "late"
STALLED = "stalled"
DELIVERED_STRONG = "delivered_strong"
DELIVERED_WEAK = "delivered_weak"
MISDELIVERED = "misdelivered"
LOST = "lost"
RETURN_TO_SENDER = "return_to_sender"
PARTIALLY_SHIPPED = "partially_shipped"
CANCELLED = "cancelled"

ORDER_STATES: tuple[str, ...] = (
    UNFULFILLED_RECENT,
    UNFULFILLED_OLD,
    LABEL_CREATED,
    IN_TRANSIT,
    LATE,
    STALLED,
    DELIVERED_STRONG,
    DELIVERED_WEAK,
    MISDELIVERED,
    LOST,
    RETURN_TO_SENDER,
    PARTIALLY_SHIPPED,
    CANCELLED,
)
_STATE_WEIGHTS = {
    UNFULFILLED_RECENT: 8,
    UNFULFILLED_OLD: 4,
    LABEL_CREATED: 4,
    IN_TRANSIT: 15,
    LATE: 6,
    STALLED: 5,
    DELIVERED_STRONG: 26,
    DELIVERED_WEAK: 12,
    MISDELIVERED: 4,
    LOST: 4,
    RETURN_TO_SENDER: 3,
    PARTIALLY_SHIPPED: 4,
    CANCELLED: 5,
}


# ---------------------------------------------------------------- public models


class DemoFollowUp(BaseModel):
    """A later message on the same problem, often from another channel."""

    message_id: str
    after_hours: float
    channel: Channel
    sender: str
    text: str
    attachments: list[Attachment] = Field(default_factory=list)


class DemoContact(BaseModel):
    """One customer message for demo traffic, written to fit its order's situation."""

    message_id: str
    send_after_s: float = Field(description="offset from the start of the demo traffic")
    situation: str
    expected_intent: Intent
    order_number: str | None
    customer_id: str | None
    channel: Channel
    sender: str
    subject: str | None = None
    text: str
    attachments: list[Attachment] = Field(default_factory=list)
    follow_ups: list[DemoFollowUp] = Field(default_factory=list)


class DemoShopSummary(BaseModel):
    seed: int
    now: datetime
    customers: int
    customers_by_tier: dict[str, int]
    customers_with_prior_claims: int
    products: int
    out_of_stock: list[str]
    orders: int
    orders_by_state: dict[str, int]
    order_numbers_by_state: dict[str, list[str]]
    shipments: int
    shipments_by_carrier: dict[str, int]
    scan_events: int
    search_outcomes: dict[str, int]
    contacts: list[DemoContact]


def seed_demo_shop(
    shop: SandboxShop, now: datetime, *, seed: int = 7, search_delay_scale: float = 1.0
) -> DemoShopSummary:
    """Fill an empty shop with the demo data; the same seed and ``now`` give the same shop."""
    now = as_utc(now)
    rng = random.Random(seed)
    people = _customers(rng, now)
    orders = _orders(rng, now, people, search_delay_scale)
    with shop.unit_of_work() as session:
        session.add_all(_customer_row(p) for p in people)
        session.flush()
        session.add_all(_order_row(o) for o in orders)
        session.add_all(InventoryRow(sku=p.sku, units=p.stock) for p in PRODUCTS)
    contacts = _contacts(rng, now, seed, people, orders)
    return _summary(seed, now, people, orders, contacts)


def demo_contacts(shop_summary: DemoShopSummary) -> list[DemoContact]:
    return list(shop_summary.contacts)


# ---------------------------------------------------------------- catalogue


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    price: float
    stock: int


PRODUCTS: tuple[Product, ...] = (
    Product("STICKER-SET", "Sticker set", 8.00, 200),
    Product("CABLE-USBC-2M", "USB-C cable, 2 m", 12.00, 150),
    Product("NOTEBOOK-A5", "A5 dot notebook", 14.00, 120),
    Product("MUG-WHT", "White mug", 18.00, 40),
    Product("CAP-RED", "Red cap", 22.00, 15),
    Product("SOCKS-3PK", "Merino socks, 3-pack", 24.00, 80),
    Product("CANDLE-CEDAR", "Cedar candle", 24.00, 12),
    Product("TOTE-CNV", "Canvas tote", 26.00, 0),
    Product("TEE-BLK-M", "Black tee, M", 32.00, 48),
    Product("TEE-WHT-L", "White tee, L", 32.00, 0),
    Product("BOTTLE-750", "Insulated bottle, 750 ml", 34.00, 35),
    Product("PLANTER-CER", "Ceramic planter", 38.00, 25),
    Product("YOGA-MAT", "Yoga mat", 45.00, 9),
    Product("CHARGER-65W", "65 W USB-C charger", 49.00, 30),
    Product("PEN-FOUNTAIN", "Fountain pen", 58.00, 16),
    Product("HOODIE-GRY-L", "Grey hoodie, L", 68.00, 22),
    Product("LAMP-DESK", "Desk lamp", 79.00, 0),
    Product("KETTLE-GOOSE", "Gooseneck kettle", 89.00, 14),
    Product("SPEAKER-BT", "Bluetooth speaker", 99.00, 0),
    Product("BLANKET-WOOL", "Wool throw blanket", 110.00, 8),
    Product("RUNNER-9", "Runner, size 9", 120.00, 11),
    Product("BACKPACK-24L", "Daypack, 24 L", 129.00, 7),
    Product("SUNGLASSES-POL", "Polarised sunglasses", 145.00, 0),
    Product("GRINDER-BURR", "Burr coffee grinder", 149.00, 5),
    Product("BOOT-HIKE-10", "Hiking boots, size 10", 189.00, 4),
    Product("HEADPHONES-NC", "Noise-cancelling headphones", 249.00, 6),
    Product("JACKET-DOWN-M", "Down jacket, M", 340.00, 2),
    Product("WATCH-STEEL", "Steel field watch", 395.00, 3),
)
_IN_STOCK = [p for p in PRODUCTS if p.stock > 0]
_OUT_OF_STOCK = [p for p in PRODUCTS if p.stock == 0]
# What a business buys by the dozen.
_B2B_PRODUCTS = [
    p
    for p in PRODUCTS
    if p.sku
    in {
        "MUG-WHT",
        "NOTEBOOK-A5",
        "PEN-FOUNTAIN",
        "CABLE-USBC-2M",
        "TEE-BLK-M",
        "CAP-RED",
        "BOTTLE-750",
        "CHARGER-65W",
    }
]


@dataclass(frozen=True)
class City:
    name: str
    region: str
    postal_code: str
    lat: float
    lon: float
    hub: str  # the carrier's regional facility on the way in
    area_code: str


CITIES: tuple[City, ...] = (
    City("Austin", "TX", "78701", 30.2672, -97.7431, "Dallas, TX", "512"),
    City("Denver", "CO", "80202", 39.7392, -104.9903, "Commerce City, CO", "303"),
    City("Portland", "OR", "97201", 45.5152, -122.6784, "Troutdale, OR", "503"),
    City("Madison", "WI", "53703", 43.0731, -89.4012, "Milwaukee, WI", "608"),
    City("Springfield", "IL", "62701", 39.7990, -89.6440, "Chicago, IL", "217"),
    City("Brooklyn", "NY", "11215", 40.6710, -73.9814, "Jersey City, NJ", "718"),
    City("Cambridge", "MA", "02139", 42.3736, -71.1097, "Boston, MA", "617"),
    City("Philadelphia", "PA", "19103", 39.9526, -75.1652, "Lester, PA", "215"),
    City("Atlanta", "GA", "30309", 33.7990, -84.3880, "Palmetto, GA", "404"),
    City("Miami", "FL", "33131", 25.7617, -80.1918, "Opa Locka, FL", "305"),
    City("Chicago", "IL", "60614", 41.9214, -87.6513, "Bedford Park, IL", "773"),
    City("Minneapolis", "MN", "55401", 44.9778, -93.2650, "Eagan, MN", "612"),
    City("Seattle", "WA", "98103", 47.6615, -122.3420, "Kent, WA", "206"),
    City("San Diego", "CA", "92103", 32.7460, -117.1640, "Los Angeles, CA", "619"),
    City("Oakland", "CA", "94612", 37.8044, -122.2712, "Richmond, CA", "510"),
    City("Phoenix", "AZ", "85004", 33.4484, -112.0740, "Tempe, AZ", "602"),
    City("Nashville", "TN", "37203", 36.1527, -86.7897, "Memphis, TN", "615"),
    City("Raleigh", "NC", "27601", 35.7796, -78.6382, "Greensboro, NC", "919"),
    City("Kansas City", "MO", "64105", 39.1020, -94.5830, "Kansas City, KS", "816"),
    City("Salt Lake City", "UT", "84101", 40.7608, -111.8910, "West Valley City, UT", "801"),
    City("Boise", "ID", "83702", 43.6150, -116.2023, "Nampa, ID", "208"),
    City("Richmond", "VA", "23219", 37.5407, -77.4360, "Sandston, VA", "804"),
    City("New Orleans", "LA", "70130", 29.9511, -90.0715, "Baton Rouge, LA", "504"),
    City("Pittsburgh", "PA", "15222", 40.4406, -79.9959, "Warrendale, PA", "412"),
)
WAREHOUSE = "Groveport, OH"
_STREETS = (
    "Elm St",
    "Oak Ave",
    "Maple Dr",
    "Cedar Ln",
    "Pine Rd",
    "Lake Dr",
    "Park Ave",
    "Hillcrest Rd",
    "Willow Way",
    "Summit St",
    "River Rd",
    "Birch Ln",
    "Chestnut St",
    "Highland Ave",
    "Sunset Blvd",
    "Jefferson St",
    "Washington Ave",
    "Magnolia Ct",
)
_FIRST = (
    "Dana",
    "Lee",
    "Priya",
    "Sam",
    "Alex",
    "Maria",
    "Jamal",
    "Chen",
    "Olivia",
    "Noah",
    "Fatima",
    "Diego",
    "Hannah",
    "Kwame",
    "Sofia",
    "Ethan",
    "Aisha",
    "Mateo",
    "Grace",
    "Yuki",
    "Omar",
    "Chloe",
    "Ravi",
    "Isabel",
    "Marcus",
    "Leila",
    "Tom",
    "Nadia",
    "Ben",
    "Elena",
    "Jordan",
    "Mei",
    "Lucas",
    "Zoe",
    "Andre",
    "Ingrid",
    "Tariq",
    "Rosa",
    "Kenji",
    "Amara",
)
_LAST = (
    "Reyes",
    "Park",
    "Shah",
    "Okafor",
    "Kim",
    "Garcia",
    "Johnson",
    "Wang",
    "Bennett",
    "Nguyen",
    "Haddad",
    "Morales",
    "Fischer",
    "Mensah",
    "Rossi",
    "Walsh",
    "Khan",
    "Silva",
    "O'Connor",
    "Tanaka",
    "Farouk",
    "Dubois",
    "Patel",
    "Castillo",
    "Brooks",
    "Amini",
    "Novak",
    "Petrov",
    "Adler",
    "Kowalski",
    "Lindqvist",
    "Hughes",
    "Ito",
    "Moreau",
    "Banda",
)
_COMPANIES = (
    ("Northwind Cafe Supply", "northwindcafe"),
    ("Brightline Dental Group", "brightline"),
    ("Harbor & Pine Interiors", "harborpine"),
    ("Summit Outdoor Rentals", "summitrentals"),
    ("Kestrel Studio Co.", "kestrelstudio"),
)
_MAIL_DOMAINS = ("example.com", "example.net", "example.org", "mail.example", "inbox.example")
_TIERS = [Tier.vip] * 6 + [Tier.standard] * 20 + [Tier.new] * 9  # plus the companies: b2b


# ---------------------------------------------------------------- customers


@dataclass
class Person:
    id: str
    name: str
    first: str
    tier: Tier
    email: str
    phone: str | None
    chat: str | None
    social: str | None
    address: Address
    claims: list[tuple[ClaimKind, datetime]] = field(default_factory=list)


def _customers(rng: random.Random, now: datetime) -> list[Person]:
    tiers = list(_TIERS)
    rng.shuffle(tiers)
    firsts = rng.sample(_FIRST, len(tiers))
    lasts = rng.choices(_LAST, k=len(tiers))
    people = [
        _consumer(rng, i, first, last, tier)
        for i, (first, last, tier) in enumerate(zip(firsts, lasts, tiers, strict=True))
    ]
    people += [
        _company(rng, len(people) + i, name, slug) for i, (name, slug) in enumerate(_COMPANIES)
    ]
    _give_prior_claims(rng, now, people)
    return people


def _consumer(rng: random.Random, i: int, first: str, last: str, tier: Tier) -> Person:
    city = rng.choice(CITIES)
    plain_last = last.replace("'", "").lower()
    handle = rng.choice(
        [
            f"{first.lower()}-{plain_last[0]}",
            f"{first.lower()}.{plain_last}",
            f"{first.lower()}_{plain_last[:3]}",
            f"{first[0].lower()}{plain_last}",
        ]
    )
    email_user = rng.choice(
        [
            f"{first.lower()}.{plain_last}",
            f"{first.lower()}{plain_last}",
            f"{first[0].lower()}{plain_last}{rng.randint(1, 99)}",
        ]
    )
    return Person(
        id=f"C-{2101 + i}",
        name=f"{first} {last}",
        first=first,
        tier=tier,
        email=f"{email_user}@{rng.choice(_MAIL_DOMAINS)}",
        phone=_phone(city, i) if rng.random() < 0.85 else None,
        chat=handle if rng.random() < 0.5 else None,
        social=f"{handle.replace('-', '_')}{rng.randint(1, 9)}" if rng.random() < 0.25 else None,
        address=_home(rng, city),
    )


def _company(rng: random.Random, i: int, name: str, slug: str) -> Person:
    city = rng.choice(CITIES)
    address = _home(rng, city).model_copy(update={"line2": f"Suite {rng.randint(1, 9)}00"})
    return Person(
        id=f"C-{2101 + i}",
        name=name,
        first=name.split()[0],
        tier=Tier.b2b,
        email=f"{rng.choice(['orders', 'purchasing', 'ops'])}@{slug}.example",
        phone=_phone(city, i),
        chat=f"{slug}-ops" if rng.random() < 0.4 else None,
        social=None,
        address=address,
    )


def _phone(city: City, i: int) -> str:
    # 555-0100 to 555-0199 are reserved for fiction in every North American area code.
    return f"+1{city.area_code}5550{100 + i:03d}"


def _home(rng: random.Random, city: City) -> Address:
    line2 = rng.choice([None, None, None, f"Apt {rng.randint(1, 30)}{rng.choice('ABCD')}"])
    return Address(
        line1=f"{rng.randint(2, 9800)} {rng.choice(_STREETS)}",
        line2=line2,
        city=city.name,
        region=city.region,
        postal_code=city.postal_code,
        country="US",
        lat=round(city.lat + rng.uniform(-0.04, 0.04), 5),
        lon=round(city.lon + rng.uniform(-0.04, 0.04), 5),
    )


def _give_prior_claims(rng: random.Random, now: datetime, people: list[Person]) -> None:
    """A few customers with a history: two trip the fraud gate, one only has old claims."""
    consumers = [p for p in people if p.tier != Tier.b2b]
    histories: list[list[tuple[ClaimKind, float]]] = [
        [(ClaimKind.delivered_not_received, -150), (ClaimKind.delivered_not_received, -35)],
        [(ClaimKind.wrong_item, -200), (ClaimKind.delivered_not_received, -60)],
        [(ClaimKind.delivered_not_received, -90)],
        [(ClaimKind.damaged_item, -45)],
        [(ClaimKind.wrong_item, -120)],
        [
            (ClaimKind.delivered_not_received, -420),
            (ClaimKind.delivered_not_received, -500),
            (ClaimKind.wrong_item, -610),
        ],
    ]
    for person, history in zip(rng.sample(consumers, len(histories)), histories, strict=True):
        person.claims = [(kind, now + timedelta(days=days)) for kind, days in history]


# ---------------------------------------------------------------- carriers


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
_SHIPPING_FEE = (5.95, 9.95, 19.95)  # by service speed, waived from $75


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


# ---------------------------------------------------------------- orders


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


# ---------------------------------------------------------------- rows


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


# ---------------------------------------------------------------- demo traffic


@dataclass(frozen=True)
class _Template:
    text: str
    channel: Channel = Channel.email
    subject: str | None = None
    intent: Intent = Intent.where_is_my_order
    image: bool = False


_W = Intent.where_is_my_order
_D = Intent.delivered_not_received
_TEMPLATES: dict[str, list[_Template]] = {
    "wismo": [
        _Template("hey where is my order? {ref}", Channel.sms),
        _Template(
            "Hi, just checking on {ref} - any idea when it'll arrive? Thanks, {first}",
            Channel.email,
            "Order {num} status",
        ),
        _Template("wheres my {item}?? ordered it {days} days ago", Channel.sms),
        _Template(
            "Hello! Could you tell me when {ref} will be delivered? I need the {item} "
            "before the weekend.",
            Channel.web,
        ),
        _Template(
            "tracking hasnt updated since yesterday, is {ref} still on its way?", Channel.chat
        ),
    ],
    "late": [
        _Template(
            "My order {ref} was supposed to arrive by {expected}. It's late. What's going on?",
            Channel.email,
            "Late delivery - order {num}",
        ),
        _Template(
            "Still no {item}. Tracking just says it's running late. When will it actually "
            "get here? {ref}",
            Channel.chat,
        ),
        _Template("this is taking forever. {ref} was due days ago", Channel.sms),
    ],
    "stalled": [
        _Template(
            "Tracking for {ref} hasn't moved in over a week. Is it lost?",
            Channel.email,
            "Is my package lost?",
        ),
        _Template(
            "Hi, my {carrier} package has been stuck at the same facility since {last_scan}. "
            "Order {num}. Can you help?",
            Channel.chat,
        ),
        _Template("order {num} hasnt moved in days. honestly just refund me", Channel.sms),
    ],
    "lost": [
        _Template(
            "Tracking says my package was lost?? {ref}. Can you send another one please",
            Channel.sms,
        ),
        _Template(
            "{carrier} says the parcel for {ref} can't be located. I'd like a refund please.",
            Channel.email,
            "Lost parcel, order {num}",
        ),
    ],
    "dnr": [
        _Template(
            "Tracking says delivered but there's nothing here. {ref}", Channel.sms, intent=_D
        ),
        _Template(
            "Hi, {ref} shows as delivered {when} but it's not in my mailbox or at the door. "
            "I already asked the neighbours.\n\nThanks,\n{first}",
            Channel.email,
            "Order {num} never arrived",
            intent=_D,
        ),
        _Template("it says delivered but i dont have it?? #{num}", Channel.chat, intent=_D),
        _Template(
            "Hello, the {item} I ordered ({ref}) was marked delivered but never showed up. "
            "Could you look into it?",
            Channel.web,
            intent=_D,
        ),
        _Template(
            "Your tracking says my {item} was delivered {when}. It wasn't. Nothing on the "
            "porch, nothing in the mailbox, nothing at the leasing office.",
            Channel.email,
            "Package marked delivered - not received",
            intent=_D,
        ),
    ],
    "misdelivered": [
        _Template(
            "My package was 'delivered' but I think it went to the wrong house - that "
            "isn't my street. order {num}",
            Channel.email,
            "Delivered to the wrong address?",
            intent=_D,
        ),
        _Template(
            "says delivered {when} but its not here, pretty sure the driver got the wrong "
            "address. {ref}",
            Channel.sms,
            intent=_D,
        ),
    ],
    "dnr_strong": [
        _Template(
            "{ref_cap} says delivered but I can't find it anywhere.", Channel.chat, intent=_D
        ),
        _Template(
            "The tracking says it was left at the front desk but the front desk says they "
            "don't have anything for me. {ref}",
            Channel.email,
            "Missing package {num}",
            intent=_D,
        ),
    ],
    "damaged": [
        _Template(
            "The {item} from {ref} arrived damaged - the box was crushed and it's unusable. "
            "Photo attached.",
            Channel.email,
            "Damaged item in order {num}",
            Intent.damaged_item,
            image=True,
        ),
        _Template(
            "recieved my order today but the {item} is broken. pic attached #{num}",
            Channel.chat,
            intent=Intent.damaged_item,
            image=True,
        ),
    ],
    "damaged_no_photo": [
        _Template(
            "Hi, my {item} ({ref}) came broken. What can you do?",
            Channel.chat,
            intent=Intent.damaged_item,
        ),
    ],
    "wrong_item": [
        _Template(
            "I ordered the {item} but got something completely different in the box. {ref_cap}.",
            Channel.email,
            "Wrong item received",
            Intent.wrong_item,
        ),
        _Template(
            "Wrong item in my package for {ref} - this isn't what I ordered.",
            Channel.web,
            intent=Intent.wrong_item,
        ),
    ],
    "cancel": [
        _Template(
            "Please cancel {ref}, I ordered the wrong size.",
            Channel.web,
            intent=Intent.cancel_order,
        ),
        _Template(
            "hi can i cancel {ref}? changed my mind", Channel.sms, intent=Intent.cancel_order
        ),
        _Template(
            "Cancel my order {num} please. Found it cheaper elsewhere, sorry!",
            Channel.email,
            "Cancel order {num}",
            Intent.cancel_order,
        ),
    ],
    "cancel_shipped": [
        _Template(
            "Can I still cancel {ref}? I don't need it anymore.",
            Channel.chat,
            intent=Intent.cancel_order,
        ),
    ],
    "cancel_rest": [
        _Template(
            "The rest of {ref} arrived but the {backorder} still hasn't shipped. Can you just "
            "cancel that part?",
            Channel.email,
            "Cancel the backordered item",
            Intent.cancel_order,
        ),
    ],
    "change_address": [
        _Template(
            "Hi, I just moved - can you ship {ref} to 220 Harbor St, Apt 5, {city} "
            "{postal} instead?",
            Channel.email,
            "Address change for order {num}",
            Intent.change_address,
        ),
    ],
    "unshipped_old": [
        _Template(
            "I ordered {days} days ago and it still hasn't shipped. What's the holdup with {ref}?",
            Channel.email,
            "Order {num} not shipped",
        ),
        _Template("why hasnt order {num} shipped yet?? its been over a week", Channel.sms),
    ],
    "return_to_sender": [
        _Template(
            "Tracking for {ref} says it's being returned to sender?! My address is "
            "correct. What happened?",
            Channel.email,
            "Returned to sender??",
        ),
    ],
    "human": [
        _Template(
            "I want to talk to a human please, it's about {ref}.", Channel.chat, intent=Intent.other
        ),
        _Template(
            "Can I speak to a real person? This is about {ref} and the bot isn't helping.",
            Channel.sms,
            intent=Intent.other,
        ),
    ],
    "sensitive": [
        _Template(
            "If I don't get my money back for {ref} I'm disputing the charge with my bank. "
            "This is ridiculous.",
            Channel.email,
            "Chargeback",
            intent=_D,
        ),
    ],
    "unclear": [
        _Template(
            "Hi, do you ship to Canada? Asking for a friend who loves the {item}.",
            Channel.chat,
            intent=Intent.other,
        ),
        _Template(
            "can you update the email address on my account", Channel.sms, intent=Intent.other
        ),
    ],
    "unknown_sender": [
        _Template(
            "Where is order {num}? It was supposed to be here by now.",
            Channel.email,
            "Where is my order",
        ),
        _Template("hello i never got my package", Channel.sms, intent=_D),
    ],
}
# (which messages, from orders in which states, how many)
_TRAFFIC: list[tuple[str, tuple[str, ...], int]] = [
    ("wismo", (IN_TRANSIT,), 5),
    ("late", (LATE,), 3),
    ("stalled", (STALLED,), 3),
    ("lost", (LOST,), 2),
    ("dnr", (DELIVERED_WEAK,), 5),
    ("misdelivered", (MISDELIVERED,), 2),
    ("dnr_strong", (DELIVERED_STRONG,), 2),
    ("damaged", (DELIVERED_STRONG,), 2),
    ("damaged_no_photo", (DELIVERED_STRONG,), 1),
    ("wrong_item", (DELIVERED_STRONG,), 2),
    ("cancel", (UNFULFILLED_RECENT, LABEL_CREATED), 3),
    ("cancel_shipped", (IN_TRANSIT,), 1),
    ("cancel_rest", (PARTIALLY_SHIPPED,), 1),
    ("change_address", (UNFULFILLED_RECENT,), 1),
    ("unshipped_old", (UNFULFILLED_OLD,), 2),
    ("return_to_sender", (RETURN_TO_SENDER,), 1),
    ("human", (IN_TRANSIT, DELIVERED_STRONG, LATE), 2),
    ("sensitive", (DELIVERED_WEAK, STALLED), 1),
    ("unclear", (DELIVERED_STRONG,), 2),
    ("unknown_sender", (IN_TRANSIT, DELIVERED_WEAK), 2),
]
_STRANGERS = (
    ("jordan.miles@example.net", Channel.email),
    ("+13125550199", Channel.sms),
    ("casey.tran@inbox.example", Channel.email),
)
# kind -> (text, with a photo) for a later message on another channel
_FOLLOW_UPS: dict[str, list[tuple[str, bool]]] = {
    "dnr": [
        ("Asked the neighbours again, nobody has it.", False),
        ("Found it! It was behind the planter by the side door. Sorry for the trouble!", False),
        ("still nothing here fyi", False),
    ],
    "misdelivered": [("I walked around the block, no sign of it.", False)],
    "damaged_no_photo": [("here's a photo of it", True)],
}


def _contacts(
    rng: random.Random, now: datetime, seed: int, people: list[Person], orders: list[PlannedOrder]
) -> list[DemoContact]:
    latest = _latest_orders(orders)
    used: set[str] = set()
    contacts: list[DemoContact] = []
    clock = 0.0
    strangers = 0
    for kind, states, count in _TRAFFIC:
        pool = [o for o in orders if o.state in states and o.number not in used]
        for order in rng.sample(pool, min(count, len(pool))):
            used.add(order.number)
            clock += rng.uniform(15, 90)
            message_id = f"demo-{seed}-{len(contacts) + 1:03d}"
            if kind == "unknown_sender":
                contact = _from_stranger(rng, now, order, strangers, message_id, clock)
                strangers += 1
            else:
                contact = _from_customer(rng, now, kind, order, latest, message_id, clock)
            contacts.append(contact)
    return contacts


def _latest_orders(orders: list[PlannedOrder]) -> dict[str, str]:
    latest: dict[str, PlannedOrder] = {}
    for order in orders:
        mine = latest.get(order.person.id)
        if mine is None or order.placed_at >= mine.placed_at:
            latest[order.person.id] = order
    return {person_id: order.number for person_id, order in latest.items()}


def _from_customer(
    rng: random.Random,
    now: datetime,
    kind: str,
    order: PlannedOrder,
    latest: dict[str, str],
    message_id: str,
    clock: float,
) -> DemoContact:
    template = rng.choice(_TEMPLATES[kind])
    person = order.person
    channel, sender = _channel_for(person, template.channel)
    slots = _slots(rng, now, order)
    text = template.text.format(**slots)
    names_order = "{ref" in template.text or "{num}" in template.text
    asks_about_order = template.intent != Intent.other
    if asks_about_order and not names_order and latest.get(person.id) != order.number:
        # Without a number the desk would look at the latest order, which isn't this one.
        text += f" (order {order.number})"
    return DemoContact(
        message_id=message_id,
        send_after_s=round(clock, 1),
        situation=order.state,
        expected_intent=template.intent,
        order_number=order.number,
        customer_id=person.id,
        channel=channel,
        sender=sender,
        subject=_subject(template, slots) if channel == Channel.email else None,
        text=_as_typed(rng, text, channel),
        attachments=[_photo(rng)] if template.image else [],
        follow_ups=_follow_ups(rng, kind, person, channel, message_id),
    )


def _from_stranger(
    rng: random.Random,
    now: datetime,
    order: PlannedOrder,
    index: int,
    message_id: str,
    clock: float,
) -> DemoContact:
    """Someone the shop doesn't know, perhaps naming somebody else's order."""
    templates = _TEMPLATES["unknown_sender"]
    template = templates[index % len(templates)]
    sender, channel = _STRANGERS[index % len(_STRANGERS)]
    slots = _slots(rng, now, order)
    return DemoContact(
        message_id=message_id,
        send_after_s=round(clock, 1),
        situation="unknown_sender",
        expected_intent=template.intent,
        order_number=None,
        customer_id=None,
        channel=channel,
        sender=sender,
        subject=_subject(template, slots) if channel == Channel.email else None,
        text=_as_typed(rng, template.text.format(**slots), channel),
    )


def _subject(template: _Template, slots: dict[str, str]) -> str:
    return (template.subject or "Order {num}").format(**slots)


def _channel_for(person: Person, wanted: Channel) -> tuple[Channel, str]:
    by_channel = {
        Channel.email: person.email,
        Channel.web: person.email,
        Channel.sms: person.phone,
        Channel.chat: person.chat,
        Channel.social: f"@{person.social}" if person.social else None,
    }
    sender = by_channel[wanted]
    return (wanted, sender) if sender else (Channel.email, person.email)


def _slots(rng: random.Random, now: datetime, order: PlannedOrder) -> dict[str, str]:
    parcel = order.parcel()
    scans = parcel.scans if parcel else []
    visible = [s for s in scans if s.at <= now]
    delivered = next((s.at for s in reversed(visible) if s.status == ScanStatus.delivered), None)
    backorder = next((p.name for p, _ in order.lines if p in _OUT_OF_STOCK), "last item")
    ref = rng.choice(["#{n}", "order {n}", "order #{n}", "{n}", "my order {n}"]).format(
        n=order.number
    )
    return {
        "ref": ref,
        "ref_cap": ref[0].upper() + ref[1:],
        "num": order.number,
        "item": order.subject_item.name.split(",")[0].lower(),
        "first": order.person.first,
        "days": str(max(1, (now - order.placed_at).days)),
        "carrier": {"usps": "USPS", "ups": "UPS", "fedex": "FedEx"}.get(
            parcel.carrier.value if parcel else "", "the carrier"
        ),
        "expected": parcel.expected.strftime("%A") if parcel and parcel.expected else "Friday",
        "last_scan": _date(visible[-1].at) if visible else "last week",
        "when": _when(now, delivered),
        "city": order.person.address.city,
        "postal": order.person.address.postal_code,
        "backorder": backorder.lower(),
    }


def _when(now: datetime, moment: datetime | None) -> str:
    if moment is None:
        return "recently"
    days = (now - moment).days
    if days == 0:
        return "today"
    if days == 1:
        return "yesterday"
    return f"on {moment:%A}" if days < 7 else f"on {_date(moment)}"


def _date(moment: datetime) -> str:
    return f"{moment:%B} {moment.day}"


def _as_typed(rng: random.Random, text: str, channel: Channel) -> str:
    """People type fast on phones: lower case now and then, and the odd swapped letter."""
    if channel == Channel.sms and rng.random() < 0.5:
        text = text.lower()
    if rng.random() < 0.25:
        words = text.split(" ")
        candidates = [i for i, w in enumerate(words) if len(w) > 5 and w.isalpha()]
        if candidates:
            i = rng.choice(candidates)
            j = rng.randint(1, len(words[i]) - 3)
            w = words[i]
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
            text = " ".join(words)
    return text


def _photo(rng: random.Random) -> Attachment:
    return Attachment(
        kind="image", name=f"IMG_{rng.randint(1000, 9999)}.jpg", content_type="image/jpeg"
    )


def _follow_ups(
    rng: random.Random, kind: str, person: Person, first: Channel, message_id: str
) -> list[DemoFollowUp]:
    """A later message, on another channel when the customer has one: contacts merge."""
    options = _FOLLOW_UPS.get(kind)
    if not options:
        return []
    others = [c for c in (Channel.chat, Channel.sms) if c != first]
    channel, sender = _channel_for(person, rng.choice(others))
    if kind in {"dnr", "misdelivered"} and channel == Channel.email:
        return []  # a second email adds nothing to the demo
    text, photo = rng.choice(options)
    return [
        DemoFollowUp(
            message_id=f"{message_id}-2",
            after_hours=rng.choice([2, 3, 5, 20]),
            channel=channel,
            sender=sender,
            text=text,
            attachments=[_photo(rng)] if photo else [],
        )
    ]


# ---------------------------------------------------------------- summary


def _summary(
    seed: int,
    now: datetime,
    people: list[Person],
    orders: list[PlannedOrder],
    contacts: list[DemoContact],
) -> DemoShopSummary:
    parcels = [p for o in orders for p in o.parcels]
    by_state: dict[str, list[str]] = {state: [] for state in ORDER_STATES}
    for order in orders:
        by_state[order.state].append(order.number)
    return DemoShopSummary(
        seed=seed,
        now=now,
        customers=len(people),
        customers_by_tier=dict(sorted(Counter(p.tier.value for p in people).items())),
        customers_with_prior_claims=sum(1 for p in people if p.claims),
        products=len(PRODUCTS),
        out_of_stock=[p.sku for p in _OUT_OF_STOCK],
        orders=len(orders),
        orders_by_state={state: len(numbers) for state, numbers in by_state.items()},
        order_numbers_by_state=by_state,
        shipments=len(parcels),
        shipments_by_carrier=dict(sorted(Counter(p.carrier.value for p in parcels).items())),
        scan_events=sum(len(p.scans) for p in parcels),
        search_outcomes=dict(sorted(Counter(p.search[0] for p in parcels if p.search).items())),
        contacts=contacts,
    )
