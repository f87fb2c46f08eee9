"""``desk classify``: message understanding for people and tools.

    desk classify "where is my order #52011"         one message, one JSON line
    desk classify < messages.jsonl                    {"text": ..., "subject": ...} per line

A line that is not a JSON object with a string ``text`` gets an error line naming the line
and the problem; the other lines are still classified, and the exit code is 1.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import IO, Any

from desk.classifier.llm import LocalClassify as Classify
from desk.models import Understanding


def understanding_json(u: Understanding) -> dict[str, Any]:
    out = u.model_dump(mode="json", exclude_none=True)
    # Always present, so tools can rely on them.
    for key in ("intent", "confidence", "order_numbers", "preference", "wants_human"):
        out.setdefault(key, None)
    return out


def _parse(line: str, number: int) -> tuple[str, str | None]:
    try:
        item = json.loads(line)
    except json.JSONDecodeError as err:
        raise ValueError(f"line {number}: not JSON ({err.msg})") from None
    if not isinstance(item, dict):
        raise ValueError(f"line {number}: expected an object with a 'text' field")
    text, subject = item.get("text"), item.get("subject")
    if not isinstance(text, str):
        raise ValueError(f"line {number}: 'text' must be a string")
    if subject is not None and not isinstance(subject, str):
        raise ValueError(f"line {number}: 'subject' must be a string")
    return text, subject


def classify_lines(lines: Iterable[str], classify: Classify, out: IO[str]) -> int:
    failed = False
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            text, subject = _parse(line, number)
        except ValueError as err:
            failed = True
            print(json.dumps({"line": number, "error": str(err)}), file=out, flush=True)
            continue
        print(json.dumps(understanding_json(classify(text, subject, None))), file=out, flush=True)
    return 1 if failed else 0


def run_classify(text: str | None, classify: Classify) -> int:
    if text is not None:
        print(json.dumps(understanding_json(classify(text, None, None))))
        return 0
    return classify_lines(sys.stdin, classify, sys.stdout)
