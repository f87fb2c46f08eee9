"""Trusted senders: each attack that used to move money or goods, or disclose an order,
now moves nothing and discloses nothing.

The attacks are scenario files (``scenarios/p8-*.yaml``) run through the real intake and
contact workflows; the assertions read the run's ledger and every message the desk sent
(its behaviour fingerprint): nothing refunded, reshipped, cancelled or moved, no carrier
search, and no reply to the stranger carrying the order's tracking number, carrier,
address, items or owner. The order's owner hears of it on the identity on file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from devtools.scenarios.runner import run_scenario

ROOT = Path(__file__).resolve().parents[1]

# scenario -> (the stranger's address, the owner's identity on file, what must not leak)
ATTACKS: dict[str, tuple[str, str | None, list[str]]] = {
    "p8-forged-web-form-changes-no-address": (
        "nora.lind@example.com",
        "nora.lind@example.com",
        ["14 Birch", "Madison", "Oak desk lamp", "Nora"],
    ),
    "p8-forged-chat-handle-changes-no-address": (
        "omar.haddad@example.com",
        None,  # the reading finds no order number in "on 880202": no order to tell
        ["3 Quay", "Portland", "Copper kettle", "Omar"],
    ),
    "p8-forged-email-refunds-nothing": (
        "priya.raman@example.com",
        "priya.raman@example.com",
        ["9400111899223188030303", "USPS", "Mailbox", "61 Elm", "headphones", "Priya"],
    ),
    "p8-forged-social-handle-refunds-nothing": (
        "lenaf",
        "lena.fischer@example.com",
        ["1Z999AA10188040404", "UPS", "porch", "Linden", "boots", "Lena"],
    ),
    "p8-unsigned-sms-gets-no-tracking": (
        "+15557880505",
        "+15557880505",
        ["771234880505", "FedEx", "FEDEX", "Orlando", "Palm Dr", "fan", "Sam"],
    ),
    "p8-email-and-digits-verify-nothing": (
        "other@example.org",
        "kai.brooks@example.com",
        ["cancel", "refund", "5 Vine", "chair", "Kai"],
    ),
}


async def _fingerprint(name: str, tmp_path: Path) -> dict[str, Any]:
    result = await run_scenario(ROOT / "scenarios" / f"{name}.yaml", record_dir=tmp_path)
    assert result["ok"], result
    return dict(json.loads((tmp_path / f"{name}.json").read_text()))


def _moved_nothing(fp: dict[str, Any]) -> None:
    assert fp["refunds"] == [] and fp["replacements"] == [] and fp["return_labels"] == 0
    assert fp["order_changes"] == [] and fp["carrier_cases"] == []
    assert fp["claims"] == []  # nothing counts against the real customer in the fraud gate


@pytest.mark.parametrize("name", list(ATTACKS))
async def test_an_unverified_sender_moves_nothing_and_learns_nothing(
    name: str, tmp_path: Path
) -> None:
    stranger, owner, secrets = ATTACKS[name]
    fp = await _fingerprint(name, tmp_path)
    _moved_nothing(fp)
    sent = [m for replies in fp["replies"].values() for m in replies]
    to_stranger = [
        m for m in sent if m["to"] == stranger and "Someone wrote to us" not in m["body"]
    ]
    assert to_stranger, "the sender is told how to reach us"
    for message in to_stranger:
        for secret in secrets:
            assert secret.lower() not in message["body"].lower(), (secret, message["body"])
        assert "order of yours" in message["body"]  # the same words whatever they named
    notices = [m for m in sent if "Someone wrote to us" in m["body"]]
    if owner is None:
        assert notices == []
    else:
        # The owner hears of it on the identity on file, and only there.
        assert [m["to"] for m in notices] == [owner]


async def test_the_same_answer_whether_or_not_the_order_exists(tmp_path: Path) -> None:
    """No oracle: a stranger naming a real order and one naming a made-up order get the
    same reply, so order numbers cannot be probed."""
    real = await _fingerprint("p8-forged-email-refunds-nothing", tmp_path)
    text = (ROOT / "scenarios" / "p8-forged-email-refunds-nothing.yaml").read_text()
    made_up = tmp_path / "made-up.yaml"
    made_up.write_text(
        text.replace("name: p8-forged-email-refunds-nothing", "name: made-up").replace(
            'subject: "Order 880303"', 'subject: "Order 990303"'
        )
    )
    result = await run_scenario(made_up, record_dir=tmp_path)
    fake = json.loads((tmp_path / "made-up.json").read_text())
    assert result["resolution"] == "no_response"

    def answer(fp: dict[str, Any]) -> list[str]:
        return [
            m["body"]
            for replies in fp["replies"].values()
            for m in replies
            if m["to"] == "priya.raman@example.com" and "Someone wrote" not in m["body"]
        ]

    assert answer(real) == answer(fake) and len(answer(real)) == 1


async def test_a_strangers_address_is_never_applied_for_the_owner(tmp_path: Path) -> None:
    fp = await _fingerprint("p8-strangers-address-never-applied", tmp_path)
    _moved_nothing(fp)
    [contact] = fp["contacts"]
    owner_replies = [m["body"] for m in fp["replies"][contact["contact"]]]
    assert any("full new address" in body for body in owner_replies)  # asked, not applied
    assert not any("Thief" in body for body in owner_replies)


async def test_a_flood_from_a_stranger_is_held_back_and_changes_nothing(tmp_path: Path) -> None:
    fp = await _fingerprint("p8-stranger-flood-is-held-back", tmp_path)
    assert fp["refunds"] == [] and fp["order_changes"] == [] and fp["replacements"] == []
    [contact] = fp["contacts"]
    assert (contact["resolution"], contact["autonomous"]) == ("info_only", True)
    # One message of the customer's, five of the stranger's (the limit), three held back.
    assert sum(" message by customer" in step for step in contact["timeline"]) == 6
    # The stranger's words never reached the contact: references only.
    assert "refund me" not in json.dumps(contact)


async def test_a_supervisor_override_beyond_the_order_is_refused(tmp_path: Path) -> None:
    fp = await _fingerprint("p8-override-beyond-the-order-refused", tmp_path)
    [refused] = fp["refused_decisions"]
    assert "a refund of 99999.00 is more than order 880808 can return (215.00)" in refused
    assert [r["amount"] for r in fp["refunds"]] == [100.0]


async def test_huge_messages_from_a_stranger_do_not_grow_the_customers_contact(
    tmp_path: Path,
) -> None:
    """Three 1.5 MB posts naming the order reach its contact as references of a few
    hundred bytes: the contact stays small and answers queries."""
    text = (ROOT / "scenarios" / "p8-stranger-flood-is-held-back.yaml").read_text()
    head = text.split("messages:")[0].replace(
        "name: p8-stranger-flood-is-held-back", "name: huge-posts"
    )
    blob = "x" * 1_500_000
    messages = "\n".join(
        f"  - {{at: +{h}h, channel: web, from: x@example.net, authenticated: false, "
        f'text: "order 880909 {blob}"}}'
        for h in (1, 2, 3)
    )
    scenario = tmp_path / "huge-posts.yaml"
    scenario.write_text(
        head
        + "messages:\n"
        + '  - {at: 0, channel: email, from: mila.novak@example.com, text: "Where is my '
        + 'order 880909?"}\n'
        + messages
        + "\n"
    )
    histories = tmp_path / "histories"
    result = await run_scenario(scenario, history_dir=histories, record_dir=tmp_path)
    assert result["resolution"] == "info_only" and result["contacts"] == 1
    [history] = histories.glob("huge-posts--contact-order-880909.json")
    assert history.stat().st_size < 300_000  # three 1.5 MB posts left a few KB each
