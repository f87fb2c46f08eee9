"""``desk carrier read --format usps|ups|fedex|easypost|aftership FILE``: the desk's reading
of a saved carrier tracking response, as JSON.

The file goes through the vendor adapter's own ``parse`` (the same code the desk runs on a
live response) and then ``read_carrier_record`` (POLICY.md "Reading the carrier record"):
the status, the proof's strength and the facts that decided it, when it was delivered, late
or stalled against the expected date the payload gives, the exception kind, and the events
oldest first. Unknown fields and missing optional ones are ignored; a file that is not the
named vendor's response at all exits 2 naming the field that says so.

Without the delivery address a scan's GPS cannot be compared (``--lat`` / ``--lon`` give
the address's coordinates); ``--now`` reads an old recording at the time it was saved.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from desk.adapters.carriers import aftership, easypost, fedex, ups, usps
from desk.adapters.carriers.common import (
    CarrierErrorResponse,
    CarrierFormatError,
    TrackingNotFound,
)
from desk.config import ConfigError, load_policy
from desk.models import Address, Shipment
from desk.policy.carrier_record import read_carrier_record

PARSERS: dict[str, Callable[[Any], Shipment]] = {
    "usps": usps.parse,
    "ups": ups.parse,
    "fedex": fedex.parse,
    "easypost": easypost.parse,
    "aftership": aftership.parse,
}
FORMATS = tuple(PARSERS)


def run_carrier_read(
    fmt: str,
    path: str | Path,
    now: datetime | None = None,
    *,
    lat: float | None = None,
    lon: float | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Print the reading of the saved response in ``path`` as ``fmt``; 0, or 2 with the
    problem on stderr."""
    out = out or sys.stdout
    err = err or sys.stderr

    def fail(message: str) -> int:
        print(f"desk carrier read: {message}", file=err)
        return 2

    parser = PARSERS.get(fmt)
    if parser is None:
        return fail(f"unknown format {fmt!r} (one of: {', '.join(FORMATS)})")
    try:
        raw = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as problem:
        return fail(f"cannot read {path}: {problem}")
    try:
        payload = json.loads(raw)
    except json.JSONDecodeError as problem:
        return fail(f"{path} is not JSON: {problem}")
    try:
        policy = load_policy()
    except ConfigError as problem:
        return fail(str(problem))
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    carrier_says = None
    try:
        shipment: Shipment | None = parser(payload)
    except (CarrierFormatError, CarrierErrorResponse) as problem:
        return fail(f"{path}: {problem}")
    except TrackingNotFound as problem:
        shipment, carrier_says = None, f"{problem.code}: {problem.message}".strip(": ")
    address = Address(line1="", city="", postal_code="", country="", lat=lat, lon=lon)
    if shipment is None:
        reading = read_carrier_record(None, address, moment, policy)
    else:
        reading = read_carrier_record(shipment, address, moment, policy)
    report: dict[str, Any] = {
        "format": fmt,
        "file": str(path),
        "carrier": shipment.carrier.value if shipment else None,
        "tracking": shipment.tracking if shipment else None,
        "service": shipment.service if shipment else None,
        "status": reading.status,
        "proof": reading.proof,
        "proof_facts": reading.proof_facts,
        "delivered_at": _iso(reading.delivered_at),
        "expected_delivery": _iso(shipment.expected_delivery if shipment else None),
        "late": reading.late,
        "stalled": reading.stalled,
        "exception": reading.exception.value if reading.exception else None,
        "label_voided": shipment.label_voided if shipment else False,
        "now": _iso(moment),
        "events": [e.model_dump(mode="json") for e in shipment.events] if shipment else [],
    }
    if carrier_says:
        report["carrier_says"] = f"no record of the number ({carrier_says})"
    notes = []
    last = reading.last_scan
    if last is not None and last.lat is not None and (lat is None or lon is None):
        notes.append("the delivery scan has GPS; give the address's --lat and --lon to compare")
    if notes:
        report["notes"] = notes
    print(json.dumps(report, indent=2, ensure_ascii=False), file=out)
    return 0


def carrier_read_command(
    fmt: str, path: str, now: str | None, lat: float | None, lon: float | None
) -> int:
    """The command line's entry: ``--now`` as ISO 8601 (UTC when it has no offset)."""
    moment = None
    if now:
        try:
            moment = datetime.fromisoformat(now.replace("Z", "+00:00"))
        except ValueError:
            print(f"desk carrier read: --now {now!r} is not an ISO 8601 time", file=sys.stderr)
            return 2
    if (lat is None) != (lon is None):
        print("desk carrier read: give both --lat and --lon, or neither", file=sys.stderr)
        return 2
    return run_carrier_read(fmt, path, moment, lat=lat, lon=lon)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
