"""Every rule of POLICY.md is exercised by at least one scenario that names it.

Scenario descriptions name rules in POLICY.md's own words: a section ("Who is asking",
"Carrier search"), a playbook step ("delivered_not_received step 3") or a numbered rule
("Reship or refund rule 2", "Escalation rule 4").
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = [
    "Who is asking",
    "Intents",
    "Reading the carrier record",
    "Carrier search",
    "After resolution",
    "Replies",
]
STEPS = {
    "where_is_my_order": 5,
    "delivered_not_received": 5,
    "wrong_item": 3,
    "damaged_item": 2,
    "cancel_order": 3,
    "change_address": 2,
}
NUMBERED = {"Reship or refund": 6, "Escalation": 5}
RULES = (
    SECTIONS
    + [f"{playbook} step {n}" for playbook, count in STEPS.items() for n in range(1, count + 1)]
    + [f"{section} rule {n}" for section, count in NUMBERED.items() for n in range(1, count + 1)]
)


def _descriptions() -> str:
    texts = []
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        texts.append(str(yaml.safe_load(path.read_text()).get("description", "")))
    return re.sub(r"\s+", " ", " ".join(texts)).lower()


DESCRIPTIONS = _descriptions()


def _named(rule: str) -> bool:
    # "delivered_not_received steps 3 and 4" and "step 3" both name step 3.
    m = re.match(r"(.+) (step|rule) (\d)$", rule)
    if m is None:
        return rule.lower() in DESCRIPTIONS
    head, word, n = m.groups()
    pattern = rf"{re.escape(head.lower())} {word}s? (?:\d+(?:, | and | or )?)*{n}\b"
    return re.search(pattern, DESCRIPTIONS) is not None


@pytest.mark.parametrize("rule", RULES)
def test_rule_is_named_by_a_scenario(rule: str) -> None:
    assert _named(rule), f"no scenario description names {rule!r}"


def test_the_project_has_at_least_forty_scenarios() -> None:
    assert len(list((ROOT / "scenarios").glob("*.yaml"))) >= 40
