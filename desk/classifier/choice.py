"""Which classifier reads messages, from settings: the local one, or an LLM endpoint."""

from __future__ import annotations

from desk.classifier import classify
from desk.classifier.llm import LLMClassifier, LocalClassify
from desk.config import ConfigError, Settings


def build_classifier(settings: Settings) -> LocalClassify:
    if settings.classifier == "local":
        return classify
    if not (settings.llm_base_url and settings.llm_model):
        raise ConfigError(
            "invalid settings: DESK_CLASSIFIER=llm needs DESK_LLM_BASE_URL and DESK_LLM_MODEL"
        )
    return LLMClassifier(
        settings.llm_base_url, settings.llm_model, local=classify, api_key=settings.llm_api_key
    )
