"""What the carrier adapter tests share: the recorded vendor payloads (built from the vendor
notes in ../shared/vendors), a reading through the desk's policy, a fake clock."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from desk.config import PolicyConfig
from desk.models import Address, CarrierReading, Shipment
from desk.policy.carrier_record import read_carrier_record

PAYLOADS = Path(__file__).parent / "carrier_payloads"
CFG = PolicyConfig()
# An address with no coordinates: only photo, signature and words decide the proof.
ADDRESS = Address(line1="1 Main St", city="Springfield", postal_code="62701", country="US")


def payload(name: str) -> dict[str, Any]:
    """A fresh copy of a recorded payload (tests change them freely)."""
    return copy.deepcopy(json.loads((PAYLOADS / name).read_text()))


def reading(
    shipment: Shipment | None, now: datetime | None = None, address: Address = ADDRESS
) -> CarrierReading:
    return read_carrier_record(shipment, address, now or datetime(2030, 1, 1, tzinfo=UTC), CFG)


class Clock:
    """A monotonic clock the test moves (token expiry)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Sleeps(list[float]):
    """Records the waits the vendor client asks for instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
