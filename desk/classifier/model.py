"""The linear intent model, read in pure Python: no numpy or scikit-learn at run time.

`model.json` (written by `devtools/classifier_training/training.py`) holds, for each kept
n-gram, its idf and its weight for every intent, and the per-intent intercepts. A message
becomes two tf-idf vectors (word 1-2 grams and char_wb 2-5 grams, each sublinear-tf and
L2-normalised exactly as scikit-learn's TfidfVectorizer does), whose dot products with the
weights are turned into probabilities by a softmax.

    predict(text, subject)           -> (intent, confidence, {intent: probability})
    predict_combined(text, subject)  -> the same, with the rule scores as a veto (see below)

The file is parsed once, on first use, and cached. `MODEL_VERSION` names the exact
weights: "linear-" and the first 8 hex digits of the file's sha256 (hashed at import).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from desk.models import Intent

from .clean import is_reply_subject, normalise, strip_quoted, strip_reply_prefix

__all__ = [
    "MODEL_PATH",
    "MODEL_VERSION",
    "PredictFn",
    "Prediction",
    "RULE_OVERRIDE_AT",
    "predict",
    "gate",
    "predict_combined",
    "preprocess",
]

MODEL_PATH = Path(__file__).with_name("model.json")
# scikit-learn's default token pattern: runs of two or more word characters.
WORD_PATTERN = r"(?u)\b\w\w+\b"
_WORD = re.compile(WORD_PATTERN)
_WHITE = re.compile(r"\s\s+")
# As in `classify`: the start of a long e-mail states the problem and its end the ask.
_HEAD = 1000
_TAIL = 300


def _version(raw: bytes) -> str:
    return "linear-" + hashlib.sha256(raw).hexdigest()[:8]


# Hashing the file is cheap (a few ms); parsing it waits for the first prediction.
# (Absent only while `training` is writing the first one.)
MODEL_VERSION = _version(MODEL_PATH.read_bytes()) if MODEL_PATH.exists() else "linear-none"

Prediction = tuple[Intent, float, dict[Intent, float]]
PredictFn = Callable[[str, str | None], Prediction]


def _clip(t: str) -> str:
    if len(t) <= _HEAD + _TAIL:
        return t
    return f"{t[:_HEAD]} . {t[-_TAIL:]}"


def preprocess(text: str, subject: str | None = None) -> str:
    """The text the model reads: the customer's own words, with a fresh subject in front."""
    body = strip_quoted(text or "")
    subj = (subject or "").strip()
    bare = strip_reply_prefix(subj)
    # A "Re:" subject repeats an earlier message (often ours), so it is left out.
    source = body if (is_reply_subject(subj) or not bare) else f"{bare}.\n{body}"
    return _clip(normalise(_clip(source)))


@dataclass(frozen=True, slots=True)
class _Model:
    classes: tuple[Intent, ...]
    intercept: tuple[float, ...]
    word: dict[str, list[float]]  # term -> [idf, w_class0, w_class1, ...]
    char: dict[str, list[float]]
    version: str


@cache
def _load(path: Path = MODEL_PATH) -> _Model:
    raw = path.read_bytes()
    data = json.loads(raw)
    return _Model(
        classes=tuple(Intent(c) for c in data["classes"]),
        intercept=tuple(data["intercept"]),
        word=data["features"]["word"],
        char=data["features"]["char_wb"],
        version=_version(raw),
    )


def model_version() -> str:
    return _load().version


def _word_counts(t: str) -> dict[str, int]:
    """sklearn's word analyzer with ngram_range=(1, 2)."""
    tokens = _WORD.findall(t)
    counts: dict[str, int] = {}
    for tok in tokens:
        counts[tok] = counts.get(tok, 0) + 1
    for a, b in zip(tokens, tokens[1:], strict=False):
        bigram = f"{a} {b}"
        counts[bigram] = counts.get(bigram, 0) + 1
    return counts


def _char_counts(t: str) -> dict[str, int]:
    """sklearn's char_wb analyzer with ngram_range=(2, 5), including its quirks."""
    counts: dict[str, int] = {}
    for w in _WHITE.sub(" ", t).split():
        w = f" {w} "
        n_w = len(w)
        for n in range(2, 6):
            offset = 0
            g = w[0:n]
            counts[g] = counts.get(g, 0) + 1
            while offset + n < n_w:
                offset += 1
                g = w[offset : offset + n]
                counts[g] = counts.get(g, 0) + 1
            if offset == 0:  # the word is shorter than n: counted once, whole
                break
    return counts


def _accumulate(counts: dict[str, int], table: dict[str, list[float]], scores: list[float]) -> None:
    """Add this block's L2-normalised, sublinear tf-idf dot the weights into `scores`."""
    hits: list[tuple[float, list[float]]] = []
    norm2 = 0.0
    for term, c in counts.items():
        row = table.get(term)
        if row is None:
            continue
        v = (1.0 + math.log(c)) * row[0]
        norm2 += v * v
        hits.append((v, row))
    if not hits:
        return
    inv = 1.0 / math.sqrt(norm2)
    k = len(scores)
    for v, row in hits:
        x = v * inv
        for i in range(k):
            scores[i] += x * row[i + 1]


