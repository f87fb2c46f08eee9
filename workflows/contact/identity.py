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


def needs_verifying(msg: RoutedMessage) -> bool:
    return not msg.match.verified or msg.match.problem in ("unknown_sender", "order_not_theirs")


async def verify(c: Contact) -> RoutedMessage | Resolved:
    """Ask for the identity on file; the verified follow-up, or ``no_response`` after twice
    the reply window."""
    c.note(
        "identity", "sender not verified for any order: no details, no action", Rule.who_is_asking
    )
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
