"""What operators see without the codec server carries ids and states, not personal data:
the current-details card (workflows/contact/visibility.py) and the static summary
(activities/routing.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from desk.contact import ContactRecord
from desk.models import (
    Address,
    CarrierCase,
    CarrierReading,
    Channel,
    ContactState,
    Customer,
    EscalationReason,
    Identity,
    InboundMessage,
    Intent,
    Order,
    OrderLine,
    OrderStatus,
    ProposedResolution,
    ResolutionKind,
    RoutedMessage,
    SenderMatch,
    Tier,
    TimelineEntry,
    Understanding,
)
from workflows.contact.visibility import details_card

T0 = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
NAME = "Ottilie Brandwijk-Saarinen"
EMAIL = "ottilie.brandwijk@example.net"
PHONE = "+1 415 555 0142"
STREET = "742 Evergreen Terrace"
CITY = "Springfield"
POSTCODE = "97403"
SECRET_WORDS = "my neighbour Jim Hollis took it"
SUPERVISOR = "dana.supervisor@shop.example"
PERSONAL = [NAME, "Ottilie", EMAIL, PHONE, "555 0142", STREET, "Evergreen", CITY, POSTCODE]
PERSONAL += [SECRET_WORDS, "Jim Hollis", SUPERVISOR, "1 Other Road"]

ADDRESS = Address(line1=STREET, city=CITY, region="OR", postal_code=POSTCODE, country="US")
CUSTOMER = Customer(
    id="C-4471",
    name=NAME,
    tier=Tier.vip,
    identities=[Identity(kind="email", value=EMAIL), Identity(kind="phone", value=PHONE)],
)
ORDER = Order(
    number="88123",
    customer_id="C-4471",
    placed_at=T0 - timedelta(days=9),
    status=OrderStatus.fulfilled,
    address=ADDRESS,
    lines=[OrderLine(sku="SKU-1", name="Lamp", qty=1, unit_price=120.0)],
)


def routed(n: int, channel: Channel, sender: str, verified: bool = True) -> RoutedMessage:
    return RoutedMessage(
        message=InboundMessage(
            message_id=f"m{n}",
            channel=channel,
            sender=sender,
            subject=f"Order 88123 — {NAME}",
            text=f"Hi, this is {NAME} at {STREET}, {CITY}. {SECRET_WORDS}. Call {PHONE}.",
        ),
        understanding=Understanding(intent=Intent.delivered_not_received, confidence=0.93),
        match=SenderMatch(customer=CUSTOMER, order=ORDER, verified=verified),
        contact_id="contact-order-88123",
    )


def entry(minutes: int, kind: str, text: str, rule: str | None = None, by: str = "desk"):
    return TimelineEntry(at=T0 + timedelta(minutes=minutes), kind=kind, text=text, by=by, rule=rule)


def message_note(minutes: int, r: RoutedMessage) -> TimelineEntry:
    # As Contact.receive writes it.
    m = r.message
    return entry(
        minutes,
        "message",
        f"{m.channel.value} from {m.sender}: {m.text[:200]!r} (read as delivered_not_received "
        "0.93)",
        by="customer",
    )


def full_record() -> ContactRecord:
    first = routed(1, Channel.email, EMAIL)
    second = routed(2, Channel.sms, PHONE, verified=False)  # someone else, on sms
    timeline = [
        message_note(0, first),
        entry(1, "evidence", f"carrier record: delivered proof strong (handed off: '{NAME}')"),
        entry(2, "reply", f"Dear {NAME}, we are looking into order 88123 at {STREET}."),
        message_note(3, second),
        entry(4, "address", f"address not changed: {STREET}, {CITY} {POSTCODE} is invalid"),
        entry(
            5, "escalated", f"over_limit; proposed refund (120.00): {NAME} asked", "escalation_1"
        ),
        entry(6, "decision_refused", f"approve by {SUPERVISOR}: over your limit", by=SUPERVISOR),
        entry(7, "decision", f"approve: ok, {NAME} is a good customer", "escalation_3"),
        entry(8, "resolved", f"reship (supervisor): not shipped; new address 1 Other Road, {CITY}"),
        entry(9, "action_failed", f"update_shipping_address refused: {STREET} unknown"),
        entry(10, "closed_by_human", f"called {NAME} on {PHONE}", by=SUPERVISOR),
        entry(11, "reply", f"Thanks {NAME}! Your parcel is on its way to {STREET}."),
        entry(12, "fraud_gate", "1 earlier not-received / wrong-item claims in 365 days (limit 2)"),
    ]
    return ContactRecord(
        state=ContactState.escalated,
        routed=[first, second],
        customer=CUSTOMER,
        order=ORDER,
        evidence=CarrierReading(
            status="delivered", proof="strong", proof_facts=[f"handed off: '{NAME}'"], late=True
        ),
        case=CarrierCase(
            case_number="FEDEX-TRACE-0042",
            carrier="fedex",
            tracking="771234567890",
            kind="trace",
            reason=f"customer {NAME} says missing",
            filed_at=T0,
        ),
        proposal=ProposedResolution(
            kind=ResolutionKind.refund,
            refund_amount=120.0,
            money_at_stake=120.0,
            rule="reship_or_refund_3",
            delivery_note=f"leave with {NAME} at {STREET}",
            facts={"customer": NAME, "email": EMAIL},
        ),
        escalation_reason=EscalationReason.over_limit,
        timeline=timeline,
    )


def test_the_card_carries_no_personal_data() -> None:
    card = details_card(full_record())
    for value in PERSONAL:
        assert value not in card, f"{value!r} is in the card:\n{card}"
    assert "@" not in card


def test_the_card_keeps_ids_states_amounts_and_rules() -> None:
    card = details_card(full_record())
    lines = card.splitlines()
    assert lines[0] == "**escalated** — over_limit"
    assert "order 88123, vip customer" in card
    assert "carrier: delivered late, proof strong" in card
    assert "carrier case FEDEX-TRACE-0042 (open)" in card
    assert "proposed: refund 120.00 — reship_or_refund_3" in card
    # The last five timeline entries: kinds, their id or state token, rule ids.
    assert lines[-5:] == [
        "- 11-02 09:38 resolved reship",
        "- 11-02 09:39 action_failed update_shipping_address",
        "- 11-02 09:40 closed_by_human",
        "- 11-02 09:41 reply on email",  # to the last verified message's channel
        "- 11-02 09:42 fraud_gate: 1 earlier not-received / wrong-item claims in 365 days "
        "(limit 2)",
    ]


def test_messages_and_replies_show_only_kind_and_channel() -> None:
    rec = full_record()
    rec.timeline = rec.timeline[:6]  # message, evidence, reply, message, address, escalated
    card = details_card(rec)
    assert card.splitlines()[-5:] == [
        "- 11-02 09:31 evidence",
        "- 11-02 09:32 reply on email",
        "- 11-02 09:33 message on sms",
        "- 11-02 09:34 address",
        "- 11-02 09:35 escalated over_limit [escalation_1]",
    ]
    rec.timeline, rec.routed = rec.timeline[:1], rec.routed[:1]
    assert details_card(rec).splitlines()[-1] == "- 11-02 09:30 message on email"


def test_a_customer_without_an_order_shows_by_id() -> None:
    rec = ContactRecord(customer=CUSTOMER)
    card = details_card(rec)
    assert "vip customer C-4471, no order" in card
    assert NAME not in card


def test_static_summary_names_ids_never_people() -> None:
    from activities.routing import static_summary

    with_order = routed(1, Channel.email, EMAIL)
    assert static_summary(with_order) == (
        "**delivered_not_received** — order 88123\n\ntier vip · via email"
    )
    customer_only = with_order.model_copy(
        update={"match": SenderMatch(customer=CUSTOMER, verified=True, problem="no_order")}
    )
    assert static_summary(customer_only) == (
        "**delivered_not_received** — customer C-4471, no order\n\ntier vip · via email"
    )
    claimed = with_order.model_copy(
        update={"match": SenderMatch(problem="unauthenticated", claimed_order="88123")}
    )
    assert static_summary(claimed) == (
        "**delivered_not_received** — order 88123, unverified sender\n\ntier unknown · via email"
    )
    stranger = with_order.model_copy(update={"match": SenderMatch(problem="unknown_sender")})
    assert static_summary(stranger) == (
        "**delivered_not_received** — unidentified sender\n\ntier unknown · via email"
    )
    for summary in map(static_summary, (with_order, customer_only, claimed, stranger)):
        assert all(value not in summary for value in PERSONAL)
        assert "@" not in summary


def test_the_card_says_what_the_contact_waits_for_and_until_when() -> None:
    rec = full_record()
    rec.state = ContactState.awaiting_carrier
    rec.waiting_for = "carrier follow-up / re-trace"
    rec.waiting_until = datetime(2026, 11, 3, 14, 0, tzinfo=UTC)  # a Tuesday
    card = details_card(rec)
    assert card.splitlines()[0] == "**awaiting_carrier** — next re-trace Tue 03 Nov 14:00 UTC"
    assert "delivered_not_received on email, sms" in card

    rec.state = ContactState.escalated
    rec.escalation_level = 2
    rec.waiting_for = "escalation SLA 4h (vip)"
    assert details_card(rec).splitlines()[0] == (
        "**escalated** — over_limit (level 2) — SLA due Tue 03 Nov 14:00 UTC"
    )
    rec.waiting_for, rec.waiting_until = "wait for a photo of the damage", None
    assert details_card(rec).splitlines()[0].endswith("— waiting: wait for a photo of the damage")
    rec.waiting_for = None
    assert details_card(rec).splitlines()[0] == "**escalated** — over_limit (level 2)"
    for value in PERSONAL:
        assert value not in details_card(rec)


def test_every_wait_of_the_workflow_reads_as_a_phrase() -> None:
    """Each timer summary a contact waits under has a phrase in the card (a new wait
    without one still shows its summary, which names no one)."""
    import ast
    from pathlib import Path

    from workflows.contact.visibility import _WAIT_PHRASES

    root = Path(__file__).resolve().parents[1] / "workflows" / "contact"
    summaries = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "waiting"
                and node.func.attr in ("message", "condition", "ask_then_remind")
                and isinstance(last := node.args[-1], ast.Constant)
            ):
                summaries.add(last.value)
    summaries.discard("")
    assert summaries, "no wait summaries found"
    missing = {s for s in summaries if s not in _WAIT_PHRASES and not s.startswith("escalation")}
    assert not missing, f"waits without a phrase in visibility._WAIT_PHRASES: {missing}"
