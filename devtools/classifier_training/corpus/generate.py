"""The labelled corpus: realistic customer messages composed from hand-written templates.

Deterministic: one `random.Random(SEED)` draws everything, so the same code writes the
same bytes. Every intent has its own templates (the core of a message: what the customer
wants) and slots filled from shared pools (order references, products, carriers, dates).
Each message is then dressed in one of a few styles: a bare chat line, an SMS (lowercase,
no punctuation, shorthand), or an e-mail with a greeting, a context sentence and a
sign-off; a fraction get keyboard typos (swapped or dropped letters).

The test split holds out whole templates (every fifth one of each intent), never single
instances, so held-out accuracy measures how well the model reads phrasings it has never
seen rather than how well it remembers the training templates with new order numbers.

    python -m devtools.classifier_training.corpus.generate  # rewrites messages.jsonl
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from pathlib import Path

SEED = 20240611
PER_INTENT = 460
# Every template whose index in its intent's list is this modulo 5 is a test template.
TEST_SLOT = 2
OUTPUT = Path(__file__).with_name("messages.jsonl")

# ---------------------------------------------------------------- slot pools

PRODUCTS = [
    "jacket", "floor lamp", "mug", "ceramic vase", "blender", "yoga mat", "running shoes",
    "noise-cancelling headphones", "phone case", "backpack", "desk chair", "wool sweater",
    "coffee grinder", "bluetooth speaker", "kids' raincoat", "cast iron pan", "picture frame",
    "water bottle", "sunglasses", "air fryer", "bed sheets", "wall clock", "hoodie",
    "leather wallet", "teapot", "dinner plates", "glass bowl set", "smart watch", "jeans",
    "board game", "sneakers", "throw pillow", "hair dryer", "laptop stand", "wine glasses",
    "winter boots", "dress", "electric kettle", "desk lamp", "cancellation-proof umbrella",
]  # fmt: skip
CARRIERS = ["UPS", "USPS", "FedEx", "DHL", "Royal Mail", "Canada Post", "the courier", "Evri"]
DAYS = [
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "yesterday",
    "last week", "March 3", "the 14th", "June 2nd", "last Friday", "2 days ago", "Oct 12",
]  # fmt: skip
SPANS = [
    "10 days", "two weeks", "3 weeks", "a week", "12 days", "over a month", "5 days",
    "almost 3 weeks", "nine days", "a couple of weeks",
]  # fmt: skip
COLOURS = ["red", "blue", "black", "green", "white", "navy", "grey", "pink", "beige"]
SIZES = ["small", "medium", "large", "XL", "size 9", "size 38", "M", "a 10"]
COUNTRIES = [
    "Canada", "Germany", "Australia", "the UK", "Mexico", "Ireland", "Japan", "France", "Brazil",
]  # fmt: skip
CITIES = ["Denver", "Leeds", "Toronto", "Austin", "Portland", "Manchester", "Ottawa", "Boise"]
STREETS = [
    "12 Oak Street", "450 Pine Ave Apt 3B", "88 King Road", "7 Elm Close", "1200 Market St",
    "31 Baker Lane", "9 Harbour View", "220 W 5th Street Unit 14",
]  # fmt: skip
NAMES = ["Dana", "Mike", "Priya", "Tom", "Ana", "Sarah", "Jonas", "Wei", "Fatima", "Luis"]
THINGS = ["package", "parcel", "order", "box", "stuff", "delivery"]
DAMAGE = ["cracked", "broken", "smashed", "dented", "torn", "shattered", "scratched"]
ORDER_FORMS = [
    "my order", "order #{n}", "order {n}", "my order #{n}", "ord {n}", "order no. {n}",
    "#{n}", "order number {n}", "my order ({n})", "the order",
]  # fmt: skip

# ---------------------------------------------------------------- templates
#
# Slots: {o} an order reference, {n} the bare number, {p}/{p2} products, {c} carrier,
# {d} a day, {k} a span of time, {col} colour, {sz} size, {country}, {city}, {addr},
# {thing}, {dmg}. Hard negatives (a word that belongs to another intent) are marked HN.

TEMPLATES: dict[str, list[str]] = {
    "where_is_my_order": [
        "Where is {o}?",
        "where's my stuff #{n}",
        "When will it arrive?",  # HN: no order word at all
        "Hi, I ordered a {p} {k} ago and it still hasn't arrived. Can you tell me where it is?",
        "My {p} hasn't arrived yet, what's going on?",
        "Can you give me an update on {o}? Tracking hasn't moved since {d}.",
        "any news on {o}",
        "I am waiting {k} for my {thing}, when it will come?",
        "Has {o} shipped yet?",
        "The tracking for {o} says in transit for {k} now. Is it lost?",
        "My noise-cancelling headphones haven't arrived yet, order {n}.",  # HN
        "when is my {p} going to be delivered",
        "It was supposed to arrive {d} but nothing yet. Where is it?",
        "status of {o} please",
        "I need the {p} by Saturday, will it get here in time?",
        "Still no sign of a shipping update for {o}, it's been {k}.",
        "what is the ETA for {o}",
        "{c} tracking shows no movement for {k}. Can you check {o}?",
        "Hello, my parcel not arrive yet. I order on {d}. Please tell me where is it.",
        "Could you please let me know the delivery status of {o}?",
        "has it been dispatched? ordered the {p} on {d}",
        "I've been waiting forever for {o}. Is it even coming?",
        "track {o}",
        "why is my order taking so long",
        "I ordered on {d} and still have not received anything. Tracking says label created.",
        "Is my {p} still on its way? It's been {k}.",
        "The cancellation-proof umbrella I bought hasn't shown up yet, where is {o}?",  # HN
        "hi can you check where {o} is, I need it for a trip",
        "when will {o} be delivered?",
        "My package seems stuck in {city} according to {c}. When will it move?",
        "I still haven't got my {p}. When can I expect it?",
        "Order placed {k} ago, no tracking number yet. Has it even shipped?",
        "{o} - delivery date?",
        "The estimated delivery was {d} and it's not here. Any update?",
        "hello i want know when my order is arrive, i pay already {k} ago",
        "Is there a problem with {o}? It was due {d} and tracking hasn't updated.",
        "Just checking in on {o}, haven't received a shipping confirmation.",
        "where my parcel",
        "how long until my {p} arrives",
        "Can you find out what happened to {o}? No movement on {c} since {d}.",
        "Please help, my {p} is late and I need it for a birthday.",
        "Tracking number doesn't work for {o}, where is the package?",
    ],
    "delivered_not_received": [
        "It says delivered but I don't have it.",  # HN
        "Tracking for {o} says delivered on {d} but there's nothing at my door.",
        "{c} marked my {thing} as delivered but I never received it.",
        "I am not receive the parcel but it is show delivered",
        "My {p} shows delivered but it's not here. I checked with the neighbours.",
        "order {n} delivered?? not here",
        "The app says my package was left at the front door but there is no package.",
        "Hi, the tracking says delivered yesterday but I have not got anything, can you help?",
        "Delivery confirmation came through for {o} but the mailbox was empty.",
        "{o} was marked delivered, I think it was stolen from my porch.",
        "it says it was delivered to the mail room but the front desk doesn't have it",
        "I got an email saying my {p} was delivered. It wasn't. Nothing here.",
        "Your driver says delivered but no one was home and there is no parcel anywhere.",
        "The delivery photo is not my house. Where did my {thing} go?",
        "says delivered at 2pm, I was home all day and nobody came",
        "{c} says the {thing} was handed to a resident but nobody here got it.",
        "My order shows as delivered but I never got it, {o}",
        "Tracking shows delivered but I cannot find the package anywhere, I looked everywhere.",
        "the parcel is show as delivered since {d} but I never see it",
        "Delivered to the wrong address I think. Status says delivered, nothing at my place.",
        "Hello, order {n} says delivered but my parcel locker is empty.",
        "it was delivered apparently but i dont have it?? {o}",
        "Received a delivered notification for the {p} but it never showed up.",
        "Concierge says no package came for me even though tracking says delivered on {d}.",
        "The tracking number says delivered but I have not received my {p}.",
        "Marked as delivered {d}, never arrived. I've checked the garage and the back door.",
        "Why does it say delivered when I don't have my {thing}?",
        "{c} claims they delivered {o} but it isn't here. What now?",
        "My neighbour and I both checked, the {thing} marked delivered is not here.",
        "delivered status but nothing received, please help",
        "The package was supposedly left in my mailbox {d} but the mailbox is empty.",
        "Order {n}: {c} says delivered, I have nothing.",
        "Hi there, I got a text that my order was delivered but there is no box anywhere.",
        "they say they delivered but they did not, I was waiting at home",
        "Tracking says delivered to front porch but it's not on my porch.",
        "I was told my {p} was delivered but I haven't seen it. Could it be at another house?",
        "delivered but not received, {o}",
        "The {thing} show delivered but I don't get it. Please check with {c}.",
        "System shows {o} as delivered {d}. I never received it and nobody signed.",
        "Got the delivered notification but no package. Was it dropped at the wrong building?",
        "my order is say delivered but is not arrive to me",
        "Package marked delivered but missing, I suspect porch pirates.",
    ],
    "wrong_item": [
        "I ordered a {p} but received a {p2} instead.",
        "You sent me the wrong item. {o} was supposed to be a {p}.",
        "Got the wrong size, I ordered {sz} and got a different one.",
        "This is not what I ordered. I ordered a {col} {p} and got a {p2}.",
        "wrong item in my box #{n}",
        "The {p} I received is {col}, I ordered it in a different colour.",
        "Hi, my package arrived today but it contains someone else's order.",
        "I receive a {p2} but I did buy a {p}, please send the right one",
        "The package had a {p2} in it, not the {p} I paid for.",
        "{o} arrived with the wrong product inside.",
        "you guys sent the wrong colour, I wanted {col}",
        "Received the item but it's the wrong model.",
        "I got a {p2} instead of my {p}. Can you fix this?",
        "The box was delivered but inside was a {p2}, not my {p}.",  # HN: delivered, yet wrong
        "Hello, there is a mistake with {o}. The item is not the one I ordered.",
        "my order came but it is different item, not what I choose",
        "I didn't order this. The box has a {p2} in it.",
        "Wrong size sent, I need {sz} not this one.",
        "The {p} came in {col} instead of the colour I picked.",
        "Opened my parcel and found a completely different product.",
        "I think there was a mix-up, I received the wrong item for {o}.",
        "These are not the {p} I ordered, these are a different brand.",
        "The label says {p} but inside the box is a {p2}.",
        "hey u sent me the wrong thing",
        "I ordered 2 {p} but got 1 {p} and a {p2}.",
        "Order {n} — wrong item delivered, please send the correct one.",
        "The item I got is for someone else, the packing slip isn't even my name.",
        "Sent wrong item. Want exchange for right one.",
        "Hi, I received my order but the {p} is the wrong colour and wrong size.",
        "the shoes in the box are size {sz}, not what I ordered",
        "Item received doesn't match my order confirmation.",
        "I got a {col} {p2}, I never bought that",
        "Your warehouse packed the wrong product in {o}.",
        "The {p} arrived fine but it is not the model in my order.",
        "I am receive other product, not my {p}. Please change it.",
        "I opened {o} and it's a {p2}. I ordered a {p}!",
        "Not my item. Please advise how to swap it.",
        "i got sent the wrong {thing} contents, this isnt mine",
        "Package came today with a different {p} than the one on the website.",
        "You sent the wrong variant of the {p}.",
        "Instead of a {p} I got a {p2} in my package.",
    ],
    "damaged_item": [
        "The box was delivered but the mug inside is cracked.",  # HN
        "My {p} arrived {dmg}.",
        "The {p} from {o} arrived damaged, the box was crushed.",
        "item arrived broken #{n}",
        "Hi, the {p} doesn't work. It won't turn on out of the box.",
        "The glass was shattered when I opened the parcel.",
        "I received my {p} today but it is {dmg} and unusable.",
        "my {p} is arrive broken, what I can do?",
        "The {p} has a big scratch on it, and the packaging was damaged.",
        "Received {o} but the {p} is defective.",
        "the parcel was delivered yesterday but everything inside is {dmg}",  # HN
        "It came with a {dmg} corner and the {p} is bent.",
        "The {p} is leaking, the bottle must have broken in transit.",
        "Unfortunately the {p} arrived {dmg}. I'd like a replacement.",
        "{o}: damaged on arrival. Photos attached.",
        "My {p} stopped working after one day. It's faulty.",
        "There is a hole in the {p}, it came like that.",
        "the {p} came all smashed up",
        "The screen on the {p} is cracked, I just unboxed it.",
        "I got the package but the {p} was broken into pieces.",
        "Package came with the {p} {dmg}, please send a new one or refund.",
        "The item I received is damaged. {o}.",
        "Hi, sadly one of the {p} arrived {dmg}, the others are fine.",
        "my {p} came with a broken zipper",
        "The {p} is not working properly, it makes a weird noise and smells burnt.",
        "Product damaged during shipping, box was wet and the {p} is ruined.",
        "It arrived but it's {dmg}. Not happy.",
        "The {p} was delivered in pieces.",
        "I am receive the {p} but it have crack on it",
        "Defective {p} received, it won't charge.",
        "The handle of the {p} snapped off as soon as I took it out of the box.",
        "arrived damaged",
        "{c} must have dropped it, the {p} is {dmg}.",
        "There are stains and a tear in the {p} I received.",
        "the item is faulty, {o}",
        "I want to report a damaged item from {o}. The {p} is {dmg}.",
        "When I opened it the {p} was {dmg}, please help.",
        "The delivery arrived on time but the contents are damaged.",
        "My {p} came broken, I want a refund or replacement.",
        "The {p} is dented and scratched. This is not acceptable.",
        "Missing screws and the {p} panel is cracked.",
    ],
    "cancel_order": [
        "I ordered the wrong colour, please cancel.",  # HN
        "Please cancel {o}.",
        "cancel {n} pls",
        "I'd like to cancel my order for the {p}.",
        "Hi, can you cancel {o}? I ordered the wrong size by mistake.",  # HN
        "I changed my mind, please cancel {o} before it ships.",
        "cancel my order",
        "I want to cancel the order I placed {d}.",
        "Can I still cancel {o}? I found it cheaper elsewhere.",
        "please stop {o}, I don't need it anymore",
        "I want cancel my order please, I make mistake",
        "Cancel order {n} and refund me please.",
        "I accidentally ordered two {p}. Please cancel one / cancel {o}.",
        "Hello, I would like to cancel {o} if it hasn't shipped yet.",
        "Don't ship {o}, I want to cancel it.",
        "Please cancel the {p}, I no longer want it.",
        "I need to cancel {o} as soon as possible.",
        "Is it possible to cancel my order? It was placed {d}.",
        "i ordered by mistake cancel pls",
        "Cancel the whole order please, {o}.",
        "Hi, I want to cancel my purchase of the {p}. Order {n}.",
        "I no longer need {o}, please cancel it and refund to my card.",
        "Cancellation request for {o}.",
        "How do I cancel {o}? I ordered the wrong {p}.",
        "please cancel, I ordered the noise-cancelling headphones by accident",  # HN
        "I regret my purchase, can you cancel before it is sent?",
        "Stop the order please! I want to cancel.",
        "Can you cancel {o}? The {p} won't arrive in time for the event anyway.",
        "I placed {o} twice by mistake, please cancel the duplicate.",
        "I wish to cancel my order and get my money back.",
        "want to cancel order {n}",
        "Please don't send {o}, cancel it. I ordered the wrong colour.",
        "I am want to cancel this order, is not need anymore",
        "Hey, can u cancel my order, {o}",
        "We no longer need the {p}. Kindly cancel {o}.",
        "Please void {o}, I want a full cancellation.",
        "I made a mistake with my order, please cancel it completely.",
        "Could you cancel {o} and I will reorder with the right size?",
        "cancel the {p} order please",
        "Please cancel {o}, the delivery time is too long for me.",
        "I ordered the {p} in the wrong size, cancel it please and I'll order again.",
    ],
    "change_address": [
        "I need to change the shipping address for {o}.",
        "Can you send {o} to {addr}, {city} instead?",
        "I moved, please update my address to {addr}.",
        "wrong address on my order, pls change to {addr}",
        "Please change the delivery address on {o}.",
        "Hi, I made a mistake in the address. It should be {addr}, {city}.",
        "Can I update the address for {o}? I'm not home that week.",
        "I want change my address for the order, new address is {addr}",
        "Please ship {o} to my work address instead: {addr}.",
        "Typo in my address — apartment number is wrong, it should be {addr}.",
        "can u redirect my {thing} to {addr}",
        "Change delivery address to {addr}, {city} please.",
        "I entered my old address for {o}, can you correct it?",
        "Is it possible to change where {o} is being delivered?",
        "My address is wrong on the order, please fix it before it ships.",
        "I'd like to have {o} delivered to my parents' house, {addr}.",
        "update shipping address {o}",
        "The zip code on {o} is wrong, please change it.",
        "Please deliver the {p} to {addr} instead of my home address.",
        "I'm moving to {city} next week, can the order go to my new address?",
        "Hello, I need the address changed on {o}. New one: {addr}.",
        "Can you reroute {o} to a different address?",
        "I typed the wrong street name, please change it to {addr}.",
        "Send it to {addr} please, not the address on file.",
        "pls change address to {addr} {city}",
        "I put wrong address, I am not live there anymore. Please send to {addr}.",
        "Could you amend the shipping address for {o}?",
        "The address on my order is incomplete, missing the unit number. It's {addr}.",
        "I need to update the delivery address for my {p} order.",
        "Want to change the address, {o}",
        "Please modify the ship-to address on {o} to {addr}, {city}.",
        "Can the {thing} be delivered to my office instead? {addr}.",
        "change address pls",
        "Hi! Used my old address by mistake on {o}. Correct one is {addr}.",
        "Is it too late to change the address on {o}?",
        "I'll be away, please send my {p} to my sister at {addr}.",
        "My address changed, can you update it for the pending order?",
        "Change the shipping address to {addr} before it goes out.",
        "wrong adress entered, new adress {addr}",
        "Please correct the delivery address on {o}, the house number should be different.",
        "I want my order send to different address: {addr}",
    ],
    "other": [
        "hi",
        "??",
        "hello are you there",
        "I can't log in to my account, the password reset email never arrives.",
        "How do I reset my password?",
        "Does the {p} come in {col}?",
        "Do you ship to {country}?",
        "Is there a discount code for first orders?",
        "My coupon code isn't working at checkout.",
        "What is your returns policy?",
        "How long do I have to return something?",
        "Thank you so much, great service!",
        "Love the {p}, thanks!",
        "Is the {p} dishwasher safe?",
        "How much is shipping to {country}?",
        "Can I change the email on my account?",
        "hello",
        "Do you have the {p} in {sz}?",
        "When will the {p} be back in stock?",
        "Do you offer gift wrapping?",
        "Where are your products made?",
        "Can I get an invoice for my purchase?",
        "I want to delete my account.",
        "hey",
        "Is there a student discount?",
        "How do I use my gift card?",
        "Do you have a physical store in {city}?",
        "What payment methods do you accept?",
        "Can you ship internationally to {country}?",
        "is anyone there?",
        "Just wanted to say the {p} is amazing, best purchase this year.",
        "How do I unsubscribe from your emails?",
        "What's the warranty on the {p}?",
        "Can I return an item I bought in store online?",
        "good morning",
        "My account is locked after too many attempts.",
        "Is the {p} suitable for kids?",
        "test",
        "Do you price match?",
        "How do returns work for sale items?",
        "Thanks for the quick delivery, very happy!",
        "What's the size guide for the {p}?",
        "I have a question",
        "Can I update my phone number on my account?",
        "Do you have a promo code for the holidays?",
        "How long does shipping usually take to {country}?",
        "ok thanks",
        "Are you hiring?",
    ],
}

SUBJECTS: dict[str, list[str]] = {
    "where_is_my_order": ["Where is my order?", "Order status", "Delivery update?", "Late order"],
    "delivered_not_received": ["Package not received", "Says delivered", "Missing parcel"],
    "wrong_item": ["Wrong item received", "Incorrect item", "Wrong product"],
    "damaged_item": ["Damaged item", "Item arrived broken", "Broken on arrival"],
    "cancel_order": ["Cancel order", "Cancellation", "Please cancel"],
    "change_address": ["Change of address", "Address update", "Wrong address"],
    "other": ["Question", "Account help", "Product question", "Hello"],
}
GENERIC_SUBJECTS = ["Order #{n}", "Help", "Re: Your order #{n} has shipped", "My order", "Hi"]

GREETINGS = [
    "Hi,", "Hello,", "Hi there,", "Dear Support,", "Good morning,", "Hey,", "Hello team,",
    "Dear Sir/Madam,", "Hi {name} here,", "Good afternoon,",
]  # fmt: skip
CONTEXT = [
    "I placed an order on {d}.",
    "I bought a {p} from your website recently.",
    "This is about {o}.",
    "I'm a regular customer and usually have no issues.",
    "I ordered a gift for my mum's birthday.",
    "My order number is {n}.",
    "I have been shopping with you for years.",
    "I ordered a few things last month including a {p}.",
    "Sorry to bother you.",
    "I hope you can help me with this.",
]
CLOSERS = [
    "Thanks in advance.", "Please let me know.", "Thank you.", "Looking forward to hearing back.",
    "Appreciate your help.", "Please help.", "Cheers.", "Thanks for your help!",
]  # fmt: skip
SIGNOFFS = ["Best regards,", "Thanks,", "Kind regards,", "Regards,", "Cheers,", "Best,", "-"]
TRAILERS = ["\n\nSent from my iPhone", "\n\n--\n{name}\n555-0134", ""]

# ---------------------------------------------------------------- composition

_SLOT = re.compile(r"\{(\w+)\}")
_SMS_SHORT = {"please": "pls", "you": "u", "your": "ur", "thanks": "thx", "are": "r"}


class _Filler:
    """Slot values for one message: the order and product stay the same throughout."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        n = str(rng.randrange(10000, 999999) if rng.random() < 0.8 else rng.randrange(1000, 9999))
        p, p2 = rng.sample(PRODUCTS, 2)
        self.values: dict[str, str] = {"n": n, "p": p, "p2": p2, "name": rng.choice(NAMES)}
        self.order = rng.choice(ORDER_FORMS).format(n=n)

    def __call__(self, m: re.Match[str]) -> str:
        key = m.group(1)
        if key == "o":
            return self.order
        if key not in self.values:
            pools: dict[str, list[str]] = {
                "c": CARRIERS, "d": DAYS, "k": SPANS, "col": COLOURS, "sz": SIZES,
                "country": COUNTRIES, "city": CITIES, "addr": STREETS, "thing": THINGS,
                "dmg": DAMAGE,
            }  # fmt: skip
            self.values[key] = self.rng.choice(pools[key])
        return self.values[key]

    def fill(self, template: str) -> str:
        return _SLOT.sub(self, template)


