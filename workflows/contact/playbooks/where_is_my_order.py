"""POLICY.md where_is_my_order: status and ETA, following the parcel until it arrives, is
lost, or comes back."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from desk import reply_text as say
    from desk.models import CarrierReading, ContactState, EscalationReason, ResolutionKind
    from desk.policy import where_is_my_order as wismo
    from desk.policy.reship_or_refund import Loss
    from desk.policy.rules import Rule

from workflows.contact import calls, waiting
from workflows.contact.context import Contact
from workflows.contact.identity import hand_over_if_asked
from workflows.contact.outcome import Escalate, Outcome, Resolved
from workflows.contact.resolution import reship_or_refund


async def where_is_my_order(c: Contact) -> Outcome:
    return await answer_status(c, await calls.read_carrier(c))


async def answer_status(c: Contact, reading: CarrierReading) -> Outcome:
    """The status question, given the carrier's record: also the answer to a claim the
    order's facts do not support yet (the fact gate)."""
    order = c.order
    if reading.status == "not_shipped":
        age = c.now() - order.placed_at  # as the customer asked, before the reply goes out
        too_long = wismo.unshipped_too_long(order, c.now(), c.cfg)
        await calls.reply(c, say.not_shipped(order, wismo.ship_by(order, c.cfg)))
        if too_long:
            return Escalate(
                EscalationReason.fulfillment_delay,
                Rule.wismo_1,
                f"unshipped {age.days} days after placing",
            )
        return Resolved(ResolutionKind.info_only, Rule.wismo_1, "told status and ship-by date")
    if reading.status == "delivered":
        await calls.reply(c, say.delivered_info(order, reading))
        return Resolved(
            ResolutionKind.info_only,
            Rule.intents,
            "delivered, and the customer did not say it is missing",
        )
    return await follow_parcel(c, reading)


async def follow_parcel(c: Contact, reading: CarrierReading) -> Outcome:
    """Steps 2 to 5, re-tracing until the parcel is delivered, lost, or returned."""
    order = c.order
    told_late = False
    while True:
        course = wismo.course(reading)
        if course == wismo.Course.returning:
            return Escalate(
                EscalationReason.returned_to_sender,
                Rule.wismo_5,
                "the carrier is returning it to sender",
            )
        if course == wismo.Course.lost:
            await calls.file_search(c, "lost in transit")
            await calls.reply(c, say.lost(order, c.rec.case))
            return await reship_or_refund(
                c, Loss.lost, Rule.wismo_4, f"parcel {wismo.lost_because(reading)}: presumed lost"
            )
        if course == wismo.Course.delivered:
            await calls.reply(c, say.delivered_info(order, reading))
            return Resolved(ResolutionKind.info_only, Rule.wismo_2, "delivered")
        if course == wismo.Course.on_time:
            check_at = wismo.next_check(reading, c.cfg)
            await calls.reply(c, say.in_transit(order, reading, check_at))
            wait = waiting.until(c, check_at)
        else:
            wait = waiting.hours(c, c.cfg.late_recheck_hours)
            if not told_late:
                check_at = c.now() + timedelta(hours=c.cfg.late_recheck_hours)
                await calls.reply(c, say.late(order, reading, check_at))
                told_late = True
        c.set_state(ContactState.awaiting_carrier)
        deadline = c.now() + wait
        while (
            msg := await waiting.message(
                c, lambda r: True, deadline - c.now(), "until the next carrier check"
            )
        ) is not None:
            if handover := hand_over_if_asked(msg):
                return handover
            if msg.understanding.found_it:
                return Resolved(
                    ResolutionKind.info_only, Rule.wismo_2, "the customer says it arrived"
                )
        reading = await calls.read_carrier(c)
