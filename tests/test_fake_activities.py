"""The mocked activities are drop-in: real names, real argument lists, real errors.

A tiny workflow defined here calls them by name on the time-skipping server; then the
desk's own intake and contact workflows run a whole cancellation on them.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

with workflow.unsafe.imports_passed_through():
    from activities.routing import RoutingActivities
    from desk.adapters.sandbox import SandboxShop
    from desk.config import PolicyConfig
    from desk.models import (
        Address,
        Carrier,
        CarrierCase,
        Channel,
        ContactState,
        Customer,
        Identity,
        InboundMessage,
        Order,
        OrderLine,
        OrderStatus,
        ResolutionKind,
        RoutedMessage,
        ScanEvent,
        ScanStatus,
        Shipment,
        Tier,
        TraceResult,
    )
    from desk.routing import INTAKE_WORKFLOW, intake_workflow_id
    from devtools.scenarios.format import load_scenario
    from devtools.test_server import start_test_server
    from tests.fakes import (
        MOCKED_ACTIVITY_NAMES,
        ActivityCall,
        MemoryShop,
        SearchOutcome,
        calls_to,
        mocked_activities,
    )
    from tests.markers import patch_markers
    from tests.senders import AUTHENTICATED
    from tests.waiting import until
    from workers.worker import WORKFLOWS, desk_activities
    from workflows.contact import ContactWorkflow

TASK_QUEUE = "fake-activities"
TRACKING = "9400100000000000000777"
_QUICK = timedelta(seconds=10)
# As the contact workflow retries: port errors by type name are final.
_RETRY = RetryPolicy(
    maximum_interval=timedelta(seconds=1), non_retryable_error_types=["NotFound", "Conflict"]
)


@workflow.defn(name="TraceThenSearch")
class TraceThenSearch:
    """Trace, file a search, wait past its delay, trace again; or report the error."""

    @workflow.run
    async def run(self, tracking: str) -> list[str]:
        try:
            first = await self._trace(tracking)
        except ActivityError as err:
            cause = err.cause
            assert isinstance(cause, ApplicationError)
            retry = err.retry_state.name if err.retry_state else ""
            return ["failed", cause.type or "", retry, cause.message]
        case = await workflow.execute_activity(
            "file_carrier_search",
            args=[tracking, "weak proof", workflow.now(), f"{workflow.info().workflow_id}:search"],
            result_type=CarrierCase,
            start_to_close_timeout=_QUICK,
            retry_policy=_RETRY,
        )
        await workflow.sleep(timedelta(hours=31))
        later = await self._trace(tracking)
        return [
            first.shipment.events[-1].status.value,
            case.case_number,
            case.status,
            later.case.status if later.case else "no case",
        ]

    async def _trace(self, tracking: str) -> TraceResult:
        return await workflow.execute_activity(
            "trace_shipment",
            args=[tracking, workflow.now()],
            result_type=TraceResult,
            start_to_close_timeout=_QUICK,
            retry_policy=_RETRY,
        )


def _shop(t0: datetime) -> MemoryShop:
    """One customer with one order delivered to a mailbox, built with the builders."""
    shop = MemoryShop()
    shop.add_customer(
        Customer(
            id="C-1",
            name="Kim Vo",
            tier=Tier.standard,
            identities=[Identity(kind="email", value="kim@example.com")],
        )
    )
    shop.add_order(
        Order(
            number="777",
            customer_id="C-1",
            placed_at=t0 - timedelta(days=6),
            status=OrderStatus.fulfilled,
            address=Address(line1="4 Ash Ct", city="Tulsa", postal_code="74103", country="US"),
            lines=[OrderLine(sku="LAMP", name="Lamp", qty=1, unit_price=40.0)],
            shipments=[
                Shipment(
                    carrier=Carrier.usps,
                    tracking=TRACKING,
                    events=[
                        ScanEvent(at=t0 - timedelta(days=5), status=ScanStatus.accepted),
                        ScanEvent(at=t0 - timedelta(days=2), status=ScanStatus.delivered),
                    ],
                )
            ],
        ),
        searches={TRACKING: SearchOutcome("not_found", timedelta(hours=30))},
    )
    return shop


@pytest.fixture
async def env() -> AsyncIterator[WorkflowEnvironment]:
    env = await start_test_server()
    async with env:
        yield env


def _definition(fn: Callable[..., Any]) -> tuple[str, list[tuple[str, Any]], Any]:
    signature = inspect.signature(fn, eval_str=True)
    name = activity._Definition.must_from_callable(fn).name or ""
    return (
        name,
        [(p.name, p.annotation) for p in signature.parameters.values()],
        signature.return_annotation,
    )


def test_every_activity_of_the_worker_is_mocked_with_its_real_signature() -> None:
    real = desk_activities(cast(Client, object()), SandboxShop("sqlite://"), "q", PolicyConfig())
    mocked = mocked_activities(MemoryShop())
    real_defs = {d[0]: d for d in map(_definition, real)}
    mocked_defs = {d[0]: d for d in map(_definition, mocked)}
    assert tuple(mocked_defs) == MOCKED_ACTIVITY_NAMES
    assert set(mocked_defs) == set(real_defs)
    for name, definition in mocked_defs.items():
        assert definition == real_defs[name], name
    assert "route_message" not in {
        d[0] for d in map(_definition, mocked_activities(MemoryShop(), route=False))
    }


async def test_a_workflow_calls_mocked_activities_by_name(env: WorkflowEnvironment) -> None:
    t0 = await env.get_current_time()
    shop = _shop(t0)
    calls: list[ActivityCall] = []
    async with Worker(
        env.client,
        task_queue=TASK_QUEUE,
        workflows=[TraceThenSearch],
        activities=mocked_activities(shop, calls),
    ):
        result = await env.client.execute_workflow(
            TraceThenSearch.run, TRACKING, id="probe-1", task_queue=TASK_QUEUE
        )
    [case] = shop.carrier_cases(t0 + timedelta(hours=31))
    assert result == ["delivered", case.case_number, "open", "not_found"]
    assert case.case_number.startswith("MMS-") and case.status == "not_found"
    assert [name for name, _ in calls] == [
        "trace_shipment",
        "file_carrier_search",
        "trace_shipment",
    ]
    [(tracking, reason, filed_at, key)] = calls_to(calls, "file_carrier_search")
    assert (tracking, reason, key) == (TRACKING, "weak proof", "probe-1:search")
    assert isinstance(filed_at, datetime) and filed_at - t0 < timedelta(minutes=1)
    # The second trace ran on workflow time, 31 skipped hours later.
    [(_, first_as_of), (_, later_as_of)] = calls_to(calls, "trace_shipment")
    assert later_as_of - first_as_of >= timedelta(hours=31)


async def test_a_port_error_reaches_the_workflow_as_the_real_one_does(
    env: WorkflowEnvironment,
) -> None:
    shop = _shop(await env.get_current_time())
    calls: list[ActivityCall] = []
    async with Worker(
        env.client,
        task_queue=TASK_QUEUE,
        workflows=[TraceThenSearch],
        activities=mocked_activities(shop, calls),
    ):
        result = await env.client.execute_workflow(
            TraceThenSearch.run, "1Z-NOWHERE", id="probe-2", task_queue=TASK_QUEUE
        )
    assert result == [
        "failed",
        "NotFound",
        "NON_RETRYABLE_FAILURE",
        "no shipment with tracking 1Z-NOWHERE",
    ]
    # Not retried: one attempt, as the real activity under the contact's retry policy.
    [(tracking, _as_of)] = calls_to(calls, "trace_shipment")
    assert tracking == "1Z-NOWHERE"
    assert shop.carrier_cases(datetime.now(UTC)) == []


async def test_the_desk_cancels_an_order_on_the_mocked_activities(
    env: WorkflowEnvironment,
) -> None:
    """The real intake and contact workflows, a real route_message, every other activity
    mocked: a cancellation before the carrier scans the parcel."""
    root = Path(__file__).resolve().parents[1]  # here, not at import: the sandbox re-imports
    scenario = load_scenario(root / "scenarios" / "p3-cancel-label-created.yaml")
    shop = MemoryShop.from_scenario(scenario, await env.get_current_time())
    calls: list[ActivityCall] = []
    policy = PolicyConfig()
    routing = RoutingActivities(env.client, TASK_QUEUE, policy)
    first = scenario.messages[0]
    message = InboundMessage(
        message_id="fake-1",
        channel=first.channel,
        sender=first.sender,
        text=first.text,
        auth=AUTHENTICATED,
    )
    async with Worker(
        env.client,
        task_queue=TASK_QUEUE,
        workflows=WORKFLOWS,
        activities=[*mocked_activities(shop, calls, route=False), routing.route_message],
    ):
        routed = await env.client.execute_workflow(
            INTAKE_WORKFLOW,
            message,
            id=intake_workflow_id(message),
            task_queue=TASK_QUEUE,
            result_type=RoutedMessage,
        )
        assert routed.contact_id == "contact-order-633232" and routed.match.verified
        handle = env.client.get_workflow_handle(routed.contact_id)

        async def resolved() -> bool:
            snap = await handle.query(ContactWorkflow.snapshot)
            return snap.state == ContactState.resolved

        await until(resolved)
        snap = await handle.query(ContactWorkflow.snapshot)

    assert snap.resolution == ResolutionKind.cancelled and snap.autonomous is True
    [(number, skus, cancel_key)] = calls_to(calls, "cancel_order_lines")
    assert (number, skus) == ("633232", ["YOGAMAT-6MM"])
    [refund] = calls_to(calls, "issue_refund")
    assert (
        refund[0] == "633232"
        and refund[1] == 40.5
        and refund[-1].removesuffix(":refund") == cancel_key.removesuffix(":cancel")
    )
    assert shop.refund_total(["633232"]) == 40.5
    cancelled = shop.get_order("633232")
    assert cancelled.status == OrderStatus.cancelled and cancelled.shipments[0].label_voided
    assert [m.to for m in shop.outbox(routed.contact_id)] == [first.sender] * snap.replies_sent
    assert snap.replies_sent >= 1
    assert calls_to(calls, "open_contact") == [(routed.contact_id, "C-P332", "633232")]


async def test_two_orders_whose_numbers_differ_in_unsafe_characters_get_two_contacts(
    env: WorkflowEnvironment,
) -> None:
    """``A/1`` and ``A:1`` once made the same contact id (one contact for two customers'
    orders). The intake now names them apart, behind a patch consulted only where the old
    and new ids differ: an ordinary number's intake records no marker."""
    t0 = await env.get_current_time()
    shop = MemoryShop()
    for n, number in enumerate(["A/1", "A:1", "60102"]):
        shop.add_customer(
            Customer(
                id=f"C-{n}",
                name=f"Customer {n}",
                tier=Tier.standard,
                identities=[Identity(kind="email", value=f"c{n}@example.com")],
            )
        )
        shop.add_order(
            Order(
                number=number,
                customer_id=f"C-{n}",
                placed_at=t0 - timedelta(days=3),
                status=OrderStatus.unfulfilled,
                address=Address(line1="4 Ash Ct", city="Tulsa", postal_code="74103", country="US"),
                lines=[OrderLine(sku="LAMP", name="Lamp", qty=1, unit_price=40.0)],
            )
        )
    routed: dict[str, RoutedMessage] = {}
    markers: dict[str, list[str]] = {}
    async with Worker(
        env.client, task_queue=TASK_QUEUE, workflows=WORKFLOWS, activities=mocked_activities(shop)
    ):
        for n, number in enumerate(["A/1", "A:1", "60102"]):
            message = InboundMessage(
                message_id=f"distinct-{n}",
                channel=Channel.email,
                sender=f"c{n}@example.com",
                text="Where is my order? It has not shipped yet.",
                auth=AUTHENTICATED,
            )
            handle = await env.client.start_workflow(
                INTAKE_WORKFLOW,
                message,
                id=intake_workflow_id(message),
                task_queue=TASK_QUEUE,
                result_type=RoutedMessage,
            )
            routed[number] = await handle.result()
            markers[number] = patch_markers(await handle.fetch_history())
    assert all(r.match.verified for r in routed.values())
    assert [r.match.order.number for r in routed.values() if r.match.order] == [
        "A/1",
        "A:1",
        "60102",
    ]
    ids = [r.contact_id for r in routed.values()]
    assert len(set(ids)) == 3, ids
    assert ids[2] == "contact-order-60102"
    assert ids[0].startswith("contact-order-A_1~") and ids[1].startswith("contact-order-A_1~")
    assert "distinct-contact-ids" in markers["A/1"] and "distinct-contact-ids" in markers["A:1"]
    assert "distinct-contact-ids" not in markers["60102"]
