"""A message handed straight to the desk's intake workflow, as channel ingest hands it
(the same workflow id, so a second delivery is the same intake), for scripts and tests
that skip the HTTP layer."""

from __future__ import annotations

from temporalio.client import Client

from desk.models import InboundMessage, RoutedMessage
from desk.routing import INTAKE_WORKFLOW, intake_workflow_id


async def route(client: Client, message: InboundMessage, task_queue: str) -> RoutedMessage:
    """Start the message's intake and wait for it to be read, matched and routed."""
    handle = await client.start_workflow(
        INTAKE_WORKFLOW,
        message,
        id=intake_workflow_id(message),
        task_queue=task_queue,
        result_type=RoutedMessage,
    )
    return await handle.result()
