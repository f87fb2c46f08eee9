"""Scenario files through the real worker on the time-skipping server.

Every example in ../shared/scenarios and every scenario of the project must pass; their
fresh histories must replay (determinism of the code as it is now), and each one's
behaviour fingerprint (replies, ledger, states, steps) must equal the recorded one in
tests/fingerprints/: a change of behaviour is made on purpose, re-recorded with
``make fingerprints`` and reviewed in the diff.
"""

from __future__ import annotations

import difflib
import io
import json
import subprocess
import sys
from pathlib import Path

from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from desk.data_converter import DATA_CONVERTER
from devtools.scenarios.runner import run_all, run_scenario
from workers.worker import WORKFLOWS

ROOT = Path(__file__).resolve().parents[1]
FINGERPRINTS = ROOT / "tests" / "fingerprints"
SHARED = ROOT.parent / "shared" / "scenarios"
FOLDERS = [str(ROOT / "scenarios")] + ([str(SHARED)] if SHARED.is_dir() else [])
DESK = str(Path(sys.executable).parent / "desk")


async def test_every_scenario_passes_and_its_history_replays(tmp_path: Path) -> None:
    out = io.StringIO()
    recorded = tmp_path / "fingerprints"
    code = await run_all(FOLDERS, jobs=3, out=out, history_dir=tmp_path, record_dir=recorded)
    results = [json.loads(line) for line in out.getvalue().splitlines()]
    failures = [r for r in results if not r["ok"]]
    assert not failures, json.dumps(failures, indent=1)
    assert code == 0
    assert len(results) >= 20
    replayer = Replayer(workflows=WORKFLOWS, data_converter=DATA_CONVERTER)
    for path in tmp_path.glob("*.json"):
        history = WorkflowHistory.from_json(path.stem.split("--", 1)[1], path.read_text())
        await replayer.replay_workflow(history)
    _same_behaviour_as_recorded(recorded)


def _same_behaviour_as_recorded(recorded: Path) -> None:
    ours = {p.stem for p in (ROOT / "scenarios").glob("*.yaml")}
    golden = {p.stem for p in FINGERPRINTS.glob("*.json")}
    shared = {p.stem for p in SHARED.glob("*.yaml")} if SHARED.is_dir() else set()
    assert ours <= golden, f"not recorded (make fingerprints): {sorted(ours - golden)}"
    assert golden <= ours | shared | {p.stem for p in recorded.glob("*.json")}, (
        f"recorded for scenarios that are gone: {sorted(golden - ours - shared)}"
    )
    changed = []
    for path in sorted(recorded.glob("*.json")):
        expected = FINGERPRINTS / path.name
        if not expected.is_file():
            continue  # a scenario of ../shared that was never recorded
        if path.read_text() != expected.read_text():
            diff = difflib.unified_diff(
                expected.read_text().splitlines(),
                path.read_text().splitlines(),
                f"tests/fingerprints/{path.name}",
                "this run",
                lineterm="",
                n=2,
            )
            changed.append("\n".join(diff))
    assert not changed, "behaviour changed (re-record with make fingerprints if meant):\n" + (
        "\n".join(changed)
    )


async def test_outcome_reports_money_and_goods_from_the_ledger() -> None:
    result = await run_scenario(ROOT / "scenarios" / "dnr-misdelivered.yaml")
    assert result["ok"], result
    assert result["refund_total"] == 52.0
    assert result["carrier_search"]["filed"] is True
    assert result["carrier_search"]["case"].startswith("FEDEX-TRACE-")
    assert result["replies"] >= 2


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def test_cli_reports_an_invalid_file_by_field_and_still_runs_the_others(tmp_path: Path) -> None:
    good = (ROOT / "scenarios" / "wismo-not-shipped.yaml").read_text()
    _write(tmp_path, "a-good.yaml", good)
    _write(tmp_path, "b-bad.yaml", good.replace("tier: standard", "tier: platinum"))
    _write(tmp_path, "c-bad-offset.yaml", good.replace("placed: -1d", "placed: yesterday"))
    run = subprocess.run(
        [DESK, "scenario", "run", str(tmp_path)], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 1
    lines = [json.loads(x) for x in run.stdout.splitlines()]
    by_name = {r["scenario"]: r for r in lines}
    assert by_name["wismo-not-shipped"]["ok"] is True
    assert by_name["b-bad"]["ok"] is False
    assert "customers.0.tier" in by_name["b-bad"]["error"]
    assert "orders.0.placed" in by_name["c-bad-offset"]["error"]
    assert "1 passed, 2 failed" in run.stderr


def test_cli_exits_1_and_names_the_expectation_that_failed(tmp_path: Path) -> None:
    text = (ROOT / "scenarios" / "wismo-not-shipped.yaml").read_text()
    _write(tmp_path, "x.yaml", text.replace("resolution: info_only", "resolution: refund"))
    run = subprocess.run(
        [DESK, "scenario", "run", str(tmp_path / "x.yaml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1
    result = json.loads(run.stdout.splitlines()[0])
    assert result["failed"] == ["resolution"]
    assert result["resolution"] == "info_only"


def test_cli_exits_0_when_every_expectation_holds() -> None:
    run = subprocess.run(
        [DESK, "scenario", "run", str(ROOT / "scenarios" / "unknown-sender.yaml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert json.loads(run.stdout)["ok"] is True


def test_cli_with_no_scenarios_says_so(tmp_path: Path) -> None:
    run = subprocess.run(
        [DESK, "scenario", "run", str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 2
    assert "no scenario files" in run.stderr


async def test_vip_reship_goes_by_the_fastest_service() -> None:
    result = await run_scenario(ROOT / "scenarios" / "p3-wismo-vip-lost-fastest.yaml")
    assert result["ok"], result
    assert result["reship_services"] == ["express"]


async def test_return_label_only_above_the_tiers_threshold(tmp_path: Path) -> None:
    below = await run_scenario(ROOT / "scenarios" / "p3-wrong-item-reship.yaml")
    assert below["ok"], below
    assert below["return_labels"] == 0  # 42.00 is under the standard threshold of 50
    text = (ROOT / "scenarios" / "p3-wrong-item-reship.yaml").read_text()
    above = _write(tmp_path, "above.yaml", text.replace("unit_price: 42.00", "unit_price: 62.00"))
    result = await run_scenario(above)
    assert result["replacement_orders"] == 1
    assert result["return_labels"] == 1
