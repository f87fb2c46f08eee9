"""Answers to a yes/no question the desk asked.

Before an irreversible action the desk asks ("Just to be sure: you want us to cancel order
41880 and refund 64.00? Reply yes to go ahead, or tell us what you need instead."). The
answer is usually short: "yes please", "go ahead", "that's right" / "no", "don't", "not
that one", "wrong order". `answer(t)` reads it from the normalised text: "yes", "no", or
None when the message is not a yes/no answer (or is both, or says more than an answer).

A yes/no answer is read only from the start of the message and only when the message is
short: "yes the parcel never came and I want a refund" starts with "yes" but is a new
message, and "no" inside a sentence ("no sign of it") is no answer at all.
"""

from __future__ import annotations

import re

__all__ = ["answer"]

# An answer is the whole message, or its opening clause with at most a few words after.
_MAX_WORDS = 12
_YES = re.compile(
    r"^(?:yes|yes+|yea+h?|yeah|yep|yup|ya|yah|sure|ok|okay|k|kk|correct|affirmative|absolutely|"
    r"definitely|of course|certainly|indeed|right|exactly|confirmed?|agreed|fine|"
    r"please do|please go ahead|go ahead|go for it|do it|proceed|that's right|that is right|"
    r"that's correct|that is correct|that's it|that's the one|that one|sounds good|"
    r"yes please|yes pls|please|alright|all right|y)\b"
    r"(?:[\s,.!]*(?:please|pls|plz|thanks|thank you|thx|ty|do it|go ahead|proceed|that's right|"
    r"that's correct|correct|cancel it|cancel (?:the|my|that|this) order|do that|"
    r"sounds good|that'd be great|that would be great|great|perfect|cheers|"
    r"ok|okay|sure|yes|yep|go on|let's do it|i do|i am|it is|i'm sure|i am sure|"
    r"refund(?: is fine| please| me)?|that's fine|fine|thats fine))*"
    r"[\s.!]*$"
)
_NO = re.compile(
    r"^(?:no+|nope|nah|no way|not really|negative|never mind|nevermind|don't|do not|"
    r"please don't|please do not|don't do (?:it|that)|do not do (?:it|that)|no thanks|"
    r"no thank you|not that one|not that order|not this one|not this order|wrong order|"
    r"wrong one|that's wrong|that is wrong|that's not right|that is not right|"
    r"that's not it|that's not the one|not that|stop|hold on|wait|n)\b"
    r"(?:[\s,.!]*(?:thanks|thank you|thx|please|pls|don't|do not|don't cancel(?: it)?|"
    r"don't do (?:it|that)|not that one|not that order|wrong order|wrong one|"
    r"that's wrong|that's not (?:it|right|the one|what i (?:want|asked|meant))|"
    r"i don't|i do not|i'm not sure|not yet|keep (?:it|the order)|never mind|not really|"
    r"no|nope|stop|wait|it's fine|i changed my mind))*"
    r"[\s.!]*$"
)
# "No, I want to change the address instead" is a refusal that says what they want: still
# a no to the question asked, and the rest of the message is read as usual.
_NO_LEAD = re.compile(
    r"^(?:no+|nope|nah|don't|do not|please don't|not that one|wrong order)\b[\s,.!-]+"
    r"(?:i |i'd |i want|i need|i meant|i mean|it's|it is|that's|that is|the other|instead|"
    r"rather|please|just)"
)
_YES_LEAD = re.compile(
    r"^(?:yes|yep|yeah|yup|correct|that's right|go ahead|please do)\b[\s,.!-]+"
    r"(?:please |and )?(?:cancel|go ahead|do it|proceed|refund|that's|that is|it's|it is|"
    r"thanks|thank you)"
)
_PUNCT = re.compile(
    r"[\"'`*_~()\[\]{}<>]|(?<!\w)[:;]-?[()dp](?!\w)|[\U0001F300-\U0001FAFF\u2600-\u27BF]"
)
_HANDLES = re.compile(r"(?:^|\s)@\w+")
_SPACE = re.compile(r"\s+")


def _core(t: str) -> str:
    t = _HANDLES.sub(" ", t)
    t = _PUNCT.sub(lambda m: "'" if m.group(0) == "'" else " ", t)
    return _SPACE.sub(" ", t).strip(" ,")


def answer(t: str) -> str | None:
    """ "yes", "no" or None for the normalised message `t`."""
    core = _core(t)
    if not core or len(core.split()) > _MAX_WORDS * 2:
        return None
    short = len(core.split()) <= _MAX_WORDS
    if short and _YES.match(core):
        return "yes"
    if short and _NO.match(core):
        return "no"
    if _NO_LEAD.match(core):
        return "no"
    if short and _YES_LEAD.match(core):
        return "yes"
    return None
