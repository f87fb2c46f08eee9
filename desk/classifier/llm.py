"""An optional LLM classifier for any OpenAI-compatible chat-completions endpoint.

The model reads intent, confidence and tone with structured output (a strict JSON schema);
order numbers, tracking numbers, addresses and attachments still come from the local
extractor, which is exact where a model may invent. If the endpoint fails or answers
outside the schema, the local classifier's reading is used: the desk never waits on it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import structlog
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from desk.models import Attachment, Intent, Understanding

log = structlog.get_logger()

_SYSTEM = """You read one customer-service message for an online shop and classify it.
Intents:
- where_is_my_order: status or ETA of an order that has not arrived (or may not have)
- delivered_not_received: tracking says delivered but the customer does not have it
- wrong_item: received an item other than the one ordered
- damaged_item: received the order damaged or defective
- cancel_order: wants to cancel the order
- change_address: wants to change the shipping address
- other: anything else (account, product questions, unclear)
confidence is your probability (0 to 1) that the intent is right.
preference: "refund" if they ask for their money back, "reship" if they ask for a
replacement, else null. wants_human: asks for a person/agent. sensitive: legal action,
lawyer, chargeback or bank dispute. found_it: says the parcel turned up. still_missing:
says it is still not there. thanks: only thanks, no new problem. dispute: disagrees with
what the shop did or says the problem continues."""

_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "intent",
        "confidence",
        "preference",
        "wants_human",
        "sensitive",
        "found_it",
        "still_missing",
        "thanks",
        "dispute",
    ],
    "properties": {
        "intent": {"type": "string", "enum": [i.value for i in Intent]},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "preference": {"type": ["string", "null"], "enum": ["refund", "reship", None]},
        "wants_human": {"type": "boolean"},
        "sensitive": {"type": "boolean"},
        "found_it": {"type": "boolean"},
        "still_missing": {"type": "boolean"},
        "thanks": {"type": "boolean"},
        "dispute": {"type": "boolean"},
    },
}


class LLMReading(BaseModel):
    model_config = ConfigDict(extra="forbid")

    intent: Intent
    confidence: float = Field(ge=0, le=1)
    preference: str | None = None
    wants_human: bool
    sensitive: bool
    found_it: bool
    still_missing: bool
    thanks: bool
    dispute: bool


LocalClassify = Callable[[str, str | None, list[Attachment] | None], Understanding]


class LLMClassifier:
    def __init__(
        self,
        base_url: str,
        model: str,
        local: LocalClassify,
        api_key: str | None = None,
        timeout_s: float = 15.0,
        client: httpx.Client | None = None,
    ) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.local = local
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.http = client or httpx.Client(timeout=timeout_s, headers=headers)
        self.version = f"llm-{model}"

    def request_body(self, text: str, subject: str | None) -> dict[str, Any]:
        content = f"Subject: {subject}\n\n{text}" if subject else text
        return {
            "model": self.model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": _SYSTEM},
                {"role": "user", "content": content},
            ],
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "understanding", "strict": True, "schema": _SCHEMA},
            },
        }

    def read(self, text: str, subject: str | None) -> LLMReading:
        response = self.http.post(self.url, json=self.request_body(text, subject))
        response.raise_for_status()
        content = response.json()["choices"][0]["message"]["content"]
        return LLMReading.model_validate(json.loads(content))

    def __call__(
        self, text: str, subject: str | None = None, attachments: list[Attachment] | None = None
    ) -> Understanding:
        local = self.local(text, subject, attachments)
        try:
            reading = self.read(text, subject)
        except (
            httpx.HTTPError,
            KeyError,
            IndexError,
            TypeError,
            ValueError,
            ValidationError,
        ) as err:
            log.warning("llm_classifier.fallback", error=type(err).__name__, model=self.model)
            return local.model_copy(
                update={"classifier_version": f"{local.classifier_version} (llm unavailable)"}
            )
        preference = reading.preference if reading.preference in ("refund", "reship") else None
        return local.model_copy(
            update={
                **reading.model_dump(exclude={"preference"}),
                "preference": preference,
                "classifier_version": self.version,
            }
        )
