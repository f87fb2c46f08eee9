"""``desk carrier read``: each vendor's saved response read as the desk reads it (exit 0,
JSON), and a file that is not that vendor's format refused with the field named (exit 2)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from devtools.carrier_read import run_carrier_read
from tests.adapters.carrier_kit import PAYLOADS

ROOT = Path(__file__).resolve().parents[2]


def read(fmt: str, path: Path, now: datetime | None = None, **kw: Any) -> tuple[int, Any, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_carrier_read(fmt, path, now, out=out, err=err, **kw)
    return code, json.loads(out.getvalue()) if out.getvalue() else None, err.getvalue()


@pytest.mark.parametrize(
    ("fmt", "fixture", "status", "proof"),
    [
        ("usps", "usps_delivered_mailbox.json", "delivered", "weak"),
        ("usps", "usps_delivered_parcel_locker.json", "delivered", "strong"),
        ("usps", "usps_in_transit.json", "in_transit", None),
        ("usps", "usps_not_yet_available.json", "not_shipped", None),
        ("ups", "ups_delivered_front_door.json", "delivered", "weak"),
        ("ups", "ups_spec_example.json", "in_transit", None),
        ("fedex", "fedex_delivered.json", "delivered", "strong"),
        ("easypost", "easypost_tracker_delivered.json", "delivered", "strong"),
        ("easypost", "easypost_tracker_pre_transit.json", "not_shipped", None),
        ("aftership", "aftership_delivered.json", "delivered", "weak"),
    ],
)
def test_each_format_prints_the_desks_reading(
    fmt: str, fixture: str, status: str, proof: str | None
) -> None:
    code, report, err = read(fmt, PAYLOADS / fixture, datetime(2030, 1, 1, tzinfo=UTC))
    assert code == 0, err
    assert report["format"] == fmt and report["status"] == status and report["proof"] == proof
    for key in (
        "proof_facts",
        "delivered_at",
        "expected_delivery",
        "late",
        "stalled",
        "exception",
        "events",
    ):
        assert key in report
    if status == "delivered":
        assert report["delivered_at"] == report["events"][-1]["at"].replace("Z", "+00:00")
        assert report["proof_facts"]


def test_late_and_stalled_come_from_the_expected_date_in_the_payload() -> None:
    path = PAYLOADS / "usps_in_transit.json"
    _, on_time, _ = read("usps", path, datetime(2024, 11, 29, 12, tzinfo=UTC))
    assert on_time["late"] is False and on_time["expected_delivery"] == "2024-11-30T04:59:59+00:00"
    _, stalled, _ = read("usps", path, datetime(2024, 12, 4, tzinfo=UTC))
    assert stalled["late"] is True and stalled["stalled"] is True


def test_gps_is_compared_when_the_address_is_given() -> None:
    path = PAYLOADS / "aftership_delivered.json"
    _, without, _ = read("aftership", path)
    assert without["proof"] == "weak" and "--lat" in without["notes"][0]
    _, far, _ = read("aftership", path, lat=30.30, lon=-97.74)
    assert far["proof"] == "misdelivered"


def test_a_not_found_answer_reads_as_not_shipped() -> None:
    code, report, _ = read("ups", PAYLOADS / "ups_not_found.json")
    assert code == 0 and report["status"] == "not_shipped" and "TW0001" in report["carrier_says"]
    code, report, _ = read("fedex", PAYLOADS / "fedex_not_found.json")
    assert code == 0 and "NOTFOUND" in report["carrier_says"]


@pytest.mark.parametrize(
    ("fmt", "fixture", "named"),
    [
        ("usps", "ups_delivered_front_door.json", "trackingNumber"),
        ("ups", "fedex_delivered.json", "trackResponse"),
        ("fedex", "usps_delivered_mailbox.json", "output"),
        ("easypost", "aftership_delivered.json", "tracking_details"),
        ("aftership", "easypost_tracker_delivered.json", "checkpoints"),
    ],
)
def test_another_vendors_file_is_refused_naming_the_field(
    fmt: str, fixture: str, named: str
) -> None:
    code, report, err = read(fmt, PAYLOADS / fixture)
    assert code == 2 and report is None
    assert named in err and "not a" in err


def test_an_error_body_not_json_or_a_missing_file_exit_2(tmp_path: Path) -> None:
    code, _, err = read("usps", PAYLOADS / "usps_429.json")
    assert code == 2 and "error response" in err and "429" in err
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    code, _, err = read("fedex", broken)
    assert code == 2 and "is not JSON" in err
    code, _, err = read("ups", tmp_path / "missing.json")
    assert code == 2 and "cannot read" in err
    listed = tmp_path / "list.json"
    listed.write_text("[]")
    code, _, err = read("easypost", listed)
    assert code == 2 and "JSON object" in err


def test_the_desk_command_line() -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "starters.cli",
            "carrier",
            "read",
            "--format",
            "usps",
            str(PAYLOADS / "usps_delivered_left_with_individual.json"),
            "--now",
            "2024-12-01T00:00:00Z",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["status"] == "delivered" and report["proof"] == "strong"
    assert report["now"] == "2024-12-01T00:00:00+00:00"
    wrong = subprocess.run(
        [
            sys.executable,
            "-m",
            "starters.cli",
            "carrier",
            "read",
            "--format",
            "ups",
            str(PAYLOADS / "usps_delivered_mailbox.json"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert wrong.returncode == 2 and "trackResponse" in wrong.stderr
