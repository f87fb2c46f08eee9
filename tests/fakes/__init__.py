"""Test doubles: an in-memory shop behind every port, and the worker's activities mocked
by name over it. See ``shop.py`` and ``activities.py``."""

from tests.fakes.activities import (
    MOCKED_ACTIVITY_NAMES,
    ActivityCall,
    calls_to,
    mocked_activities,
)
from tests.fakes.shop import (
    FOUND_BY_SEARCH,
    MemoryShop,
    OutboxMessage,
    RefundRecord,
    ReplacementRecord,
    SearchOutcome,
)

__all__ = [
    "FOUND_BY_SEARCH",
    "MOCKED_ACTIVITY_NAMES",
    "ActivityCall",
    "MemoryShop",
    "OutboxMessage",
    "RefundRecord",
    "ReplacementRecord",
    "SearchOutcome",
    "calls_to",
    "mocked_activities",
]
