"""A new shipping address read from a message (change_address step 1)."""

from __future__ import annotations

import pytest

from desk.classifier import classify
from desk.classifier.address import extract_address
from desk.models import Intent


@pytest.mark.parametrize(
    ("text", "line1", "line2", "city", "region", "postal", "country"),
    [
        (
            "Please ship order 600123 to 220 Harbor St, Apt 5, Phoenix, AZ 85004, US instead",
            "220 Harbor St",
            "Apt 5",
            "Phoenix",
            "AZ",
            "85004",
            "US",
        ),
        (
            "I moved! New address: 14 Elm Street, Springfield, IL 62704",
            "14 Elm Street",
            None,
            "Springfield",
            "IL",
            "62704",
            "",
        ),
        (
            "send it to 5 W 3rd Ave, Columbus OH 43201, USA please",
            "5 W 3rd Ave",
            None,
            "Columbus",
            "OH",
            "43201",
            "US",
        ),
        (
            "can you deliver to 77 Lake Dr, Madison, WI 53703-1234",
            "77 Lake Dr",
            None,
            "Madison",
            "WI",
            "53703-1234",
            "",
        ),
    ],
)
def test_full_addresses_are_read(
    text: str,
    line1: str,
    line2: str | None,
    city: str,
    region: str | None,
    postal: str,
    country: str,
) -> None:
    a = extract_address(text)
    assert a is not None
    assert (a.line1, a.line2, a.city, a.region, a.postal_code, a.country) == (
        line1,
        line2,
        city,
        region,
        postal,
        country,
    )


@pytest.mark.parametrize(
    "text",
    [
        "please change the address on my order 600123",
        "I moved to Phoenix, can you update it?",
        "order 48847 costs 22.50 and my zip is 85004",
        "call me at 555 123 4567",
    ],
)
def test_no_address_without_street_city_and_postal_code(text: str) -> None:
    assert extract_address(text) is None


def test_ship_it_to_an_address_is_a_change_of_address() -> None:
    u = classify("Please ship order 600123 to 220 Harbor St, Apt 5, Phoenix, AZ 85004 instead")
    assert u.intent == Intent.change_address
    assert u.confidence >= 0.6
    assert u.new_address is not None and u.new_address.postal_code == "85004"


@pytest.mark.parametrize(
    ("text", "angry"),
    [
        ("THIS IS RIDICULOUS, WHERE IS MY ORDER", True),
        ("Worst service ever!!! order 48221 never came", True),
        ("Hi, where is my order 48221? Thanks", False),
    ],
)
def test_anger_is_read_for_the_tone_of_the_reply(text: str, angry: bool) -> None:
    assert classify(text).angry is angry
