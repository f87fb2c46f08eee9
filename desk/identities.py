"""How identities, tracking numbers and order numbers are compared: their normalised forms.

POLICY.md "Who is asking": a customer is matched by any of their identities on any channel,
however the sender spells it ("Dana@Example.com", "(555) 123-0001", "@dana-r"); a customer
writes an order number as "#41880" and a tracking number with spaces. Every adapter stores
and looks up these forms, so two spellings of one identity meet.
"""

from __future__ import annotations

import re
from typing import Literal

IdentityKind = Literal["email", "phone", "chat", "social"]
IDENTITY_KINDS: tuple[IdentityKind, ...] = ("email", "phone", "chat", "social")

_PHONE_PUNCTUATION = re.compile(r"[\s\-().]")
_PHONE_LIKE = re.compile(r"^\+?\d{7,15}$")


def normalise_identity(kind: IdentityKind, value: str) -> str:
    """The stored form of an identity: what two spellings of the same one share."""
    text = value.strip()
    if kind == "email":
        return text.lower()
    if kind == "phone":
        return _PHONE_PUNCTUATION.sub("", text)
    return text.lower().lstrip("@")


def identity_lookups(identity: str) -> list[tuple[IdentityKind, str]]:
    """Every (kind, value) a raw sender string could be stored as, most specific first."""
    text = identity.strip()
    if not text:
        return []
    lookups: list[tuple[IdentityKind, str]] = []
    if "@" in text.lstrip("@"):
        lookups.append(("email", normalise_identity("email", text)))
    phone = normalise_identity("phone", text)
    if _PHONE_LIKE.match(phone):
        lookups.extend(("phone", variant) for variant in _phone_variants(phone))
    handle = normalise_identity("chat", text)
    lookups.extend([("chat", handle), ("social", handle)])
    return lookups


def _phone_variants(phone: str) -> list[str]:
    # North American numbers reach us both with and without the +1 country code.
    digits = phone.lstrip("+")
    if len(digits) == 10:
        national = digits
    elif len(digits) == 11 and digits.startswith("1"):
        national = digits[1:]
    else:
        return [phone]
    variants = [phone, "+1" + national, national, "1" + national]
    return list(dict.fromkeys(variants))


def normalise_tracking(tracking: str) -> str:
    return re.sub(r"\s+", "", tracking).upper()


def normalise_order_number(number: str) -> str:
    return number.strip().lstrip("#").strip()


def claim_contact(key: str, kind: str = "claim") -> str | None:
    """The contact an idempotency key (``<contact id>:claim``, ``<contact id>:search``)
    belongs to."""
    contact, sep, what = key.rpartition(":")
    return contact if sep and what == kind and contact else None
