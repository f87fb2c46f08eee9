"""The desk's search attributes: what operators filter on in the Temporal UI.

Registered wherever a server is started (``desk up``, the scenario runner, the tests,
docker-compose's admin-tools step): ``ContactState = "escalated"`` and the like.
"""

from __future__ import annotations

from typing import Any

from temporalio.common import SearchAttributeKey

CONTACT_STATE = SearchAttributeKey.for_keyword("ContactState")
INTENT = SearchAttributeKey.for_keyword("ContactIntent")
CUSTOMER_TIER = SearchAttributeKey.for_keyword("CustomerTier")
ORDER_NUMBER = SearchAttributeKey.for_keyword("OrderNumber")
CHANNELS = SearchAttributeKey.for_keyword_list("ContactChannels")
RESOLUTION = SearchAttributeKey.for_keyword("ContactResolution")
AUTONOMOUS = SearchAttributeKey.for_bool("ContactAutonomous")
ESCALATION_REASON = SearchAttributeKey.for_keyword("EscalationReason")
CARRIER_CASE = SearchAttributeKey.for_keyword("CarrierCase")

ALL: list[SearchAttributeKey[Any]] = [
    CONTACT_STATE,
    INTENT,
    CUSTOMER_TIER,
    ORDER_NUMBER,
    CHANNELS,
    RESOLUTION,
    AUTONOMOUS,
    ESCALATION_REASON,
    CARRIER_CASE,
]


def cli_flags() -> list[str]:
    """``--search-attribute Name=Type`` flags for ``temporal server start-dev``."""
    names = {
        "KEYWORD": "Keyword",
        "KEYWORD_LIST": "KeywordList",
        "BOOL": "Bool",
    }
    flags: list[str] = []
    for key in ALL:
        flags += ["--search-attribute", f"{key.name}={names[key.indexed_value_type.name]}"]
    return flags
