"""Which classifier reads messages, from settings: the local one, or an LLM endpoint."""

from __future__ import annotations

from desk.classifier import classify
from desk.classifier.llm import LLMClassifier, LocalClassify
from desk.classifier.order_formats import OrderNumberFormats
from desk.config import ConfigError, Settings


def build_classifier(settings: Settings) -> LocalClassify:
    chosen = _choose(settings)
    if settings.order_number_formats:
        return OrderNumberFormats(settings.order_number_formats).around(chosen)
    return chosen


def _choose(settings: Settings) -> LocalClassify:
    if settings.classifier == "local":
        return classify
    if not (settings.llm_base_url and settings.llm_model):
        raise ConfigError(
            "invalid settings: DESK_CLASSIFIER=llm needs DESK_LLM_BASE_URL and DESK_LLM_MODEL"
        )
    return LLMClassifier(
        settings.llm_base_url, settings.llm_model, local=classify, api_key=settings.llm_api_key
    )
