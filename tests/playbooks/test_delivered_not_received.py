"""delivered_not_received alone: the fraud gate, misdelivery, weak and strong proof by
tier, the carrier's search, the early-claim wait."""

from __future__ import annotations

from datetime import timedelta

from desk.models import ClaimKind, EscalationReason, Intent, ResolutionKind, ScanStatus, Tier
from desk.policy.rules import Rule
from tests.fakes.shop import SearchOutcome
from tests.playbooks.harness import PlaybookHarness
from tests.playbooks.kit import Desk, delivered, line, scan, shipment

DNR = Intent.delivered_not_received
TEE = line("TEE-BLK-M", 32.0, qty=2, name="Black tee, M")
TRACKING = "9400111899223100012345"


def _setup(desk: Desk, t0, hours: float = -72, tier: Tier = Tier.standard, **kw) -> None:  # type: ignore[no-untyped-def]
    proof = {k: kw.pop(k) for k in ("photo", "signature", "lat", "lon", "text") if k in kw}
    text = proof.pop("text", "Delivered, In/At Mailbox")
    events = delivered(t0, hours, text, **proof)
    desk.add(
        TEE,
        t0=t0,
        tier=tier,
        shipments=[shipment(*events, t0=t0, expected_hours=hours)],
        stock=kw.pop("stock", {"TEE-BLK-M": 10}),
        **kw,
    )


async def test_two_earlier_claims_send_it_to_fraud_review_before_anything_else(
    desk: Desk,
) -> None:
    t0 = await desk.t0()
    _setup(
        desk,
        t0,
        claims=[(ClaimKind.delivered_not_received, -40), (ClaimKind.wrong_item, -200)],
    )
    result = await desk.play(desk.routed("it never came", DNR))
    assert result.outcome == "escalate" and result.reason == EscalationReason.fraud_review
    assert result.rule == Rule.dnr_1 and result.proposal is None
    # The fact gate read the carrier first (delivered: the claim fits); nothing was filed.
    assert len(desk.called("trace_shipment")) == 1 and desk.called("file_carrier_search") == []
    assert len(desk.called("record_claim")) == 1  # this claim counts for the next one


async def test_misdelivered_files_a_search_and_reships_with_a_note(desk: Desk) -> None:
    t0 = await desk.t0()
    _setup(desk, t0, lat=39.8200, lon=-89.6440)  # 2.3 km away
    result = await desk.play(desk.routed("not here", DNR))
    assert (result.resolution, result.rule) == (ResolutionKind.reship, Rule.dnr_2)
    assert [c[1] for c in desk.called("file_carrier_search")] == ["misdelivery"]
    [replacement] = desk.shop.replacements()
    assert replacement.note and "wrong location" in replacement.note
    assert any("wrong" in body.lower() or "misdeliver" in body.lower() for body in desk.replies())


async def test_weak_proof_vip_is_resolved_at_once_by_the_fastest_service(desk: Desk) -> None:
    t0 = await desk.t0()
    _setup(desk, t0, tier=Tier.vip)
    result = await desk.play(desk.routed("nothing in the mailbox", DNR))
    assert (result.resolution, result.rule) == (ResolutionKind.reship, Rule.dnr_3)
    assert len(desk.called("file_carrier_search")) == 1  # the search still runs, for recovery
    assert [r.service for r in desk.shop.replacements()] == ["express"]


async def test_weak_proof_b2b_goes_to_a_person_with_the_proposal(desk: Desk) -> None:
    t0 = await desk.t0()
    _setup(desk, t0, tier=Tier.b2b)
    result = await desk.play(desk.routed("not received", DNR))
    assert result.outcome == "escalate" and result.reason == EscalationReason.b2b_account
    assert result.proposal is not None and result.proposal.kind == ResolutionKind.reship
    assert desk.shop.replacement_count() == 0


async def test_weak_proof_standard_waits_for_the_search_and_ends_early_when_it_finds_nothing(
    desk: Desk,
) -> None:
    t0 = await desk.t0()
    _setup(desk, t0, searches={TRACKING: SearchOutcome("not_found", timedelta(hours=30))})
    result = await desk.play(desk.routed("not here", DNR))
    assert (result.resolution, result.rule) == (ResolutionKind.reship, Rule.dnr_3)
    traces = desk.called("trace_shipment")
    # t0, then every 12 h: the search's answer is seen at t0+36h, before the 48 h window ends.
    assert [round((t[1] - t0) / timedelta(hours=1)) for t in traces] == [0, 12, 24, 36]
    first_reply = desk.replies()[0]
    assert "MMS-" in first_reply and "neighbours" in first_reply


