"""Every ``workflow.patched`` id the contact workflow uses, in one place.

A patch guards a behaviour change under running contacts: new runs take the new path and
record a marker, histories written before the change replay the old path. Each id says what
it guards and when it may go. Removing one takes two releases: first ``deprecate_patch``
(new runs stop recording the marker check; old histories still replay), then, once no
contact started before the change is open anywhere (a visibility query on StartTime),
delete the old branch. ``tests/histories/`` replays recorded contacts of every version.

Every marker costs the history two events and the server a visibility write (the SDK
upserts ``TemporalChangeVersion`` beside it), so a release folds the patches before it into
one: a run that records the release's marker takes every folded patch's new path without
recording theirs. Histories without it still consult each patch as they always did.
"""

from __future__ import annotations

from enum import StrEnum

from temporalio import workflow


class Patch(StrEnum):
    misdelivery_reply = "dnr-misdelivery-reply"
    """delivered_not_received step 2 tells the customer about the misdelivery before
    resolving. Contacts started earlier resolved without that reply (histories v1).
    Removable once no contact from before 2026-11 is open."""

    playbooks_added = "wrong-damaged-address-playbooks"
    """wrong_item, damaged_item and change_address run their playbooks; before, these
    intents escalated ``unclear_request``. Removable once no such escalated contact from
    before the playbooks existed is open (they may wait on a person for weeks)."""

    human_owned_check = "human-owned-daily-history-check"
    """A contact a person owns wakes daily to check its history length (continue-as-new);
    before, it waited on the close decision with no timer. Removable once no contact taken
    over before the change is still owned."""

    supervisor_alerts = "supervisor-alerts"
    """Escalations and SLA breaches alert the supervisors through the helpdesk port.
    Removable once no contact escalated before the alerts existed is open."""

    helpdesk_open_contacts = "helpdesk-open-contacts"
    """The helpdesk is told when a contact opens and closes (so follow-ups naming no order
    find it). Removable once no contact started before the registry existed is open."""

    owner_notice = "unverified-sender-owner-notice"
    """A contact begun by a sender the desk could not verify, about an existing order,
    writes to the order's owner on the identity on file (their reply from there is
    verified). Before, it only answered the sender. Removable once no contact begun before
    the change is still waiting for a verified follow-up (twice customer_reply_hours)."""

    decision_authority = "supervisor-decision-authority"
    """A decision signalled to a contact is checked against the supervisor registry
    (signature, freshness, role limit) before it is accepted; before, its ``by`` was free
    text. (The ``decide`` update always checks.) Removable once no contact begun before
    the change is still escalated or owned by a person."""

    fact_gates = "fact-gates"
    """A not-received, wrong-item or damaged-item claim is checked against the order's
    facts (a delivered scan; a delivered shipment with those lines) before anything else,
    and the fraud gate counts it only when it passes; before, the claim was recorded first
    and a not-received claim on a parcel not scanned delivered was followed for ever.
    Removable once no contact begun before the change is open."""

    confirm_irreversible = "confirm-irreversible"
    """Before a cancellation, an address change, a refund or a reship on an inferred order
    or an unsure reading, one question naming the order and the action. Removable once no
    contact begun before the change is waiting for a carrier or a customer."""

    reread_corrections = "reread-corrections"
    """After a resolution that moved nothing, a correction with a different reading reads
    the contact again instead of escalating ``customer_disputes``. Removable once no
    contact begun before the change is in its reopen window."""

    local_lookups = "local-lookups"
    """Tracing a shipment and checking stock run as local activities (in the workflow
    task, a marker in the history instead of three activity events and a workflow task
    each); before, as ordinary activities. Removable once no contact begun before the
    change is open."""

    release_2026_12 = "release-2026-12"
    """One marker for every patch above (new runs record only this one), and: replies,
    supervisor alerts, the helpdesk's open and close, claim records and owner notices run
    as local activities (idempotent by key, quick; a marker each instead of three activity
    events and a workflow task); search attributes are upserted only when one changed.
    Before, each of these was an ordinary activity and every upsert sent every attribute.
    Removable once no contact begun before the change is open."""


# What the release folds: a run with the release's marker takes all of these. A fixed
# list, never "every patch": a patch added later must be consulted on its own, or contacts
# recorded under this release would take its new path on replay.
_FOLDED = frozenset(
    {
        Patch.misdelivery_reply,
        Patch.playbooks_added,
        Patch.human_owned_check,
        Patch.supervisor_alerts,
        Patch.helpdesk_open_contacts,
        Patch.owner_notice,
        Patch.decision_authority,
        Patch.fact_gates,
        Patch.confirm_irreversible,
        Patch.reread_corrections,
        Patch.local_lookups,
    }
)


def patched(patch: Patch) -> bool:
    """``workflow.patched`` for one of the ids above; a patch the release folds is taken
    when the release is (the SDK memoises the release's answer for the run, so a history
    that consulted patches one by one keeps doing so)."""
    if patch in _FOLDED and workflow.patched(Patch.release_2026_12.value):
        return True
    return workflow.patched(patch.value)


def released() -> bool:
    """This run takes the changes of the release (docs in ``Patch.release_2026_12``)."""
    return patched(Patch.release_2026_12)
