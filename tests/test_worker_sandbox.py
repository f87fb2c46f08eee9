"""The workflow sandbox: fast in production, strict in the tests.

Production workers pass the desk's own ``workflows`` package through the sandbox (imported
once per worker instead of once per workflow run: docs/performance.md, tuning step 2). The
test suite runs strict (tests/conftest.py), so a non-deterministic call slipped into the
workflow code still fails here. These tests hold both ends: the fast sandbox runs the
scenarios and replays the recorded histories to the same result, and it leaves the workflow
modules' shared state as it found it (a passed-through module is one object for every run).
"""

from __future__ import annotations

import copy
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from desk.config import ConfigError
from desk.data_converter import DATA_CONVERTER
from devtools.scenarios.runner import run_all
from workers.worker import OWN_WORKFLOW_PACKAGE, WORKFLOWS, WorkerTuning

ROOT = Path(__file__).resolve().parents[1]
DESK = str(Path(sys.executable).parent / "desk")
# A spread of the playbooks: refund, reship, cancel, escalation with an approval, a forged
# sender, a confirmation, a timer-driven follow-up.
SCENARIOS = [
    "dnr-weak-proof-vip",
    "p3-wrong-item-reship",
    "p3-cancel-b2b-unshipped",
    "p3-over-limit-override",
    "p8-forged-email-refunds-nothing",
    "p9-confirm-inferred-order-yes",
    "p3-wismo-in-transit-goes-stalled",
    "unknown-sender",
]


def _runner(tuning: WorkerTuning) -> SandboxedWorkflowRunner | None:
    runner = tuning.worker_options().get("workflow_runner")
    assert runner is None or isinstance(runner, SandboxedWorkflowRunner)
    return runner


def test_production_workers_pass_the_workflow_package_through(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DESK_WORKFLOW_SANDBOX", raising=False)
    tuning = WorkerTuning()
    assert tuning.sandbox == "fast"
    runner = _runner(tuning)
    assert runner is not None
    assert OWN_WORKFLOW_PACKAGE in runner.restrictions.passthrough_modules


def test_the_tests_run_the_strict_sandbox() -> None:
    assert os.environ["DESK_WORKFLOW_SANDBOX"] == "strict"
    tuning = WorkerTuning()
    assert tuning.sandbox == "strict"
    assert _runner(tuning) is None  # the SDK's own sandbox, every check on
    extra = _runner(WorkerTuning(passthrough_modules=["yaml"]))
    assert extra is not None
    assert "yaml" in extra.restrictions.passthrough_modules
    assert OWN_WORKFLOW_PACKAGE not in extra.restrictions.passthrough_modules


def test_a_bad_sandbox_setting_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESK_WORKFLOW_SANDBOX", "loose")
    with pytest.raises(ConfigError, match="DESK_WORKFLOW_SANDBOX='loose'"):
        WorkerTuning()
    monkeypatch.setenv("DESK_WORKFLOW_SANDBOX", " Strict ")
    assert WorkerTuning().sandbox == "strict"


def test_desk_worker_refuses_a_bad_sandbox_setting_before_it_connects() -> None:
    env = {
        **os.environ,
        "DESK_WORKFLOW_SANDBOX": "off",
        "DESK_TEMPORAL_ADDRESS": "127.0.0.1:9",  # nothing listens: a connect would fail later
    }
    run = subprocess.run([DESK, "worker"], capture_output=True, text=True, timeout=60, env=env)
    assert run.returncode == 2
    assert "DESK_WORKFLOW_SANDBOX='off': expected 'fast' or 'strict'" in run.stderr


async def test_recorded_histories_replay_under_the_fast_sandbox() -> None:
    paths = sorted((ROOT / "tests" / "histories").glob("v5/*.json"))
    assert len(paths) >= 50
    fast = _runner(WorkerTuning(sandbox="fast"))
    assert fast is not None
    replayer = Replayer(workflows=WORKFLOWS, data_converter=DATA_CONVERTER, workflow_runner=fast)

    async def histories() -> Any:
        for p in paths:
            yield WorkflowHistory.from_json(p.stem.split("--", 1)[1], p.read_text())

    results = await replayer.replay_workflows(histories(), raise_on_replay_failure=False)
    failed = {run: str(err) for run, err in results.replay_failures.items() if err is not None}
    assert failed == {}


def _workflow_module_state() -> dict[str, Any]:
    """Every mutable module-level value of the workflow package, as a deep copy."""
    state = {}
    for name, module in list(sys.modules.items()):
        if name != OWN_WORKFLOW_PACKAGE and not name.startswith(OWN_WORKFLOW_PACKAGE + "."):
            continue
        for attr, value in vars(module).items():
            if not attr.startswith("__") and isinstance(value, dict | list | set | bytearray):
                state[f"{name}.{attr}"] = copy.deepcopy(value)
    return state


async def test_the_fast_sandbox_runs_the_scenarios_and_shares_no_changed_state(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DESK_WORKFLOW_SANDBOX", "fast")
    before = _workflow_module_state()
    assert "workflows.contact.playbooks.PLAYBOOKS" in before
    out = io.StringIO()
    code = await run_all([str(ROOT / "scenarios" / f"{n}.yaml") for n in SCENARIOS], 2, out=out)
    results = [json.loads(line) for line in out.getvalue().splitlines() if line.startswith("{")]
    assert {r["scenario"]: r["ok"] for r in results} == dict.fromkeys(SCENARIOS, True), out
    assert code == 0
    assert _workflow_module_state() == before
