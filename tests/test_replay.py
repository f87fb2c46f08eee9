"""Determinism: recorded contact histories must keep replaying on the current code.

tests/histories/<version>/ holds histories recorded from the scenarios, one folder per
recording (``desk scenario run ... --histories tests/histories/vN``). A change that makes
the contact workflow take a different path for an old history fails here: such a change
needs ``workflow.patched`` (see docs/policy.md) before it can ship under running contacts.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from desk.data_converter import DATA_CONVERTER
from workers.worker import WORKFLOWS

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*/*.json"))


def test_recorded_histories_exist() -> None:
    assert len(HISTORIES) >= 15, "recorded histories are missing from tests/histories"


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_recorded_history_replays(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem.split("--", 1)[1], path.read_text())
    replayer = Replayer(workflows=WORKFLOWS, data_converter=DATA_CONVERTER)
    await replayer.replay_workflow(history)
