"""POLICY.md wrong_item and damaged_item: which lines a claim concerns, the return label,
the photo."""

from __future__ import annotations

from collections.abc import Iterable

from desk.config import PolicyConfig
from desk.models import Order, Tier, Understanding


def lines_named(order: Order, texts: Iterable[str]) -> list[str]:
    """The SKUs of the order lines the customer's messages name, by SKU or by a word of the
    product name (longer than three letters); none named means every line, as in a
    one-item order (the caller passes the empty list on)."""
    text = " ".join(t.lower() for t in texts)
    named = []
    for ln in order.lines:
        words = [w for w in ln.name.lower().replace(",", " ").split() if len(w) > 3]
        if ln.sku.lower() in text or any(w in text for w in words):
            named.append(ln.sku)
    return named


def return_label_needed(value: float, tier: Tier, cfg: PolicyConfig) -> bool:
    """wrong_item step 2: the wrong item comes back when worth more than the tier's
    ``return_required_above``; below that the customer keeps it."""
    return value > cfg.return_required_above[tier]


def has_photo(readings: Iterable[Understanding]) -> bool:
    """damaged_item step 1: any image attachment on any message of the contact."""
    return any(u.has_image for u in readings)
