"""POLICY.md "Who is asking": a sender not verified for the order gets no details and
causes no action until a verified follow-up arrives."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from desk import reply_text as say
    from desk.models import ContactState, ResolutionKind, RoutedMessage
    from desk.policy.intents import handover
    from desk.policy.rules import Rule

from workflows.contact import calls, waiting
from workflows.contact.context import Contact
from workflows.contact.outcome import Escalate, Resolved
from workflows.contact.patches import Patch, patched


def needs_verifying(msg: RoutedMessage) -> bool:
    return not msg.match.verified or msg.match.problem in (
        "unknown_sender",
        "order_not_theirs",
        "unauthenticated",
    )


async def verify(c: Contact, first: RoutedMessage) -> RoutedMessage | Resolved:
    """No details, no action: the sender hears how to reach us from the identity on file,
    and the owner of an order they named is told on that identity. The verified
    follow-up, or ``no_response`` after twice the reply window."""
    c.note(
        "identity",
        f"sender not verified ({first.match.problem or 'unverified'}, "
        f"{first.message.auth.method}): no details, no action",
        Rule.who_is_asking,
    )
    if first.match.claimed_order is not None and patched(Patch.owner_notice):
        await calls.notify_owner(c, first.match.claimed_order, first.message.channel)
    await calls.reply(c, say.identity_request())
    c.set_state(ContactState.awaiting_customer)
    verified = await waiting.message(
        c,
        lambda r: r.match.verified and r.match.order is not None,
        waiting.hours(c, 2 * c.cfg.customer_reply_hours),
        "wait for a verified follow-up",
    )
    if verified is None:
        return Resolved(
            ResolutionKind.no_response,
            Rule.who_is_asking,
            "no verified follow-up in twice the reply window",
            autonomous=True,
        )
    c.adopt(verified)
    return verified


def hand_over_if_asked(msg: RoutedMessage) -> Escalate | None:
    """POLICY.md "Intents": a request for a person or a threat goes to a person at once."""
    asked = handover(msg.understanding)
    if asked is None:
        return None
    reason, why = asked
    return Escalate(reason, Rule.intents, why)
