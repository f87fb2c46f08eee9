"""The labelled training corpus for the intent model: a generator and its output.

`generate.py` composes `messages.jsonl` deterministically; see docs/classifier.md.
"""

from __future__ import annotations

from pathlib import Path

CORPUS_PATH = Path(__file__).with_name("messages.jsonl")

__all__ = ["CORPUS_PATH"]
