"""The contact workflow: one customer problem about one order, from first message to close.

Orchestration only. Every rule lives in ``desk.policy`` (pure functions over the models),
every side effect in an activity, every word to the customer in ``desk.reply_text``.
Timers come from the contact's own ``PolicyConfig`` so a running contact keeps the numbers
it started with.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, NoReturn

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.carrier_search import CarrierSearchActivities
    from activities.lookup import LookupActivities
    from activities.replies import ReplyActivities
    from activities.resolution import ResolutionActivities
    from activities.tracing import TracingActivities
    from desk import reply_text as say
    from desk import search_attributes as sa
    from desk.config import PolicyConfig
    from desk.models import (
        CarrierCase,
        CarrierReading,
        ClaimKind,
        ContactSnapshot,
        ContactState,
        Customer,
        EscalationReason,
        Intent,
        Order,
        ProposedResolution,
        Reply,
        ResolutionKind,
        RoutedMessage,
        ScanStatus,
        Shipment,
        SupervisorAction,
        SupervisorDecision,
        Tier,
        TimelineEntry,
    )
    from desk.policy.carrier_record import primary_shipment, read_carrier_record
    from desk.policy.fraud_gate import earlier_claims
    from desk.policy.reship_or_refund import (
        Loss,
        affected_lines,
        override_proposal,
        plan_reship_or_refund,
    )
    from desk.policy.ship_by import add_business_days
    from desk.policy.supervisor_decisions import refusal
    from workflows.contact_input import ContactInput, ContactMemory

_QUICK = timedelta(seconds=30)
_RETRY = RetryPolicy(
    maximum_interval=timedelta(minutes=1), non_retryable_error_types=["NotFound", "Conflict"]
)
_HOLDING_REPLIES = 3  # a customer hears about a late specialist at most this often
_PLAYBOOKS_ADDED = {Intent.wrong_item, Intent.damaged_item, Intent.change_address}
_TOP_LEVEL = 3  # escalation levels: team, lead, manager


class _Finished(Exception):
    """The contact reached a final state; unwinds the playbook."""


@workflow.defn(name="ContactWorkflow")
class ContactWorkflow:
    def __init__(self) -> None:
        self.contact_id = ""
        self.cfg = PolicyConfig()
        self.state = ContactState.new
        self.routed: list[RoutedMessage] = []
        self.read_upto = 0
        self.customer: Customer | None = None
        self.order: Order | None = None
        self.shipment: Shipment | None = None
        self.evidence: CarrierReading | None = None
        self.case: CarrierCase | None = None
        self.proposal: ProposedResolution | None = None
        self.resolution: ResolutionKind | None = None
        self.autonomous: bool | None = None
        self.escalation_reason: EscalationReason | None = None
        self.escalation_level = 0
        self.escalated_at: datetime | None = None
        self.decisions: list[SupervisorDecision] = []
        self.pending_decision: SupervisorDecision | None = None
        self.refund_total = 0.0
        self.replacements: list[str] = []
        self.replies = 0
        self.decision_no = 0
        self.timeline: list[TimelineEntry] = []
        self.preference: str | None = None
        self._within_limit = False
        self.return_label: str | None = None
        self.sla_breaches = 0
        self.alerts = 0
        self.helpdesk_open = False
        self.reopened = False
        self.runs = 1

    # ------------------------------------------------------------ signals and queries

    @workflow.signal
    def customer_message(self, routed: RoutedMessage) -> None:
        if any(r.message.message_id == routed.message.message_id for r in self.routed):
            return  # a retried route or webhook: already recorded
        self.routed.append(routed)
        u = routed.understanding
        if u.preference and routed.match.verified:
            self.preference = u.preference
        self._note(
            "message",
            f"{routed.message.channel.value} from {routed.message.sender}: "
            f"{routed.message.text[:200]!r} (read as {u.intent.value} {u.confidence:.2f})",
            by="customer",
        )

    @workflow.signal
    def supervisor_decision(self, decision: SupervisorDecision) -> None:
        why_not = refusal(decision, self.state, self.proposal)
        if why_not is None and self.pending_decision is not None:
            why_not = "another decision is already being applied"
        if why_not:
            self._note(
                "decision_refused",
                f"{decision.action.value} by {decision.by}: {why_not}",
                by=decision.by,
            )
            return
        self.pending_decision = decision

    @workflow.query
    def snapshot(self) -> ContactSnapshot:
        first = self.routed[0].understanding if self.routed else None
        channels = list(dict.fromkeys(r.message.channel for r in self.routed))
        return ContactSnapshot(
            contact_id=self.contact_id,
            state=self.state,
            intent=first.intent if first else None,
            confidence=first.confidence if first else None,
            classifier_version=first.classifier_version if first else None,
            customer_id=self.customer.id if self.customer else None,
            customer_name=self.customer.name if self.customer else None,
            tier=self.customer.tier if self.customer else None,
            order_number=self.order.number if self.order else None,
            channels=channels,
            last_channel=self.routed[-1].message.channel if self.routed else None,
            evidence=self.evidence,
            carrier_case=self.case.case_number if self.case else None,
            proposed_resolution=self.proposal,
            resolution=self.resolution,
            autonomous=self.autonomous,
            escalation_reason=self.escalation_reason,
            escalation_level=self.escalation_level,
            escalated_at=self.escalated_at,
            refund_total=round(self.refund_total, 2),
            replacement_orders=self.replacements,
            replies_sent=self.replies,
            messages=[r.message for r in self.routed],
            decisions=self.decisions,
            timeline=self.timeline,
        )

    # ------------------------------------------------------------ the run

    @workflow.run
    async def run(self, input: ContactInput) -> ContactSnapshot:
        self.contact_id = input.contact_id
        self.cfg = input.policy
        if input.memory is not None:
            return await self._resume(input.memory)
        await workflow.wait_condition(lambda: bool(self.routed))
        first = self._take_message()
        assert first is not None
        self._adopt(first)

        async def from_the_first_message() -> None:
            message = first
            if not message.match.verified or message.match.problem in (
                "unknown_sender",
                "order_not_theirs",
            ):
                message = await self._verify_identity()
            await self._handle_safely(message)

        return await self._live(from_the_first_message)

    async def _live(self, until_resolved: Callable[[], Awaitable[None]]) -> ContactSnapshot:
        """A stage of the contact until it resolves, then the reopen window, then close."""
        # A resolution still opens the reopen window; a close ends the contact at once.
        with contextlib.suppress(_Finished):
            with contextlib.suppress(_Resolved):
                await until_resolved()
            await self._reopen_window()
        await self._helpdesk_close()
        self._note("closed", f"contact finished: {self.state.value}, {self._res()}")
        return self.snapshot()

    # ------------------------------------------------------------ long life

    _CARRIED = (
        "state",
        "routed",
        "read_upto",
        "customer",
        "order",
        "shipment",
        "evidence",
        "case",
        "proposal",
        "resolution",
        "autonomous",
        "escalation_reason",
        "escalation_level",
        "escalated_at",
        "sla_breaches",
        "decisions",
        "pending_decision",
        "refund_total",
        "replacements",
        "replies",
        "decision_no",
        "timeline",
        "preference",
        "return_label",
        "reopened",
        "runs",
        "alerts",
        "helpdesk_open",
    )
    _KEEP = 300  # messages and timeline entries carried into the next run

    def _continue_as_new_if_long(self, stage: str) -> None:
        """At a safe point, hand the contact to a fresh run before its history grows long."""
        info = workflow.info()
        length = info.get_current_history_length()
        if not (info.is_continue_as_new_suggested() or length >= self.cfg.max_history_events):
            return
        self._note(
            "continued", f"history at {length} events: continuing in a new run", rule="long_life"
        )
        dropped = max(0, len(self.routed) - self._KEEP)
        memory = ContactMemory(
            stage=stage,  # type: ignore[arg-type]
            **{name: getattr(self, name) for name in self._CARRIED},
        )
        memory.routed = self.routed[dropped:]
        memory.read_upto = max(0, self.read_upto - dropped)
        memory.timeline = self.timeline[-self._KEEP :]
        memory.runs = self.runs + 1
        workflow.continue_as_new(
            ContactInput(contact_id=self.contact_id, policy=self.cfg, memory=memory)
        )

    async def _resume(self, memory: ContactMemory) -> ContactSnapshot:
        for name in self._CARRIED:
            setattr(self, name, getattr(memory, name))
        self._upsert()
        self._note("resumed", f"run {self.runs} of this contact", rule="long_life")
        waiting = self._await_decision if memory.stage == "escalated" else self._human_owned
        return await self._live(waiting)

    async def _handle_safely(self, first: RoutedMessage) -> None:
        """A shop or carrier that refuses an action for good (the parcel shipped between our
        check and the cancellation, an order that vanished) must not fail the contact:
        a person takes it from there, with the refusal on the timeline."""
        await self._helpdesk_open()
        try:
            await self._handle(first)
        except ActivityError as err:
            cause = str(err.cause) if err.cause else str(err)
            self._note("action_failed", f"{err.activity_type} refused: {cause}")
            await self._escalate(
                EscalationReason.unclear_request,
                rule=f"an action was refused ({err.activity_type}: {cause}); a person decides",
            )

    async def _handle(self, first: RoutedMessage) -> None:
        u = first.understanding
        self._set_state(ContactState.investigating)
        if await self._hand_over_if_asked(first):
            return
        if u.intent == Intent.other or u.confidence < self.cfg.min_intent_confidence:
            await self._escalate(
                EscalationReason.unclear_request,
                rule=f"intents: {u.intent.value} at confidence {u.confidence:.2f} "
                f"(min {self.cfg.min_intent_confidence})",
            )
            return
        if self.order is None:
            await self._escalate(
                EscalationReason.unclear_request,
                rule=f"no order matched ({first.match.problem}); a person must identify it",
            )
            return
        playbooks = {
            Intent.where_is_my_order: self._where_is_my_order,
            Intent.delivered_not_received: self._delivered_not_received,
            Intent.cancel_order: self._cancel_order,
            Intent.wrong_item: self._wrong_item,
            Intent.damaged_item: self._damaged_item,
            Intent.change_address: self._change_address,
        }
        playbook = playbooks.get(u.intent)
        if u.intent in _PLAYBOOKS_ADDED and not workflow.patched("wrong-damaged-address-playbooks"):
            playbook = None  # a contact that escalated these before they were automated
        if playbook is None:
            await self._escalate(
                EscalationReason.unclear_request,
                rule=f"{u.intent.value} is not yet automated by this desk; a person decides",
            )
            return
        await playbook()

    # ------------------------------------------------------------ who is asking

    async def _verify_identity(self) -> RoutedMessage:
        self._note(
            "identity",
            "sender not verified for any order: no details, no action",
            rule="who_is_asking",
        )
        await self._reply(say.identity_request())
        self._set_state(ContactState.awaiting_customer)
        deadline = self.cfg.hours(2 * self.cfg.customer_reply_hours)
        verified = await self._wait_message(
            lambda r: r.match.verified and r.match.order is not None,
            deadline,
            "wait for a verified follow-up",
        )
        if verified is None:
            await self._finish(
                ResolutionKind.no_response,
                autonomous=True,
                rule="who_is_asking: no verified follow-up in 2x reply window",
            )
        assert verified is not None
        self._adopt(verified)
        return verified

    def _adopt(self, routed: RoutedMessage) -> None:
        if routed.match.customer:
            self.customer = routed.match.customer
        if routed.match.order:
            self.order = routed.match.order
            self.shipment = primary_shipment(
                self.order.shipments, routed.understanding.tracking_numbers
            )
        self._upsert()

    async def _hand_over_if_asked(self, routed: RoutedMessage) -> bool:
        u = routed.understanding
        if u.sensitive:
            await self._escalate(
                EscalationReason.sensitive, rule="intents: legal or chargeback threat"
            )
            return True
        if u.wants_human:
            await self._escalate(
                EscalationReason.customer_requested_human,
                rule="intents: customer asked for a person",
            )
            return True
        return False

    # ------------------------------------------------------------ where_is_my_order

    async def _where_is_my_order(self) -> None:
        order = self._order()
        reading = await self._trace()
        if reading.status == "not_shipped":
            ship_by = add_business_days(order.placed_at, self.cfg.handling_days)
            age = self._now() - order.placed_at
            await self._reply(say.not_shipped(order, ship_by))
            if age > timedelta(days=self.cfg.unshipped_escalate_days):
                await self._escalate(
                    EscalationReason.fulfillment_delay,
                    rule=f"wismo.1: unshipped {age.days} days after placing",
                )
                return
            await self._finish(
                ResolutionKind.info_only, rule="wismo.1: told status and ship-by date"
            )
        if reading.status == "delivered":
            await self._reply(say.delivered_info(order, reading))
            await self._finish(
                ResolutionKind.info_only,
                rule="wismo: delivered and the customer did not say it is missing",
            )
        await self._follow_parcel(reading)

    async def _follow_parcel(self, reading: CarrierReading) -> None:
        """WISMO steps 2-5 until the parcel is delivered, lost, or returned."""
        order = self._order()
        told_late = False
        while True:
            exception = reading.exception.value if reading.exception else None
            if exception == "return_to_sender":
                await self._escalate(
                    EscalationReason.returned_to_sender,
                    rule="wismo.5: carrier is returning it to sender",
                )
                return
            if reading.status == "exception" or reading.stalled:
                why = f"exception {exception}" if exception else "stalled"
                await self._file_search("lost in transit")
                await self._reply(say.lost(order, self.case))
                await self._reship_or_refund(
                    Loss.lost, rule=f"wismo.4: parcel {why}: presumed lost"
                )
                return
            if reading.status == "delivered":
                await self._reply(say.delivered_info(order, reading))
                await self._finish(ResolutionKind.info_only, rule="wismo.2: delivered")
            if not reading.late and reading.expected_delivery is not None:
                check_at = reading.expected_delivery + timedelta(days=1)
                await self._reply(say.in_transit(order, reading, check_at))
                wait = self._until(check_at)
            else:
                wait = self.cfg.hours(self.cfg.late_recheck_hours)
                if not told_late:
                    check_at = self._now() + timedelta(hours=self.cfg.late_recheck_hours)
                    await self._reply(say.late(order, reading, check_at))
                    told_late = True
            self._set_state(ContactState.awaiting_carrier)
            deadline = self._now() + wait
            while (
                msg := await self._wait_message(
                    lambda r: True, deadline - self._now(), "until the next carrier check"
                )
            ) is not None:
                if await self._hand_over_if_asked(msg):
                    return
                if msg.understanding.found_it:
                    await self._finish(
                        ResolutionKind.info_only, rule="wismo: customer says it arrived"
                    )
            reading = await self._trace()

    # ------------------------------------------------------------ delivered_not_received

    async def _held_by_fraud_gate(self, kind: ClaimKind, rule: str) -> bool:
        """Step 1 of delivered_not_received and wrong_item: record this claim, and send the
        contact to fraud review when earlier claims reach the limit."""
        claims = earlier_claims(self._customer().claims, self._now(), self.contact_id, self.cfg)
        await self._record_claim(kind)
        limit = self.cfg.repeat_claim_limit
        window = f"{self.cfg.claim_window_days:.0f} days"
        verdict = "fraud review" if claims >= limit else "passes"
        self._note(
            "fraud_gate",
            f"{claims} earlier not-received / wrong-item claims in {window} (limit {limit}): "
            f"{verdict}",
            rule=rule,
        )
        if claims < limit:
            return False
        await self._escalate(
            EscalationReason.fraud_review,
            rule=f"{rule}: {claims} earlier claims in {window} (limit {limit})",
        )
        return True

    async def _delivered_not_received(self) -> None:
        order = self._order()
        if await self._held_by_fraud_gate(ClaimKind.delivered_not_received, "dnr.1"):
            return
        reading = await self._trace()
        if reading.status != "delivered":
            self._note(
                "evidence",
                f"tracking does not show delivered ({reading.status}); following the parcel",
                rule="dnr: not delivered per carrier",
            )
            await self._follow_parcel(reading)
            return
        if reading.proof == "misdelivered":
            await self._misdelivered(reading)
            return
        if reading.proof == "strong":
            await self._strong_proof(reading)
            return
        assert reading.delivered_at is not None
        early_until = reading.delivered_at + timedelta(hours=self.cfg.early_claim_hours)
        if self._now() < early_until:
            await self._reply(say.early_claim(order, reading, early_until))
            self._set_state(ContactState.awaiting_customer)
            msg = await self._wait_message(
                lambda r: (
                    r.understanding.found_it
                    or r.understanding.wants_human
                    or r.understanding.sensitive
                ),
                self._until(early_until),
                "early-claim wait",
            )
            if msg is not None:
                if await self._hand_over_if_asked(msg):
                    return
                await self._finish(
                    ResolutionKind.found_by_customer, rule="dnr.5: arrived during early-claim wait"
                )
            reading = await self._trace()
            if reading.proof != "weak":
                self._note("evidence", f"after the early-claim wait the proof is {reading.proof}")
                if reading.proof == "strong":
                    await self._strong_proof(reading)
                else:
                    await self._misdelivered(reading)
                return
        await self._weak_proof(reading)

    async def _misdelivered(self, reading: CarrierReading) -> None:
        await self._file_search("misdelivery")
        # Contacts started before this reply existed replay without it.
        if workflow.patched("dnr-misdelivery-reply"):
            await self._reply(say.misdelivered(self._order(), reading, self.case))
        await self._reship_or_refund(Loss.misdelivered, rule="dnr.2: GPS shows misdelivery")

    async def _weak_proof(self, reading: CarrierReading) -> None:
        order, tier = self._order(), self._customer().tier
        await self._file_search("delivered, not received")
        assert self.case is not None
        followup = None
        if tier in (Tier.standard, Tier.new):
            followup = self._now() + timedelta(hours=self.cfg.carrier_followup_hours)
        await self._reply(say.weak_proof_search(order, self.case, followup))
        if tier == Tier.vip:
            await self._reship_or_refund(
                Loss.missing, rule="dnr.3 vip: weak proof, resolve at once"
            )
            return
        if tier == Tier.b2b:
            plan = await self._plan(Loss.missing)
            await self._escalate(
                EscalationReason.b2b_account,
                proposal=plan,
                rule="dnr.3 b2b: weak proof on a business account",
            )
            return
        await self._await_carrier(reading)

    async def _await_carrier(self, reading: CarrierReading) -> None:
        """dnr.3 standard/new: wait up to the follow-up window, re-tracing on a cadence."""
        self._set_state(ContactState.awaiting_carrier)
        window_ends = self._now() + self.cfg.hours(self.cfg.carrier_followup_hours)
        original = reading.delivered_at
        while self._now() < window_ends:
            step = min(self.cfg.hours(self.cfg.retrace_hours), window_ends - self._now())
            msg = await self._wait_message(lambda r: True, step, "carrier follow-up / re-trace")
            if msg is not None:
                if await self._hand_over_if_asked(msg):
                    return
                if msg.understanding.found_it:
                    await self._reply(say.found_by_customer(self._order()))
                    await self._finish(
                        ResolutionKind.found_by_customer, rule="dnr.3: customer found it"
                    )
                continue
            latest = await self._trace()
            found_scan = (
                latest.delivered_at is not None
                and original is not None
                and latest.delivered_at > original
            )
            if (self.case and self.case.status == "found") or found_scan:
                await self._reply(say.carrier_found(self._order()))
                await self._finish(ResolutionKind.carrier_found, rule="dnr.3: carrier found it")
            if self.case and self.case.status == "not_found":
                self._note(
                    "carrier",
                    f"carrier search {self.case.case_number} found nothing; "
                    "not waiting out the window",
                    rule="dnr.3: search closed not found",
                )
                break
        await self._reship_or_refund(
            Loss.missing, rule="dnr.3: carrier did not find it in the window"
        )

    async def _strong_proof(self, reading: CarrierReading) -> None:
        order, tier = self._order(), self._customer().tier
        msg = await self._ask_then_remind(
            lambda by: say.strong_proof(order, reading, by),
            lambda by: say.reminder(order, by),
            lambda r: True,
            "wait for the customer to check",
        )
        if msg is None:
            await self._finish(ResolutionKind.no_response, rule="dnr.4: no reply after a reminder")
        assert msg is not None
        if await self._hand_over_if_asked(msg):
            return
        if msg.understanding.found_it:
            await self._reply(say.found_by_customer(order))
            await self._finish(ResolutionKind.found_by_customer, rule="dnr.4: customer found it")
        if tier == Tier.vip:
            await self._reship_or_refund(Loss.missing, rule="dnr.4 vip: goodwill despite proof")
            return
        plan = await self._plan(Loss.missing)
        await self._escalate(
            EscalationReason.delivered_with_proof,
            proposal=plan,
            rule="dnr.4: still missing despite strong proof",
        )

    # ------------------------------------------------------------ cancel_order

    async def _shipped_skus(self) -> set[str]:
        """SKUs the carrier has accepted: a label alone is not shipped (it can be voided)."""
        order = self._order()
        shipped: set[str] = set()
        for shipment in order.shipments:
            trace = await self._trace_shipment(shipment)
            if any(e.status != ScanStatus.label_created for e in trace.events):
                shipped.update(shipment.skus or [ln.sku for ln in order.lines])
        return shipped

    async def _cancel_order(self) -> None:
        order, tier = self._order(), self._customer().tier
        shipped_skus = await self._shipped_skus()
        open_lines = [ln for ln in order.lines if not ln.cancelled]
        unshipped = [ln for ln in open_lines if ln.sku not in shipped_skus]
        if not unshipped:
            await self._reply(say.cancel_denied(order))
            await self._finish(
                ResolutionKind.cancel_denied_shipped, rule="cancel.3: already shipped"
            )
        partial = len(unshipped) < len(open_lines)
        refund = round(
            sum(ln.total for ln in unshipped) + (0 if partial else order.shipping_cost), 2
        )
        proposal = ProposedResolution(
            kind=ResolutionKind.cancelled,
            refund_lines=affected_lines(order, [ln.sku for ln in unshipped]),
            refund_amount=refund,
            refund_shipping=0 if partial else order.shipping_cost,
            money_at_stake=refund,
            rule="cancel.2: cancel unshipped lines" if partial else "cancel.1: not shipped",
            facts={"tier": tier.value, "unshipped": ", ".join(ln.sku for ln in unshipped)},
        )
        if tier == Tier.b2b:
            await self._escalate(
                EscalationReason.b2b_account,
                proposal=proposal,
                rule="cancel.1: b2b cancellations go to a person",
            )
            return
        await self._execute(proposal)
        await self._reply(say.cancelled(order, refund, partial))
        await self._finish(ResolutionKind.cancelled, rule=proposal.rule)

    # ------------------------------------------------------------ wrong_item, damaged_item

    def _lines_named(self) -> list[str]:
        """The order lines the customer's messages name (by SKU or a word of the product
        name); none named means every line, as in a one-item order."""
        text = " ".join(r.message.text.lower() for r in self.routed)
        named = []
        for ln in self._order().lines:
            words = [w for w in ln.name.lower().replace(",", " ").split() if len(w) > 3]
            if ln.sku.lower() in text or any(w in text for w in words):
                named.append(ln.sku)
        return named

    async def _wrong_item(self) -> None:
        customer, order = self._customer(), self._order()
        if await self._held_by_fraud_gate(ClaimKind.wrong_item, "wrong_item.1"):
            return
        skus = self._lines_named()
        value = sum(ln.total for ln in affected_lines(order, skus))
        threshold = self.cfg.return_required_above[customer.tier]
        returns = value > threshold
        await self._reship_or_refund(
            Loss.wrong_item,
            rule=f"wrong_item.2: wrong item worth {value:.2f}; return label "
            f"{'needed' if returns else 'not needed'} (threshold {threshold:.2f})",
            skus=skus,
            return_label=returns,
        )

    async def _damaged_item(self) -> None:
        order = self._order()
        await self._record_claim(ClaimKind.damaged_item)
        if not any(r.understanding.has_image for r in self.routed):
            msg = await self._ask_then_remind(
                lambda by: say.photo_request(order, by),
                lambda by: say.photo_reminder(order, by),
                lambda r: r.understanding.has_image,
                "wait for a photo of the damage",
            )
            if msg is None:
                await self._finish(
                    ResolutionKind.no_response, rule="damaged_item.1: no photo after a reminder"
                )
            assert msg is not None
            if await self._hand_over_if_asked(msg):
                return
        self._set_state(ContactState.investigating)
        await self._reship_or_refund(
            Loss.damaged, rule="damaged_item.2: photo received", skus=self._lines_named()
        )

    # ------------------------------------------------------------ change_address

    async def _change_address(self) -> None:
        order = self._order()
        if await self._shipped_skus():
            await self._reply(say.address_too_late(order))
            await self._finish(
                ResolutionKind.info_only, rule="change_address.2: shipped; carrier redirect"
            )
        address = next(
            (
                r.understanding.new_address
                for r in reversed(self.routed)
                if r.understanding.new_address
            ),
            None,
        )
        if address is None:
            msg = await self._ask_then_remind(
                lambda by: say.address_request(order, by),
                lambda by: say.address_reminder(order, by),
                lambda r: r.understanding.new_address is not None,
                "wait for the new address",
            )
            if msg is None:
                await self._finish(
                    ResolutionKind.no_response, rule="change_address.1: no usable address given"
                )
            assert msg is not None
            if await self._hand_over_if_asked(msg):
                return
            address = msg.understanding.new_address
        assert address is not None
        if not address.country:
            # A customer moving within the country rarely writes it; the order's applies.
            address = address.model_copy(update={"country": order.address.country})
        self._set_state(ContactState.investigating)
        self.decision_no += 1
        try:
            self.order = await workflow.execute_activity_method(
                ResolutionActivities.update_order_address,
                args=[order.number, address, f"{self.contact_id}:d{self.decision_no}:address"],
                start_to_close_timeout=_QUICK,
                retry_policy=_RETRY,
                summary="update the shipping address",
            )
        except ActivityError as err:
            self._note("address", f"address not changed: {err.cause}", rule="change_address")
            await self._reply(say.address_too_late(order))
            await self._finish(
                ResolutionKind.info_only, rule="change_address.2: shipped before the change"
            )
        await self._reply(say.address_updated(self._order(), address))
        await self._finish(
            ResolutionKind.address_updated,
            rule=f"change_address.1: not shipped; new address {address.one_line()}",
        )

    # ------------------------------------------------------------ reship or refund

    async def _plan(self, loss: Loss, skus: list[str] | None = None) -> ProposedResolution:
        order = self._order()
        if skus is None:
            skus = self.shipment.skus if self.shipment and self.shipment.skus else None
        lines = affected_lines(order, skus)
        stock = await workflow.execute_activity_method(
            LookupActivities.check_stock,
            [ln.sku for ln in lines],
            start_to_close_timeout=_QUICK,
            retry_policy=_RETRY,
            summary="check stock",
        )
        whole = not skus or set(ln.sku for ln in order.lines if not ln.cancelled) <= set(skus)
        plan = plan_reship_or_refund(
            order=order,
            lines=lines,
            loss=loss,
            tier=self._customer().tier,
            stock=stock,
            preference=self.preference,  # type: ignore[arg-type]
            whole_order_in_shipment=whole,
            service=self.shipment.service if self.shipment else "ground",
            cfg=self.cfg,
        )
        self._within_limit = plan.within_limit
        return plan.proposal

    async def _reship_or_refund(
        self, loss: Loss, rule: str, skus: list[str] | None = None, return_label: bool = False
    ) -> None:
        proposal = await self._plan(loss, skus)
        if return_label:
            proposal = proposal.model_copy(update={"return_label": True})
        facts = ", ".join(f"{k}={v}" for k, v in proposal.facts.items())
        if not self._within_limit:
            await self._escalate(
                EscalationReason.over_limit,
                proposal=proposal,
                rule=f"{rule}; reship_or_refund.4: {proposal.money_at_stake:.2f} over the "
                f"limit ({facts})",
            )
            return
        self._note("decision", f"{proposal.kind.value}: {proposal.rule} ({facts})", rule=rule)
        result_replacement = await self._execute(proposal)
        await self._reply(say.resolution_done(proposal, result_replacement, self.return_label))
        await self._finish(proposal.kind, rule=f"{rule}; {proposal.rule}")

    async def _execute(self, proposal: ProposedResolution) -> str | None:
        """Carry out a resolution exactly once: keys derive from contact and decision number."""
        order = self._order()
        self.decision_no += 1
        key = f"{self.contact_id}:d{self.decision_no}"
        replacement = None
        if proposal.kind == ResolutionKind.cancelled:
            self.order = await workflow.execute_activity_method(
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
                self.replacements.append(replacement)
        if proposal.return_label:
            lines = proposal.reship_lines + proposal.refund_lines
            label = await workflow.execute_activity_method(
                ResolutionActivities.create_return_label,
                args=[order.number, lines, f"{key}:return"],
                start_to_close_timeout=_QUICK,
                retry_policy=_RETRY,
                summary="create a return label",
            )
            self.return_label = label
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
            self.refund_total += result.refunded
        self._note("executed", f"{proposal.kind.value} executed (key {key})", rule=proposal.rule)
        return replacement

    # ------------------------------------------------------------ escalation

    async def _escalate(
        self, reason: EscalationReason, rule: str, proposal: ProposedResolution | None = None
    ) -> None:
        tier = self.customer.tier if self.customer else Tier.standard
        self.escalation_reason = reason
        self.proposal = proposal
        self.escalated_at = self._now()
        self.escalation_level = max(self.escalation_level, 1)
        self.autonomous = False  # whatever comes next, a supervisor decides it
        self._set_state(ContactState.escalated)
        what = (
            f"; proposed {proposal.kind.value} ({proposal.money_at_stake:.2f})" if proposal else ""
        )
        self._note("escalated", f"{reason.value}{what}", rule=rule)
        sla_hours = self.cfg.escalation_sla_hours[tier]
        await self._alert_supervisors(f"new escalation: {reason.value}{what}")
        await self._reply(say.escalated(self._now() + timedelta(hours=sla_hours)))
        self.sla_breaches = 0
        await self._await_decision()

    async def _await_decision(self) -> None:
        tier = self.customer.tier if self.customer else Tier.standard
        sla_hours = self.cfg.escalation_sla_hours[tier]
        while self.pending_decision is None:
            # Past the top level, reminders slow to daily: the contact may wait on a person
            # for weeks, and its history must not fill with timers.
            wait_hours = sla_hours if self.escalation_level < _TOP_LEVEL else max(sla_hours, 24)
            try:
                await workflow.wait_condition(
                    lambda: self.pending_decision is not None,
                    timeout=self.cfg.hours(wait_hours),
                    timeout_summary=f"escalation SLA {wait_hours:g}h ({tier.value})",
                )
            except TimeoutError:
                self.sla_breaches += 1
                self.escalation_level = min(self.escalation_level + 1, _TOP_LEVEL)
                self._upsert()
                self._note(
                    "sla_breached",
                    f"no decision for {self.sla_breaches} SLA period(s): "
                    f"supervisors reminded, level {self.escalation_level}",
                    rule="escalation.4",
                )
                await self._alert_supervisors(
                    f"reminder: no decision for {self.sla_breaches} SLA period(s) "
                    f"({wait_hours:g}h each), escalation level {self.escalation_level}"
                )
                if self.sla_breaches <= _HOLDING_REPLIES:
                    await self._reply(say.holding(self._now() + timedelta(hours=wait_hours)))
                self._continue_as_new_if_long("escalated")
        await self._apply_decision()

    async def _apply_decision(self) -> None:
        decision = self.pending_decision
        assert decision is not None
        self.pending_decision = None
        self.read_upto = len(self.routed)  # messages while escalated were shown to the supervisor
        self.decisions.append(decision)
        self._note(
            "decision",
            f"{decision.action.value}: {decision.note}",
            by=decision.by,
            rule="escalation.3",
        )
        if decision.action == SupervisorAction.reject:
            if decision.note:
                await self._reply(decision.note)
            await self._finish(
                ResolutionKind.rejected, autonomous=False, rule="escalation.3 reject"
            )
        if decision.action == SupervisorAction.take_over:
            self._set_state(ContactState.human_owned)
            await self._reply(say.human_taking_over())
            await self._human_owned()

        if decision.action == SupervisorAction.approve:
            proposal = self.proposal
        else:
            assert decision.resolution is not None
            proposal = (
                override_proposal(
                    decision.resolution, decision.amount, self.proposal, self._order()
                )
                if self.order
                else ProposedResolution(kind=decision.resolution, rule="supervisor override")
            )
        assert proposal is not None
        replacement = None
        if proposal.kind in (
            ResolutionKind.reship,
            ResolutionKind.refund,
            ResolutionKind.reship_and_refund,
            ResolutionKind.cancelled,
        ):
            replacement = await self._execute(proposal)
            await self._reply(say.resolution_done(proposal, replacement, self.return_label))
        await self._finish(
            proposal.kind,
            autonomous=False,
            rule=f"escalation.3 {decision.action.value} by {decision.by}",
        )

    async def _human_owned(self) -> NoReturn:
        """A person owns the contact: record messages, act on nothing, until they close it."""
        if workflow.patched("human-owned-daily-history-check"):
            while True:
                try:
                    await workflow.wait_condition(
                        lambda: self.pending_decision is not None,
                        timeout=self.cfg.hours(24),
                        timeout_summary="owned by a person (daily history check)",
                    )
                    break
                except TimeoutError:
                    self._continue_as_new_if_long("human_owned")
        else:
            await workflow.wait_condition(lambda: self.pending_decision is not None)
        closing = self.pending_decision
        assert closing is not None
        self.pending_decision = None
        self.decisions.append(closing)
        self.resolution = closing.resolution
        self.autonomous = False
        self._set_state(ContactState.closed)
        self._note("closed_by_human", closing.note, by=closing.by, rule="escalation.3 take_over")
        raise _Finished

    # ------------------------------------------------------------ after resolution

    async def _reopen_window(self) -> None:
        if self.state != ContactState.resolved or self.reopened:
            return
        self.reopened = True
        ends = self._now() + self.cfg.hours(self.cfg.reopen_hours)
        while self._now() < ends:
            msg = await self._wait_message(lambda r: True, ends - self._now(), "reopen window")
            if msg is None:
                return
            u = msg.understanding
            if u.thanks and not (u.dispute or u.still_missing):
                self._note("closed", "customer thanked us", rule="after_resolution")
                return
            if u.found_it:
                self._note(
                    "found_after_resolution",
                    "recorded; no clawback, no new action",
                    rule="after_resolution",
                )
                continue
            if u.dispute or u.still_missing or u.wants_human or u.sensitive:
                reason = (
                    EscalationReason.sensitive
                    if u.sensitive
                    else EscalationReason.customer_disputes
                )
                self.resolution = None
                await self._escalate(reason, rule="after_resolution: customer disputes")
                return

    # ------------------------------------------------------------ building blocks

    def _now(self) -> datetime:
        return workflow.now()

    def _until(self, moment: datetime) -> timedelta:
        """A wait until a shop date, scaled like every policy timer (demos run fast)."""
        remaining = max(moment - self._now(), timedelta(0))
        return timedelta(seconds=remaining.total_seconds() * self.cfg.time_scale)

    def _order(self) -> Order:
        assert self.order is not None
        return self.order

    def _customer(self) -> Customer:
        assert self.customer is not None
        return self.customer

    def _res(self) -> str:
        return self.resolution.value if self.resolution else "no resolution"

    def _take_message(self) -> RoutedMessage | None:
        if self.read_upto < len(self.routed):
            self.read_upto += 1
            return self.routed[self.read_upto - 1]
        return None

    async def _wait_message(
        self, wanted: Callable[[RoutedMessage], bool], timeout: timedelta, summary: str
    ) -> RoutedMessage | None:
        """The next unread message that matters here, or None when the timer fires first."""
        deadline = self._now() + timeout
        while True:
            while (msg := self._take_message()) is not None:
                # Once the contact belongs to a verified order, a message from anyone else
                # is recorded but never acted on ("found it" from a stranger closes nothing).
                if self.order is not None and not msg.match.verified:
                    continue
                if wanted(msg):
                    return msg
            remaining = deadline - self._now()
            if remaining <= timedelta(0):
                return None
            try:
                await workflow.wait_condition(
                    lambda: self.read_upto < len(self.routed),
                    timeout=remaining,
                    timeout_summary=summary,
                )
            except TimeoutError:
                return None

    async def _reply(self, body: str) -> None:
        # Replies go to the customer, never to an unverified sender who wrote about the order.
        verified = [r.message for r in self.routed if r.match.verified]
        last = verified[-1] if verified and self.order is not None else self.routed[-1].message
        self.replies += 1
        reply = Reply(
            channel=last.channel,
            to=last.sender,
            subject=f"Re: {last.subject}" if last.subject else None,
            body=body,
        )
        await workflow.execute_activity_method(
            ReplyActivities.send_reply,
            args=[self.contact_id, reply, f"{self.contact_id}:r{self.replies}"],
            start_to_close_timeout=_QUICK,
            retry_policy=_RETRY,
            summary=f"reply on {last.channel.value}",
        )
        self._note("reply", body)

    async def _ask_then_remind(
        self,
        ask: Callable[[datetime], str],
        remind: Callable[[datetime], str],
        wanted: Callable[[RoutedMessage], bool],
        summary: str,
    ) -> RoutedMessage | None:
        """Ask the customer, wait ``customer_reply_hours``, remind once, wait again. The
        answer, a message asking for a person (or threatening), or None after the reminder."""
        for text in (ask, remind):
            reply_by = self._now() + timedelta(hours=self.cfg.customer_reply_hours)
            await self._reply(text(reply_by))
            self._set_state(ContactState.awaiting_customer)
            msg = await self._wait_message(
                lambda r: wanted(r) or r.understanding.wants_human or r.understanding.sensitive,
                self.cfg.hours(self.cfg.customer_reply_hours),
                summary,
            )
            if msg is not None:
                return msg
        return None

    async def _helpdesk_open(self) -> None:
        """Tell the helpdesk this customer's conversation about the order is open, so their
        follow-ups that name no order find it."""
        if self.customer is None or self.order is None:
            return
        if not workflow.patched("helpdesk-open-contacts"):
            return
        self.helpdesk_open = True
        await workflow.execute_activity_method(
            ReplyActivities.open_contact,
            args=[self.contact_id, self.customer.id, self.order.number],
            start_to_close_timeout=_QUICK,
            retry_policy=_RETRY,
            summary="open the conversation in the helpdesk",
        )

    async def _helpdesk_close(self) -> None:
        if not self.helpdesk_open:
            return
        await workflow.execute_activity_method(
            ReplyActivities.close_contact,
            self.contact_id,
            start_to_close_timeout=_QUICK,
            retry_policy=_RETRY,
            summary="close the conversation in the helpdesk",
        )

    async def _alert_supervisors(self, text: str) -> None:
        # Contacts escalated before supervisors were alerted replay without the alerts.
        if not workflow.patched("supervisor-alerts"):
            return
        self.alerts += 1
        await workflow.execute_activity_method(
            ReplyActivities.alert_supervisors,
            args=[
                self.contact_id,
                text,
                self.escalation_level,
                f"{self.contact_id}:a{self.alerts}",
            ],
            start_to_close_timeout=_QUICK,
            retry_policy=_RETRY,
            summary=f"alert supervisors (level {self.escalation_level})",
        )

    async def _trace_shipment(self, shipment: Shipment) -> Shipment:
        result = await workflow.execute_activity_method(
            TracingActivities.trace_shipment,
            args=[shipment.tracking, self._now()],
            start_to_close_timeout=_QUICK,
            retry_policy=_RETRY,
            summary=f"trace {shipment.carrier.value} {shipment.tracking}",
        )
        if result.case is not None:
            self.case = result.case
        return result.shipment

    async def _trace(self) -> CarrierReading:
        order = self._order()
        if self.shipment is None:
            reading = CarrierReading(status="not_shipped")
        else:
            try:
                shipment = await self._trace_shipment(self.shipment)
            except ActivityError as err:
                self._note(
                    "evidence", f"carrier has no record of {self.shipment.tracking}: {err.cause}"
                )
                shipment = self.shipment.model_copy(update={"events": []})
            reading = read_carrier_record(shipment, order.address, self._now(), self.cfg)
        self.evidence = reading
        facts = (
            f" proof {reading.proof} ({'; '.join(reading.proof_facts)})" if reading.proof else ""
        )
        flags = "".join(f" {f}" for f in ("late", "stalled") if getattr(reading, f))
        self._note(
            "evidence", f"carrier record: {reading.status}{flags}{facts}", rule="carrier_record"
        )
        return reading

    async def _file_search(self, reason: str) -> None:
        if self.shipment is None or (self.case is not None):
            return
        self.case = await workflow.execute_activity_method(
            CarrierSearchActivities.file_carrier_search,
            args=[self.shipment.tracking, reason, self._now(), f"{self.contact_id}:search"],
            start_to_close_timeout=_QUICK,
            retry_policy=_RETRY,
            summary=f"file carrier search ({reason})",
        )
        self._upsert()
        self._note(
            "carrier_search",
            f"{self.case.kind} filed: case {self.case.case_number} ({reason})",
            rule="carrier_search",
        )

    async def _record_claim(self, kind: ClaimKind) -> None:
        await workflow.execute_activity_method(
            LookupActivities.record_claim,
            args=[self._customer().id, kind, self._now(), f"{self.contact_id}:claim"],
            start_to_close_timeout=_QUICK,
            retry_policy=_RETRY,
            summary="record claim",
        )

    async def _finish(
        self, resolution: ResolutionKind, rule: str, autonomous: bool | None = None
    ) -> NoReturn:
        self.resolution = resolution
        # What arrived before the resolution was already part of this decision.
        self.read_upto = len(self.routed)
        self.autonomous = (not self.decisions) if autonomous is None else autonomous
        self._set_state(resolution.final_state)
        self._note(
            "resolved",
            f"{resolution.value} ({'autonomous' if self.autonomous else 'supervisor'})",
            rule=rule,
        )
        if resolution.final_state == ContactState.closed:
            raise _Finished
        raise _Resolved

    def _note(self, kind: str, text: str, rule: str | None = None, by: str = "desk") -> None:
        self.timeline.append(TimelineEntry(at=self._now(), kind=kind, text=text, by=by, rule=rule))
        self._details()

    def _set_state(self, state: ContactState) -> None:
        self.state = state
        self._upsert()
        self._details()

    def _details(self) -> None:
        lines = [
            f"**{self.state.value}**"
            + (
                f" — {self.escalation_reason.value}"
                if self.state == ContactState.escalated and self.escalation_reason
                else ""
            )
        ]
        if self.order:
            lines.append(
                f"order {self.order.number}"
                + (
                    f", {self.customer.tier.value} customer {self.customer.name}"
                    if self.customer
                    else ""
                )
            )
        if self.evidence:
            lines.append(
                f"carrier: {self.evidence.status}"
                + (f", proof {self.evidence.proof}" if self.evidence.proof else "")
            )
        if self.case:
            lines.append(f"carrier case {self.case.case_number} ({self.case.status})")
        if self.proposal:
            p = self.proposal
            lines.append(f"proposed: {p.kind.value} {p.money_at_stake:.2f} — {p.rule}")
        if self.resolution:
            who = "autonomous" if self.autonomous else "supervisor"
            lines.append(f"resolution: {self.resolution.value} ({who})")
        for entry in self.timeline[-5:]:
            why = f" [{entry.rule}]" if entry.rule else ""
            lines.append(f"- {entry.at:%m-%d %H:%M} {entry.kind}: {entry.text[:140]}{why}")
        workflow.set_current_details("\n".join(lines))

    def _upsert(self) -> None:
        updates: list[SearchAttributeUpdate[Any]] = [sa.CONTACT_STATE.value_set(self.state.value)]
        if self.routed:
            updates.append(sa.INTENT.value_set(self.routed[0].understanding.intent.value))
            updates.append(
                sa.CHANNELS.value_set(
                    list(dict.fromkeys(r.message.channel.value for r in self.routed))
                )
            )
        if self.customer:
            updates.append(sa.CUSTOMER_TIER.value_set(self.customer.tier.value))
        if self.order:
            updates.append(sa.ORDER_NUMBER.value_set(self.order.number))
        if self.resolution:
            updates.append(sa.RESOLUTION.value_set(self.resolution.value))
        if self.autonomous is not None:
            updates.append(sa.AUTONOMOUS.value_set(self.autonomous))
        if self.escalation_reason:
            updates.append(sa.ESCALATION_REASON.value_set(self.escalation_reason.value))
        if self.case:
            updates.append(sa.CARRIER_CASE.value_set(self.case.case_number))
        workflow.upsert_search_attributes(updates)


class _Resolved(_Finished):
    """A final resolution that still opens the reopen window."""
