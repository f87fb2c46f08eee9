"""What the desk says to customers: what was checked, what was done, what happens next.

Pure text builders, so the workflow stays free of wording and tests can read replies.
Replies never promise what the policy does not allow.
"""

from __future__ import annotations

import re
from datetime import datetime

from desk.models import Address, CarrierCase, CarrierReading, Channel, Order, ProposedResolution

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]+")


def plain(text: str, limit: int = 200) -> str:
    """Customer-supplied text made safe to quote in a reply or a subject line: no control
    or direction-changing characters, no line breaks, one line of at most ``limit``."""
    flat = " ".join(_CONTROL.sub(" ", text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def when(dt: datetime | None) -> str:
    return dt.strftime("%a %d %b %Y, %H:%M UTC") if dt else "unknown"


def day(dt: datetime | None) -> str:
    return dt.strftime("%a %d %b %Y") if dt else "unknown"


def _scan(reading: CarrierReading) -> str:
    s = reading.last_scan
    if s is None:
        return "no carrier scan yet"
    place = f", {s.city}" if s.city else ""
    return f"{s.description or s.status.value}{place} ({when(s.at)})"


CHECKS = (
    "please check with neighbours and everyone in your household, around the porch and "
    "mailbox, and any parcel room or locker in your building"
)


def identity_request() -> str:
    """The one answer every unverified sender gets, whatever they wrote: it must not tell
    whether an order they named exists."""
    return (
        "Thanks for getting in touch. For your security we can only discuss an order with its "
        "owner, from the email address or phone number used for it. If your message named an "
        "order of yours, we have written to those contact details: just reply there. "
        "Otherwise, please write to us from the email address or phone number on your order."
    )


def owner_notice(order_number: str, channel: Channel) -> str:
    """To an order's owner, on the identity on file, when someone else wrote about it."""
    return (
        f"Someone wrote to us about your order {order_number} by {channel.value}, from contact "
        "details we could not confirm as yours. If it was you, reply to this message and we "
        "will take it from here. If it wasn't you, there is nothing to do: nothing about your "
        "order was shared or changed."
    )


def not_shipped(order: Order, ship_by: datetime) -> str:
    return (
        f"Order {order.number} has not shipped yet. It was placed {day(order.placed_at)} and is "
        f"due to ship by {day(ship_by)}; you will get tracking as soon as it leaves us."
    )


def _carrier(reading: CarrierReading) -> str:
    return reading.carrier.value.upper() if reading.carrier else "the carrier"


def in_transit(order: Order, reading: CarrierReading, check_at: datetime) -> str:
    return (
        f"Order {order.number} is on its way with {_carrier(reading)} "
        f"(tracking {reading.tracking}). Latest scan: {_scan(reading)}. Expected delivery: "
        f"{day(reading.expected_delivery)}. We will check again on {day(check_at)}."
    )


def late(order: Order, reading: CarrierReading, check_at: datetime) -> str:
    return (
        f"Sorry, order {order.number} is running late. Latest scan: {_scan(reading)}; it was "
        f"expected {day(reading.expected_delivery)}. It is still moving, and we will check "
        f"the carrier again on {day(check_at)} and update you."
    )


def delivered_info(order: Order, reading: CarrierReading) -> str:
    return (
        f"Order {order.number} was delivered: {_scan(reading)}. If you can't find it, just "
        f"reply and we will look into it."
    )


def _case(case: CarrierCase) -> str:
    """The carrier's case number, or, while a person is still filing it by hand (a
    carrier with no API for it), that it is being filed: never the desk's task number."""
    if case.case_number.startswith("TASK-"):
        return f"a search with {case.carrier.value.upper()} (we will send you its case number)"
    return f"case {case.case_number}"


def lost(order: Order, case: CarrierCase | None) -> str:
    search = f" We have opened carrier {_case(case)}." if case else ""
    return (
        f"Order {order.number} has stopped moving with the carrier and we consider it lost.{search}"
    )


def misdelivered(order: Order, reading: CarrierReading, case: CarrierCase | None) -> str:
    search = f" We have opened carrier {_case(case)} to recover it." if case else ""
    return (
        f"The carrier's GPS shows order {order.number} was scanned delivered away from your "
        f"address ({_scan(reading)}), so it went to the wrong place.{search}"
    )


def resolution_done(
    p: ProposedResolution, replacement: str | None, return_label: str | None = None
) -> str:
    parts = []
    if p.reship_lines:
        items = ", ".join(f"{ln.qty} x {ln.name}" for ln in p.reship_lines)
        parts.append(
            f"we are sending a replacement ({items}) as order {replacement}, "
            f"by {p.service} shipping"
        )
    if p.refund_amount:
        parts.append(f"we have refunded {p.refund_amount:.2f} to your original payment method")
    if not parts:
        return "Your case is resolved."
    text = "Good news: " + " and ".join(parts) + "."
    if return_label:
        text += (
            f" Please send the item you received back with the prepaid return label "
            f"{return_label} (we've emailed it to you)."
        )
    elif p.facts.get("loss") == "wrong_item":
        text += " No need to send the wrong item back: please keep it or donate it."
    return text


def photo_request(order: Order, reply_by: datetime) -> str:
    return (
        f"Sorry your order {order.number} arrived damaged. Could you reply with a photo of "
        f"the damage (and the box, if you still have it) by {when(reply_by)}? As soon as we "
        "have it we'll sort out a replacement or refund."
    )


def photo_reminder(order: Order, reply_by: datetime) -> str:
    return (
        f"A reminder about order {order.number}: we still need a photo of the damage to help. "
        f"Please reply with one by {when(reply_by)}."
    )


def address_request(order: Order, reply_by: datetime) -> str:
    return (
        f"Happy to change the delivery address of order {order.number} before it ships. "
        "Please reply with the full new address: street and number, city, postal code and "
        f"country, by {when(reply_by)}."
    )


def address_reminder(order: Order, reply_by: datetime) -> str:
    return (
        f"A reminder: to change the address of order {order.number} we need the full new "
        f"address (street, city, postal code, country). Please reply by {when(reply_by)}."
    )


def address_updated(order: Order, address: Address) -> str:
    return f"Done: order {order.number} will ship to {plain(address.one_line(), 300)}."


def address_too_late(order: Order) -> str:
    return (
        f"Order {order.number} is already with the carrier, so we can no longer change its "
        "address. You can ask the carrier to redirect it or hold it for pickup using the "
        "tracking link in your shipping email."
    )


def weak_proof_search(order: Order, case: CarrierCase, followup: datetime | None) -> str:
    nxt = f" We will update you by {when(followup)} at the latest." if followup else ""
    return (
        f"The carrier scanned order {order.number} as delivered ({case.carrier.value.upper()}) "
        f"without a photo or signature. We have filed a carrier search, {_case(case)}. "
        f"Meanwhile {CHECKS}.{nxt}"
    )


def strong_proof(order: Order, reading: CarrierReading, reply_by: datetime) -> str:
    facts = "; ".join(reading.proof_facts)
    return (
        f"The carrier's record shows order {order.number} delivered: {_scan(reading)} ({facts}). "
        f"Please {CHECKS}. Let us know by {when(reply_by)} whether you found it."
    )


def reminder(order: Order, reply_by: datetime) -> str:
    return (
        f"Just checking in about order {order.number}: did it turn up? Please reply by "
        f"{when(reply_by)} so we can help further."
    )


def early_claim(order: Order, reading: CarrierReading, until: datetime) -> str:
    return (
        f"The carrier scanned order {order.number} as delivered at {when(reading.delivered_at)}. "
        f"Carriers sometimes scan parcels shortly before they actually arrive, so please allow "
        f"until {when(until)}; we will check again then."
    )


def carrier_found(order: Order) -> str:
    return f"Good news: the carrier has located order {order.number} and confirmed its delivery."


def found_by_customer(order: Order) -> str:
    return f"Glad order {order.number} turned up! We've closed this case."


def escalated(sla_until: datetime) -> str:
    return (
        "Thanks for your patience. A specialist is looking at your case and will get back to "
        f"you by {when(sla_until)}."
    )


def holding(sla_until: datetime) -> str:
    return (
        "Your case is still with our specialist team, sorry for the wait. We will update you by "
        f"{when(sla_until)}."
    )


def cancelled(order: Order, refund: float, partial: bool) -> str:
    if partial:
        return (
            f"We cancelled the items of order {order.number} that had not shipped and refunded "
            f"{refund:.2f}. The rest is already with the carrier; you can refuse delivery or "
            "return it for a refund."
        )
    return (
        f"Order {order.number} is cancelled and {refund:.2f} has been refunded to your "
        "payment method."
    )


def cancel_denied(order: Order) -> str:
    return (
        f"Order {order.number} has already shipped, so it can no longer be cancelled. You can "
        "refuse the delivery when the carrier arrives, or return it within 30 days for a refund."
    )


def human_taking_over() -> str:
    return "One of our team has taken over your case and will reply personally."


_UNDERSTOOD = {
    "where_is_my_order": "You asked where order {n} is.",
    "delivered_not_received": "You told us order {n} shows as delivered but has not reached you.",
    "wrong_item": "You told us order {n} came with the wrong item.",
    "damaged_item": "You told us order {n} arrived damaged.",
    "cancel_order": "You asked us to cancel order {n}.",
    "change_address": "You asked us to change the delivery address of order {n}.",
}


def understood(intent: str, order_number: str) -> str:
    """How the desk read the request, said first, so a misreading shows at once."""
    return _UNDERSTOOD.get(intent, "About order {n}:").format(n=order_number)


def confirm(action: str, reply_by: datetime) -> str:
    return (
        f"Just to be sure before we do anything we can't undo: you would like us to {action}? "
        f"Reply yes to go ahead, or tell us what you need instead (by {when(reply_by)})."
    )


def confirm_reminder(action: str, reply_by: datetime) -> str:
    return (
        f"A reminder: we are holding off until you confirm. Should we {action}? Reply yes, "
        f"or tell us what you need instead, by {when(reply_by)}."
    )


def nothing_changed(order: Order) -> str:
    return (
        f"Understood: nothing has been changed on order {order.number}. What would you like "
        "us to do instead?"
    )
