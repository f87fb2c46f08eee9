"""Handing a read and matched message to its contact with signal-with-start.

Runs as an activity because only a client can signal-with-start; a retry after the
signal landed is harmless since the contact drops message ids it has already seen.
"""

from __future__ import annotations

from temporalio import activity
from temporalio.client import Client

from desk.config import PolicyConfig
from desk.contact import ContactInput
from desk.models import RoutedMessage
from desk.policy.identity import as_carried
from desk.routing import CONTACT_WORKFLOW, CUSTOMER_MESSAGE_SIGNAL


class RoutingActivities:
    def __init__(self, client: Client, task_queue: str, policy: PolicyConfig) -> None:
        self.client = client
        self.task_queue = task_queue
        self.policy = policy

    @activity.defn
    async def route_message(self, routed: RoutedMessage) -> str:
        await self.client.start_workflow(
            CONTACT_WORKFLOW,
            ContactInput(contact_id=routed.contact_id, policy=self.policy),
            id=routed.contact_id,
            task_queue=self.task_queue,
            start_signal=CUSTOMER_MESSAGE_SIGNAL,
            start_signal_args=[as_carried(routed, self.policy)],
            static_summary=static_summary(routed),
        )
        return routed.contact_id


def static_summary(routed: RoutedMessage) -> str:
    """The contact's one-line summary in the UI: the intent and an id, never a name, an
    email, a phone number or an address."""
    intent = routed.understanding.intent.value
    if routed.match.order:
        return f"{intent}: order {routed.match.order.number}"
    if routed.match.customer:
        return f"{intent}: customer {routed.match.customer.id}"
    return f"{intent}: unidentified sender"
