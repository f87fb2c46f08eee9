"""Reading a message: intent, order numbers, preference and tone."""

from __future__ import annotations

from temporalio import activity

from desk.classifier import classify
from desk.classifier.llm import LocalClassify
from desk.models import InboundMessage, Understanding


class UnderstandingActivities:
    def __init__(self, classifier: LocalClassify = classify) -> None:
        self.classifier = classifier

    @activity.defn
    def classify_message(self, message: InboundMessage) -> Understanding:
        return self.classifier(message.text, message.subject, message.attachments)