async def test_the_carrier_finding_it_resolves_carrier_found(desk: Desk) -> None:
    t0 = await desk.t0()
    _setup(desk, t0, searches={TRACKING: SearchOutcome("found", timedelta(hours=20))})
    result = await desk.play(desk.routed("not here", DNR))
    assert (result.resolution, result.rule) == (ResolutionKind.carrier_found, Rule.dnr_3)
    assert desk.shop.replacement_count() == 0 and desk.shop.refund_total() == 0


async def test_the_customer_finding_it_during_the_wait_resolves_found_by_customer(
    desk: Desk,
) -> None:
    t0 = await desk.t0()
    _setup(desk, t0)
    async with desk.running(desk.routed("not here", DNR)) as handle:
        await desk.env.sleep(timedelta(hours=5))
        await handle.signal(
            PlaybookHarness.customer_message,
            desk.routed("found it behind the bins, sorry!", DNR, found_it=True),
        )
        result = await handle.result()
    assert (result.resolution, result.rule) == (ResolutionKind.found_by_customer, Rule.dnr_3)
    assert desk.shop.replacement_count() == 0


async def test_strong_proof_without_an_answer_reminds_once_then_closes(desk: Desk) -> None:
    t0 = await desk.t0()
    _setup(desk, t0, photo=True)
    result = await desk.play(desk.routed("not here", DNR))
    assert (result.resolution, result.rule) == (ResolutionKind.no_response, Rule.dnr_4)
    assert len(desk.replies()) == 2  # the proof, then one reminder
    assert desk.called("file_carrier_search") == []


async def test_strong_proof_still_missing_goes_to_a_person_except_for_vip(desk: Desk) -> None:
    t0 = await desk.t0()
    _setup(desk, t0, text="Delivered, Left with Individual")
    async with desk.running(desk.routed("not here", DNR)) as handle:
        await desk.env.sleep(timedelta(hours=3))
        await handle.signal(
            PlaybookHarness.customer_message,
            desk.routed("asked everyone, still missing", DNR, still_missing=True),
        )
        result = await handle.result()
    assert result.outcome == "escalate" and result.reason == EscalationReason.delivered_with_proof
    assert result.proposal is not None


async def test_strong_proof_vip_gets_goodwill(desk: Desk) -> None:
    t0 = await desk.t0()
    _setup(desk, t0, tier=Tier.vip, signature=True)
    async with desk.running(desk.routed("not here", DNR)) as handle:
        await desk.env.sleep(timedelta(hours=3))
        await handle.signal(
            PlaybookHarness.customer_message, desk.routed("still not here", DNR, still_missing=True)
        )
        result = await handle.result()
    assert (result.resolution, result.rule) == (ResolutionKind.reship, Rule.dnr_4)


async def test_an_early_claim_waits_for_the_mark_then_continues_with_weak_proof(
    desk: Desk,
) -> None:
    t0 = await desk.t0()
    _setup(desk, t0, hours=-2, tier=Tier.vip)
    result = await desk.play(desk.routed("says delivered, nothing here", DNR))
    assert (result.resolution, result.rule) == (ResolutionKind.reship, Rule.dnr_3)
    assert "allow" in desk.replies()[0].lower() or "24" in desk.replies()[0]
    traces = desk.called("trace_shipment")
    # Traced at t0, then again 24 h after the delivery scan (t0+22h).
    assert round((traces[1][1] - t0) / timedelta(hours=1)) == 22


async def test_a_claim_on_a_parcel_not_scanned_delivered_follows_it(desk: Desk) -> None:
    t0 = await desk.t0()
    events = [
        scan(t0, -24, ScanStatus.accepted),
        scan(t0, 20, ScanStatus.delivered, "Delivered", photo=True),
    ]
    desk.add(TEE, t0=t0, shipments=[shipment(*events, t0=t0, expected_hours=10)])
    result = await desk.play(desk.routed("didn't get it", DNR))
    assert (result.resolution, result.rule) == (ResolutionKind.info_only, Rule.wismo_2)
    assert any(e.rule == Rule.fact_gate for e in result.record.timeline)
    assert desk.called("record_claim") == []  # a claim the facts do not support counts nowhere
