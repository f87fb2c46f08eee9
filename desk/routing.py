"""Workflow ids: how a message finds its intake workflow and its contact.

A webhook retry carries the same provider message id, so it maps to the same intake
workflow id and Temporal refuses the duplicate. Messages about one order, from any
channel, map to the same contact id, so they land in one contact.
"""

from __future__ import annotations

import hashlib
import json
import re

from desk.models import InboundMessage, SenderMatch

INTAKE_WORKFLOW = "IntakeWorkflow"
CONTACT_WORKFLOW = "ContactWorkflow"
# The contact's message signal, by name only where the SDK takes nothing else: the
# signal-with-start of the routing activity (which may not import the workflow). Every
# other client names handlers through ``ContactWorkflow`` itself.
CUSTOMER_MESSAGE_SIGNAL = "customer_message"

_UNSAFE = re.compile(r"[^A-Za-z0-9._@+-]")
_MAX = 120


def _safe(value: str) -> str:
    """A value as it may stand in a workflow id, one to one: a value of safe characters
    and at most 120 of them stands as it is; any other is cut to 100 safe characters and
    marked with ``~`` and a digest of the whole value (``~`` never stands in a safe value,
    so the two kinds never meet). ``A/1`` and ``A:1`` are two orders, two contacts."""
    cleaned = _UNSAFE.sub("_", value)
    if cleaned == value and len(value) <= _MAX:
        return value
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"{cleaned[:100]}~{digest}"


def _legacy_safe(value: str) -> str:
    """How intakes begun before ``DISTINCT_CONTACT_IDS`` wrote a value: unsafe characters
    replaced and the rest cut, so ``A/1`` and ``A:1`` met in one contact."""
    return _UNSAFE.sub("_", value)[:_MAX]


def intake_workflow_id(message: InboundMessage) -> str:
    """``intake-<channel>-<32 hex>``: the provider's id hashed whole, with the channel and
    what the id is unique within (``provider_scope``: a chat conversation, a social
    platform). Nothing is replaced or cut before hashing, so ``col/1`` and ``col:1``, or one
    id in two conversations, are different messages; the same webhook retried is the same.
    """
    identity = json.dumps(
        [message.channel.value, message.provider_scope, message.message_id], ensure_ascii=False
    )
    # surrogatepass: an id is hashed as it is, even one ingest would refuse to store.
    digest = hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"intake-{message.channel.value}-{digest}"


def contact_id_for(match: SenderMatch, sender: str, legacy: bool = False) -> str:
    """Order first (also for an unverified sender naming an existing order: one contact per
    order), then customer; an unmatched sender gets a contact of their own. ``legacy``: the
    id an intake begun before ``DISTINCT_CONTACT_IDS`` computed (workflows/intake.py)."""
    safe = _legacy_safe if legacy else _safe
    if match.verified and match.order is not None:
        return f"contact-order-{safe(match.order.number)}"
    if match.claimed_order is not None:
        return f"contact-order-{safe(match.claimed_order)}"
    if match.customer is not None:
        return f"contact-customer-{safe(match.customer.id)}"
    digest = hashlib.sha256(sender.strip().lower().encode()).hexdigest()[:16]
    return f"contact-anon-{digest}"
