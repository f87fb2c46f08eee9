"""Demo traffic: customer messages written to fit their orders' situations, some from
strangers, some with a follow-up on another channel.
"""

from __future__ import annotations

import random
from datetime import datetime

from pydantic import BaseModel, Field

from desk.models import Attachment, Channel, Intent, ScanStatus
from devtools.demo_shop.catalogue import _OUT_OF_STOCK
from devtools.demo_shop.customers import Person
from devtools.demo_shop.messages import _FOLLOW_UPS, _TEMPLATES, _Template
from devtools.demo_shop.orders import PlannedOrder
from devtools.demo_shop.states import (
    DELIVERED_STRONG,
    DELIVERED_WEAK,
    IN_TRANSIT,
    LABEL_CREATED,
    LATE,
    LOST,
    MISDELIVERED,
    PARTIALLY_SHIPPED,
    RETURN_TO_SENDER,
    STALLED,
    UNFULFILLED_OLD,
    UNFULFILLED_RECENT,
)


class DemoFollowUp(BaseModel):
    """A later message on the same problem, often from another channel."""

    message_id: str
    after_hours: float
    channel: Channel
    sender: str
    text: str
    attachments: list[Attachment] = Field(default_factory=list)


class DemoContact(BaseModel):
    """One customer message for demo traffic, written to fit its order's situation."""

    message_id: str
    send_after_s: float = Field(description="offset from the start of the demo traffic")
    situation: str
    expected_intent: Intent
    order_number: str | None
    customer_id: str | None
    channel: Channel
    sender: str
    subject: str | None = None
    text: str
    attachments: list[Attachment] = Field(default_factory=list)
    follow_ups: list[DemoFollowUp] = Field(default_factory=list)


# (which messages, from orders in which states, how many)
_TRAFFIC: list[tuple[str, tuple[str, ...], int]] = [
    ("wismo", (IN_TRANSIT,), 5),
    ("late", (LATE,), 3),
    ("stalled", (STALLED,), 3),
    ("lost", (LOST,), 2),
    ("dnr", (DELIVERED_WEAK,), 5),
    ("misdelivered", (MISDELIVERED,), 2),
    ("dnr_strong", (DELIVERED_STRONG,), 2),
    ("damaged", (DELIVERED_STRONG,), 2),
    ("damaged_no_photo", (DELIVERED_STRONG,), 1),
    ("wrong_item", (DELIVERED_STRONG,), 2),
    ("cancel", (UNFULFILLED_RECENT, LABEL_CREATED), 3),
    ("cancel_shipped", (IN_TRANSIT,), 1),
    ("cancel_rest", (PARTIALLY_SHIPPED,), 1),
    ("change_address", (UNFULFILLED_RECENT,), 1),
    ("unshipped_old", (UNFULFILLED_OLD,), 2),
    ("return_to_sender", (RETURN_TO_SENDER,), 1),
    ("human", (IN_TRANSIT, DELIVERED_STRONG, LATE), 2),
    ("sensitive", (DELIVERED_WEAK, STALLED), 1),
    ("unclear", (DELIVERED_STRONG,), 2),
    ("unknown_sender", (IN_TRANSIT, DELIVERED_WEAK), 2),
]
_STRANGERS = (
    ("jordan.miles@example.net", Channel.email),
    ("+13125550199", Channel.sms),
    ("casey.tran@inbox.example", Channel.email),
)


def _contacts(
    rng: random.Random, now: datetime, seed: int, people: list[Person], orders: list[PlannedOrder]
) -> list[DemoContact]:
    latest = _latest_orders(orders)
    used: set[str] = set()
    contacts: list[DemoContact] = []
    clock = 0.0
    strangers = 0
    for kind, states, count in _TRAFFIC:
        pool = [o for o in orders if o.state in states and o.number not in used]
        for order in rng.sample(pool, min(count, len(pool))):
            used.add(order.number)
            clock += rng.uniform(15, 90)
            message_id = f"demo-{seed}-{len(contacts) + 1:03d}"
            if kind == "unknown_sender":
                contact = _from_stranger(rng, now, order, strangers, message_id, clock)
                strangers += 1
            else:
                contact = _from_customer(rng, now, kind, order, latest, message_id, clock)
            contacts.append(contact)
    return contacts


def _latest_orders(orders: list[PlannedOrder]) -> dict[str, str]:
    latest: dict[str, PlannedOrder] = {}
    for order in orders:
        mine = latest.get(order.person.id)
        if mine is None or order.placed_at >= mine.placed_at:
            latest[order.person.id] = order
    return {person_id: order.number for person_id, order in latest.items()}


def _from_customer(
    rng: random.Random,
    now: datetime,
    kind: str,
    order: PlannedOrder,
    latest: dict[str, str],
    message_id: str,
    clock: float,
) -> DemoContact:
    template = rng.choice(_TEMPLATES[kind])
    person = order.person
    channel, sender = _channel_for(person, template.channel)
    slots = _slots(rng, now, order)
    text = template.text.format(**slots)
    names_order = "{ref" in template.text or "{num}" in template.text
    asks_about_order = template.intent != Intent.other
    if asks_about_order and not names_order and latest.get(person.id) != order.number:
        # Without a number the desk would look at the latest order, which isn't this one.
        text += f" (order {order.number})"
    return DemoContact(
        message_id=message_id,
        send_after_s=round(clock, 1),
        situation=order.state,
        expected_intent=template.intent,
        order_number=order.number,
        customer_id=person.id,
        channel=channel,
        sender=sender,
        subject=_subject(template, slots) if channel == Channel.email else None,
        text=_as_typed(rng, text, channel),
        attachments=[_photo(rng)] if template.image else [],
        follow_ups=_follow_ups(rng, kind, person, channel, message_id),
    )


