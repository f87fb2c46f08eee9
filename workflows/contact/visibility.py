"""What operators see of a contact in the Temporal UI: the current-details card and the
search attributes. Built from the record; ids and states only in search attributes."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate

with workflow.unsafe.imports_passed_through():
    from desk import search_attributes as sa
    from desk.contact import ContactRecord
    from desk.models import ContactState


# The waits' summaries (their timers' summaries in workflows/contact/) as an operator reads
# them: what comes next, followed by when.
_WAIT_PHRASES = {
    "carrier follow-up / re-trace": "next re-trace",
    "until the next carrier check": "next carrier check",
    "early-claim wait": "early-claim window ends",
    "reopen window": "reopen window closes",
    "owned by a person (daily history check)": "owned by a person, next check",
    "wait for the customer's yes": "customer's answer due",
    "wait for what instead": "customer's answer due",
    "wait for a photo of the damage": "photo due",
    "wait for the new address": "new address due",
    "wait for the customer to check": "customer's check due",
    "wait for a verified follow-up": "verified follow-up due",
}


def waiting_line(rec: ContactRecord) -> str:
    """What the contact waits for and until when ("next re-trace Tue 03 Dec 14:00 UTC",
    "SLA due Tue 03 Dec 13:00 UTC"); "" when it is not waiting. Built from the waits' own
    summaries, which name no one."""
    if rec.waiting_for is None and rec.waiting_until is None:
        return ""
    what = rec.waiting_for or ""
    if what.startswith("escalation SLA"):
        phrase = "SLA due"
    else:
        phrase = _WAIT_PHRASES.get(what, f"{what} until" if what else "until")
    if rec.waiting_until is None:
        return f"waiting: {what}" if what else "waiting on a person"
    return f"{phrase} {rec.waiting_until.astimezone(UTC):%a %d %b %H:%M} UTC"


def details_card(rec: ContactRecord) -> str:
    """The current-details card: ids, states, amounts and rule ids, never a name, an email, a
    phone number, an address or anyone's words. Timeline entries written from what people
    said (messages, replies, decisions' notes, refusal causes) show their kind and the one
    token that is an id or a state (the channel, the action, the resolution); only entries the
    desk writes from ids and numbers show their text."""
    head = f"**{rec.state.value}**"
    if rec.state == ContactState.escalated and rec.escalation_reason:
        head += f" — {rec.escalation_reason.value}"
    if rec.state == ContactState.escalated and rec.escalation_level:
        head += f" (level {rec.escalation_level})"
    if waits := waiting_line(rec):
        head += f" — {waits}"
    lines = [head]
    if rec.order:
        lines.append(
            f"order {rec.order.number}"
            + (f", {rec.customer.tier.value} customer" if rec.customer else "")
        )
    elif rec.customer:
        lines.append(f"{rec.customer.tier.value} customer {rec.customer.id}, no order")
    if rec.routed:
        channels = ", ".join(dict.fromkeys(r.message.channel.value for r in rec.routed))
        lines.append(f"{rec.routed[0].understanding.intent.value} on {channels}")
    if rec.evidence:
        flags = "".join(f" {f}" for f in ("late", "stalled") if getattr(rec.evidence, f))
        lines.append(
            f"carrier: {rec.evidence.status}{flags}"
            + (f", proof {rec.evidence.proof}" if rec.evidence.proof else "")
        )
    if rec.case:
        lines.append(f"carrier case {rec.case.case_number} ({rec.case.status})")
    if rec.proposal:
        p = rec.proposal
        lines.append(f"proposed: {p.kind.value} {p.money_at_stake:.2f} — {p.rule}")
    if rec.resolution:
        who = "autonomous" if rec.autonomous else "supervisor"
        lines.append(f"resolution: {rec.resolution.value} ({who})")

    # Texts the desk composes from ids, numbers and states only.
    machine_written = {
        "carrier",
        "carrier_search",
        "closed",
        "continued",
        "executed",
        "found_after_resolution",
        "fraud_gate",
        "identity",
        "resumed",
        "sla_breached",
    }
    # Texts that open with an enum value or an activity name, then may quote people.
    leading_token = {"action_failed", "decision", "decision_refused", "escalated", "resolved"}

    def token(text: str) -> str:
        first = text.split(" ", 1)[0].rstrip(":;,")
        return f" {first}" if first.isidentifier() and first.islower() else ""

    # Each message note is one routed message (Contact.receive writes both), so counting
    # from the end pairs the notes with the messages the record still carries; a reply goes
    # where calls.reply sends it: the last verified message's channel, else the last one's.
    message_at = [i for i, e in enumerate(rec.timeline) if e.kind == "message"]
    routed_of = dict(zip(reversed(message_at), reversed(rec.routed), strict=False))
    shown = range(max(0, len(rec.timeline) - 5), len(rec.timeline))
    for i in shown:
        entry = rec.timeline[i]
        detail = ""
        if entry.kind == "message" and i in routed_of:
            detail = f" on {routed_of[i].message.channel.value}"
        elif entry.kind == "reply":
            before = [routed_of[j] for j in message_at if j < i and j in routed_of]
            verified = [r for r in before if r.match.verified]
            if verified and rec.order is not None:
                detail = f" on {verified[-1].message.channel.value}"
            elif before:
                detail = f" on {before[-1].message.channel.value}"
        elif entry.kind in leading_token:
            detail = token(entry.text)
        elif entry.kind in machine_written:
            detail = f": {entry.text[:140]}"
        why = f" [{entry.rule}]" if entry.rule else ""
        lines.append(f"- {entry.at:%m-%d %H:%M} {entry.kind}{detail}{why}")
    return "\n".join(lines)


def search_attribute_updates(rec: ContactRecord) -> list[SearchAttributeUpdate[Any]]:
    updates: list[SearchAttributeUpdate[Any]] = [sa.CONTACT_STATE.value_set(rec.state.value)]
    if rec.routed:
        updates.append(sa.INTENT.value_set(rec.routed[0].understanding.intent.value))
        updates.append(
            sa.CHANNELS.value_set(list(dict.fromkeys(r.message.channel.value for r in rec.routed)))
        )
    if rec.customer:
        updates.append(sa.CUSTOMER_TIER.value_set(rec.customer.tier.value))
    if rec.order:
        updates.append(sa.ORDER_NUMBER.value_set(rec.order.number))
    if rec.resolution:
        updates.append(sa.RESOLUTION.value_set(rec.resolution.value))
    if rec.autonomous is not None:
        updates.append(sa.AUTONOMOUS.value_set(rec.autonomous))
    if rec.escalation_reason:
        updates.append(sa.ESCALATION_REASON.value_set(rec.escalation_reason.value))
    if rec.case:
        updates.append(sa.CARRIER_CASE.value_set(rec.case.case_number))
    return updates
