"""The linear intent model: its file, its answers, its held-out quality, its corpus."""

from __future__ import annotations

import collections
import hashlib
import json

import pytest

from desk.classifier import model
from desk.models import Intent
from devtools.classifier_training.corpus import CORPUS_PATH
from devtools.classifier_training.corpus import generate as corpus
from devtools.classifier_training.evaluation import evaluate, format_report

WISMO = Intent.where_is_my_order
DNR = Intent.delivered_not_received
WRONG = Intent.wrong_item
DAMAGED = Intent.damaged_item
CANCEL = Intent.cancel_order
ADDRESS = Intent.change_address
OTHER = Intent.other


def test_model_file_loads_and_version_is_stable() -> None:
    raw = model.MODEL_PATH.read_bytes()
    data = json.loads(raw)
    assert data["classes"] == [i.value for i in Intent]
    assert len(data["intercept"]) == len(Intent)
    assert model.MODEL_PATH.stat().st_size < 5_000_000
    expected = "linear-" + hashlib.sha256(raw).hexdigest()[:8]
    assert model.MODEL_VERSION == expected == model.model_version()


CLEAR = [
    ("where's my stuff #52011", None, WISMO),
    ("When will my order arrive? It has been two weeks.", None, WISMO),
    ("My noise-cancelling headphones haven't arrived yet", None, WISMO),
    ("it says delivered but I don't have it", None, DNR),
    ("Tracking says delivered on Monday but there is nothing at my door.", None, DNR),
    ("You sent me the wrong item, I ordered a blue mug and got a teapot.", None, WRONG),
    ("The box was delivered but the mug inside is cracked.", None, DAMAGED),
    ("My blender arrived broken.", "Damaged item", DAMAGED),
    ("cancel 60102 pls", None, CANCEL),
    ("I ordered the wrong colour, please cancel.", None, CANCEL),
    ("Please change the shipping address on order 48221 to 12 Oak Street.", None, ADDRESS),
    ("How do I reset my password?", None, OTHER),
    ("Do you ship to Canada?", None, OTHER),
]


@pytest.mark.parametrize(("text", "subject", "intent"), CLEAR)
def test_clear_examples(text: str, subject: str | None, intent: Intent) -> None:
    got, confidence, probs = model.predict(text, subject)
    assert got == intent, (got, confidence)
    assert set(probs) == set(Intent)
    assert abs(sum(probs.values()) - 1.0) < 1e-9
    assert confidence == max(probs.values())
    assert model.predict_combined(text, subject)[0] == intent


def test_empty_message_is_answered() -> None:
    intent, confidence, _ = model.predict("", None)
    assert isinstance(intent, Intent) and 0.0 < confidence <= 1.0


@pytest.mark.parametrize("fn", [model.predict, model.predict_combined])
def test_held_out_split_meets_targets(fn: model.PredictFn) -> None:
    report = evaluate(fn)
    text = format_report(report)
    assert report.n > 500
    assert report.accuracy >= 0.95, text
    assert report.per_intent[CANCEL].precision >= 0.98, text
    assert report.ece < 0.06, text


def test_corpus_size_and_splits() -> None:
    rows = corpus.load(CORPUS_PATH)
    counts = collections.Counter(r["intent"] for r in rows)
    assert set(counts) == {i.value for i in Intent}
    assert min(counts.values()) >= 400
    for intent in Intent:
        splits = collections.Counter(r["split"] for r in rows if r["intent"] == intent.value)
        assert set(splits) == {"train", "test"}
        assert 0.12 <= splits["test"] / sum(splits.values()) <= 0.3
    assert CORPUS_PATH.stat().st_size < 2_000_000


def test_corpus_holds_out_whole_templates() -> None:
    by_template: dict[tuple[str, int], set[str]] = collections.defaultdict(set)
    for row, index in corpus.generate_indexed():
        by_template[(row["intent"], index)].add(row["split"])
    assert all(len(splits) == 1 for splits in by_template.values())


def test_generator_is_deterministic() -> None:
    assert corpus.dumps(corpus.generate()).encode() == CORPUS_PATH.read_bytes()
