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
    """The contact's summary card in the UI (markdown): the intent, the order number, the
    customer's tier and the channel it came in on; ids and states only, never a name, an
    email, a phone number, an address or the message's words. Set once, when the first
    message starts the contact."""
    intent = routed.understanding.intent.value
    match = routed.match
    if match.order:
        about = f"order {match.order.number}"
    elif match.customer:
        about = f"customer {match.customer.id}, no order"
    elif match.claimed_order:
        about = f"order {match.claimed_order}, unverified sender"
    else:
        about = "unidentified sender"
    facts = [f"tier {match.customer.tier.value}" if match.customer else "tier unknown"]
    facts.append(f"via {routed.message.channel.value}")
    return f"**{intent}** — {about}\n\n{' · '.join(facts)}"
