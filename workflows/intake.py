"""Intake: a message is durably accepted first, then read, matched and routed.

Channel ingest starts this workflow and answers the webhook as soon as Temporal holds
it, so an order system that is down delays matching but loses nothing. A sender the desk
cannot verify is counted against the attempt limits (per sender and per order); over them,
the message stays here and reaches no contact.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.identity import IdentityActivities
    from activities.lookup import LookupActivities
    from activities.routing import RoutingActivities
    from activities.understanding import UnderstandingActivities
    from desk.models import (
        InboundMessage,
        RoutedMessage,
        SenderMatch,
        Understanding,
        UnverifiedAttempt,
    )
    from desk.policy.identity import sender_key
    from desk.routing import contact_id_for, intake_workflow_id

from workflows import metrics

# Lookups retry for as long as the order system is down: the message is safe meanwhile.
_PATIENT = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=5))
# Intakes begun before this patch read and matched in ordinary activities.
LOCAL_LOOKUPS = "intake-local-lookups"
# Intakes begun before this patch counted unverified attempts in no ledger.
ATTEMPT_LIMITS = "unverified-attempt-limits"
# One marker for both patches above (each marker is two events and a visibility write), and
# the attempt count and the routing run as local activities too: the whole intake is one
# workflow task. Intakes begun before it consult the two patches as they always did.
RELEASE = "intake-release-2026-12"
# Contact ids are one to one with the order number or customer id they name (``A/1`` and
# ``A:1`` were one contact before). Consulted only where the two ids differ, so the intake
# of an ordinary number records no marker; removable once no intake from before it replays.
DISTINCT_CONTACT_IDS = "distinct-contact-ids"


@workflow.defn(name="IntakeWorkflow")
class IntakeWorkflow:
    @workflow.run
    async def run(self, message: InboundMessage) -> RoutedMessage:
        if message.received_at is None:
            message = message.model_copy(update={"received_at": workflow.now()})
        # Reading and matching are quick lookups: local activities, in the workflow task
        # (one marker each instead of three activity events and a workflow task;
        # docs/performance.md); intakes begun before the patch used ordinary ones.
        released = workflow.patched(RELEASE)
        run: Any = (
            workflow.execute_local_activity_method
            if released or workflow.patched(LOCAL_LOOKUPS)
            else workflow.execute_activity_method
        )
        # Counting and routing are idempotent (the attempt's key, the message id in the
        # contact) and quick: local since the release.
        act: Any = (
            workflow.execute_local_activity_method if released else workflow.execute_activity_method
        )
        understanding: Understanding = await run(
            UnderstandingActivities.classify_message,
            message,
            start_to_close_timeout=timedelta(seconds=30),
            summary="read the message",
        )
        match: SenderMatch = await run(
            LookupActivities.match_sender,
            args=[message, understanding],
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=_PATIENT,
            summary="match customer and order",
        )
        contact_id = contact_id_for(match, message.sender)
        legacy_id = contact_id_for(match, message.sender, legacy=True)
        if contact_id != legacy_id and not workflow.patched(DISTINCT_CONTACT_IDS):
            contact_id = legacy_id
        routed = RoutedMessage(
            message=message, understanding=understanding, match=match, contact_id=contact_id
        )
        if not match.verified and (released or workflow.patched(ATTEMPT_LIMITS)):
            verdict = await act(
                IdentityActivities.register_unverified_attempt,
                UnverifiedAttempt(
                    key=intake_workflow_id(message),
                    sender_key=sender_key(message.channel, message.sender),
                    order_number=match.claimed_order,
                    at=workflow.now(),
                ),
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=_PATIENT,
                summary="count an unverified sender's attempt",
            )
            if not verdict.allowed:
                return routed.model_copy(update={"held_back": verdict.reason})
        await act(
            RoutingActivities.route_message,
            routed,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=_PATIENT,
            summary=f"route to {routed.contact_id}",
        )
        waited = workflow.now() - workflow.info().start_time
        metrics.routed(message.channel.value, waited.total_seconds())
        return routed