def _typos(rng: random.Random, text: str, rate: float) -> str:
    def mangle(m: re.Match[str]) -> str:
        w = m.group(0)
        if len(w) < 4 or rng.random() >= rate:
            return w
        i = rng.randrange(1, len(w) - 1)
        if rng.random() < 0.5:
            return w[:i] + w[i + 1] + w[i] + w[i + 2 :]
        return w[:i] + w[i + 1 :]

    return re.sub(r"[A-Za-z]+", mangle, text)


def _sms(rng: random.Random, text: str) -> str:
    t = text.lower().replace("'", "")
    t = re.sub(r"[.,!;:]+(\s|$)", r"\1", t).strip()
    if rng.random() < 0.5:
        t = re.sub(r"[a-z]+", lambda m: _SMS_SHORT.get(m.group(0), m.group(0)), t)
    return t


def _compose(rng: random.Random, intent: str, template: str) -> tuple[str, str | None]:
    f = _Filler(rng)
    core = f.fill(template)
    style = rng.random()
    subject: str | None = None
    if style < 0.3:  # chat line as written
        text = core
    elif style < 0.5:  # SMS
        text = _sms(rng, core)
    else:  # e-mail
        parts = []
        if rng.random() < 0.8:
            parts.append(f.fill(rng.choice(GREETINGS)))
        body = []
        if rng.random() < 0.5:
            body.append(f.fill(rng.choice(CONTEXT)))
        body.append(core)
        if rng.random() < 0.6:
            body.append(rng.choice(CLOSERS))
        parts.append(" ".join(body))
        if rng.random() < 0.7:
            parts.append(f"{rng.choice(SIGNOFFS)}\n{f.values['name']}")
        text = "\n\n".join(parts) + f.fill(rng.choice(TRAILERS))
        if rng.random() < 0.7:
            pool = SUBJECTS[intent] if rng.random() < 0.5 else GENERIC_SUBJECTS
            subject = f.fill(rng.choice(pool))
    if rng.random() < 0.25:
        text = _typos(rng, text, 0.06)
    if rng.random() < 0.15:
        text = text.lower()
    return text, subject


