"""What is not ours: the out-of-scope families a person answers, never a playbook.

`topic(t)` names the family of a message the desk reads as `other` (account, membership,
payment_method, billing, refund_status, promotion, product_question, shipping_policy), or
None. `out_of_scope(t)` is stronger: the message is plainly about one of those families
("cancel my membership", "I reset my password", "when does my promo code expire"), so an
action cue it also carries ("cancel", "address", "wrong") is not about an order. Both read
the normalised text (`clean.normalise`).

Written against real customer messages (see devtools/classifier_training/real/README.md):
tweets to retailers' support accounts and crowd-sourced shop dialogues.
"""

from __future__ import annotations

import re

__all__ = ["DECISIVE", "TOPICS", "out_of_scope", "topic"]

TOPICS = (
    "account",
    "membership",
    "payment_method",
    "billing",
    "refund_status",
    "promotion",
    "product_question",
    "shipping_policy",
)

_SUBSCRIPTION = (
    r"(?:prime(?: membership| subscription| account| trial| video| music)?|membership|"
    r"subscription|subscriptions|member ?ship|plan|trial|free trial|newsletter|"
    r"mailing list|loyalty (?:card|programme|program|scheme)|club(?:card)?|service)"
)

# Each family: (strong cues, which mean the message is about it whatever else it says;
# weaker cues, which name the family of an `other` message but veto nothing).
_FAMILIES: dict[str, tuple[str, str]] = {
    "refund_status": (
        r"\b(?:status|update|progress) (?:of|on) (?:a |my |the )?refund\b"
        r"|\bwhere(?:'s| is) (?:my |the )?(?:refund|money)\b"
        r"|\brefund(?:s)? (?:status|process|hasn't|has not|not (?:yet )?received|still|yet|"
        r"was issued|issued|was processed|processed)\b"
        r"|\b(?:haven't|have not|hasn't|has not|didn't|did not|never|not|still not|yet to) "
        r"(?:got|gotten|get|received|receive|seen|see)(?: back)? (?:my |the |a |any |your )?"
        r"(?:refund|money back|money|credit)\b"
        r"|\bno sign of (?:my |the )?(?:refund|money)\b"
        r"|\brefund (?:is )?(?:on (?:its|the) way|coming|going through)\b"
        r"|\brefund(?:ed)? (?:on|was on) [\w ]{0,12}\d",
        r"\brefund(?:ed|s|ing)?\b|\bmoney back\b|\bclaim\b"
        r"|\b(?:getting|get) [£$€]?\d+(?:\.\d\d)? back\b",
    ),
    "membership": (
        rf"\b(?:cancel+(?:l?ing|l?ed)?|end|stop|terminate|renew(?:ed|al)?|auto-?renew\w*|"
        rf"unsubscribe|subscribe|upgrade|downgrade|join|sign up for|signed up for) "
        rf"(?:to |from |for )?(?:my |the |your |this |a |an |our )?(?:amazon )?{_SUBSCRIPTION}\b"
        r"|\b(?:prime|membership|subscription) (?:fee|renewal|charge|payment|trial|member)\w*\b"
        r"|\bcharged for (?:amazon )?(?:prime|(?:my |a |the )?(?:membership|subscription))\b"
        r"|\b(?:not|no longer) a (?:prime )?member\b"
        r"|\b(?:prime|membership|subscription)\b[^.!?]{0,40}\b(?:renew\w*|charged|cancel\w*|"
        r"fee|trial)\b",
        r"\b(?:prime member|membership|subscription|subscribed|free trial|member level|"
        r"gold member|silver member|bronze member|premium member|renewal)\b",
    ),
    "account": (
        r"\b(?:reset|change|forgot|forgotten|recover|update) (?:my |the )?(?:password|username|"
        r"user name|login|log-?in|pin)\b"
        r"|\b(?:password|username|2fa|two-?factor|two-?step|2-?step|verification code|"
        r"security code)\b"
        r"|\b(?:locked|logged|kicked|shut) out\b|\baccount (?:is |was |got |has been )?"
        r"(?:locked|hacked|suspended|closed|disabled|blocked|compromised|frozen|restricted)\b"
        r"|\b(?:can't|cannot|couldn't|unable to|won't let me|not able to) (?:log ?in|sign ?in|"
        r"login|access (?:my )?account)\b"
        r"|\b(?:close|delete|deactivate|shut down|merge|remove) (?:my |the |an |this )?"
        r"(?:\w+ )?account\b|\bcancel (?:my |the )?account\b"
        r"|\b(?:someone|somebody) (?:\w+ )?(?:using|used|hacked|accessed|into) my account\b"
        r"|\b(?:amazon )?household\b|\bchange (?:my |the )?(?:name|email|e-mail|phone number)\b",
        r"\b(?:account|log ?in|sign ?in|profile|email address|e-mail address|app|website|site|"
        r"my choice)\b",
    ),
    "payment_method": (
        r"\b(?:payment (?:method|option|plan)s?|pay(?:ing)? (?:with|by|via|using|in full|in "
        r"installments)|(?:accept|take)s? (?:paypal|apple pay|google pay|klarna|cash|cheques?|"
        r"credit cards?|debit cards?|amex|visa|mastercard|gift cards?)|"
        r"(?:card|payment) (?:was |is |keeps (?:getting )?|got )?(?:declined|rejected|refused|"
        r"not accepted|failing|failed)|(?:update|change|add|remove) (?:my |the )?(?:card|"
        r"payment|billing) (?:details|method|info(?:rmation)?)|buy now pay later|"
        r"cash on delivery|installments?|paypal (?:email|account))\b"
        r"|\b(?:can|could) (?:i|we) pay\b|\bways? to pay\b|\bhow (?:do|can) i pay\b",
        r"\b(?:paypal|credit card|debit card|apple pay|klarna|checkout|check out)\b",
    ),
    "billing": (
        r"\b(?:charged|overcharged|double[- ]charged|billed|debited)\b"
        r"|\b(?:charge|charges|transaction|payment) (?:on|in|from) my (?:card|bank|account|"
        r"statement)\b|\b(?:false|unknown|unauthori[sz]ed|mystery|extra|hidden|double|duplicate) "
        r"(?:charge|fee|payment|transaction)s?\b"
        r"|\b(?:took|taken|take|takes|got|gotten) (?:my )?money\b|\bmoney (?:out of|taken)\b"
        r"|\bprice (?:dropped|went down|difference|adjustment|match)\b|\brefund (?:me )?the "
        r"difference\b|\b(?:invoice|receipt|vat)\b|\bmoney (?:is |on )?(?:pending|on hold)\b"
        r"|\binstead of [£$€]?\d|\bfees?\b",
        r"\b(?:charge|bill|billing|money|price|cost|paid|pay)\b",
    ),
    "promotion": (
        r"\b(?:promo(?:tion(?:al)?)?(?: code)?|coupons?|vouchers?|discount(?: code)?s?|"
        r"gift cards?|clubcard|points|pre-?order (?:bonus(?:es)?|content|discount)|"
        r"\d+ ?% off|[£$€]\d+ off|black friday|cyber monday)\b",
        r"\b(?:offer|deal|sale|pre-?order(?:ed|ing|s)?|preorder\w*|bonus)\b",
    ),
    "shipping_policy": (
        r"\b(?:do|does|can|will) (?:you|they|u) (?:\w+ )?(?:ship|deliver|send)(?: \w+)? "
        r"(?:to|internationally|abroad|overseas)\b"
        r"|\b(?:shipping|delivery|postage|p&p) (?:cost|costs|fee|fees|charge|charges|price|"
        r"prices|rates?|polic(?:y|ies)|options?|slots?|times?|methods?)\b"
        r"|\b(?:free|next[- ]day|same[- ]day|express|standard|international) (?:delivery|shipping)"
        r" (?:option|eligib\w*|threshold|on|for|if|when)\b|\beligible for free (?:delivery|"
        r"shipping)\b|\bdelivery slots?\b|\bprocessing time\b"
        r"|\bqualif\w* for free (?:delivery|shipping)\b|\b(?:delivery|shipping) (?:is )?not free\b"
        r"|\b(?:what time|when) do (?:you|they)(?: guys)? (?:stop |start )?deliver\w*\b"
        r"|\bhow (?:much|long) (?:is|does|do|will) (?:the )?(?:shipping|delivery|postage)\b"
        r"|\b(?:pay|paid) (?:\w+ )?(?:for|to change) (?:my |the )?(?:delivery|shipping)\b"
        r"|\bshipped (?:as|in) separate\b|\bseparate (?:orders|shipments|packages|deliveries)\b",
        r"\b(?:shipping|delivery (?:option|service|driver|guy|person|people|team)s?|drivers?|"
        r"courier|amzl|locker)\b",
    ),
    "product_question": (
        r"\b(?:in stock|out of stock|back in stock|restock\w*|sold out|discontinued|size chart|"
        r"sizing|compatible with|dimensions|how (?:heavy|big|tall|long|wide) is|ingredients|"
        r"warranty|instructions|user manual|counterfeit|fake items?|genuine)\b"
        r"|\b(?:does|do|will|would|can) (?:it|this|they|these|the \w+|this \w+) (?:\w+ )?"
        r"(?:fit|work with|come with|include|need|support|have)\b"
        r"|\b(?:is|are) (?:there|it|this|they) (?:available|in stock)\b"
        # What a thing is like: "is the jacket waterproof", "can it go in the washing machine".
        r"|\b(?:is|are) (?:it|this|they|these|the [\w-]+)(?: from (?:order|my order) \S+)? "
        r"(?:waterproof|water-?resistant|(?:machine )?washable|dishwasher[- ]safe|"
        r"microwave[- ]safe|vegan|gluten[- ]free|organic|true to size|made (?:of|from|in))\b"
        r"|\bcan (?:it|this|they|these|the [\w-]+) (?:go in|be (?:washed|ironed|tumble[- ]dried|"
        r"recycled|used (?:with|for|on|in)))\b"
        r"|\b(?:echo|alexa|kindle|fire ?stick|fire tv|ring doorbell|firmware)\b",
        r"\b(?:product|item|model|size|colou?r|stock|store)s?\b",
    ),
}

