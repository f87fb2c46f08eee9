"""`desk classify`: one message as an argument, or JSON lines on standard input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

DESK = str(Path(sys.executable).parent / "desk")


def test_one_message_as_an_argument() -> None:
    run = subprocess.run(
        [DESK, "classify", "hey where is my order? #52011"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["intent"] == "where_is_my_order"
    assert out["order_numbers"] == ["52011"]
    assert {"confidence", "preference", "wants_human"} <= out.keys()


def test_json_lines_with_a_bad_line_named_and_the_rest_classified() -> None:
    lines = "\n".join(
        [
            json.dumps({"text": "cancel 60102 pls"}),
            "{not json",
            json.dumps({"text": "I want a human. Just refund me.", "subject": "Order 41880"}),
            json.dumps({"subject": "no text"}),
        ]
    )
    run = subprocess.run(
        [DESK, "classify"], input=lines, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 1
    out = [json.loads(x) for x in run.stdout.splitlines()]
    assert out[0]["intent"] == "cancel_order"
    assert out[1] == {
        "line": 2,
        "error": "line 2: not JSON (Expecting property name enclosed in double quotes)",
    }
    assert out[2]["wants_human"] is True and out[2]["preference"] == "refund"
    assert out[2]["order_numbers"] == ["41880"]
    assert "'text' must be a string" in out[3]["error"]
