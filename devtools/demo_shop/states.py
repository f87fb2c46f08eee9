"""The situations a demo order can be in, and how often each comes up in the demo shop."""

from __future__ import annotations

# The situations an order can be in, as the policy reads them (POLICY.md).
UNFULFILLED_RECENT = "unfulfilled_recent"
UNFULFILLED_OLD = "unfulfilled_old"
LABEL_CREATED = "label_created"
IN_TRANSIT = "in_transit"
LATE = "late"
STALLED = "stalled"
DELIVERED_STRONG = "delivered_strong"
DELIVERED_WEAK = "delivered_weak"
MISDELIVERED = "misdelivered"
LOST = "lost"
RETURN_TO_SENDER = "return_to_sender"
PARTIALLY_SHIPPED = "partially_shipped"
CANCELLED = "cancelled"

ORDER_STATES: tuple[str, ...] = (
    UNFULFILLED_RECENT,
    UNFULFILLED_OLD,
    LABEL_CREATED,
    IN_TRANSIT,
    LATE,
    STALLED,
    DELIVERED_STRONG,
    DELIVERED_WEAK,
    MISDELIVERED,
    LOST,
    RETURN_TO_SENDER,
    PARTIALLY_SHIPPED,
    CANCELLED,
)
_STATE_WEIGHTS = {
    UNFULFILLED_RECENT: 8,
    UNFULFILLED_OLD: 4,
    LABEL_CREATED: 4,
    IN_TRANSIT: 15,
    LATE: 6,
    STALLED: 5,
    DELIVERED_STRONG: 26,
    DELIVERED_WEAK: 12,
    MISDELIVERED: 4,
    LOST: 4,
    RETURN_TO_SENDER: 3,
    PARTIALLY_SHIPPED: 4,
    CANCELLED: 5,
}