def predict(text: str, subject: str | None = None) -> Prediction:
    """The model's intent, its probability, and every intent's probability."""
    m = _load()
    t = preprocess(text, subject)
    scores = list(m.intercept)
    _accumulate(_word_counts(t), m.word, scores)
    _accumulate(_char_counts(t), m.char, scores)
    top = max(scores)
    exp = [math.exp(s - top) for s in scores]
    total = sum(exp)
    probs = {c: e / total for c, e in zip(m.classes, exp, strict=True)}
    best = max(probs, key=lambda c: probs[c])
    return best, probs[best], probs


# The rules veto the model only on a cue this strong (their own "subsumes" level).
RULE_OVERRIDE_AT = 0.85
_DISAGREEMENT = 0.9  # confidence kept when model and rules hear different intents
UNSURE_CONFIDENCE = 0.55  # under the 0.6 acting threshold: the desk asks or hands over


def predict_combined(text: str, subject: str | None = None) -> Prediction:
    """The model and the rules together (the desk's classifier): see `combine` and `gate`."""
    from .rules import decide, score_intents

    t = preprocess(text, subject)
    scores = score_intents(t)
    model = predict(text, subject)
    intent, confidence, probs = combine(model, *decide(t, scores), scores.get(model[0], 0.0))
    intent, confidence = gate(t, intent, confidence, scores, model[0] == intent)
    return intent, confidence, probs


# What is plainly out of scope ("cancel my membership", "I reset my password") goes to a
# person with this confidence that it is `other`, unless an action cue is this strong.
OUT_OF_SCOPE_CONFIDENCE = 0.8
ACTION_CUE_AT = 0.9
# The model alone, with no rule cue for its intent, is trusted to act only this sure (its
# own probability, after the real-language training): below, the desk asks or hands over.
MODEL_ALONE_AT = 0.9


def gate(
    t: str,
    intent: Intent,
    confidence: float,
    scores: dict[Intent, float],
    model_agrees: bool = False,
) -> tuple[Intent, float]:
    """Second thoughts on a combined reading, from what real customers write.

    1. Out of scope: a message plainly about an account, membership, payment method,
       charge, refund already given, promotion, product or shipping policy
       (`topics.out_of_scope`) is `other` unless the rules hear an action at
       `ACTION_CUE_AT` or more, or (for a charge, a delivery fee, a product) the model
       reads the same action ("cancel my Prime membership" is not a cancellation; "it
       didn't arrive, refund the delivery charge" is still a late parcel).
    2. A look-alike: the rules mask the phrase as not this intent and hear no cue for it.
    3. The model alone: an action the rules hear nothing of is kept only when the model is
       at least `MODEL_ALONE_AT` sure; otherwise its confidence is capped under the acting
       threshold, so the desk asks or hands over instead of acting on a guess.
    """
    from .rules import masked
    from .topics import DECISIVE, out_of_scope

    if intent == Intent.other:
        return intent, confidence
    evidence = scores.get(intent, 0.0)
    family = out_of_scope(t) if evidence < ACTION_CUE_AT else None
    decisive = family in DECISIVE or not model_agrees or evidence <= 0.0
    if family is not None and decisive:
        return Intent.other, OUT_OF_SCOPE_CONFIDENCE
    if evidence <= 0.0 and masked(intent, t):
        # The rules know this phrase as a look-alike ("address these issues").
        return Intent.other, UNSURE_CONFIDENCE
    if evidence <= 0.0 and confidence < MODEL_ALONE_AT:
        return intent, min(confidence, UNSURE_CONFIDENCE)
    return intent, confidence


def combine(
    model: Prediction, rule_intent: Intent, rule_conf: float, model_evidence: float = 0.0
) -> Prediction:
    """Agreement raises confidence to the higher of the two. On disagreement a strong rule
    cue (at least `RULE_OVERRIDE_AT`) wins, at a discount, and the model's answer is
    discounted when the rules heard a different intent; when the rules hear an action and
    nothing of the model's (``model_evidence`` is the rules' score for the model's intent),
    the rules' reading stands, discounted. A cancellation cannot be undone,
    so the model alone never decides one: without the rules hearing a cancel, the answer is
    the rules' intent, or `other` below the escalation threshold. The model's
    probabilities are returned unchanged for the record.
    """
    intent, confidence, probs = model
    if rule_intent == intent:
        return intent, max(confidence, rule_conf), probs
    if intent == Intent.cancel_order:
        if rule_intent != Intent.other and rule_conf >= 0.6:
            return rule_intent, rule_conf * _DISAGREEMENT, probs
        return Intent.other, min(confidence, rule_conf, 0.5), probs
    if rule_intent != Intent.other and rule_conf >= RULE_OVERRIDE_AT:
        return rule_intent, rule_conf * _DISAGREEMENT, probs
    if (
        intent != Intent.other
        and rule_intent != Intent.other
        and rule_conf >= 0.6
        and model_evidence <= 0.0
    ):
        # The rules hear one action and nothing of the model's ("I did not receive my
        # order" read by the model as a wrong item): the words the rules know outweigh it.
        return rule_intent, rule_conf * _DISAGREEMENT, probs
    if intent == Intent.other and rule_intent != Intent.other and rule_conf >= 0.6:
        # The model hears nothing it handles; the rules hear an action, but not strongly:
        # say so, under the acting threshold, so the desk asks instead of guessing either way.
        return rule_intent, min(rule_conf, UNSURE_CONFIDENCE), probs
    if rule_intent != Intent.other:
        return intent, confidence * _DISAGREEMENT, probs
    return intent, confidence, probs
