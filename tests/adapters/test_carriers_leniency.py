"""Recorded responses beyond ours will be read: every parser takes a vendor payload with
fields missing, null or of the wrong kind, and either reads it or says which vendor
format it is not (never a TypeError or a KeyError)."""

from __future__ import annotations

import contextlib
import copy
import json
import random
from collections.abc import Iterator
from typing import Any

import pytest

from desk.adapters.carriers import aftership, easypost, fedex, ups, usps
from desk.adapters.carriers.common import (
    CarrierErrorResponse,
    CarrierFormatError,
    TrackingNotFound,
)
from tests.adapters.carrier_kit import PAYLOADS

PARSERS = {
    "usps": usps.parse,
    "ups": ups.parse,
    "fedex": fedex.parse,
    "easypost": easypost.parse,
    "aftership": aftership.parse,
}
ODD = [None, "", 0, -1, 1.5, True, [], {}, "garbage", "2024-13-45T99:99:99", [None], {"a": None}]
FIXTURES = sorted(PAYLOADS.glob("*.json"))


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if prefix:
        yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


def _mutated(payload: Any, rng: random.Random) -> Any:
    changed = copy.deepcopy(payload)
    paths = list(_paths(changed))
    for _ in range(rng.randint(1, 4)):
        path = rng.choice(paths)
        holder = changed
        try:
            for key in path[:-1]:
                holder = holder[key]
            if isinstance(holder, dict) and rng.random() < 0.3:
                holder.pop(path[-1], None)
            else:
                holder[path[-1]] = rng.choice(ODD)
        except (KeyError, IndexError, TypeError):
            continue
    return changed


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.stem for f in FIXTURES])
def test_odd_fields_are_read_or_refused_by_name(fixture: Any) -> None:
    parse = PARSERS[fixture.name.split("_")[0]]
    base = json.loads(fixture.read_text())
    rng = random.Random(fixture.name)
    for _ in range(150):
        with contextlib.suppress(CarrierFormatError, CarrierErrorResponse, TrackingNotFound):
            parse(_mutated(base, rng))


@pytest.mark.parametrize("vendor", sorted(PARSERS))
@pytest.mark.parametrize("payload", [None, [], "text", 3, {}, {"unrelated": True}])
def test_what_is_not_a_tracking_response_is_refused(vendor: str, payload: Any) -> None:
    with pytest.raises((CarrierFormatError, CarrierErrorResponse, TrackingNotFound)):
        PARSERS[vendor](payload)
