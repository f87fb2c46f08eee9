"""A new shipping address written in a message: street, city, region, postal code, country.

Conservative on purpose: an address is taken only when a street line, a city and a postal
code are all there. The country may be left out (the desk then keeps the order's own,
which is what a customer moving within the country means).
"""

from __future__ import annotations

import re

from desk.models import Address

_STREET_TYPES = (
    r"st|street|ave|avenue|rd|road|blvd|boulevard|ln|lane|dr|drive|ct|court|way|pl|place|"
    r"ter|terrace|pkwy|parkway|hwy|highway|row|cir|circle|sq|square|trl|trail"
)
# Street-name words: letters or ordinals ("5th"), never the words around an address
# ("ship order 123 to 220 Harbor St" must not start the street at 123).
_STREET_WORD = (
    r"(?!(?:to|at|for|in|on|order|the|my|is|and|ship|send|from|address|instead)\b)"
    r"(?:[a-z][a-z.'-]*|\d+(?:st|nd|rd|th))"
)
_COUNTRIES = {
    "us": "US",
    "usa": "US",
    "united states": "US",
    "u.s.": "US",
    "u.s.a.": "US",
    "canada": "CA",
    "uk": "GB",
    "united kingdom": "GB",
    "gb": "GB",
}
_ADDRESS = re.compile(
    rf"(?P<line1>\b\d{{1,6}}[a-z]?\s+(?:{_STREET_WORD}\s+){{0,4}}?(?:{_STREET_TYPES})\.?)"
    r"(?:\s*,?\s*(?P<line2>(?:apt|apartment|suite|ste|unit|#)\.?\s*[\w-]+))?"
    r"\s*,\s*(?P<city>[a-z][a-z .'-]{1,40}?)"
    r"(?:\s*,\s*|\s+)(?:(?P<region>[a-z]{2})\s*,?\s+)?"
    r"(?P<postal>\d{5}(?:-\d{4})?|[a-z]\d[a-z]\s?\d[a-z]\d)"
    r"(?:\s*,?\s*(?P<country>united states|united kingdom|canada|"
    r"u\.s\.a\.|u\.s\.|usa|us|uk|gb)\b)?",
    re.IGNORECASE,
)


def extract_address(text: str) -> Address | None:
    m = _ADDRESS.search(text)
    if m is None:
        return None
    country = m.group("country")
    return Address(
        line1=" ".join(m.group("line1").split()),
        line2=m.group("line2"),
        city=" ".join(m.group("city").split()).title(),
        region=m.group("region").upper() if m.group("region") else None,
        postal_code=m.group("postal").upper(),
        country=_COUNTRIES.get(country.lower(), country.upper()) if country else "",
    )
