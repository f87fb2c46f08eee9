"""POLICY.md delivered_not_received: the fraud gate, then what the delivery proof and the
customer's tier call for."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from desk import reply_text as say
    from desk.models import (
        CarrierReading,
        ClaimKind,
        ContactState,
        EscalationReason,
        ResolutionKind,
    )
    from desk.policy import delivered_not_received as dnr
    from desk.policy.fact_gate import not_received_gate
    from desk.policy.reship_or_refund import Loss
    from desk.policy.rules import Rule

from workflows.contact import calls, waiting
from workflows.contact.context import Contact
from workflows.contact.fraud_gate import held_by_fraud_gate
from workflows.contact.identity import hand_over_if_asked
from workflows.contact.outcome import Escalate, Outcome, Resolved
from workflows.contact.patches import Patch, patched
from workflows.contact.playbooks.where_is_my_order import answer_status, follow_parcel
from workflows.contact.resolution import plan, reship_or_refund


async def delivered_not_received(c: Contact) -> Outcome:
    if patched(Patch.fact_gates):
        # The claim must fit the facts before anything counts it: a delivered scan.
        reading = await calls.read_carrier(c)
        gate = not_received_gate(reading)
        c.note("fact_gate", f"not received: {gate.why}", Rule.fact_gate)
        if not gate.passes:
            return await answer_status(c, reading)  # a status question after all
        if held := await held_by_fraud_gate(c, ClaimKind.delivered_not_received, Rule.dnr_1):
            return held
    else:
        if held := await held_by_fraud_gate(c, ClaimKind.delivered_not_received, Rule.dnr_1):
            return held
        reading = await calls.read_carrier(c)
        if reading.status != "delivered":
            c.note(
                "evidence",
                f"tracking does not show delivered ({reading.status}); following the parcel",
                Rule.not_delivered_claim,
            )
            return await follow_parcel(c, reading)
    if reading.proof == "misdelivered":
        return await misdelivered(c, reading)
    if reading.proof == "strong":
        return await strong_proof(c, reading)
    early_until = dnr.early_claim_until(reading, c.cfg)
    if c.now() < early_until:
        # Step 5: carriers often scan early; wait for the mark, then look again.
        await calls.reply(c, say.early_claim(c.order, reading, early_until))
        c.set_state(ContactState.awaiting_customer)
        msg = await waiting.message(
            c,
            lambda r: r.understanding.found_it or waiting.asks_for_a_person(r),
            waiting.until(c, early_until),
            "early-claim wait",
        )
        if msg is not None:
            if handover := hand_over_if_asked(msg):
                return handover
            return Resolved(
                ResolutionKind.found_by_customer, Rule.dnr_5, "arrived during the early-claim wait"
            )
        reading = await calls.read_carrier(c)
        if reading.proof != "weak":
            c.note("evidence", f"after the early-claim wait the proof is {reading.proof}")
            if reading.proof == "strong":
                return await strong_proof(c, reading)
            return await misdelivered(c, reading)
    return await weak_proof(c, reading)


async def misdelivered(c: Contact, reading: CarrierReading) -> Outcome:
    """Step 2: GPS far from the address: search, and resolve at once."""
    await calls.file_search(c, "misdelivery")
    # Contacts started before this reply existed replay without it.
    if patched(Patch.misdelivery_reply):
        await calls.reply(c, say.misdelivered(c.order, reading, c.rec.case))
    return await reship_or_refund(c, Loss.misdelivered, Rule.dnr_2, "GPS shows misdelivery")


async def weak_proof(c: Contact, reading: CarrierReading) -> Outcome:
    """Step 3: file the search at once; then by tier."""
    tier = c.customer.tier
    await calls.file_search(c, "delivered, not received")
    assert c.rec.case is not None
    followup = None
    if dnr.waits_for_carrier(tier):
        followup = c.now() + timedelta(hours=c.cfg.carrier_followup_hours)
    await calls.reply(c, say.weak_proof_search(c.order, c.rec.case, followup))
    course = dnr.weak_proof_course(tier)
    if course == dnr.WeakProofCourse.resolve:
        return await reship_or_refund(
            c, Loss.missing, Rule.dnr_3, "vip: weak proof, resolve at once"
        )
    if course == dnr.WeakProofCourse.escalate:
        planned = await plan(c, Loss.missing)
        return Escalate(
            EscalationReason.b2b_account,
            Rule.dnr_3,
            "b2b: weak proof on a business account",
            planned.proposal,
        )
    return await await_carrier(c, reading)


async def await_carrier(c: Contact, reading: CarrierReading) -> Outcome:
    """Step 3, standard and new: wait up to the follow-up window, re-tracing on a cadence."""
    c.set_state(ContactState.awaiting_carrier)
    window_ends = c.now() + waiting.hours(c, c.cfg.carrier_followup_hours)
    first_delivered_at = reading.delivered_at
    while c.now() < window_ends:
        step = min(waiting.hours(c, c.cfg.retrace_hours), window_ends - c.now())
        msg = await waiting.message(c, lambda r: True, step, "carrier follow-up / re-trace")
        if msg is not None:
            if handover := hand_over_if_asked(msg):
                return handover
            if msg.understanding.found_it:
                await calls.reply(c, say.found_by_customer(c.order))
                return Resolved(ResolutionKind.found_by_customer, Rule.dnr_3, "customer found it")
            continue
        latest = await calls.read_carrier(c)
        if dnr.carrier_found_it(c.rec.case, latest, first_delivered_at):
            await calls.reply(c, say.carrier_found(c.order))
            return Resolved(ResolutionKind.carrier_found, Rule.dnr_3, "carrier found it")
        if dnr.search_came_back_empty(c.rec.case):
            assert c.rec.case is not None
            c.note(
                "carrier",
                f"carrier search {c.rec.case.case_number} found nothing; "
                "not waiting out the window",
                Rule.dnr_3,
            )
            break
    return await reship_or_refund(
        c, Loss.missing, Rule.dnr_3, "carrier did not find it in the window"
    )


async def strong_proof(c: Contact, reading: CarrierReading) -> Outcome:
    """Step 4: show the proof, ask the customer to check, remind once."""
    order, tier = c.order, c.customer.tier
    msg = await waiting.ask_then_remind(
        c,
        lambda by: say.strong_proof(order, reading, by),
        lambda by: say.reminder(order, by),
        lambda r: True,
        "wait for the customer to check",
    )
    if msg is None:
        return Resolved(ResolutionKind.no_response, Rule.dnr_4, "no reply after a reminder")
    if handover := hand_over_if_asked(msg):
        return handover
    if msg.understanding.found_it:
        await calls.reply(c, say.found_by_customer(order))
        return Resolved(ResolutionKind.found_by_customer, Rule.dnr_4, "customer found it")
    if dnr.goodwill_despite_proof(tier):
        return await reship_or_refund(c, Loss.missing, Rule.dnr_4, "vip: goodwill despite proof")
    planned = await plan(c, Loss.missing)
    return Escalate(
        EscalationReason.delivered_with_proof,
        Rule.dnr_4,
        "still missing despite strong proof",
        planned.proposal,
    )
