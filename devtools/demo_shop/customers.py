"""The demo shop's customers: consumers of every tier and a few businesses, with their
identities on each channel, home addresses and a few with a claims history.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from desk.models import Address, ClaimKind, Tier
from devtools.demo_shop.places import CITIES, City

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
