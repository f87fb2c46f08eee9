"""The desk's rule "confirm before the irreversible": one short question naming the order
and the action before a cancellation, an address change, a refund or a reship, when the
order was inferred or the reading is unsure. Status answers need no confirmation."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from desk.config import PolicyConfig
from desk.models import Intent, Order, ProposedResolution, ResolutionKind, RoutedMessage


def why_confirm(
    request: RoutedMessage | None, order: Order | None, now: datetime, cfg: PolicyConfig
) -> str | None:
    """Why this request should be confirmed before acting on it, or None."""
    if request is None or order is None:
        return None
    match, u = request.match, request.understanding
    if match.inferred and match.other_recent_orders > 0:
        return (
            f"the customer named no order and has {match.other_recent_orders + 1} recent "
            "orders: this one was inferred"
        )
    if match.inferred and now - order.placed_at > timedelta(days=cfg.recent_order_days):
        return (
            f"the customer named no order; the inferred one was placed {order.placed_at:%Y-%m-%d}"
        )
    if u.confidence < cfg.confirm_below_confidence:
        return (
            f"read as {u.intent.value} at {u.confidence:.2f} "
            f"(confirm below {cfg.confirm_below_confidence})"
        )
    return None


def describe(proposal: ProposedResolution, order: Order) -> str:
    """The action, as the question names it: 'send order 41880's 2 items again'."""
    items = sum(ln.qty for ln in proposal.reship_lines)
    parts = []
    if proposal.kind == ResolutionKind.cancelled:
        parts.append(f"cancel order {order.number}")
        if proposal.refund_amount > 0:
            parts.append(f"refund {proposal.refund_amount:.2f}")
        return " and ".join(parts)
    if proposal.reship_lines:
        parts.append(
            f"send a replacement for order {order.number} ({items} item{'s' * (items != 1)})"
        )
    if proposal.refund_amount > 0:
        parts.append(f"refund {proposal.refund_amount:.2f} for order {order.number}")
    return " and ".join(parts) or f"resolve order {order.number}"


class Answer(StrEnum):
    yes = "yes"  # go ahead
    correction = "correction"  # a different request: read the contact again from it
    no = "no"  # a bare no: nothing happens, the desk asks what instead
    none = "none"  # not an answer to the question


def answer_to_question(message: RoutedMessage, cfg: PolicyConfig) -> Answer:
    """What a message says to "you would like us to ...?"."""
    u = message.understanding
    if u.affirmative and not (u.negative or u.dispute):
        return Answer.yes
    requests_something = (
        u.intent != Intent.other
        and u.confidence >= cfg.min_intent_confidence
        and len(message.message.text.split()) > 3
    )
    if requests_something:
        return Answer.correction
    if u.negative or u.dispute:
        return Answer.no
    return Answer.none
