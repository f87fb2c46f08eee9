"""Waiting: for the next message that matters, for a condition, until a timer fires.

The only place policy durations become timers, so the only place ``time_scale`` (demos
run 48 h of policy in seconds) is applied: callers speak in policy hours or in shop dates.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from desk.config import PolicyConfig
    from desk.models import ContactState, RoutedMessage

from workflows.contact import calls
from workflows.contact.context import Contact

Wanted = Callable[[RoutedMessage], bool]


def policy_time(cfg: PolicyConfig, hours: float) -> timedelta:
    """A policy duration as a workflow timer, scaled for demos."""
    return timedelta(hours=hours * cfg.time_scale)


def hours(c: Contact, policy_hours: float) -> timedelta:
    return policy_time(c.cfg, policy_hours)


def _waits(c: Contact, summary: str, timeout: timedelta | None) -> None:
    """Record what the contact waits for and until when, for the current details. State
    only: no command, so histories replay as before."""
    c.rec.waiting_for = summary or None
    c.rec.waiting_until = c.now() + timeout if timeout is not None else None
    c.details()


def _done_waiting(c: Contact) -> None:
    c.rec.waiting_for = None
    c.rec.waiting_until = None


def until(c: Contact, moment: datetime) -> timedelta:
    """The wait until a date of the shop's or the carrier's (an ETA, the end of the
    early-claim window), scaled like every policy timer."""
    remaining = max(moment - c.now(), timedelta(0))
    return timedelta(seconds=remaining.total_seconds() * c.cfg.time_scale)


async def message(
    c: Contact, wanted: Wanted, timeout: timedelta, summary: str
) -> RoutedMessage | None:
    """The next unread message that matters here, or None when the timer fires first."""
    deadline = c.now() + timeout
    _waits(c, summary, timeout)
    try:
        return await _next_message(c, wanted, deadline, summary)
    finally:
        _done_waiting(c)


async def _next_message(
    c: Contact, wanted: Wanted, deadline: datetime, summary: str
) -> RoutedMessage | None:
    while True:
        while (msg := c.rec.take_message()) is not None:
            # Once the contact belongs to a verified order, a message from anyone else is
            # recorded but never acted on ("found it" from a stranger closes nothing).
            if c.rec.order is not None and not msg.match.verified:
                continue
            if wanted(msg):
                return msg
        remaining = deadline - c.now()
        if remaining <= timedelta(0):
            return None
        try:
            await workflow.wait_condition(
                c.rec.has_unread, timeout=remaining, timeout_summary=summary
            )
        except TimeoutError:
            return None


async def condition(
    c: Contact, met: Callable[[], bool], timeout: timedelta | None, summary: str
) -> bool:
    """Wait until ``met`` holds (True) or the timeout passes (False); no timeout: for ever."""
    _waits(c, summary, timeout)
    try:
        if timeout is None:
            await workflow.wait_condition(met)
            return True
        try:
            await workflow.wait_condition(met, timeout=timeout, timeout_summary=summary)
        except TimeoutError:
            return False
        return True
    finally:
        _done_waiting(c)


def asks_for_a_person(msg: RoutedMessage) -> bool:
    return msg.understanding.wants_human or msg.understanding.sensitive


async def ask_then_remind(
    c: Contact,
    ask: Callable[[datetime], str],
    remind: Callable[[datetime], str],
    wanted: Wanted,
    summary: str,
) -> RoutedMessage | None:
    """Ask the customer, wait ``customer_reply_hours``, remind once, wait again. The
    answer, a message asking for a person (or threatening), or None after the reminder."""
    for text in (ask, remind):
        reply_by = c.now() + timedelta(hours=c.cfg.customer_reply_hours)
        await calls.reply(c, text(reply_by))
        c.set_state(ContactState.awaiting_customer)
        msg = await message(
            c,
            lambda r: wanted(r) or asks_for_a_person(r),
            hours(c, c.cfg.customer_reply_hours),
            summary,
        )
        if msg is not None:
            return msg
    return None
