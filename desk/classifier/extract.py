"""Features read from one message, independent of how its intent is decided.

Identifiers (order and tracking numbers) are read from the customer's own text with its
original case; everything else from the normalised text (see `clean.normalise`). A
trained intent model later consumes the same `Features`, so nothing here looks at intent
scores: the only place the two meet is `classify`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from desk.models import Attachment, Preference

from .clean import repair_typos
from .cues import (
    Cue,
    cue,
    group,
    in_question,
    is_negated,
    scope_before,
)

# ---------------------------------------------------------------- tracking numbers

_USPS = re.compile(r"(?<![\w-])(9\d{19,21}|9\d{3}(?: \d{4}){4}(?: \d{2})?)(?![\w-])")
_UPS = re.compile(r"(?<![\w-])(1Z[0-9A-Z]{16})(?![\w-])", re.I)
_FEDEX = re.compile(r"(?<![\w.,$-])(\d{15}|\d{12})(?![\w-]|[.,]\d)")
_DHL = re.compile(r"(?<![\w.,$-])(\d{10})(?![\w-]|[.,]\d)")
_NEAR_FEDEX = re.compile(r"track|fedex|fed ex", re.I)
_NEAR_DHL = re.compile(r"\bdhl\b", re.I)
# How far a carrier word may be from a bare 10/12/15-digit run for it to count: bare runs
# of that length are just as often phone or account numbers.
_NEAR = 60


def _near(text: str, start: int, end: int, word: re.Pattern[str]) -> bool:
    return word.search(text, max(0, start - _NEAR), min(len(text), end + _NEAR)) is not None


def tracking_numbers(text: str) -> list[tuple[str, tuple[int, int]]]:
    """Tracking numbers with their spans in `text`, in order of appearance."""
    found: list[tuple[int, int, str]] = []
    for m in _USPS.finditer(text):
        found.append((m.start(1), m.end(1), m.group(1).replace(" ", "")))
    for m in _UPS.finditer(text):
        found.append((m.start(1), m.end(1), m.group(1).upper()))
    for m in _FEDEX.finditer(text):
        if _near(text, m.start(1), m.end(1), _NEAR_FEDEX):
            found.append((m.start(1), m.end(1), m.group(1)))
    for m in _DHL.finditer(text):
        if _near(text, m.start(1), m.end(1), _NEAR_DHL):
            found.append((m.start(1), m.end(1), m.group(1)))
    found.sort()
    out: list[tuple[str, tuple[int, int]]] = []
    for start, end, number in found:
        # Overlapping matches are one number read twice (a 12-digit run inside a spaced
        # USPS number): the earliest, longest reading wins.
        if out and start < out[-1][1][1]:
            continue
        out.append((number, (start, end)))
    return out


# ---------------------------------------------------------------- order numbers

_DIGITS = r"(\d{4,10})(?![\w])"
# "order", "order no.", "order number is", "ord#", "order id:" ... then the number.
_AFTER_KEYWORD = re.compile(
    r"\b(?:orders?|ord)\b\.?"
    r"(?:\s*(?:no\b\.?|nr\b\.?|num\b\.?|number\b|id\b|ref\b\.?|reference\b|#))?"
    # Bounded gaps: unbounded, overlapping whitespace classes backtrack quadratically on
    # a pasted run of blanks, and identifiers are read from the unclipped text.
    r"[\s:#=.-]{0,6}(?:is\s{1,3}|was\s{1,3})?#?\s{0,3}" + _DIGITS,
    re.I,
)
# More numbers listed after the first: "orders 52011 and 52012", "order #1234, #1235".
_LIST_MORE = re.compile(r"\s{0,3}(?:,|&|\+|/|\band\b|\bor\b)\s{0,3}(#?)\s?(\d{4,10})(?![\w])", re.I)
_HASH = re.compile(r"(?<![\w&])#\s?" + _DIGITS)
_HASH_NOT_ORDER = re.compile(
    r"\b(?:apt|apartment|suite|ste|unit|room|rm|box|building|bldg|floor|flat|ticket|case)\.?\s*$",
    re.I,
)
_MENTIONS_ORDER = re.compile(
    r"\b(?:orders?|ordered|purchase[ds]?|package|parcel|shipment|delivery|delivered|cancel\w*|"
    r"refund|items?|stuff|arrived?|ship(?:ped|ping)?|tracking)\b",
    re.I,
)
_BARE = re.compile(r"(?<![\w$€£#.,/:+-])(\d{5,6})(?![\w%]|[.,/:-]\d)")
_BARE_AFTER = re.compile(
    r"^\s*(?:usd|eur|gbp|dollars?|euros?|pounds?|bucks|cents?|%|x\b|pcs|pieces|units|items|"
    r"miles|km|mah|points)"
    r"|^\s+[A-Za-z]+\.?\s+(?:st|street|ave|avenue|rd|road|blvd|boulevard|dr|drive|ln|lane|way|"
    r"ct|court|pl|place|ter|terrace|hwy|highway|pkwy|parkway|cir|circle)\b",
    re.I,
)
_US_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|"
    "NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|DC"
)
_BARE_BEFORE = (
    # postal codes: "zip 97201", "Springfield, IL 62701", "Portland OR 97201", "Austin, 78701"
    re.compile(r"(?:zip|postal|post|postcode)\s*(?:code)?\s*(?:is|:|#)?\s*$", re.I),
    re.compile(r"\b(?:" + _US_STATES + r")\s*$"),
    re.compile(r",\s*[a-z]{2}\s+$", re.I),
    re.compile(r"\b[A-Z][a-z]+,\s*$"),
    # prices and phone numbers: "$ 12000", "call 555 123456", "+44 7700 900123"
    re.compile(r"(?:[$€£]|usd|eur|gbp)\s*$", re.I),
    re.compile(r"\d[\s.-]?$"),
    re.compile(r"\b(?:phone|tel|telephone|call|text|mobile|cell|whatsapp|fax)\b[^\n]{0,20}$", re.I),
)
_BARE_NEXT_DIGITS = re.compile(r"^[\s.-]?\d")
# With no order word anywhere, a bare number still names an order when what is said of it
# is what is said of orders ("48224 says delivered", "48779 was due days ago") or when it is
# what the customer is asking about ("checking on 48776").
_BARE_ORDER_AFTER = re.compile(
    r"^\s{0,2}(?:-\s{0,2})?(?:says?|said|shows?|showed|showing|is showing|is marked|was marked|"
    r"marked|was due|is due|was supposed|is supposed|should have|is late|is lost|was lost|"
    r"is stuck|hasn't|has not|hasnt|never|still|was delivered|is delivered)\b",
    re.I,
)
_BARE_ORDER_BEFORE = re.compile(
    r"\b(?:checking|check|checking in|follow(?:ing)? up|news|update|status) "
    r"(?:on|about|for|of|regarding) $|\b(?:regarding|re:)\s{0,2}$",
    re.I,
)


def _overlaps(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(span[0] < e and s < span[1] for s, e in spans)


def order_numbers(text: str, taken: list[tuple[int, int]]) -> list[str]:
    """Order numbers in order of appearance, never inside a span in `taken`."""
    hits: list[tuple[int, str]] = []

    def add(m: re.Match[str], group: int) -> None:
        if not _overlaps(m.span(group), taken):
            hits.append((m.start(group), m.group(group)))

    for m in _AFTER_KEYWORD.finditer(text):
        add(m, 1)
        pos = m.end()
        plural = m.group(0).lower().startswith("orders")
        while (more := _LIST_MORE.match(text, pos)) is not None:
            # Only "orders 1, 2" or "#1, #2" lists: "order 41880 and 5551234567" is a phone.
            if not (plural or more.group(1)):
                break
            add(more, 2)
            pos = more.end()
    for m in _HASH.finditer(text):
        if _HASH_NOT_ORDER.search(text, max(0, m.start() - 20), m.start()) is None:
            add(m, 1)
    if not hits:
        mentions_order = _MENTIONS_ORDER.search(text) is not None
        for m in _BARE.finditer(text):
            before = text[max(0, m.start() - 30) : m.start()]
            after = text[m.end() : m.end() + 30]
            if not (
                mentions_order
                or _BARE_ORDER_AFTER.search(after)
                or _BARE_ORDER_BEFORE.search(repair_typos(before.lower()))
            ):
                continue
            if any(p.search(before) for p in _BARE_BEFORE):
                continue
            if _BARE_AFTER.search(after) or _BARE_NEXT_DIGITS.search(after):
                continue
            add(m, 1)
    hits.sort()
    seen: dict[str, None] = {}
    for _, number in hits:
        seen.setdefault(number, None)
    return list(seen)


# ---------------------------------------------------------------- preference

_REFUND = cue(
    r"\b(?:refund|money back|reimburse(?:ment)?|my money|pay me back|credit (?:my|me) back)\b",
    1.0,
)
_RESHIP = cue(
    r"\b(?:send|ship|mail) (?:me |us |out )?(?:another|a new one|a new|one more|a replacement|"
    r"replacement|the (?:right|correct) (?:one|item|size|colou?r)|it again|them again|again|"
    r"out again|a second)\b|\breplacements?\b|\breplace (?:it|them|the|my|this|these)\b"
    r"|\bre-?ship\b|\bre-?send\b|\bnew one\b|\bexchange\b",
    1.0,
)
_INDIFFERENT = re.compile(
    r"\beither (?:is|way|one|works)\b|\bwhichever\b|\bwhatever (?:is|works)\b"
    r"|\bdon't (?:mind|care) which\b"
)


def _first_positive(c: Cue, text: str) -> int | None:
    for m in c.pattern.finditer(text):
        if not is_negated(text, m.start()):
            return m.start()
    return None


def preference(t: str) -> Preference | None:
    """What the customer asks for; a refused option ("don't refund") is not a preference."""
    refund = _first_positive(_REFUND, t)
    reship = _first_positive(_RESHIP, t)
    if refund is None and reship is None:
        return None
    if refund is not None and reship is not None:
        if _INDIFFERENT.search(t):
            return None
        # Both asked for: the first named is the ask, the second usually the fallback
        # ("send another, or refund if you can't").
        return "refund" if refund < reship else "reship"
    return "refund" if refund is not None else "reship"


# ---------------------------------------------------------------- flags

_WANTS_HUMAN = group(
    cue(
        r"\b(?:talk|speak|chat|connect|transfer|put)(?: me)?(?: through)? (?:to|with) "
        r"(?:a |an |the |your |some |someone |somebody )?(?:real |actual |live |human |"
        r"customer service |customer support |support )?(?:human|person|people|agent|"
        r"representative|rep|manager|supervisor|operator|someone|somebody|employee|"
        r"staff|team member|boss)\b",
        1.0,
    ),
    cue(
        r"\b(?:real|actual|live) (?:person|human|agent|people)\b|\bhuman being\b"
        r"|\bhuman agent\b|\b(?:a|an|to) human\b",
        1.0,
    ),
    cue(
        r"\b(?:want|need|get|give me|let me|where is|find me) (?:a |an |the |your |to )?"
        r"(?:talk to )?(?:manager|supervisor|superior|boss)\b",
        1.0,
    ),
    cue(
        r"\bstop (?:the |this )?bot\b|\bno (?:more )?bots?\b|\bnot (?:a|another|the) bot\b"
        r"|\b(?:useless|stupid|dumb) (?:bot|robot|machine)\b|\b(?:are you|is this|am i talking "
        r"to) (?:a |an )?(?:bot|robot|machine|ai|real person|human)\b",
        1.0,
    ),
    cue(
        r"\b(?:someone|somebody|anyone) (?:please )?(?:call|phone|ring) me\b|\bcall me back\b", 1.0
    ),
    cue(r"\bescalate (?:this|it|my|me|to)\b", 1.0),
    # The whole SMS is just "agent" / "human please".
    cue(r"^\W*(?:a )?(?:human|agent|representative|rep|operator|person)\W*(?:please)?\W*$", 1.0),
)
_WANTS_HUMAN_NOT = re.compile(r"\baccount manager\b|\bstore manager\b|\bproperty manager\b")

_SENSITIVE = group(
    cue(r"\b(?:lawyers?|attorneys?|solicitors?|legal action|legal team|legal department)\b", 1.0),
    cue(
        r"\b(?:will|going to|gonna|i'll|to|and|then) sue\b|\bsue (?:you|your|the|them|this)\b", 1.0
    ),
    cue(r"\bsuing\b|\blawsuit\b|\bsmall claims\b|\bclass action\b", 1.0),
    cue(r"\b(?:to|in|see you in) court\b|\bcourt (?:case|action|order)\b", 1.0),
    cue(r"\bcharge ?-?backs?\b|\breverse (?:the|this) (?:charge|payment|transaction)\b", 1.0),
    cue(
        r"\bdisput(?:e|ing) (?:the |this |it |my )?(?:charge|transaction|payment|purchase)?\s*"
        r"(?:with|through|via) (?:my |the )?(?:bank|credit card|card|paypal|visa|amex|mastercard)"
        r"|\b(?:dispute|claim) (?:the |this )?(?:charge|transaction|payment)\b"
        r"|\b(?:paypal|bank) (?:dispute|claim)\b"
        r"|\b(?:file|filed|filing|open|opened|opening|start|started) a (?:dispute|claim) "
        r"(?:with|through|via|on)\b|\b(?:file|filed|filing|open|opened|opening) a dispute\b",
        1.0,
    ),
    cue(
        r"\b(?:call|contact|contacting|calling|tell|telling|going to|go to) (?:my|the) "
        r"(?:bank|credit card company|card company|card issuer)\b"
        r"|\bcredit card company\b|\bcard issuer\b",
        1.0,
    ),
    cue(
        r"\breport(?:ing)? (?:you|this|your company|it|the shop|the store|your store)? ?"
        r"(?:to )?(?:the )?(?:bbb|ftc|better business bureau|attorney general|"
        r"consumer protection|trading standards|authorities|police)\b"
        r"|\bbbb\b|\bftc\b|\bbetter business bureau\b",
        1.0,
    ),
)

_FOUND_STRONG = group(
    cue(
        r"\bfound (?:it|them|the (?:package|parcel|box|order|item|delivery)|my (?:package|parcel|"
        r"order|box|item|delivery|stuff))\b",
        1.0,
        negatable=True,
    ),
    cue(
        r"\b(?:neighbou?rs?|concierge|front desk|doorman|mail ?room|parcel room|package room|"
        r"leasing office|office|building manager|landlord|roommate|flatmate|wife|husband|partner|"
        r"son|daughter|mum|mom|dad|family|reception) (?:had|has|took|picked up|grabbed|found|"
        r"was holding|kept|signed for) (?:it|them|the package|the parcel|my package|my parcel)\b",
        1.0,
        negatable=True,
    ),
    cue(
        r"\b(?:it|they|the package|the parcel) (?:was|were) (?:in|at|with|behind|under|inside|"
        r"by|on) (?:the|my|our|a|next) (?:\w+ )?(?:parcel room|mail ?room|package room|"
        r"front desk|neighbou?r|neighbou?rs|garage|back door|side door|back porch|bushes|locker|"
        r"office|leasing office|reception|lobby|concierge|shed|garden|bin|doorman)\b",
        1.0,
        negatable=True,
    ),
    cue(r"\b(?:turned|showed) up\b", 1.0, negatable=True),
    cue(
        r"\b(?:gave|handed|brought|dropped) (?:it|them|the (?:package|parcel|box)) "
        r"(?:to me|to us|over|back|round)\b",
        1.0,
        negatable=True,
    ),
)
# Arrival words say "found" only when the message is not about what arrived being wrong:
# "it arrived broken" is a damaged item, not a found parcel.
_FOUND_WEAK = group(
    cue(
        r"\b(?:it|they|package|parcel|order|box|replacement|item|items|stuff|everything|delivery)"
        r"(?: has| have|'s)?(?: finally| just| now)? (?:arrived|came)\b",
        1.0,
        negatable=True,
    ),
    cue(
        r"\b(?:it's|it is|they're|they are|(?:package|parcel|order|box|replacement) is)"
        r"(?: finally| now)? here\b",
        1.0,
        negatable=True,
    ),
    cue(r"\b(?:just|finally) (?:arrived|came|got it|received it)\b", 1.0, negatable=True),
    cue(r"\bgot (?:it|them) (?:now|today|finally|yesterday|this morning|after all)\b", 1.0),
    cue(
        r"\b(?:got|received|picked up|collected) (?:the|my) (?:package|parcel|order|box|"
        r"delivery|item|stuff|shoes|replacement)\b|\breceived (?:it|them)\b",
        1.0,
        negatable=True,
    ),
)
_FOUND_NOT_CLAIM = re.compile(
    r"\b(?:says?|said|shows?|showing|showed|claims?|supposedly|apparently|according)\b"
)
_ARRIVED_WITH_PROBLEM = re.compile(
    r"\b(?:broken|damaged|cracked|smashed|shattered|crushed|dented|torn|ripped|leaking|defective|"
    r"faulty|wrong|instead of|not what i|doesn't work|does not work|missing|empty)\b"
)

_STILL_MISSING = group(
    cue(
        r"\bstill\b(?: [\w']+){0,2}? (?:not|no|nothing|missing|waiting|nowhere|\w+n't|cannot|"
        r"lost|gone)\b",
        1.0,
    ),
    cue(
        r"\b(?:nobody|no one|no-one|noone|none of (?:them|my neighbou?rs)) (?:has|had|have|got|"
        r"saw|has seen|took|knows)\b",
        1.0,
    ),
    cue(
        r"\b(?:neighbou?rs?|they|he|she)\b(?: [\w-]+)? (?:don't|didn't|do not|did not|doesn't|"
        r"does not|haven't|have not|hasn't|has not) (?:have|got|get|see|seen|know|take|took)"
        r"(?: (?:it|them|the (?:package|parcel|box)))?\b(?! in (?:stock|[\w-]+ size|blue|red))",
        1.0,
    ),
    cue(
        r"\b(?:didn't|did not|couldn't|could not|can't|cannot|haven't|have not|not|never) "
        r"(?:\w+ )?(?:find|found|locate|located|see|seen) (?:it|them|the (?:package|parcel|box)|"
        r"anything|any (?:package|parcel|box))\b",
        1.0,
    ),
    cue(
        r"\b(?:still missing|nowhere to be (?:found|seen)|not found|no sign of (?:it|them|"
        r"the (?:package|parcel|box|order|delivery)|my (?:package|parcel|order|box)))\b",
        1.0,
    ),
    cue(
        r"\b(?:not|isn't|wasn't) (?:in|at) the (?:parcel room|mail ?room|package room|front desk|"
        r"leasing office|locker|lobby)\b",
        1.0,
    ),
)
# "still" about something other than the parcel (a refund, a reply, a broken item) is a
# dispute but not a missing parcel.
_STILL_ABOUT_OTHER = re.compile(
    r"\b(?:refund|money|credit|reply|response|answer|email|call|working|work|fixed|resolved|"
    r"tracking|updates?|news|"
    r"broken|damaged|wrong|charged|account|password)\b"
)
_CLAUSE_BREAK = re.compile(r"[.,;!?\n]|\bbut\b|\band\b")
_NOT_FOUND_NOISE = re.compile(r"\b(?:page|file|404|error|code|link|account|user) not found\b")

_DISPUTE = group(
    cue(
        r"\bstill (?:broken|damaged|wrong|the wrong|not working|doesn't work|an issue|a problem|"
        r"happening|the same|not fixed|not resolved)\b",
        1.0,
    ),
    cue(
        r"\b(?:that's|that is|this is|it's|it is)? ?not what (?:i|we) (?:asked|wanted|said|meant|"
        r"requested|ordered)",
        1.0,
    ),
    cue(
        r"\b(?:this|that) is wrong\b|\bthat's wrong\b|\byou(?:'re| are) wrong\b|\bwrong answer\b",
        1.0,
    ),
    cue(
        r"\b(?:that's|that is|this is|it's|it is) not "
        r"(?:right|correct|true|ok|okay|acceptable|fair)\b",
        1.0,
    ),
    cue(r"\b(?:unacceptable|i disagree|not acceptable|ridiculous|useless)\b", 1.0),
    cue(
        r"\b(?:didn't|did not|doesn't|does not|won't|will not) (?:help|solve|fix|answer|resolve)\b",
        1.0,
    ),
    cue(r"\bnot (?:resolved|solved|fixed|sorted)\b|\bproblem (?:is )?(?:still|not)\b", 1.0),
    cue(
        r"\b(?:i|we) (?:never|didn't|did not) (?:ask|asked|want|wanted|agree|agreed) (?:for|to)\b",
        1.0,
    ),
    cue(
        r"\bwhy (?:did|would|have|has) (?:you|they|it)\b(?: [\w']+){0,2} (?:close|closed|refund|"
        r"refunded|cancel|cancelled|send|sent|mark|marked)\b",
        1.0,
    ),
    cue(
        r"\byou (?:didn't|did not|don't|do not) (?:read|listen|understand|answer)\b"
        r"|\bread my (?:message|email)\b",
        1.0,
    ),
    cue(r"\bthanks for nothing\b|\bno,? (?:that's|that is|it's|it is) not\b", 1.0),
)

_THANKS = re.compile(
    r"\b(?:thanks|thank you|thank u|cheers|much appreciated|appreciate (?:it|that|you|your help|"
    r"the help)|grateful|many thanks)\b"
)
_THANKS_NOT = re.compile(r"\bthanks? (?:for nothing|in advance)\b|\bthank you in advance\b")
# Words that mean the message also asks for something, so it cannot close the contact.
_ASKS = re.compile(
    r"\?|\b(?:please|can you|could you|would you|will you|i need|i want|need help|help me|"
    r"can i|how do|how can|why|but|problem|issue|however|although|unfortunately)\b"
)

_IMAGE_NAME = re.compile(r"\.(?:jpe?g|png|heic|heif|webp|gif)$", re.I)


@dataclass(frozen=True, slots=True)
class Features:
    """Everything the classifier reads from a message besides the intent itself."""

    order_numbers: list[str]
    tracking_numbers: list[str]
    preference: Preference | None
    wants_human: bool
    sensitive: bool
    found_it: bool
    still_missing: bool
    dispute: bool
    thanks_phrase: bool
    asks_something: bool
    has_image: bool


def wants_human(t: str) -> bool:
    return _WANTS_HUMAN.hit(_WANTS_HUMAN_NOT.sub(" ", t))


def sensitive(t: str) -> bool:
    return _SENSITIVE.hit(t)


def _found_hit(c: Cue, t: str) -> bool:
    for m in c.pattern.finditer(t):
        if c.negatable and is_negated(t, m.start()):
            continue
        # "has it arrived?" / "did the neighbour have it?" ask, they don't report.
        if in_question(t, m.start(), m.end()):
            continue
        # "tracking says it was in the mail room" is the carrier's claim, not the customer's.
        if _FOUND_NOT_CLAIM.search(scope_before(t, m.start(), 30)):
            continue
        return True
    return False


def found_it(t: str) -> bool:
    if _FOUND_STRONG.any.search(t) and any(_found_hit(c, t) for c in _FOUND_STRONG.cues):
        return True
    if _ARRIVED_WITH_PROBLEM.search(t):
        return False
    return bool(_FOUND_WEAK.any.search(t)) and any(_found_hit(c, t) for c in _FOUND_WEAK.cues)


def still_missing(t: str) -> tuple[bool, bool]:
    """(still missing, problem continues): the second also covers a refund still not here."""
    t = _NOT_FOUND_NOISE.sub(" ", t)
    missing = continues = False
    for _, m in _STILL_MISSING.matches(t):
        continues = True
        # What is still missing is named right after the cue, within the same clause:
        # "still haven't received my refund", but "still not here, no update either".
        clause = _CLAUSE_BREAK.split(t[m.start() : m.end() + 30], maxsplit=1)[0]
        if not _STILL_ABOUT_OTHER.search(clause):
            missing = True
    return missing, continues


def dispute_phrase(t: str) -> bool:
    return _DISPUTE.hit(t)


def has_image(attachments: list[Attachment]) -> bool:
    return any(
        a.kind == "image"
        or (a.content_type or "").lower().startswith("image/")
        or _IMAGE_NAME.search(a.name.strip()) is not None
        for a in attachments
    )


def thanks_phrase(t: str) -> bool:
    return _THANKS.search(_THANKS_NOT.sub(" ", t)) is not None


def asks_something(t: str) -> bool:
    return _ASKS.search(t) is not None


def extract(raw: str, t: str, attachments: list[Attachment]) -> Features:
    """`raw`: the customer's text with original case (quotes stripped); `t`: it normalised."""
    tracking = tracking_numbers(raw)
    missing, continues = still_missing(t)
    return Features(
        order_numbers=order_numbers(raw, [span for _, span in tracking]),
        tracking_numbers=list(dict.fromkeys(number for number, _ in tracking)),
        preference=preference(t),
        wants_human=wants_human(t),
        sensitive=sensitive(t),
        found_it=found_it(t),
        still_missing=missing,
        dispute=continues or dispute_phrase(t),
        thanks_phrase=thanks_phrase(t),
        asks_something=asks_something(t),
        has_image=has_image(attachments),
    )
