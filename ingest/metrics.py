"""The ingest API's own metrics (prometheus_client), served on ``GET /metrics`` when
DESK_INGEST_METRICS is set: messages by channel and outcome, and how long a message takes
from the request to Temporal holding its intake workflow (the 202). Labels: channel and
outcome only."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response

from desk.metric_names import INGEST_BUCKETS, INGEST_LATENCY, INGEST_MESSAGES

MESSAGES = Counter(
    INGEST_MESSAGES,
    "messages at the ingest API by channel and outcome (accepted, duplicate, unavailable, refused)",
    ["channel", "outcome"],
)
LATENCY = Histogram(
    INGEST_LATENCY,
    "seconds from a parsed, authenticated request to Temporal holding its intake workflow",
    ["channel"],
    buckets=INGEST_BUCKETS,
)


async def metrics_endpoint(request: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
