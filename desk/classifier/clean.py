"""Getting a message into the one shape every cue is written against.

Two steps, kept apart because order numbers need the first and intent cues need both:
`strip_quoted` removes what the customer did not write (quoted history, signatures,
mail-client footers); `normalise` lowercases, repairs common typos and contractions,
and folds whitespace so that a cue written once ("where is my order") matches
"Were is my ordr" wrapped across two e-mail lines.
"""

from __future__ import annotations

import re

# Each marks the first line that belongs to someone else, or to the mail client: the
# customer's own words end there. "On <date>, <name> wrote:" is often wrapped by Gmail
# onto two lines, hence the optional second line.
_CUT_MARKERS: tuple[re.Pattern[str], ...] = (
    re.compile(r"^[ \t]*On\b[^\n]{0,300}?(?:\n[^\n]{0,300}?)?\bwrote:[ \t]*$", re.M | re.I),
    re.compile(r"^[ \t]*-{2,}[ \t]*(?:Original|Forwarded) Message[ \t]*-{2,}", re.M | re.I),
    re.compile(r"^[ \t]*Begin forwarded message:", re.M | re.I),
    re.compile(r"^[ \t]*From:[^\n]*\n(?:[^\n]*\n){0,3}?[ \t]*(?:Sent|Date):", re.M | re.I),
    re.compile(r"^[ \t]*_{10,}[ \t]*$", re.M),
    # RFC 3676 delimiter; many clients drop its trailing space, so accept both.
    re.compile(r"^-- ?$", re.M),
    re.compile(r"^[ \t]*Sent from my\b", re.M | re.I),
    re.compile(r"^[ \t]*(?:Get Outlook for|Sent from (?:Mail|Yahoo|Outlook|Gmail))\b", re.M | re.I),
)
_QUOTED_LINE = re.compile(r"^[ \t]*>.*(?:\n|$)", re.M)
_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|fwd?|aw|sv|tr)\s*(?:\[\d+\])?\s*:\s*)+", re.I)


