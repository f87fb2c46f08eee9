"""The small vocabulary the extractors and the intent rules share: cues, clauses, negation."""

from __future__ import annotations

import re
from dataclasses import dataclass

_CLAUSE_END = re.compile(r"[.!?;\n]")
# A comma or "but" also ends the scope of a negation: in "don't refund, send another"
# the "don't" must not reach "send another".
_SCOPE_BREAK = re.compile(r"[.!?;,\n]|\bbut\b|\bthough\b|\bhowever\b")
_NEGATED_TAIL = re.compile(
    r"(?:\bnot\b|n't\b|\bno\b|\bnever\b|\bnothing\b|\bwithout\b|\brather than\b|\binstead of\b"
    r"|\bother than\b)"
    r"(?: [\w']+){0,3} ?$"
)


@dataclass(frozen=True, slots=True)
class Cue:
    """One piece of evidence: a compiled pattern and how much it alone says (0..1)."""

    pattern: re.Pattern[str]
    weight: float
    negatable: bool = False


def cue(pattern: str, weight: float, *, negatable: bool = False) -> Cue:
    return Cue(re.compile(pattern), weight, negatable)


def scope_before(text: str, start: int, width: int = 40) -> str:
    """The few words before `start` that a negation could still apply to."""
    window = text[max(0, start - width) : start]
    starts = [m.end() for m in _SCOPE_BREAK.finditer(window)]
    return window[starts[-1] :] if starts else window


def is_negated(text: str, start: int) -> bool:
    return _NEGATED_TAIL.search(scope_before(text, start)) is not None


def sentence_at(text: str, start: int, end: int) -> tuple[str, str]:
    """The sentence around a match, and the character that ends it ("" at end of text)."""
    left = max((m.end() for m in _CLAUSE_END.finditer(text, 0, start)), default=0)
    m = _CLAUSE_END.search(text, end)
    stop = m.start() if m else len(text)
    return text[left:stop], (text[stop] if m else "")


def in_question(text: str, start: int, end: int) -> bool:
    return sentence_at(text, start, end)[1] == "?"


def first_hit(c: Cue, text: str) -> re.Match[str] | None:
    """The first match of a cue that is not negated (when negation applies to it)."""
    for m in c.pattern.finditer(text):
        if not (c.negatable and is_negated(text, m.start())):
            return m
    return None


@dataclass(frozen=True, slots=True)
class CueGroup:
    """Cues read together, with one combined pattern that rules the whole group out cheaply.

    Scanning a text costs about the same per pattern whatever the pattern, and most groups
    have no match in a given message: one scan of the alternation of all the group's cues
    replaces a scan per cue in that common case.
    """

    cues: tuple[Cue, ...]
    any: re.Pattern[str]

    def matches(self, text: str) -> list[tuple[Cue, re.Match[str]]]:
        if self.any.search(text) is None:
            return []
        out: list[tuple[Cue, re.Match[str]]] = []
        for c in self.cues:
            m = first_hit(c, text)
            if m is not None:
                out.append((c, m))
        return out

    def hit(self, text: str) -> bool:
        if self.any.search(text) is None:
            return False
        return any(first_hit(c, text) is not None for c in self.cues)


def group(*cues: Cue) -> CueGroup:
    return CueGroup(cues, re.compile("|".join(f"(?:{c.pattern.pattern})" for c in cues)))


def alternation(*patterns: str) -> re.Pattern[str] | None:
    return re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None