def generate(seed: int = SEED, per_intent: int = PER_INTENT) -> list[dict[str, str]]:
    """The corpus rows, in a fixed order: `text`, `subject` (when any), `intent`, `split`."""
    return [row for row, _ in generate_indexed(seed, per_intent)]


def generate_indexed(
    seed: int = SEED, per_intent: int = PER_INTENT
) -> list[tuple[dict[str, str], int]]:
    """The rows with the index of the template each came from (for grouped validation)."""
    rng = random.Random(seed)
    rows: list[tuple[dict[str, str], int]] = []
    seen: set[str] = set()
    for intent, templates in TEMPLATES.items():
        made = 0
        attempts = 0
        while made < per_intent and attempts < per_intent * 20:
            index = attempts % len(templates)
            attempts += 1
            text, subject = _compose(rng, intent, templates[index])
            key = f"{subject}\n{text}".lower()
            if key in seen:
                continue
            seen.add(key)
            row = {"text": text}
            if subject is not None:
                row["subject"] = subject
            row["intent"] = intent
            row["split"] = "test" if index % 5 == TEST_SLOT else "train"
            rows.append((row, index))
            made += 1
    return rows


def dumps(rows: list[dict[str, str]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False, sort_keys=False) + "\n" for r in rows)


def write(path: Path = OUTPUT, seed: int = SEED) -> Path:
    path.write_text(dumps(generate(seed)), encoding="utf-8")
    return path


def load(path: Path = OUTPUT, split: str | None = None) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    return [r for r in rows if split is None or r["split"] == split]


main: Callable[[], Path] = write

if __name__ == "__main__":
    print(write())
