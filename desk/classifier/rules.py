"""Intent scoring by weighted cues.

Each intent has cues (a pattern and how much that phrase alone says, 0..1) and masks
(phrases that look like its cues but are not: "I ordered the wrong colour" is the
customer's own mistake, not a wrong item). An intent's score combines its matched cues,
the strongest fully and each further one at half strength, so corroboration raises a
score without two weak hints adding up to certainty:

    score = 1 - (1 - w1) * prod(1 - w_i / 2 for the other matched cues)

Delivered-not-received is recognised by its shape (the tracking says delivered, and the
customer does not have it / asks where it is) rather than by single phrases; a bare
"it was delivered" is only a hint, heard when no other intent has a say. Intents that
routinely co-occur are reconciled before comparison: a not-received claim subsumes
"where is it?", and an explicit action (cancel, change the address) subsumes a status
question asked on the way. The confidence is then the best score discounted by the
runner-up's, so competing evidence lowers it:

    confidence = best * (1 - COMPETITION * runner_up)

With no cue at all the intent is `other` at OTHER_CONFIDENCE or below: the desk
escalates anything under 0.6 as unclear, which is the point.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from desk.models import Intent

from .cues import Cue, CueGroup, alternation, cue, group, scope_before

COMPETITION = 0.45
MAX_SCORE = 0.98
# `other` is never asserted with confidence: an off-topic cue (account, coupon) only says
# the message is about something the desk does not do, and it goes to a person anyway.
OTHER_CONFIDENCE = 0.5
NO_CUE_CONFIDENCE = 0.3
EMPTY_CONFIDENCE = 0.1
# A not-received claim this strong makes "where is it?" part of the same story.
SUBSUME_AT = 0.85


@dataclass(frozen=True, slots=True)
class IntentRules:
    cues: CueGroup
    mask: re.Pattern[str] | None = None


def intent_rules(cues: tuple[Cue, ...], masks: tuple[str, ...] = ()) -> IntentRules:
    return IntentRules(group(*cues), alternation(*masks))


_NEG = (
    r"(?:never|didn't|did not|haven't|have not|hasn't|has not|not|cannot|can't|couldn't|"
    r"could not|don't|do not|doesn't|does not|wasn't|was not|isn't|is not|am not|aren't|"
    r"weren't|still no)"
)
_THING = (
    r"(?:it|them|the (?:package|parcel|box|order|item)|my (?:package|parcel|order|box)|anything)"
)
_ARRIVAL = (
    r"(?:arrive|be delivered|get delivered|be here|get here|come|ship|be shipped|be sent|"
    r"be dispatched|reach me|show up|turn up)\b"
    # "when will you ship to Canada" asks where the shop delivers, not where a parcel is.
    r"(?! to (?!me\b|us\b)| internationally| abroad| overseas)"
)

# ---------------------------------------------------------------- where_is_my_order

_WISMO = intent_rules(
    cues=(
        cue(
            r"\bwhere(?:'s|s| is| are)? (?:is |are )?(?:my|our|the|this|me) "
            r"(?!refund|money|credit|receipt|invoice|account|password|store|shop|office|nearest|"
            r"return|promo|discount|coupon|code|size|email)[\w-]+",
            0.88,
        ),
        cue(r"\bwhere(?:'s| is| are) (?:it|they|them|that)\b", 0.65),
        # No determiner: "Where is order 630404?", "tell me where order 630505 is".
        cue(r"\bwhere(?:'s| is| are)? (?:order|package|parcel|shipment|delivery|#?\d{4,})\b", 0.88),
        cue(
            r"\bwhen (?:will|would|should|does|do|is|can|am|are)\b(?: [#\w'-]+){0,4}? "
            r"(?:arrive|arriving|come|coming|get here|be here|be delivered|deliver|delivered|"
            r"ship|shipped|shipping|be shipped|be sent|dispatch|dispatched|receive|"
            r"get (?:it|them|my|the|our))\b",
            0.88,
        ),
        cue(
            r"\bwhen (?:my|the|it|they|our) (?:[\w-]+ ){0,2}(?:arrive|come|ship|deliver|be)\b", 0.8
        ),
        # The subject before the verb: "when #48821 will be delivered", "when it'll arrive".
        cue(
            r"\bwhen(?: [#\w-]+){1,3}? (?:will|would|should|is|are|can|might)\b(?: [\w'-]+){0,2}? "
            rf"{_ARRIVAL}"
            rf"|\bwhen (?:it|they|[#\w-]+ [\w-]+|#?\d+)'ll (?:[\w-]+ )?{_ARRIVAL}",
            0.88,
        ),
        cue(r"\b(?:order|package|parcel|shipment|delivery|shipping|tracking) status\b", 0.85),
        cue(
            r"\bstatus (?:of|on|for|update)\b(?! (?:a |my |the |your |this )?(?:refund|return|"
            r"account|claim|case|complaint|membership|subscription|credit|money)\b)",
            0.85,
        ),
        cue(r"\bstatus\b ?\?", 0.7),
        cue(
            r"\b(?:any|an|some) (?:news|updates?|info|information)\b(?: [\w-]+){0,3}? "
            r"(?:on|about|regarding|re|for|with) (?:my|the|our|this|order)\b",
            0.85,
        ),
        cue(r"\bupdate on (?:my|the|our) (?!refund)[\w-]+", 0.8),
        cue(
            r"\bwhat(?:'s| is) (?:happening|going on|the status|the eta|up) "
            r"(?:with|on|to) (?:my|the|our)",
            0.85,
        ),
        cue(r"\bwhat happened (?:to|with) (?:my|the|our) (?!refund|money|account)[\w-]+", 0.8),
        cue(r"\btrack(?:ing)? (?:my|the|our) (?:order|package|parcel|shipment|delivery)\b", 0.85),
        # A bare "track #660005" / "tracking 660005?": the status of that order.
        cue(
            r"(?:^|[.!?] )track(?:ing)?(?: (?:order|package|parcel|number|no\.?))? ?#?\d{4,}",
            0.85,
        ),
        cue(
            r"\b(?:has|have|did|is|was) (?:it|they|my [\w-]+|the [\w-]+|this|order \S+)"
            r"(?: [\w-]+)?? (?:been )?(?:shipped|sent|dispatched|sent out|shipped out|left)\b",
            0.85,
        ),
        cue(r"\bdid (?:it|they|you|my [\w-]+|the [\w-]+) (?:ship|send|go out|leave)\b", 0.8),
        cue(
            r"\b(?:know|tell me|find out|check|see) (?:if|whether) (?:my|the|our|this) "
            r"(?:[\w-]+ )?(?:has|have|was|is) (?:been )?"
            r"(?:shipped|dispatched|sent|sent out|left)\b",
            0.85,
        ),
        cue(
            rf"\b{_NEG}\b(?: [\w']+){{0,2}}? (?:yet )?(?:been )?(?:arrived?|come|came|here|shipped|"
            r"dispatched|moved|updated|received|receive|got|gotten|get|show(?:ed)? up|"
            r"turn(?:ed)? up)\b",
            0.7,
        ),
        cue(r"\bnever (?:arrived|came|showed up|turned up|got|received)\b", 0.65),
        cue(
            r"\b(?:it's|it has|it is|its|been|waited|waiting|wait|waited for) (?:been )?"
            r"(?:over |more than |almost |nearly |about |already )?"
            r"(?:\d+|a|one|two|three|four|five|six|several|a few|few|many|a couple of) "
            r"(?:more )?(?:days?|weeks?|months?)\b",
            0.65,
        ),
        cue(r"\b(?:still|been) waiting\b", 0.75),
        cue(
            r"\b(?:taking|takes|take) (?:so |too |way too |far too )?"
            r"(?:forever|ages|so long|too long|a long time|an eternity)\b",
            0.7,
        ),
        # "48779 was due days ago", "it was expected yesterday".
        cue(
            r"\b(?:was|were|is|it's|its) (?:due|expected)\b(?: [\w-]+){0,3}? (?:ago|yesterday|"
            r"last (?:week|month|\w+day)|(?:mon|tues|wednes|thurs|fri|satur|sun)day)\b",
            0.8,
        ),
        # The carrier's own exceptions: lost, or on its way back to us.
        cue(
            r"\b(?:it|they|package|parcel|order|shipment|delivery|box)(?: was| were| has been|"
            r" have been| got| is| are|'s)(?: been)? (?:lost|misplaced)\b",
            0.8,
            negatable=True,
        ),
        # The carrier cannot find it, with no word of a delivery: a trace, not a claim.
        cue(
            r"\b(?:can't|cannot|could not|couldn't|can not|unable to|not able to) be "
            r"(?:located|found)\b|\b(?:usps|ups|fedex|dhl|courier|carrier|they) (?:can't|cannot|"
            r"couldn't|could not|are unable to|were unable to) (?:locate|find) (?:it|the|my)\b"
            r"|\b(?:lost|misplaced) (?:my|the|our|your) (?:package|parcel|order|shipment|"
            r"delivery|box)\b|\b(?:been|got|was|were|is) lost in transit\b",
            0.85,
        ),
        cue(
            r"\breturn(?:ed|ing|s)? to (?:the )?(?:sender|shipper|origin)\b"
            r"|\b(?:being|been|was|is) (?:returned|sent back) to\b",
            0.85,
        ),
        cue(
            r"\b(?:eta|estimated (?:delivery|arrival)|delivery date|expected delivery|"
            r"arrival date)\b",
            0.75,
        ),
        cue(
            r"\b(?:late|delayed|delay|overdue|stuck|lost in (?:the )?(?:mail|post|transit)|"
            r"lost (?:package|parcel|order|shipment))\b",
            0.65,
            negatable=True,
        ),
        cue(r"\bno (?:updates?|movement|scans?|tracking)\b", 0.65),
        # No word of a delivery: the parcel is still out there (with one, see _ABSENCE).
        cue(r"\bstill no sign of (?:it|them|the|my|our)\b(?! (?:refund|money|credit)\b)", 0.75),
        cue(
            r"\btracking (?:hasn't|has not|isn't|is not|not|still|doesn't|does not|hasn't been)\b",
            0.7,
        ),
        cue(
            r"\bis (?:it|my (?!refund|money|credit)[\w-]+|the (?!refund|money|credit)[\w-]+) "
            r"(?:still )?"
            r"(?:coming|on (?:its|the) way|lost|shipped)\b",
            0.8,
        ),
        cue(r"\b(?:i|we) (?:wait|waiting|am waiting|still wait)\b", 0.6),
        cue(
            r"\b(?:supposed|expected|meant|due) to (?:be delivered|arrive|be here|come|ship)\b"
            r"|\bshould(?:'ve| have) (?:been delivered|arrived|come|been here|shipped)\b",
            0.75,
        ),
        cue(
            r"\b(?:ordered|placed|bought|purchased)\b[^.!?]{0,40}\b(?:days|weeks|months) ago\b", 0.6
        ),
        # A bare "order 52011?" is probably a status request, but not enough to act on alone.
        cue(r"(?:^|[.!] )(?:my )?order(?: no\.?| number| #)? ?#?\d*\s*\?", 0.55),
    ),
    masks=(
        # A condition on another ask: "if it hasn't shipped yet, cancel it".
        # ("know if my order has shipped" asks it: an indirect question, not a condition.)
        r"(?<!know )(?<!check )(?<!see )(?<!wonder )(?<!wondering )(?<!tell me )"
        r"(?<!find out )(?<!ask )(?<!asking )"
        r"\b(?:if|in case|unless|before) (?:it |they |the order |my order |the package )?"
        r"(?:hasn't|has not|isn't|is not|haven't|have not|hasn't been|has not been|has|is|gets)?"
        r" ?(?:already |yet )?(?:been )?(?:shipped|sent|dispatched|gone out|left|ships)(?: yet)?\b",
        # A refund that has not arrived is not a parcel that has not.
        # Arrived late is a complaint about the past, not a parcel still out there.
        r"\b(?:was|were|came|arrived|been|got here) (?:[\w-]+ )?(?:late|delayed)\b",
        r"\b(?:received|receive|got|gotten|get|seen|see)(?: back)? (?:my |the |a |any |your )?"
        r"(?:refund|money|credit)\b",
        r"\b(?:refund|money|credit)\b(?: [\w']+){0,2} (?:hasn't|has not|isn't|is not|didn't|"
        r"did not|never|not|still)\b[^.!?]{0,30}",
    ),
)

# ---------------------------------------------------------------- delivered_not_received

_DELIVERED = re.compile(
    r"\bdelivered\b|\bdelivery (?:confirmation|notification|photo|email|text|scan)\b"
    # Where the carrier says it left it is a delivery claim too.
    r"|\b(?:left|dropped off|placed|put|handed) (?:it |them |the (?:package|parcel|box) )?"
    r"(?:at|in|on|by|with|inside|outside|to) (?:the |my |our |a )?(?:front |back |side )?"
    r"(?:desk|door|doorstep|porch|mail ?room|mailbox|reception|concierge|doorman|lobby|locker|"
    r"parcel (?:room|locker|box)|package room|leasing office|gate|garage|steps?)\b"
)
# What makes "delivered" not a claim that it was: "should have been delivered", "not
# delivered", "will be delivered", "expected to be delivered".
_NOT_A_CLAIM = re.compile(
    r"(?:\bnot\b|n't\b|\bnever\b|\bbe\b|\bbeing\b|\b(?:should|would|could|must)(?:'ve| have) been\b"
    r"|\bexpected\b|\bif\b|\bonce\b|\buntil\b|\btill\b|\bbefore\b|\bun"
    r"|\b(?:need|want|like|get|getting|have) (?:it|them|this|my order)"
    r"|\b(?:get|getting|have|had) (?:any|my|the|our|these|those)(?: [\w-]+){0,2})"
    r"(?: (?:been|yet|be|actually|really|ever|even|it|they|them|to))* ?$"
)
_NOT_HAVE = re.compile(
    rf"\b{_NEG}\b(?: [\w']+){{0,2}}? (?:got|get|gotten|receive|received|receiving|arrive|arrived|"
    r"came|come|show(?:ed)? up|turn(?:ed)? up|delivered)\b"
    rf"|\b{_NEG}(?: be)? (?:here|there|(?:in|at|on|with|by|inside) (?:my|the|our) [\w-]+)\b"
    rf"|\b{_NEG}(?: [\w']+)? (?:find|found|see|seen|locate|located) {_THING}"
    rf"|\b{_NEG} (?:have|has|had) {_THING}"
    r"|\bnothing (?:in|at|on|inside|by|near) (?:my|the|our)\b|\bnothing (?:here|there)\b"
    r"|\bno (?:package|parcel|box|(?:sign|record|trace) of (?:it|the|my|a))\b"
    r"|\b(?:missing|stolen|nowhere|empty mailbox)\b"
    r"|\b(?:mailbox|porch|doorstep|parcel box|locker) (?:is |was )?(?:completely )?empty\b"
    r"|\b(?:nobody|no one|no-one) (?:has|had|got|saw|took)\b"
)
_WHERE_IT = re.compile(r"\bwhere(?:'s| is| are)? (?:is |are )?(?:it|they|them|my|the|our)\b")
_BUT_AFTER = re.compile(r"\b(?:but|yet|however|though)\b")
_CARRIER_PERSON = (
    r"(?:driver|carrier|courier|mailman|postman|mail carrier|delivery (?:guy|person|man|driver)|"
    r"usps|ups|fedex|dhl|they|he|she)"
)
_BUILDING = (
    r"(?:front desk|reception|concierge|doorman|mail ?room|parcel room|package room|"
    r"leasing office|building manager|building office|security desk)"
)
_ITEM_PROBLEM = re.compile(
    r"\b(?:broken|damaged|cracked|smashed|shattered|crushed|dented|torn|ripped|leaking|"
    r"defective|faulty|wrong|instead of|not what i)\b"
)

_DNR = intent_rules(
    cues=(
        cue(
            r"\b(?:stolen|stole|porch pirates?|someone (?:took|stole|must have taken))\b",
            0.8,
            negatable=True,
        ),
        cue(
            r"\b(?:delivered|left|dropped(?: off)?|placed) (?:it |them )?(?:to|at|in) "
            r"(?:the |a |my )?(?:wrong|different|another|other|someone else's|neighbou?r'?s?'?) "
            r"(?:address|house|home|door|building|apartment|person|street|city|neighbou?r|mailbox|porch)",
            0.9,
        ),
        cue(r"\bmis-?deliver(?:ed|y)\b", 0.9),
        cue(
            rf"\b{_CARRIER_PERSON}\b[^.!?]{{0,20}}?\b(?:got|had|used|went to|took it to|found|"
            r"picked|read) the wrong (?:address|house|building|street|door|apartment|unit)\b"
            r"|\b(?:went|gone|taken|got|was taken|was sent|sent) to the wrong "
            r"(?:address|house|building|street|door|apartment|unit|person)\b",
            0.85,
        ),
        cue(r"\b(?:nobody|no one|no-one|noone) (?:has|had|got|saw|has seen|took)\b", 0.7),
        cue(
            r"\bneighbou?rs?\b[^.!?]{0,30}\b(?:don't|didn't|do not|did not|doesn't|does not|"
            r"haven't|have not|hasn't|has not)\b",
            0.7,
        ),
        cue(
            r"\bphoto (?:shows|is of|of)\b[^.!?]{0,40}(?:not my|someone else|different|wrong)", 0.85
        ),
        cue(r"\bnot (?:my|our) (?:house|door|porch|address|building|mailbox|front door)\b", 0.8),
        # Whoever takes parcels in for the building says they never had it.
        cue(
            rf"\b{_BUILDING}\b[^.!?]{{0,25}}?\b(?:don't|didn't|do not|did not|doesn't|does not|"
            r"haven't|have not|hasn't|has not|never)\b(?: [\w']+){0,2}? (?:have|has|had|got|get|"
            r"received|receive|seen|see|signed for|sign for)\b"
            rf"|\b{_BUILDING} (?:says?|said|told me)(?: that)? "
            r"(?:there's |there is |there was |they have )?"
            r"(?:nothing|no (?:package|parcel|box|record))\b",
            0.86,
        ),
    ),
)

# Looking for a parcel and not finding it. With no word that it was delivered this is only a
# hint, like a bare "delivered": it speaks when no other intent has a say ("still nothing
# here" after a not-received claim), and never outvotes "it hasn't arrived".
_ABSENCE = (
    cue(
        r"\bno sign of (?:it|them|the (?:package|parcel|box|order)|my (?:package|parcel|order))\b"
        r"|\b(?:can't|cannot|couldn't|could not|didn't|did not|unable to) (?:\w+ )?(?:find|locate|"
        r"see) (?:it|them|the (?:package|parcel|box)|my (?:package|parcel)|anything) anywhere\b"
        r"|\b(?:looked|searched|checked|asked) (?:everywhere|all over|around the (?:block|building|"
        r"house|neighbou?rhood))\b"
        r"|\bwalked (?:around|round) the (?:block|building|neighbou?rhood)\b",
        0.7,
    ),
    cue(r"\bnothing (?:here|there)\b(?! yet)", 0.65),
)
_ABSENCE_ANY = group(*_ABSENCE)


def _delivered_claim(t: str) -> re.Match[str] | None:
    """The first "delivered" that reports the carrier's (or customer's) delivered status."""
    for m in _DELIVERED.finditer(t):
        if _NOT_A_CLAIM.search(scope_before(t, m.start(), 40)) is None:
            return m
    return None


def _dnr_compound(t: str) -> float:
    """Tracking says delivered + the customer does not have it: the shape of this intent."""
    claim = _delivered_claim(t)
    if claim is None:
        return 0.0
    if _NOT_HAVE.search(t):
        return 0.95
    if _WHERE_IT.search(t):
        return 0.88
    if _BUT_AFTER.search(t, claim.end()) and not _ITEM_PROBLEM.search(t):
        return 0.7
    # Delivered and nothing else said: most likely a complaint, but not said.
    return 0.45


# Below this the compound is a hint ("it was delivered, but ..."), not the intent's shape.
_DNR_HINT_BELOW = 0.85

# ---------------------------------------------------------------- wrong_item

_ITEM_NOUN = (
    r"(?:items?|products?|sizes?|colou?rs?|order|things?|model|ones?|style|version|variant|pair|"
    r"shoes?|shirts?|tee|t-shirt|jacket|book|package|parcel|sku|articles?|stuff|pieces?|parts?|"
    r"flavou?r|edition|design|pattern|type|brand|box|goods|merchandise|kind|length|fit|"
    r"quantity|amount|colourway|shade|print|material|set|bundle|product)"
)
_WRONG = intent_rules(
    cues=(
        cue(rf"\bwrong {_ITEM_NOUN}\b", 0.9),
        cue(
            r"\b(?:sent|shipped|gave|delivered|received|got|getting|receive|get|came|arrived) "
            r"(?:me |us )?(?:the |a |an )?wrong\b",
            0.9,
        ),
        cue(
            r"\b(?:sent|shipped|got|received|receive|get|came|arrived|delivered|gave|is|was|it's|"
            r"they're|are)\b[^.!?]{0,50}\binstead of\b",
            0.88,
        ),
        cue(
            r"(?:\bnot|n't) (?:what|the (?:one|item|size|colou?r|thing|product|model)s?) (?:i|we) "
            r"(?:ordered|bought|paid for|purchased|asked for|wanted|selected|chose)\b",
            0.92,
        ),
        cue(
            r"\b(?:i|we) (?:didn't|did not|never) (?:order|buy|purchase)(?:ed)? "
            r"(?:this|these|that|those|it|them)\b",
            0.85,
        ),
        cue(
            r"\b(?:i|we) (?:ordered|bought|purchased|paid for|asked for|wanted|selected|chose) "
            r"[^.!?]{1,50}?\b(?:but|and) (?:i |we )?(?:got|received|you sent|they sent|was sent|"
            r"it's|its|it is|came|arrived|instead)\b",
            0.75,
        ),
        cue(
            r"\bdifferent (?:item|product|size|colou?r|model|style|one) (?:than|from|then)\b", 0.85
        ),
        cue(r"\bsomeone else'?s (?:order|item|package|parcel)\b", 0.75),
        cue(r"\bmix(?:ed)?[- ]?up\b", 0.6),
        cue(r"\bmis-?ship(?:ped|ment|s)?\b", 0.8),
        cue(r"\b(?:size|colou?r|model|item)s? (?:is|was|are|were) wrong\b", 0.88),
        cue(r"\b(?:this is|these are|it's|they're) not mine\b", 0.7),
    ),
    masks=(
        # A sentence about an address is about where it went, not what came. Listed first so
        # it wins at a sentence start; anchored there so the scan stays linear.
        r"(?<![^.!?])[^.!?]*\baddress\b[^.!?]*",
        # The customer's own mistake ("I ordered the wrong colour") is not a wrong item.
        r"\b(?:i|we)(?:'ve| have)? (?:accidentally |mistakenly |stupidly |just |must have )?"
        r"(?:ordered|picked|chose|chosen|selected|bought|clicked|put|entered|typed|gave|used|"
        r"purchased|order|pick|choose|select) (?:in )?(?:the |a |an )?wrong [\w-]+",
        r"\b(?:my|our) (?:own )?(?:mistake|fault|bad|error)\b",
    ),
)

# ---------------------------------------------------------------- damaged_item

_DAMAGED = intent_rules(
    cues=(
        cue(
            r"\b(?:broken|broke|damaged|cracked|smashed|shattered|destroyed|defective|faulty|"
            r"busted|ruined|dead on arrival|doa|in pieces|fell apart|falling apart)\b",
            0.9,
            negatable=True,
        ),
        cue(
            r"\b(?:damage|crushed|dented|dent|torn|ripped|leaking|leaked|leaky|spilled|spilt|bent|"
            r"scratched|scratches|chipped|stained|melted|mouldy|moldy|rotten|spoiled|spoilt|"
            r"snapped|warped|shredded|soaked|mangled)\b",
            0.8,
            negatable=True,
        ),
        cue(r"\b(?:holes?|wet|scuffed|scuffs|cracks?)\b", 0.6, negatable=True),
        cue(
            r"\b(?:doesn't|does not|don't|do not|won't|will not|didn't|did not|isn't|is not|"
            r"aren't|stopped|can't|cannot|not) (?:[\w-]+ )?(?:work|working|turn on|turning on|"
            r"power on|powering on|switch on|charge|charging|start|boot|function|functioning|"
            r"light up|play)\b",
            0.85,
        ),
    ),
    masks=(
        # A website, link or code that "doesn't work" is not a defective item.
        r"\b(?:link|website|web site|site|page|app|checkout|promo|coupon|discount|voucher|code|"
        r"tracking(?: link| page| number)?|payment|card|login|password|account|button|form|email)"
        r"(?:'s)?\b(?: [\w-]+){0,2}? (?:is |was |seems |looks |keeps )?"
        r"(?:broken|not working|doesn't work|does not work|won't work|isn't working|"
        r"didn't work|don't work|is down|failing|failed)",
        r"\b(?:box|packaging|package|outer box|carton|envelope)\b[^.!?]{0,40}\b(?:but|though|"
        r"however)\b[^.!?]{0,40}\b(?:fine|ok|okay|intact|undamaged|perfect|good|unharmed)\b",
        r"\b(?:i'm|i am) broke\b",
        # An occasion spoiled is not an item damaged: "ruined his first Halloween".
        r"\bruin(?:ed|s|ing)? (?:my|his|her|our|their|the|your) (?:\w+ )?(?:day|weekend|"
        r"halloween|christmas|birthday|holiday|night|evening|plans?|party|trip|anniversary)\b",
    ),
)

# ---------------------------------------------------------------- cancel_order

_CANCEL = intent_rules(
    cues=(
        cue(
            r"\bcancel+(?: (?:my|the|this|that|our|an|it|them|order|whole|entire|please|asap|now|"
            r"immediately|everything|#|\d))",
            0.93,
        ),
        cue(
            r"\b(?:please|want to|wanna|would like to|i'd like to|like to|need to|can i|can you|"
            r"could you|could i|how (?:do|can) i|how to|i want|want|trying to|let me) "
            r"(?:[\w-]+ )?cancel",
            0.93,
        ),
        cue(r"\bcancel+ation\b", 0.9),
        cue(r"\bcancel+(?:l?ed|ing)?\b", 0.85),
        cue(
            r"\b(?:don't|do not|no longer) (?:want|need) (?:it|this|them|the order|my order|"
            r"the item|these|that|the [\w-]+ i ordered)(?: any ?more)?\b",
            0.8,
        ),
        cue(r"\bchanged my mind\b", 0.75),
        cue(r"\b(?:stop|halt|hold) (?:the |my |this )?(?:order|shipment|delivery|shipping)\b", 0.8),
        cue(
            r"\b(?:don't|do not) (?:ship|send|dispatch) (?:it|the order|my order|this|them)\b", 0.8
        ),
        cue(r"\bwithdraw (?:my |the )?order\b", 0.8),
        cue(
            r"\b(?:ordered|bought) [^.!?]{0,30}(?:by mistake|by accident|twice)\b"
            r"|\baccidentally (?:ordered|bought|placed)\b|\bduplicate order\b",
            0.65,
        ),
    ),
    masks=(
        # Cancelled by someone else, or already: that is a question about it, not the ask.
        r"\b(?:was|were|been|got|is|are|already) (?:[\w-]+ )?cancel+(?:l?ed)\b",
        # Done by the customer already: "I've cancelled my order and gone elsewhere".
        r"\b(?:i|we)(?:'ve| have| had)? (?:already |just )?cancel+(?:l?ed)\b",
        r"\b(?:you|they|someone|somebody|the (?:shop|store|seller)) (?:[\w-]+ )?cancel+(?:l?ed)\b",
        r"\bwhy (?:[\w'-]+ ){0,4}cancel+(?:l?ed)?\b",
        r"(?:\bnot|n't|\bnever) (?:[\w-]+ )?cancel+(?:l?ed|ing)?\b",
        # A product, not an ask: "noise-cancelling headphones".
        r"\b(?:noise|echo|sound)[- ]?cancel+(?:l?ing|l?ation)\b",
        # Not an order: "cancel my Prime membership", "cancel my account" (see topics.py).
        r"\bcancel+(?:l?ing|l?ed|ation)?\b(?: (?:my|the|your|this|our|a|an|amazon|it|"
        r"auto-?renew(?:al)?|free|annual|monthly))* (?:prime|membership|subscription|account|"
        r"plan|trial|newsletter|contract|auto-?renew\w*)\b",
        r"\b(?:prime|membership|subscription|account|trial|plan)\b[^.!?]{0,40}\bcancel+\w*\b",
    ),
)

# ---------------------------------------------------------------- change_address

_ADDRESS = intent_rules(
    cues=(
        cue(
            r"\b(?:change|changing|update|updating|correct|correcting|fix|fixing|edit|modify|amend|"
            r"alter) (?:the |my |our |your |to )?(?:[\w-]+ ){0,2}?address\b",
            0.93,
        ),
        cue(r"\baddress (?:change|update|correction)\b", 0.9),
        cue(
            r"\b(?:wrong|incorrect|old|outdated|previous) "
            r"(?:shipping |delivery |mailing |street )?address\b",
            0.85,
        ),
        cue(r"\baddress (?:is|was) (?:wrong|incorrect|outdated|old|not (?:right|correct))\b", 0.88),
        cue(r"\bnew (?:shipping |delivery |mailing |home )?address\b", 0.8),
        cue(
            r"\b(?:wrong|incorrect|old) (?:zip|zip code|postcode|postal code|post code|street|"
            r"street name|house number|apartment number|apt number|unit number|suite number|"
            r"city)\b",
            0.85,
        ),
        cue(r"\b(?:i|we)(?:'ve| have)? (?:just |recently )?(?:moved|relocated)\b", 0.75),
        cue(r"\b(?:i'm|we're|i am|we are) (?:moving|relocating)\b", 0.7),
        cue(
            r"\b(?:ship|send|deliver|redirect|forward|reroute|re-route) "
            r"(?:it |this |them |my order |the order |the package |my package |the parcel )?"
            r"(?:to|at) [^.!?]{1,60}?\binstead\b",
            0.9,
        ),
        cue(
            r"\b(?:ship|send|deliver) (?:it |this |them |my order |the order |the package |"
            r"the parcel )?to (?:my|a|the|our) (?:new|different|other|work|office|parents'?|mom'?s|"
            r"mum'?s|friend'?s|sister'?s|brother'?s|correct|right)\b",
            0.85,
        ),
        cue(r"\b(?:redirect|reroute|re-route) (?:all )?(?:it|my|the|this|them|these)\b", 0.7),
        cue(
            r"\b(?:typo|mistake|error) in (?:my |the )?(?:shipping |delivery |street )?(?:address|"
            r"zip|postcode|postal code|apartment|apt)\b",
            0.9,
        ),
        cue(
            r"\b(?:forgot|forgotten|missed|left out|left off) (?:to (?:add|include|put) )?"
            r"(?:my |the )?(?:apt|apartment|unit|suite|flat|buzzer|house number|zip|postcode)\b",
            0.85,
        ),
        cue(
            r"\b(?:i|we) (?:put|entered|typed|gave|used) (?:in )?(?:the |a |an |my )?(?:wrong|old|"
            r"incorrect) (?:[\w-]+ )?address\b",
            0.92,
        ),
    ),
    masks=(
        r"\be-?mail address\b",
        # "address" the verb: "someone at corporate to address these issues".
        r"\baddress(?:es|ed|ing)? (?:these|this|that|the|my|our|your|those|all|such) "
        r"(?:[\w-]+ )?(?:issues?|problems?|concerns?|complaints?|matters?|questions?)\b",
        r"\bbilling address\b",
        r"\bip address\b",
        # Where the carrier left it is a not-received claim, not a request to change it.
        rf"\b{_CARRIER_PERSON}\b[^.!?]{{0,20}}?\b(?:got|had|used|went to|took it to|found|"
        r"picked|read) the wrong (?:address|house|building|street)\b"
        r"|\b(?:went|gone|taken|got|was taken|was sent|sent) to the wrong (?:address|house|"
        r"building|street)\b",
        r"\b(?:delivered|left|dropped(?: off)?|placed) (?:it |them )?(?:to|at|in) (?:the |a )?"
        r"(?:wrong|different|another|other) (?:address|house|city|street|zip|postcode)\b",
    ),
)

_OTHER_CUES = re.compile(
    r"\b(?:account|password|log ?in|sign ?in|newsletter|unsubscribe|discount|coupon|promo|voucher|"
    r"gift card|invoice|receipt|warranty|size chart|sizing|in stock|restock|price match|"
    r"subscription|loyalty|points|return policy|return label|exchange policy|question|"
    r"wholesale|email address)\b"
)

RULES: dict[Intent, IntentRules] = {
    Intent.where_is_my_order: _WISMO,
    Intent.delivered_not_received: _DNR,
    Intent.wrong_item: _WRONG,
    Intent.damaged_item: _DAMAGED,
    Intent.cancel_order: _CANCEL,
    Intent.change_address: _ADDRESS,
}


def masked(intent: Intent, t: str) -> bool:
    """Whether the rules know a phrase of `t` as a look-alike of `intent`'s cues."""
    rules = RULES.get(intent)
    return rules is not None and rules.mask is not None and rules.mask.search(t) is not None


