"""Rule ids: every rule the desk acts on, named as POLICY.md names it.

The value of a rule is the page's own name for it ("where_is_my_order step 1",
"Reship or refund rule 4", "Who is asking"), so a timeline entry, a proposal or a log line
says which rule of the contract allowed the step. The desk's own decisions where POLICY.md
is silent (docs/policy.md, "Decisions where POLICY.md is silent") start with ``desk:``.
The timeline, docs/policy.md and the rule-coverage test all use this one enum.
"""

from __future__ import annotations

from enum import StrEnum


class Rule(StrEnum):
    who_is_asking = "Who is asking"
    intents = "Intents"
    carrier_record = "Reading the carrier record"

    wismo_1 = "where_is_my_order step 1"
    wismo_2 = "where_is_my_order step 2"
    wismo_3 = "where_is_my_order step 3"
    wismo_4 = "where_is_my_order step 4"
    wismo_5 = "where_is_my_order step 5"

    dnr_1 = "delivered_not_received step 1"
    dnr_2 = "delivered_not_received step 2"
    dnr_3 = "delivered_not_received step 3"
    dnr_4 = "delivered_not_received step 4"
    dnr_5 = "delivered_not_received step 5"

    wrong_item_1 = "wrong_item step 1"
    wrong_item_2 = "wrong_item step 2"
    wrong_item_3 = "wrong_item step 3"

    damaged_item_1 = "damaged_item step 1"
    damaged_item_2 = "damaged_item step 2"

    cancel_1 = "cancel_order step 1"
    cancel_2 = "cancel_order step 2"
    cancel_3 = "cancel_order step 3"

    change_address_1 = "change_address step 1"
    change_address_2 = "change_address step 2"

    reship_or_refund_1 = "Reship or refund rule 1"
    reship_or_refund_2 = "Reship or refund rule 2"
    reship_or_refund_3 = "Reship or refund rule 3"
    reship_or_refund_4 = "Reship or refund rule 4"
    reship_or_refund_5 = "Reship or refund rule 5"
    reship_or_refund_6 = "Reship or refund rule 6"

    carrier_search = "Carrier search"

    escalation_1 = "Escalation rule 1"
    escalation_2 = "Escalation rule 2"
    escalation_3 = "Escalation rule 3"
    escalation_4 = "Escalation rule 4"
    escalation_5 = "Escalation rule 5"

    after_resolution = "After resolution"
    replies = "Replies"

    # The desk's own decisions where POLICY.md is silent (docs/policy.md).
    unknown_order = "desk: unknown order"
    not_delivered_claim = "desk: not-received claim on a parcel not scanned delivered"
    refused_action = "desk: a refused action goes to a person"
    not_automated = "desk: intent not automated when the contact began"
    long_life = "desk: long-lived contacts"
    fact_gate = "desk: the claim must fit the order's facts"
    confirm = "desk: confirm before the irreversible"
    out_of_scope = "desk: not a tier-1 request"

    @property
    def from_policy(self) -> bool:
        """A rule of POLICY.md itself, rather than one of the desk's own decisions."""
        return not self.value.startswith("desk:")

    def because(self, why: str) -> str:
        """The rule with the reason it applied: ``cancel_order step 1: not shipped``."""
        return f"{self.value}: {why}" if why else self.value
