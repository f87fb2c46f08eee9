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


def test_the_release_folds_a_fixed_list_of_patches() -> None:
    """A run that records the release's marker takes every folded patch's new path. A patch
    added after the release must be consulted on its own: folding it too would send the
    contacts recorded under this release down its new path on replay."""
    from workflows.contact.patches import _FOLDED, Patch

    assert {p.value for p in _FOLDED} == {
        "dnr-misdelivery-reply",
        "wrong-damaged-address-playbooks",
        "human-owned-daily-history-check",
        "supervisor-alerts",
        "helpdesk-open-contacts",
        "unverified-sender-owner-notice",
        "supervisor-decision-authority",
        "fact-gates",
        "confirm-irreversible",
        "reread-corrections",
        "local-lookups",
    }, "the release's folded patches are fixed once released: add a new patch unfolded"
    order = list(Patch)
    release = order.index(Patch.release_2026_12)
    assert set(order[:release]) == _FOLDED
    assert not _FOLDED & set(order[release:])
