"""A carrier with no API to file a search (USPS Missing Mail): the desk prepares the request
with every field the form asks for, as a task for a person; the contact shows the task's
number, and the carrier's own case number once the person signals it back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from temporalio import activity
from temporalio.worker import Worker

from activities.carrier_search import CarrierSearchActivities
from desk.adapters.sandbox import SandboxShop
from desk.config import PolicyConfig
from desk.contact import ContactInput
from desk.models import (
    Carrier,
    CarrierCase,
    CarrierCaseFiled,
    Intent,
    MissingMailRequest,
    TraceResult,
)
from desk.ports import SearchNeedsOperator
from desk.routing import CUSTOMER_MESSAGE_SIGNAL
from devtools.test_server import start_test_server
from tests.fakes.activities import mocked_activities
from tests.playbooks.kit import Desk, delivered, line, shipment
from tests.waiting import until
from workflows.contact import ContactWorkflow


class NoSearchApi:
    """A carrier that tracks but cannot file a search (as USPS)."""

    def __init__(self, trace: object) -> None:
        self._trace = trace

    def trace(self, tracking: str, as_of: datetime) -> TraceResult:
        return self._trace(tracking, as_of)  # type: ignore[operator, no-any-return]

    def file_search(self, tracking: str, reason: str, filed_at: datetime, key: str) -> CarrierCase:
        raise SearchNeedsOperator(
            MissingMailRequest(
                carrier=Carrier.usps,
                tracking=tracking,
                reason=reason,
                recipient_name="Dana Reyes",
                recipient_address="12 Elm St, Springfield, IL 62701, US",
                sender_address="Shop, 1 Depot Rd, Chicago, IL 60601, US",
                mailing_date=filed_at - timedelta(days=7),
                contents="Black tee, M x2",
                value=64.0,
            )
        )


def test_the_activity_prepares_a_task_once_per_key(tmp_path: object) -> None:
    store = SandboxShop("sqlite://")
    store.create_all()
    search = CarrierSearchActivities(NoSearchApi(None), store)
    at = datetime(2026, 11, 30, 9, tzinfo=UTC)
    first = search.file_carrier_search("9400111899223100012345", "not received", at, "c-1:search")
    again = search.file_carrier_search("9400111899223100012345", "not received", at, "c-1:search")
    assert first.case_number == again.case_number == "TASK-1"
    [task] = store.open_tasks()
    assert task.contact_id == "c-1" and task.request.contents == "Black tee, M x2"
    assert task.request.recipient_address.startswith("12 Elm St")


async def test_the_contact_shows_the_task_then_the_carriers_case_number() -> None:
    env = await start_test_server()
    async with env:
        desk = Desk(env)
        t0 = await desk.t0()
        desk.add(line("TEE", 32.0), t0=t0, shipments=[shipment(*delivered(t0), t0=t0)])
        store = SandboxShop("sqlite://")
        store.create_all()
        real_search = CarrierSearchActivities(NoSearchApi(desk.shop.trace), store)

        @activity.defn(name="file_carrier_search")
        async def file_carrier_search(
            tracking: str, reason: str, filed_at: datetime, key: str
        ) -> CarrierCase:
            return real_search.file_carrier_search(tracking, reason, filed_at, key)

        mocked = [
            a
            for a in mocked_activities(desk.shop, desk.calls, route=False)
            if getattr(a, "__temporal_activity_definition").name != "file_carrier_search"
        ]
        first = desk.routed("never arrived, not in the mailbox", Intent.delivered_not_received)
        async with Worker(
            env.client,
            task_queue=desk.queue,
            workflows=[ContactWorkflow],
            activities=[*mocked, file_carrier_search],
        ):
            handle = await env.client.start_workflow(
                ContactWorkflow.run,
                ContactInput(contact_id=first.contact_id, policy=PolicyConfig()),
                id=first.contact_id,
                task_queue=desk.queue,
                start_signal=CUSTOMER_MESSAGE_SIGNAL,
                start_signal_args=[first],
            )

            async def task_shown() -> bool:
                return (await handle.query(ContactWorkflow.snapshot)).carrier_case == "TASK-1"

            await until(task_shown)
            await handle.signal(
                ContactWorkflow.carrier_case_filed,
                CarrierCaseFiled(case_number="MMS-123456789", by="ops@shop.example"),
            )

            async def case_shown() -> bool:
                snap = await handle.query(ContactWorkflow.snapshot)
                return snap.carrier_case == "MMS-123456789"

            await until(case_shown)
            snap = await handle.query(ContactWorkflow.snapshot)
            assert any("filed by hand" in e.text for e in snap.timeline)
            sent = " ".join(m.body for m in desk.shop.outbox())
            assert "a search with USPS" in sent and "TASK-1" not in sent  # no internal number