def combine(weights: list[float]) -> float:
    if not weights:
        return 0.0
    strongest, *rest = sorted(weights, reverse=True)
    doubt = 1.0 - strongest
    for w in rest:
        doubt *= 1.0 - w / 2
    return min(1.0 - doubt, MAX_SCORE)


def matched_weights(rules: IntentRules, t: str) -> list[float]:
    if rules.mask is not None:
        t = rules.mask.sub(" ~ ", t)
    return [c.weight for c, _ in rules.cues.matches(t)]


def score_intents(t: str) -> dict[Intent, float]:
    """A score in 0..1 for each of the six actionable intents, after reconciliation."""
    weights = {intent: matched_weights(rules, t) for intent, rules in RULES.items()}
    scores = {intent: combine(ws) for intent, ws in weights.items()}
    compound = _dnr_compound(t)
    # "It was delivered but the box was crushed / but I want to cancel": a delivered hint
    # is the backdrop of another intent's story, so it only speaks when nothing else does.
    if compound >= _DNR_HINT_BELOW or (compound and max(scores.values()) < 0.6):
        weights[Intent.delivered_not_received].append(compound)
        scores[Intent.delivered_not_received] = combine(weights[Intent.delivered_not_received])
    elif not compound and max(scores.values()) < 0.6:
        absence = [c.weight for c, _ in _ABSENCE_ANY.matches(t)]
        if absence:
            weights[Intent.delivered_not_received].extend(absence)
            scores[Intent.delivered_not_received] = combine(weights[Intent.delivered_not_received])
    if scores[Intent.delivered_not_received] >= SUBSUME_AT:
        scores[Intent.where_is_my_order] *= 0.1
    if max(scores[Intent.cancel_order], scores[Intent.change_address]) >= SUBSUME_AT:
        scores[Intent.where_is_my_order] *= 0.3
    return scores


def decide(t: str, scores: dict[Intent, float]) -> tuple[Intent, float]:
    """The intent and a confidence that means something (see the module docstring)."""
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    best, p1 = ranked[0]
    p2 = ranked[1][1] if len(ranked) > 1 else 0.0
    if p1 <= 0.0:
        if not t.strip(" .?!"):
            return Intent.other, EMPTY_CONFIDENCE
        if _OTHER_CUES.search(t):
            return Intent.other, OTHER_CONFIDENCE
        return Intent.other, NO_CUE_CONFIDENCE
    return best, round(p1 * (1.0 - COMPETITION * p2), 3)
