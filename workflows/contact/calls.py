"""The one place the contact workflow calls activities.

Each function is one lookup or side effect through the desk's ports, with its timeout,
retry policy, idempotency key and a summary operators read in the UI. Keys derive from the
contact id and the record's counters, which never go back, so a retried activity or a
replaced worker never pays, ships or sends twice. Activity names and argument lists are
those in-flight contacts already call: they never change; a new activity takes one input
model.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.authority import AuthorityActivities
    from activities.carrier_search import CarrierSearchActivities
    from activities.identity import IdentityActivities
    from activities.lookup import LookupActivities
    from activities.replies import ReplyActivities
    from activities.resolution import ResolutionActivities
    from activities.tracing import TracingActivities
    from desk import reply_text as say
    from desk.models import (
        Address,
        CarrierReading,
        Channel,
        ClaimKind,
        DecisionAuthority,
        DecisionCheck,
        OwnerNotice,
        ProposedResolution,
        Reply,
        ResolutionKind,
        Shipment,
        TraceResult,
    )
    from desk.policy.carrier_record import read_carrier_record, with_merchant_record
    from desk.policy.rules import Rule
    from desk.ports import FINAL_ERRORS

from workflows import metrics
from workflows.contact.context import Contact
from workflows.contact.patches import Patch, patched, released

# Calls to the merchant's systems are quick or they failed; the retry policy keeps trying
# (a down order system delays, never loses). The ports' NotFound, Conflict and Refused are
# answers, not outages: they are not retried and the workflow decides what they mean.
_QUICK = timedelta(seconds=30)
_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=1), non_retryable_error_types=FINAL_ERRORS)


# ---------------------------------------------------------------- the customer and supervisors


async def reply(c: Contact, body: str) -> None:
    """Answer on the channel last used by the customer — never to an unverified sender who
    wrote about the order."""
    verified = [r.message for r in c.rec.routed if r.match.verified]
    last = verified[-1] if verified and c.rec.order is not None else c.rec.routed[-1].message
    request = c.request
    if request is not None and request.match.verified and c.rec.order and not c.request_named:
        # The first answer to a request says how the desk read it: a misreading shows.
        intent = request.understanding.intent.value
        body = f"{say.understood(intent, c.rec.order.number)} {body}"
        c.request_named = True
    c.rec.replies += 1
    message = Reply(
        channel=last.channel,
        to=last.sender,
        subject=f"Re: {say.plain(last.subject, 150)}" if last.subject else None,
        body=body,
    )
    await _notice(
        ReplyActivities.send_reply,
        [c.id, message, f"{c.id}:r{c.rec.replies}"],
        f"reply on {last.channel.value}",
    )
    c.note("reply", body)


async def notify_owner(c: Contact, order_number: str, channel: Channel) -> None:
    """Tell the owner of the order an unverified sender named, on the identity on file;
    the contact learns nothing of it (the activity reads the identity, not the workflow)."""
    c.rec.notices += 1
    await _notice(
        IdentityActivities.notify_owner,
        [
            OwnerNotice(
                contact_id=c.id,
                order_number=order_number,
                channel=channel,
                key=f"{c.id}:notice{c.rec.notices}",
            )
        ],
        "tell the order's owner on the identity on file",
    )


async def authorize_decision(c: Contact, check: DecisionCheck) -> DecisionAuthority:
    """The registry's word on a supervisor decision (signature, freshness, role limit);
    refused: an ActivityError whose cause says why."""
    return await workflow.execute_activity_method(
        AuthorityActivities.authorize_decision,
        check,
        start_to_close_timeout=_QUICK,
        retry_policy=_RETRY,
        summary=f"check {check.decision.by}'s authority",
    )


async def alert_supervisors(c: Contact, text: str) -> None:
    # Contacts escalated before supervisors were alerted replay without the alerts.
    if not patched(Patch.supervisor_alerts):
        return
    c.rec.alerts += 1
    await _notice(
        ReplyActivities.alert_supervisors,
        [c.id, text, c.rec.escalation_level, f"{c.id}:a{c.rec.alerts}"],
        f"alert supervisors (level {c.rec.escalation_level})",
    )


async def helpdesk_open(c: Contact) -> None:
    """Tell the helpdesk this customer's conversation about the order is open, so their
    follow-ups that name no order find it."""
    if c.rec.customer is None or c.rec.order is None:
        return
    if not patched(Patch.helpdesk_open_contacts):
        return
    c.rec.helpdesk_open = True
    await _notice(
        ReplyActivities.open_contact,
        [c.id, c.rec.customer.id, c.rec.order.number],
        "open the conversation in the helpdesk",
    )


async def helpdesk_close(c: Contact) -> None:
    if not c.rec.helpdesk_open:
        return
    await _notice(ReplyActivities.close_contact, [c.id], "close the conversation in the helpdesk")


# ---------------------------------------------------------------- the carrier


async def trace_shipment(c: Contact, shipment: Shipment) -> Shipment:
    """The shipment's scans as of now; a carrier search's latest state comes along."""
    result: TraceResult = await _lookup(
        TracingActivities.trace_shipment,
        [shipment.tracking, c.now()],
        f"trace {shipment.carrier.value} {shipment.tracking}",
    )
    if result.case is not None:
        c.rec.case = result.case
    return with_merchant_record(result.shipment, shipment)


async def trace_all(c: Contact) -> list[Shipment]:
    """Every shipment of the order, traced as of now (to see which lines have shipped)."""
    return [await trace_shipment(c, shipment) for shipment in c.order.shipments]


async def read_carrier(c: Contact) -> CarrierReading:
    """Trace the contact's shipment and read its record (POLICY.md "Reading the carrier
    record"); the reading becomes the contact's evidence."""
    if c.rec.shipment is None:
        reading = CarrierReading(status="not_shipped")
    else:
        try:
            shipment = await trace_shipment(c, c.rec.shipment)
        except ActivityError as err:
            c.note("evidence", f"carrier has no record of {c.rec.shipment.tracking}: {err.cause}")
            shipment = c.rec.shipment.model_copy(update={"events": []})
        reading = read_carrier_record(shipment, c.order.address, c.now(), c.cfg)
    c.rec.evidence = reading
    facts = f" proof {reading.proof} ({'; '.join(reading.proof_facts)})" if reading.proof else ""
    flags = "".join(f" {f}" for f in ("late", "stalled") if getattr(reading, f))
    c.note("evidence", f"carrier record: {reading.status}{flags}{facts}", rule=Rule.carrier_record)
    return reading


