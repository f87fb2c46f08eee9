"""Reading a message: intent, order numbers, preference and tone."""

from __future__ import annotations

from temporalio import activity

from desk.classifier import classify
from desk.models import InboundMessage, Understanding


@activity.defn
def classify_message(message: InboundMessage) -> Understanding:
    return classify(message.text, message.subject, message.attachments)
