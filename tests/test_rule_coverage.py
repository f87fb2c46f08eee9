"""Every rule of POLICY.md is exercised by at least one scenario that names it, and
docs/policy.md says where each rule id the desk records lives.

Rule ids are ``desk.policy.rules.Rule``: their values are POLICY.md's own names for its
rules, a section ("Who is asking", "Carrier search"), a playbook step ("delivered_not_received
step 3") or a numbered rule ("Reship or refund rule 2", "Escalation rule 4"), and scenario
descriptions name rules in the same words.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from desk.policy.rules import Rule

ROOT = Path(__file__).resolve().parents[1]
POLICY_RULES = [r for r in Rule if r.from_policy]


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


def test_the_rule_ids_cover_every_rule_of_policy_md() -> None:
    policy = (
        (ROOT.parent / "shared" / "POLICY.md").read_text()
        if (ROOT.parent / "shared" / "POLICY.md").is_file()
        else None
    )
    assert len(POLICY_RULES) == 37  # 6 sections, 20 playbook steps, 11 numbered rules
    if policy is not None:
        for rule in POLICY_RULES:
            head = re.sub(r" (step|rule) \d$", "", rule.value)
            assert head in policy, f"{rule.value!r} does not name a part of POLICY.md"


@pytest.mark.parametrize("rule", POLICY_RULES, ids=[r.name for r in POLICY_RULES])
def test_rule_is_named_by_a_scenario(rule: Rule) -> None:
    assert _named(rule.value), f"no scenario description names {rule.value!r}"


@pytest.mark.parametrize("rule", list(Rule), ids=[r.name for r in Rule])
def test_docs_say_where_each_rule_lives(rule: Rule) -> None:
    docs = (ROOT / "docs" / "policy.md").read_text()
    assert f"`{rule.value}`" in docs, f"docs/policy.md does not list the rule id {rule.value!r}"


def test_the_project_has_at_least_forty_scenarios() -> None:
    assert len(list((ROOT / "scenarios").glob("*.yaml"))) >= 40