def strip_quoted(text: str) -> str:
    """The part of an e-mail or message the customer wrote just now."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    cut = len(text)
    for marker in _CUT_MARKERS:
        m = marker.search(text)
        if m is not None and m.start() < cut:
            cut = m.start()
    return _QUOTED_LINE.sub("", text[:cut]).strip()


def is_reply_subject(subject: str) -> bool:
    """A "Re:"/"Fwd:" subject was written by us or an earlier thread, not by this message."""
    return _REPLY_PREFIX.match(subject) is not None


def strip_reply_prefix(subject: str) -> str:
    return _REPLY_PREFIX.sub("", subject).strip()


_TYPOS: dict[str, str] = {
    # receive / deliver / arrive
    "recieved": "received",
    "recived": "received",
    "recevied": "received",
    "receieved": "received",
    "receved": "received",
    "recieve": "receive",
    "recive": "receive",
    "recieving": "receiving",
    "rcvd": "received",
    "delivred": "delivered",
    "deliverd": "delivered",
    "dlvd": "delivered",
    "dlvrd": "delivered",
    "delieverd": "delivered",
    "delievered": "delivered",
    "deliverred": "delivered",
    "dilevered": "delivered",
    "delivere": "delivered",
    "arived": "arrived",
    "arrvied": "arrived",
    "arrieved": "arrived",
    "arrivd": "arrived",
    "arive": "arrive",
    # address / cancel / order / package
    "adress": "address",
    "addres": "address",
    "adresss": "address",
    "addresss": "address",
    "adddress": "address",
    "adres": "address",
    "cancell": "cancel",
    "cancle": "cancel",
    "cancal": "cancel",
    "canceld": "cancelled",
    "cancelation": "cancellation",
    "cansel": "cancel",
    "ordr": "order",
    "oder": "order",
    "oredr": "order",
    "orer": "order",
    "packge": "package",
    "pakage": "package",
    "pacakge": "package",
    "pakcage": "package",
    "pkg": "package",
    "parcle": "parcel",
    "shiping": "shipping",
    "shiped": "shipped",
    # damage
    "damged": "damaged",
    "damadged": "damaged",
    "dammaged": "damaged",
    "demaged": "damaged",
    "brocken": "broken",
    "borken": "broken",
    "brokn": "broken",
    # contractions typed without the apostrophe
    "havent": "haven't",
    "hasnt": "hasn't",
    "hadnt": "hadn't",
    "didnt": "didn't",
    "dint": "didn't",
    "dont": "don't",
    "doesnt": "doesn't",
    "dosent": "doesn't",
    "dosnt": "doesn't",
    "isnt": "isn't",
    "wasnt": "wasn't",
    "werent": "weren't",
    "arent": "aren't",
    "cant": "can't",
    "couldnt": "couldn't",
    "wont": "won't",
    "wouldnt": "wouldn't",
    "shouldnt": "shouldn't",
    "im": "i'm",
    "ive": "i've",
    "thats": "that's",
    "whats": "what's",
    "wheres": "where's",
    "theyre": "they're",
    "youre": "you're",
    # SMS shorthand
    "u": "you",
    "ur": "your",
    "pls": "please",
    "plz": "please",
    "pleas": "please",
    "thx": "thanks",
    "thnx": "thanks",
    "thanx": "thanks",
    "tnx": "thanks",
    "ty": "thanks",
    "tysm": "thanks",
    "wher": "where",
    "whre": "where",
}
# The words cues are written around. Fast typing on a phone swaps two neighbouring letters
# ("delviered", "tarcking", "anotehr"); every such swap of these words is repaired. None of
# the swapped spellings is an English word, which is what keeps this safe to do blindly.
_KEY_WORDS = (
    "delivered", "deliver", "delivery", "tracking", "received", "receive", "arrive", "arrived",
    "another", "checking", "package", "parcel", "address", "cancel", "refund", "replacement",
    "shipped", "returned", "sender", "damaged", "broken", "missing", "nothing", "anywhere",
    "supposed", "located", "neighbours", "neighbors", "mailbox", "ordered", "forever", "stolen",
    "waiting", "transit", "expected", "anything", "status", "update", "updated", "order",
    "delayed", "defective", "instead", "something", "different", "please", "before", "driver",
    "courier", "carrier",
)  # fmt: skip


def _swapped(word: str) -> set[str]:
    return {
        word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        for i in range(len(word) - 1)
        if word[i] != word[i + 1]
    }


_TYPOS.update(
    {
        swap: word
        for word in _KEY_WORDS
        for swap in _swapped(word)
        if swap not in _TYPOS and swap not in _KEY_WORDS
    }
)
_TYPOS.update(
    {
        # dropped letters seen often enough to name
        "trackng": "tracking",
        "traking": "tracking",
        "delivrd": "delivered",
        "deliverd": "delivered",
        "recieved": "received",
        "anoter": "another",
        "anther": "another",
        "chekin": "checking",
    }
)
# One scan for words, then a dictionary look-up: an alternation of hundreds of spellings
# would be tried at every word start.
_WORD = re.compile(r"\b[a-z]+\b")


def _repair(m: re.Match[str]) -> str:
    word = m.group(0)
    return _TYPOS.get(word, word)


def repair_typos(text: str) -> str:
    """`text` (lowercase) with the known misspellings of the cue vocabulary put right."""
    return _WORD.sub(_repair, text)


# Apostrophe-in-the-wrong-place contractions ("did'nt", "have'nt").
_MISPLACED_NT = re.compile(r"\b(did|does|do|has|have|is|was|were|are|could|would|should)'nt\b")
# "were is my order" is never grammatical, so it can only mean "where".
_WERE_WHERE = re.compile(r"\bwere (is|are|'s) (?=my|the|our|it|they|me)")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "`": "'"})
_PARAGRAPH = re.compile(r"\n[ \t]*\n\s*")
_SPACE = re.compile(r"\s+")


# Social handles ("@AmazonHelp", "@115821") address the message; they say nothing of it.
_HANDLE = re.compile(r"(?<![\w.])@\w+")


def normalise(text: str) -> str:
    """Lowercased, typo-repaired, single-spaced text that the cue patterns are written for."""
    t = _HANDLE.sub(" ", text.translate(_QUOTES)).lower()
    # A paragraph break ends a thought even when the customer typed no full stop.
    t = _PARAGRAPH.sub(" . ", t)
    t = _SPACE.sub(" ", t).strip()
    t = _MISPLACED_NT.sub(r"\1n't", t)
    t = repair_typos(t)
    return _WERE_WHERE.sub(r"where \1 ", t)
