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


def _safe(value: str) -> str:
    return _UNSAFE.sub("_", value)[:120]


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


def contact_id_for(match: SenderMatch, sender: str) -> str:
    """Order first (also for an unverified sender naming an existing order: one contact per
    order), then customer; an unmatched sender gets a contact of their own."""
    if match.verified and match.order is not None:
        return f"contact-order-{_safe(match.order.number)}"
    if match.claimed_order is not None:
        return f"contact-order-{_safe(match.claimed_order)}"
    if match.customer is not None:
        return f"contact-customer-{_safe(match.customer.id)}"
    digest = hashlib.sha256(sender.strip().lower().encode()).hexdigest()[:16]
    return f"contact-anon-{digest}"
