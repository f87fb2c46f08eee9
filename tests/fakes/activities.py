"""The worker's activities, mocked by name over a MemoryShop, for workflow unit tests.

    calls: list[ActivityCall] = []
    shop = MemoryShop.from_scenario(scenario, await env.get_current_time())
    async with Worker(env.client, task_queue=q, workflows=[...],
                      activities=mocked_activities(shop, calls)):
        ...
    assert calls_to(calls, "issue_refund") == [("41880", 70.5, lines, "lost", "c:d1:refund")]

Each mock is registered under the real activity's name with the real argument list and
return type, so the real workflows (which call ``execute_activity_method`` on the real
classes) and a test's own ``workflow.execute_activity("trace_shipment", ...)`` both reach
it. Every attempt is appended to ``calls`` as ``(name, args)`` before the shop is called,
so a retried activity shows up once per attempt. Port errors are the real classes
(``desk.ports.NotFound`` / ``Conflict``), which Temporal reports with those type names:
the workflows' retry policy treats them as non-retryable exactly as in production.

The mocks are ``async def`` (the real ones are sync), so a test worker needs no
``activity_executor``.

Kept simple:
- ``classify_message`` runs the in-repo local classifier (pure and deterministic), or the
  ``classifier`` passed in, e.g. ``lambda text, subject, attachments: Understanding(...)``.
- ``match_sender`` runs the real matching logic (``activities.lookup``) over the shop.
- ``route_message`` only records the routed message and returns its contact id: it starts
  no ContactWorkflow (that needs a client). A test that wants the contact started registers
  its own ``route_message`` instead (``mocked_activities(..., route=False)`` leaves it out).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from temporalio import activity

from activities.authority import AuthorityActivities
from activities.identity import IdentityActivities
from activities.lookup import LookupActivities
from desk.classifier import classify
from desk.classifier.llm import LocalClassify
from desk.config import PolicyConfig
from desk.models import (
    Address,
    AttemptVerdict,
    CarrierCase,
    Claim,
    ClaimKind,
    DecisionAuthority,
    DecisionCheck,
    ExecutionResult,
    InboundMessage,
    LineRef,
    Order,
    OwnerNotice,
    Reply,
    RoutedMessage,
    SenderMatch,
    TraceResult,
    Understanding,
    UnverifiedAttempt,
)
from desk.supervisors import SupervisorRegistry
from tests.fakes.shop import MemoryShop

ActivityCall = tuple[str, tuple[Any, ...]]

# The names the worker registers (workers/worker.py), route_message last.
MOCKED_ACTIVITY_NAMES: tuple[str, ...] = (
    "classify_message",
    "match_sender",
    "check_stock",
    "get_order",
    "record_claim",
    "trace_shipment",
    "file_carrier_search",
    "issue_refund",
    "create_replacement",
    "cancel_order_lines",
    "create_return_label",
    "update_order_address",
    "send_reply",
    "alert_supervisors",
    "open_contact",
    "close_contact",
    "route_message",
    "register_unverified_attempt",
    "notify_owner",
    "authorize_decision",
)


def calls_to(calls: list[ActivityCall], name: str) -> list[tuple[Any, ...]]:
    """The argument tuples of every attempt of one activity, in order."""
    return [args for called, args in calls if called == name]


def mocked_activities(
    shop: MemoryShop,
    calls: list[ActivityCall] | None = None,
    *,
    classifier: LocalClassify = classify,
    route: bool = True,
    supervisors: SupervisorRegistry | None = None,
    policy: PolicyConfig | None = None,
) -> list[Callable[..., Any]]:
    """One activity per activity of the worker, each delegating to ``shop`` (the decisions'
    authority to ``supervisors``: none, every decision refused)."""
    log: list[ActivityCall] = calls if calls is not None else []
    lookup = LookupActivities(shop, shop)
    identity = IdentityActivities(shop, shop, shop, policy or PolicyConfig())
    authority = AuthorityActivities(supervisors or SupervisorRegistry())

    def record(name: str, *args: Any) -> None:
        log.append((name, args))

    @activity.defn(name="classify_message")
    async def classify_message(message: InboundMessage) -> Understanding:
        record("classify_message", message)
        return classifier(message.text, message.subject, message.attachments)

    @activity.defn(name="match_sender")
    async def match_sender(message: InboundMessage, understanding: Understanding) -> SenderMatch:
        record("match_sender", message, understanding)
        return lookup.match_sender(message, understanding)

    @activity.defn(name="check_stock")
    async def check_stock(skus: list[str]) -> dict[str, int]:
        record("check_stock", skus)
        return shop.stock(skus)

    @activity.defn(name="get_order")
    async def get_order(number: str) -> Order:
        record("get_order", number)
        return shop.get_order(number)

    @activity.defn(name="record_claim")
    async def record_claim(customer_id: str, kind: ClaimKind, at: datetime, key: str) -> Claim:
        record("record_claim", customer_id, kind, at, key)
        return shop.record_claim(customer_id, kind, at, key)

    @activity.defn(name="trace_shipment")
    async def trace_shipment(tracking: str, as_of: datetime) -> TraceResult:
        record("trace_shipment", tracking, as_of)
        return shop.trace(tracking, as_of)

    @activity.defn(name="file_carrier_search")
    async def file_carrier_search(
        tracking: str, reason: str, filed_at: datetime, key: str
    ) -> CarrierCase:
        record("file_carrier_search", tracking, reason, filed_at, key)
        return shop.file_search(tracking, reason, filed_at, key)

    @activity.defn(name="issue_refund")
    async def issue_refund(
        order_number: str, amount: float, lines: list[LineRef], reason: str, key: str
    ) -> ExecutionResult:
        record("issue_refund", order_number, amount, lines, reason, key)
        return shop.refund(order_number, amount, lines, reason, key)

    @activity.defn(name="create_replacement")
    async def create_replacement(
        order_number: str, lines: list[LineRef], service: str, note: str | None, key: str
    ) -> ExecutionResult:
        record("create_replacement", order_number, lines, service, note, key)
        return shop.create_replacement(order_number, lines, service, note, key)

    @activity.defn(name="cancel_order_lines")
    async def cancel_order_lines(order_number: str, skus: list[str], key: str) -> Order:
        record("cancel_order_lines", order_number, skus, key)
        return shop.cancel_lines(order_number, skus, key)

    @activity.defn(name="create_return_label")
    async def create_return_label(order_number: str, lines: list[LineRef], key: str) -> str:
        record("create_return_label", order_number, lines, key)
        return shop.create_return_label(order_number, lines, key)

    @activity.defn(name="update_order_address")
    async def update_order_address(order_number: str, address: Address, key: str) -> Order:
        record("update_order_address", order_number, address, key)
        return shop.update_address(order_number, address, key)

    @activity.defn(name="send_reply")
    async def send_reply(contact_id: str, reply: Reply, key: str) -> str:
        record("send_reply", contact_id, reply, key)
        return shop.send_reply(contact_id, reply, key)

    @activity.defn(name="alert_supervisors")
    async def alert_supervisors(contact_id: str, text: str, level: int, key: str) -> str:
        record("alert_supervisors", contact_id, text, level, key)
        return shop.alert_supervisors(contact_id, text, level, key)

    @activity.defn(name="open_contact")
    async def open_contact(contact_id: str, customer_id: str, order_number: str) -> None:
        record("open_contact", contact_id, customer_id, order_number)
        shop.open_contact(contact_id, customer_id, order_number)

    @activity.defn(name="close_contact")
    async def close_contact(contact_id: str) -> None:
        record("close_contact", contact_id)
        shop.close_contact(contact_id)

    @activity.defn(name="route_message")
    async def route_message(routed: RoutedMessage) -> str:
        record("route_message", routed)
        return routed.contact_id

    @activity.defn(name="register_unverified_attempt")
    async def register_unverified_attempt(attempt: UnverifiedAttempt) -> AttemptVerdict:
        record("register_unverified_attempt", attempt)
        return identity.register_unverified_attempt(attempt)

    @activity.defn(name="notify_owner")
    async def notify_owner(notice: OwnerNotice) -> str | None:
        record("notify_owner", notice)
        return identity.notify_owner(notice)

    @activity.defn(name="authorize_decision")
    async def authorize_decision(check: DecisionCheck) -> DecisionAuthority:
        record("authorize_decision", check)
        return authority.authorize_decision(check)

    mocked: list[Callable[..., Any]] = [
        classify_message,
        match_sender,
        check_stock,
        get_order,
        record_claim,
        trace_shipment,
        file_carrier_search,
        issue_refund,
        create_replacement,
        cancel_order_lines,
        create_return_label,
        update_order_address,
        send_reply,
        alert_supervisors,
        open_contact,
        close_contact,
    ]
    if route:
        mocked.append(route_message)
    return [*mocked, register_unverified_attempt, notify_owner, authorize_decision]
