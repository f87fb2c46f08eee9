"""POLICY.md change_address: move an unshipped order to the new address; once shipped,
explain the carrier's redirect."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from desk import reply_text as say
    from desk.models import Address, ContactState, ResolutionKind
    from desk.policy.address import complete_address
    from desk.policy.rules import Rule
    from desk.policy.shipped import shipped_skus

from workflows.contact import calls, waiting
from workflows.contact.confirmation import confirmed
from workflows.contact.context import Contact
from workflows.contact.identity import hand_over_if_asked
from workflows.contact.outcome import Outcome, Resolved


def _latest_address(c: Contact) -> Address | None:
    return next(
        (
            r.understanding.new_address
            for r in reversed(c.rec.verified())
            if r.understanding.new_address
        ),
        None,
    )


async def change_address(c: Contact) -> Outcome:
    order = c.order
    if shipped_skus(order, await calls.trace_all(c)):
        await calls.reply(c, say.address_too_late(order))
        return Resolved(
            ResolutionKind.info_only, Rule.change_address_2, "shipped; carrier redirect"
        )
    address = _latest_address(c)
    if address is None:
        msg = await waiting.ask_then_remind(
            c,
            lambda by: say.address_request(order, by),
            lambda by: say.address_reminder(order, by),
            lambda r: r.understanding.new_address is not None,
            "wait for the new address",
        )
        if msg is None:
            return Resolved(
                ResolutionKind.no_response, Rule.change_address_1, "no usable address given"
            )
        if handover := hand_over_if_asked(msg):
            return handover
        address = msg.understanding.new_address
    assert address is not None
    address = complete_address(address, order)
    c.set_state(ContactState.investigating)
    action = f"ship order {order.number} to {say.plain(address.one_line(), 300)}"
    if (instead := await confirmed(c, action)) is not None:
        return instead
    try:
        await calls.update_address(c, address)
    except ActivityError as err:
        # The carrier accepted the parcel between our check and the change.
        c.note("address", f"address not changed: {err.cause}", Rule.change_address_2)
        await calls.reply(c, say.address_too_late(order))
        return Resolved(
            ResolutionKind.info_only, Rule.change_address_2, "shipped before the change"
        )
    await calls.reply(c, say.address_updated(c.order, address))
    return Resolved(
        ResolutionKind.address_updated,
        Rule.change_address_1,
        f"not shipped; new address {address.one_line()}",
    )
