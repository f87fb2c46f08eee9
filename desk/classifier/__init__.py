"""The first-message classifier: what a customer message asks, and what it names.

Rule-based (`rules-1`). Pure: every pattern is compiled at import and nothing is read,
written or remembered at call time, so the same message always reads the same, inside a
Temporal activity or anywhere else.

    clean    strip quoted history and signatures; normalise case, typos, whitespace
    extract  order/tracking numbers, preference and the follow-up flags (model-agnostic)
    rules    intent scores from weighted cues, and the confidence
"""

from __future__ import annotations

import re

from desk.models import Attachment, Intent, Understanding

from .address import extract_address
from .answers import answer
from .clean import is_reply_subject, normalise, strip_quoted, strip_reply_prefix
from .extract import Features, extract
from .model import MODEL_VERSION, UNSURE_CONFIDENCE, combine, gate, predict
from .rules import decide, score_intents
from .topics import topic

__all__ = ["CLASSIFIER_VERSION", "Features", "classify"]

CLASSIFIER_VERSION = "rules-1"

# An intent this likely is a problem being raised, so a "thanks" alongside it does not close.
_PROBLEM_SCORE = 0.6
# A yes/no answer this short is only an answer (the workflow reads the flags).
_BARE_ANSWER_WORDS = 5
# Cue matching costs time linear in length, per cue. A customer states the problem at the
# start of a long e-mail and the ask at its end, so the middle of an essay is skipped to
# keep within the per-message budget; identifiers are still read from all of it.
_HEAD = 1000
_TAIL = 300


def _clip(t: str) -> str:
    if len(t) <= _HEAD + _TAIL:
        return t
    return f"{t[:_HEAD]} . {t[-_TAIL:]}"


_ANGRY_WORDS = re.compile(
    r"\b(?:ridiculous|unacceptable|furious|angry|outraged|disgusting|disgraceful|pathetic|"
    r"useless|worst|scam|rip[- ]?off|fed up|sick of|fuming|livid|appalling|terrible service|"
    r"joke|wtf|never (?:again|ordering)|disappointed)\b",
    re.IGNORECASE,
)


def _is_angry(text: str) -> bool:
    """Tone for the reply and the supervisor's queue; it never changes what the desk does."""
    letters = [c for c in text if c.isalpha()]
    shouting = len(letters) >= 12 and sum(c.isupper() for c in letters) / len(letters) > 0.7
    return shouting or "!!!" in text or bool(_ANGRY_WORDS.search(text))


_SEND_THERE = re.compile(r"\b(?:ship|send|deliver|redirect|forward)\w*\b.{0,80}\bto\b")


def classify(
    text: str,
    subject: str | None = None,
    attachments: list[Attachment] | None = None,
) -> Understanding:
    """The desk's reading of a message: intent and confidence from the trained model and
    the rules together (``predict_combined``, measured in docs/classifier.md); order and
    tracking numbers, addresses, preference and tone from the rules, which are exact where
    a model guesses."""
    rules, t, scores = _read_by_rules(text, subject, attachments)
    # The rules have already read the message; the combination reuses that reading.
    model = predict(text, subject)
    intent, confidence, _ = combine(model, rules.intent, rules.confidence)
    if (
        rules.new_address is not None
        and rules.intent == Intent.change_address
        and (intent == Intent.other)
    ):
        # "ship it to <a full address>": the address itself is the evidence.
        intent, confidence = rules.intent, rules.confidence
    elif not (rules.new_address is not None and intent == rules.intent):
        intent, confidence = gate(t, intent, confidence, scores, model[0] == intent)
    if (rules.affirmative or rules.negative) and len(t.split()) <= _BARE_ANSWER_WORDS:
        # "no, not that one" answers the desk's question; it is no new request.
        intent, confidence = Intent.other, min(confidence, UNSURE_CONFIDENCE)
    return rules.model_copy(
        update={
            "intent": intent,
            "confidence": round(confidence, 4),
            "topic": topic(t) if intent == Intent.other else None,
            "classifier_version": f"{MODEL_VERSION}+{CLASSIFIER_VERSION}",
        }
    )


def classify_by_rules(
    text: str,
    subject: str | None = None,
    attachments: list[Attachment] | None = None,
) -> Understanding:
    """The rule-based reading alone (``rules-1``): the fallback and the source of flags."""
    u, t, _ = _read_by_rules(text, subject, attachments)
    return u.model_copy(update={"topic": topic(t) if u.intent == Intent.other else None})


def _read_by_rules(
    text: str,
    subject: str | None = None,
    attachments: list[Attachment] | None = None,
) -> tuple[Understanding, str, dict[Intent, float]]:
    """The rules' reading, with the normalised text and the intent scores it came from."""
    body = strip_quoted(text or "")
    subj = (subject or "").strip()
    bare_subject = strip_reply_prefix(subj)
    # A "Re:" subject repeats an earlier message (often ours: "Re: Your order was
    # delivered"), so it names the order but says nothing about what this message wants.
    cue_source = (
        body if (is_reply_subject(subj) or not bare_subject) else f"{bare_subject}.\n{body}"
    )
    id_source = f"{bare_subject}\n{body}" if bare_subject else body
    # Clipping before normalising too keeps a pasted novel from costing its full length.
    t = _clip(normalise(_clip(cue_source)))

    f = extract(id_source, t, list(attachments or []))
    scores = score_intents(t)
    intent, confidence = decide(t, scores)
    new_address = extract_address(body)
    if new_address is not None and intent == Intent.other and _SEND_THERE.search(t):
        # "ship it to <a full address>" is a change of address even without the word.
        intent, confidence = Intent.change_address, 0.8

    raises_problem = (
        max(scores.values()) >= _PROBLEM_SCORE
        or f.dispute
        or f.still_missing
        or f.wants_human
        or f.sensitive
        or f.asks_something
    )
    yes_no = answer(t)
    return (
        Understanding(
            intent=intent,
            confidence=confidence,
            order_numbers=f.order_numbers,
            tracking_numbers=f.tracking_numbers,
            preference=f.preference,
            wants_human=f.wants_human,
            sensitive=f.sensitive,
            found_it=f.found_it,
            still_missing=f.still_missing,
            thanks=f.thanks_phrase and not raises_problem,
            dispute=f.dispute,
            angry=_is_angry(body),
            has_image=f.has_image,
            new_address=new_address,
            affirmative=yes_no == "yes",
            negative=yes_no == "no",
            classifier_version=CLASSIFIER_VERSION,
        ),
        t,
        scores,
    )