_STRONG = {name: re.compile(strong) for name, (strong, _) in _FAMILIES.items()}
_WEAK = {name: re.compile(weak) for name, (_, weak) in _FAMILIES.items()}
_ANY_STRONG = re.compile("|".join(f"(?:{s})" for s, _ in _FAMILIES.values()))
# Checked in this order: the more specific family first ("charged for Prime" is membership,
# "refund not received" is refund status, not billing).
_ORDER = (
    "refund_status",
    "promotion",
    "membership",
    "account",
    "payment_method",
    "billing",
    "shipping_policy",
    "product_question",
)
# Families whose strong cue outweighs the model's agreeing on an action: a refund, a login
# or a membership is never a parcel. (A charge, a delivery fee or a product can come with
# a parcel problem: "it didn't arrive, refund the delivery charge".)
DECISIVE = frozenset({"refund_status", "promotion", "membership", "account", "payment_method"})


def out_of_scope(t: str) -> str | None:
    """The family a message is plainly about, or None (normalised text)."""
    if _ANY_STRONG.search(t) is None:
        return None
    for name in _ORDER:
        if _STRONG[name].search(t):
            return name
    return None


def topic(t: str) -> str | None:
    """The family of an `other` message, when it can be told (normalised text)."""
    strong = out_of_scope(t)
    if strong is not None:
        return strong
    for name in _ORDER:
        if _WEAK[name].search(t):
            return name
    return None