async def file_search(c: Contact, reason: str) -> None:
    """POLICY.md "Carrier search": at most once per shipment, the case logged."""
    if c.rec.shipment is None or c.rec.case is not None:
        return
    c.rec.case = await workflow.execute_activity_method(
        CarrierSearchActivities.file_carrier_search,
        args=[c.rec.shipment.tracking, reason, c.now(), f"{c.id}:search"],
        start_to_close_timeout=_QUICK,
        retry_policy=_RETRY,
        summary=f"file carrier search ({reason})",
    )
    c.upsert()
    c.note(
        "carrier_search",
        f"{c.rec.case.kind} filed: case {c.rec.case.case_number} ({reason})",
        rule=Rule.carrier_search,
    )


# ---------------------------------------------------------------- the order system


async def record_claim(c: Contact, kind: ClaimKind) -> None:
    args = [c.customer.id, kind, c.now(), f"{c.id}:claim"]
    await _notice(LookupActivities.record_claim, args, "record claim")


async def check_stock(skus: list[str]) -> dict[str, int]:
    stock: dict[str, int] = await _lookup(LookupActivities.check_stock, [skus], "check stock")
    return stock


async def _lookup(activity: Callable[..., Any], args: list[Any], summary: str) -> Any:
    """A lookup, idempotent and quick: a local activity, run in the workflow task (a marker
    in the history instead of three activity events and a workflow task;
    docs/performance.md), or an ordinary one in histories from before that change."""
    return await _run(activity, args, summary, local=patched(Patch.local_lookups))


async def _notice(activity: Callable[..., Any], args: list[Any], summary: str) -> Any:
    """A message or record that moves no money or goods, idempotent by its key and quick:
    a local activity since the release, an ordinary one in histories from before it."""
    return await _run(activity, args, summary, local=released())


async def _run(activity: Callable[..., Any], args: list[Any], summary: str, *, local: bool) -> Any:
    run: Any = workflow.execute_local_activity_method if local else workflow.execute_activity_method
    return await run(
        activity, args=args, start_to_close_timeout=_QUICK, retry_policy=_RETRY, summary=summary
    )


async def update_address(c: Contact, address: Address) -> None:
    """Move the unshipped order to the new address (a decision: its own key)."""
    c.rec.decision_no += 1
    c.rec.order = await workflow.execute_activity_method(
        ResolutionActivities.update_order_address,
        args=[c.order.number, address, f"{c.id}:d{c.rec.decision_no}:address"],
        start_to_close_timeout=_QUICK,
        retry_policy=_RETRY,
        summary="update the shipping address",
    )


async def execute(c: Contact, proposal: ProposedResolution) -> str | None:
    """Carry out a resolution exactly once: every key derives from the contact and the
    decision number. Returns the replacement order's number, if one was made."""
    order = c.order
    c.rec.decision_no += 1
    key = f"{c.id}:d{c.rec.decision_no}"
    replacement = None
    if proposal.kind == ResolutionKind.cancelled:
        c.rec.order = await workflow.execute_activity_method(
            ResolutionActivities.cancel_order_lines,
            args=[order.number, [ln.sku for ln in proposal.refund_lines], f"{key}:cancel"],
            start_to_close_timeout=_QUICK,
            retry_policy=_RETRY,
            summary="cancel order lines",
        )
    if proposal.reship_lines:
        result = await workflow.execute_activity_method(
            ResolutionActivities.create_replacement,
            args=[
                order.number,
                proposal.reship_lines,
                proposal.service or "ground",
                proposal.delivery_note,
                f"{key}:reship",
            ],
            start_to_close_timeout=_QUICK,
            retry_policy=_RETRY,
            summary=f"reship {len(proposal.reship_lines)} line(s)",
        )
        replacement = result.replacement_order
        if replacement:
            c.rec.replacements.append(replacement)
            metrics.money(c.rec, 0.0, sum(line.total for line in proposal.reship_lines))
    if proposal.return_label:
        c.rec.return_label = await workflow.execute_activity_method(
            ResolutionActivities.create_return_label,
            args=[order.number, proposal.reship_lines + proposal.refund_lines, f"{key}:return"],
            start_to_close_timeout=_QUICK,
            retry_policy=_RETRY,
            summary="create a return label",
        )
    if proposal.refund_amount > 0:
        result = await workflow.execute_activity_method(
            ResolutionActivities.issue_refund,
            args=[
                order.number,
                proposal.refund_amount,
                proposal.refund_lines,
                proposal.rule,
                f"{key}:refund",
            ],
            start_to_close_timeout=_QUICK,
            retry_policy=_RETRY,
            summary=f"refund {proposal.refund_amount:.2f}",
        )
        c.rec.refund_total += result.refunded
        metrics.money(c.rec, result.refunded, 0.0)
    c.note(
        "executed",
        f"{proposal.kind.value} executed (key {key}): {proposal.rule}",
        rule=Rule.reship_or_refund_6,
    )
    return replacement
