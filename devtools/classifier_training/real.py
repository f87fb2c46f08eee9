"""The real-language set: customers' own words from public sources, labelled by hand.

Each line of `messages.jsonl` is one message (see `real/README.md` for the sources, their
licences, how the messages were chosen and labelled):

    {"id": ..., "conversation": ..., "text": ..., "intent": ..., "topic": ... | null,
     "answer": "yes" | "no" | null, "first_message": bool, "source": ..., "file": ...,
     "licence": ..., "split": "train" | "test"}

The split is by conversation (a hash of its id), so no conversation has messages on both
sides. The file is third-party text and is not part of this repository: it is read from
the first of these that exists:

    $DESK_REAL_SET                                     a file, or a folder holding it
    ../shared/classifier_real/messages.jsonl           beside the repository
    devtools/classifier_training/real/messages.jsonl   a local copy, ignored by git

Without it, evaluation reports the synthetic corpus only and training uses the corpus only.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

__all__ = ["describe", "load", "path", "where"]

_HERE = Path(__file__).resolve().parent
_REPO = _HERE.parent.parent
FILE_NAME = "messages.jsonl"
CANDIDATES = (
    _REPO.parent / "shared" / "classifier_real" / FILE_NAME,
    _HERE / "real" / FILE_NAME,
)


def path() -> Path | None:
    """The real set's file, or None where it has not been placed."""
    env = os.environ.get("DESK_REAL_SET")
    if env:
        p = Path(env)
        p = p / FILE_NAME if p.is_dir() else p
        return p if p.is_file() else None
    for p in CANDIDATES:
        if p.is_file():
            return p
    return None


def where() -> str:
    return "looked for $DESK_REAL_SET, " + ", ".join(str(p) for p in CANDIDATES)


def load(split: str | None = None) -> list[dict[str, Any]]:
    """The real set's messages (all, or one split); empty where it is absent."""
    p = path()
    if p is None:
        return []
    rows = [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines() if line]
    return [r for r in rows if split is None or r["split"] == split]


def describe() -> str:
    rows = load()
    test = sum(r["split"] == "test" for r in rows)
    return f"{test} of {len(rows)} messages"