def _from_stranger(
    rng: random.Random,
    now: datetime,
    order: PlannedOrder,
    index: int,
    message_id: str,
    clock: float,
) -> DemoContact:
    """Someone the shop doesn't know, perhaps naming somebody else's order."""
    templates = _TEMPLATES["unknown_sender"]
    template = templates[index % len(templates)]
    sender, channel = _STRANGERS[index % len(_STRANGERS)]
    slots = _slots(rng, now, order)
    return DemoContact(
        message_id=message_id,
        send_after_s=round(clock, 1),
        situation="unknown_sender",
        expected_intent=template.intent,
        order_number=None,
        customer_id=None,
        channel=channel,
        sender=sender,
        subject=_subject(template, slots) if channel == Channel.email else None,
        text=_as_typed(rng, template.text.format(**slots), channel),
    )


def _subject(template: _Template, slots: dict[str, str]) -> str:
    return (template.subject or "Order {num}").format(**slots)


def _channel_for(person: Person, wanted: Channel) -> tuple[Channel, str]:
    by_channel = {
        Channel.email: person.email,
        Channel.web: person.email,
        Channel.sms: person.phone,
        Channel.chat: person.chat,
        Channel.social: f"@{person.social}" if person.social else None,
    }
    sender = by_channel[wanted]
    return (wanted, sender) if sender else (Channel.email, person.email)


def _slots(rng: random.Random, now: datetime, order: PlannedOrder) -> dict[str, str]:
    parcel = order.parcel()
    scans = parcel.scans if parcel else []
    visible = [s for s in scans if s.at <= now]
    delivered = next((s.at for s in reversed(visible) if s.status == ScanStatus.delivered), None)
    backorder = next((p.name for p, _ in order.lines if p in _OUT_OF_STOCK), "last item")
    ref = rng.choice(["#{n}", "order {n}", "order #{n}", "{n}", "my order {n}"]).format(
        n=order.number
    )
    return {
        "ref": ref,
        "ref_cap": ref[0].upper() + ref[1:],
        "num": order.number,
        "item": order.subject_item.name.split(",")[0].lower(),
        "first": order.person.first,
        "days": str(max(1, (now - order.placed_at).days)),
        "carrier": {"usps": "USPS", "ups": "UPS", "fedex": "FedEx"}.get(
            parcel.carrier.value if parcel else "", "the carrier"
        ),
        "expected": parcel.expected.strftime("%A") if parcel and parcel.expected else "Friday",
        "last_scan": _date(visible[-1].at) if visible else "last week",
        "when": _when(now, delivered),
        "city": order.person.address.city,
        "postal": order.person.address.postal_code,
        "backorder": backorder.lower(),
    }


def _when(now: datetime, moment: datetime | None) -> str:
    if moment is None:
        return "recently"
    days = (now - moment).days
    if days == 0:
        return "today"
    if days == 1:
        return "yesterday"
    return f"on {moment:%A}" if days < 7 else f"on {_date(moment)}"


def _date(moment: datetime) -> str:
    return f"{moment:%B} {moment.day}"


def _as_typed(rng: random.Random, text: str, channel: Channel) -> str:
    """People type fast on phones: lower case now and then, and the odd swapped letter."""
    if channel == Channel.sms and rng.random() < 0.5:
        text = text.lower()
    if rng.random() < 0.25:
        words = text.split(" ")
        candidates = [i for i, w in enumerate(words) if len(w) > 5 and w.isalpha()]
        if candidates:
            i = rng.choice(candidates)
            j = rng.randint(1, len(words[i]) - 3)
            w = words[i]
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
            text = " ".join(words)
    return text


def _photo(rng: random.Random) -> Attachment:
    return Attachment(
        kind="image", name=f"IMG_{rng.randint(1000, 9999)}.jpg", content_type="image/jpeg"
    )


def _follow_ups(
    rng: random.Random, kind: str, person: Person, first: Channel, message_id: str
) -> list[DemoFollowUp]:
    """A later message, on another channel when the customer has one: contacts merge."""
    options = _FOLLOW_UPS.get(kind)
    if not options:
        return []
    others = [c for c in (Channel.chat, Channel.sms) if c != first]
    channel, sender = _channel_for(person, rng.choice(others))
    if kind in {"dnr", "misdelivered"} and channel == Channel.email:
        return []  # a second email adds nothing to the demo
    text, photo = rng.choice(options)
    return [
        DemoFollowUp(
            message_id=f"{message_id}-2",
            after_hours=rng.choice([2, 3, 5, 20]),
            channel=channel,
            sender=sender,
            text=text,
            attachments=[_photo(rng)] if photo else [],
        )
    ]
