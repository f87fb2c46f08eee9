"""What demo customers write: message templates per kind of problem, and follow-ups."""

from __future__ import annotations

from dataclasses import dataclass

from desk.models import Channel, Intent


@dataclass(frozen=True)
class _Template:
    text: str
    channel: Channel = Channel.email
    subject: str | None = None
    intent: Intent = Intent.where_is_my_order
    image: bool = False


_W = Intent.where_is_my_order
_D = Intent.delivered_not_received
_TEMPLATES: dict[str, list[_Template]] = {
    "wismo": [
        _Template("hey where is my order? {ref}", Channel.sms),
        _Template(
            "Hi, just checking on {ref} - any idea when it'll arrive? Thanks, {first}",
            Channel.email,
            "Order {num} status",
        ),
        _Template("wheres my {item}?? ordered it {days} days ago", Channel.sms),
        _Template(
            "Hello! Could you tell me when {ref} will be delivered? I need the {item} "
            "before the weekend.",
            Channel.web,
        ),
        _Template(
            "tracking hasnt updated since yesterday, is {ref} still on its way?", Channel.chat
        ),
    ],
    "late": [
        _Template(
            "My order {ref} was supposed to arrive by {expected}. It's late. What's going on?",
            Channel.email,
            "Late delivery - order {num}",
        ),
        _Template(
            "Still no {item}. Tracking just says it's running late. When will it actually "
            "get here? {ref}",
            Channel.chat,
        ),
        _Template("this is taking forever. {ref} was due days ago", Channel.sms),
    ],
    "stalled": [
        _Template(
            "Tracking for {ref} hasn't moved in over a week. Is it lost?",
            Channel.email,
            "Is my package lost?",
        ),
        _Template(
            "Hi, my {carrier} package has been stuck at the same facility since {last_scan}. "
            "Order {num}. Can you help?",
            Channel.chat,
        ),
        _Template("order {num} hasnt moved in days. honestly just refund me", Channel.sms),
    ],
    "lost": [
        _Template(
            "Tracking says my package was lost?? {ref}. Can you send another one please",
            Channel.sms,
        ),
        _Template(
            "{carrier} says the parcel for {ref} can't be located. I'd like a refund please.",
            Channel.email,
            "Lost parcel, order {num}",
        ),
    ],
    "dnr": [
        _Template(
            "Tracking says delivered but there's nothing here. {ref}", Channel.sms, intent=_D
        ),
        _Template(
            "Hi, {ref} shows as delivered {when} but it's not in my mailbox or at the door. "
            "I already asked the neighbours.\n\nThanks,\n{first}",
            Channel.email,
            "Order {num} never arrived",
            intent=_D,
        ),
        _Template("it says delivered but i dont have it?? #{num}", Channel.chat, intent=_D),
        _Template(
            "Hello, the {item} I ordered ({ref}) was marked delivered but never showed up. "
            "Could you look into it?",
            Channel.web,
            intent=_D,
        ),
        _Template(
            "Your tracking says my {item} was delivered {when}. It wasn't. Nothing on the "
            "porch, nothing in the mailbox, nothing at the leasing office.",
            Channel.email,
            "Package marked delivered - not received",
            intent=_D,
        ),
    ],
    "misdelivered": [
        _Template(
            "My package was 'delivered' but I think it went to the wrong house - that "
            "isn't my street. order {num}",
            Channel.email,
            "Delivered to the wrong address?",
            intent=_D,
        ),
        _Template(
            "says delivered {when} but its not here, pretty sure the driver got the wrong "
            "address. {ref}",
            Channel.sms,
            intent=_D,
        ),
    ],
    "dnr_strong": [
        _Template(
            "{ref_cap} says delivered but I can't find it anywhere.", Channel.chat, intent=_D
        ),
        _Template(
            "The tracking says it was left at the front desk but the front desk says they "
            "don't have anything for me. {ref}",
            Channel.email,
            "Missing package {num}",
            intent=_D,
        ),
    ],
    "damaged": [
        _Template(
            "The {item} from {ref} arrived damaged - the box was crushed and it's unusable. "
            "Photo attached.",
            Channel.email,
            "Damaged item in order {num}",
            Intent.damaged_item,
            image=True,
        ),
        _Template(
            "recieved my order today but the {item} is broken. pic attached #{num}",
            Channel.chat,
            intent=Intent.damaged_item,
            image=True,
        ),
    ],
    "damaged_no_photo": [
        _Template(
            "Hi, my {item} ({ref}) came broken. What can you do?",
            Channel.chat,
            intent=Intent.damaged_item,
        ),
    ],
    "wrong_item": [
        _Template(
            "I ordered the {item} but got something completely different in the box. {ref_cap}.",
            Channel.email,
            "Wrong item received",
            Intent.wrong_item,
        ),
        _Template(
            "Wrong item in my package for {ref} - this isn't what I ordered.",
            Channel.web,
            intent=Intent.wrong_item,
        ),
    ],
    "cancel": [
        _Template(
            "Please cancel {ref}, I ordered the wrong size.",
            Channel.web,
            intent=Intent.cancel_order,
        ),
        _Template(
            "hi can i cancel {ref}? changed my mind", Channel.sms, intent=Intent.cancel_order
        ),
        _Template(
            "Cancel my order {num} please. Found it cheaper elsewhere, sorry!",
            Channel.email,
            "Cancel order {num}",
            Intent.cancel_order,
        ),
    ],
    "cancel_shipped": [
        _Template(
            "Can I still cancel {ref}? I don't need it anymore.",
            Channel.chat,
            intent=Intent.cancel_order,
        ),
    ],
    "cancel_rest": [
        _Template(
            "The rest of {ref} arrived but the {backorder} still hasn't shipped. Can you just "
            "cancel that part?",
            Channel.email,
            "Cancel the backordered item",
            Intent.cancel_order,
        ),
    ],
    "change_address": [
        _Template(
            "Hi, I just moved - can you ship {ref} to 220 Harbor St, Apt 5, {city} "
            "{postal} instead?",
            Channel.email,
            "Address change for order {num}",
            Intent.change_address,
        ),
    ],
    "unshipped_old": [
        _Template(
            "I ordered {days} days ago and it still hasn't shipped. What's the holdup with {ref}?",
            Channel.email,
            "Order {num} not shipped",
        ),
        _Template("why hasnt order {num} shipped yet?? its been over a week", Channel.sms),
    ],
    "return_to_sender": [
        _Template(
            "Tracking for {ref} says it's being returned to sender?! My address is "
            "correct. What happened?",
            Channel.email,
            "Returned to sender??",
        ),
    ],
    "human": [
        _Template(
            "I want to talk to a human please, it's about {ref}.", Channel.chat, intent=Intent.other
        ),
        _Template(
            "Can I speak to a real person? This is about {ref} and the bot isn't helping.",
            Channel.sms,
            intent=Intent.other,
        ),
    ],
    "sensitive": [
        _Template(
            "If I don't get my money back for {ref} I'm disputing the charge with my bank. "
            "This is ridiculous.",
            Channel.email,
            "Chargeback",
            intent=_D,
        ),
    ],
    "unclear": [
        _Template(
            "Hi, do you ship to Canada? Asking for a friend who loves the {item}.",
            Channel.chat,
            intent=Intent.other,
        ),
        _Template(
            "can you update the email address on my account", Channel.sms, intent=Intent.other
        ),
    ],
    "unknown_sender": [
        _Template(
            "Where is order {num}? It was supposed to be here by now.",
            Channel.email,
            "Where is my order",
        ),
        _Template("hello i never got my package", Channel.sms, intent=_D),
    ],
}


# kind -> (text, with a photo) for a later message on another channel
_FOLLOW_UPS: dict[str, list[tuple[str, bool]]] = {
    "dnr": [
        ("Asked the neighbours again, nobody has it.", False),
        ("Found it! It was behind the planter by the side door. Sorry for the trouble!", False),
        ("still nothing here fyi", False),
    ],
    "misdelivered": [("I walked around the block, no sign of it.", False)],
    "damaged_no_photo": [("here's a photo of it", True)],
}
