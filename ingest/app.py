"""The ingest API: one HTTP endpoint per channel format, in front of the intake workflow.

A vendor webhook gets 202 only once Temporal durably holds the message (the intake
workflow has started), so a crash after the answer loses nothing. Anything short of that
answers 503 and the vendor retries; the retry carries the same provider message id, maps
to the same intake workflow id, and Temporal refuses the duplicate, so it is answered 202
``duplicate: true`` and starts nothing.

    POST /ingest/sms      Twilio Messaging webhook (form; X-Twilio-Signature when configured)
    POST /ingest/email    Postmark inbound webhook (JSON)
    POST /ingest/chat     chat widget (JSON)
    POST /ingest/web      web contact form (JSON)
    POST /ingest/social   social inbox (JSON)
    GET  /healthz
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Callable
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from desk.config import Settings
from desk.models import InboundMessage
from desk.routing import INTAKE_WORKFLOW, intake_workflow_id
from ingest.channel_formats import (
    PayloadError,
    from_chat,
    from_postmark_email,
    from_social,
    from_twilio_sms,
    from_web_form,
)
from ingest.signatures import _url_variants, twilio_signature

log = structlog.get_logger("desk.ingest")

# Vendors time webhooks out (Twilio after 15 s); answering 503 before that makes them retry
# instead of guessing. The SDK's own retries against an unreachable server outlast this.
DEFAULT_START_TIMEOUT_S = 10.0


def _error(
    status: int, error: str, field: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    body: dict[str, Any] = {"error": error}
    if field is not None:
        body["field"] = field
    return JSONResponse(body, status_code=status, headers=headers)


def create_app(
    client: Client,
    settings: Settings,
    *,
    start_timeout: float = DEFAULT_START_TIMEOUT_S,
) -> FastAPI:
    """The ingest API over ``client``; workflows start on ``settings.task_queue``."""
    app = FastAPI(
        title="Contact desk ingest",
        description="Channel webhooks in; one durable intake workflow per message out.",
        version="1",
    )
    if settings.ingest_token and not settings.twilio_auth_token:
        log.warning(
            "ingest.sms_unauthenticated",
            hint="set DESK_TWILIO_AUTH_TOKEN to verify X-Twilio-Signature on /ingest/sms",
        )

    def bearer_refusal(request: Request) -> JSONResponse | None:
        if not settings.ingest_token:
            return None
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            token.strip().encode(), settings.ingest_token.encode()
        ):
            return None
        log.warning("ingest.unauthorized", path=request.url.path)
        return _error(
            401,
            "a valid 'Authorization: Bearer <token>' header is required",
            headers={"WWW-Authenticate": "Bearer"},
        )

    async def accept(message: InboundMessage) -> JSONResponse:
        workflow_id = intake_workflow_id(message)
        channel = message.channel.value
        duplicate = False
        try:
            # Cancelling on timeout is safe: if the start did land, the vendor's retry finds
            # the workflow and is answered as a duplicate.
            await asyncio.wait_for(
                client.start_workflow(
                    INTAKE_WORKFLOW,
                    message,
                    id=workflow_id,
                    task_queue=settings.task_queue,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                    static_summary=f"{channel} message from {message.sender}",
                ),
                timeout=start_timeout,
            )
        except WorkflowAlreadyStartedError:
            duplicate = True
        except (RPCError, TimeoutError, RuntimeError) as err:
            # RuntimeError is how the SDK reports a client that cannot (re)connect at all.
            status = err.status.name if isinstance(err, RPCError) else type(err).__name__
            log.warning(
                "ingest.temporal_unavailable",
                channel=channel,
                message_id=message.message_id,
                status=status,
                error=str(err)[:200],
            )
            return _error(
                503,
                "Temporal is unavailable; the message was not accepted, retry",
                headers={"Retry-After": "5"},
            )
        log.info(
            "ingest.accepted",
            channel=channel,
            message_id=message.message_id,
            intake_workflow_id=workflow_id,
            duplicate=duplicate,
            attachments=len(message.attachments),
        )
        return JSONResponse(
            {
                "accepted": True,
                "message_id": message.message_id,
                "intake_workflow_id": workflow_id,
                "duplicate": duplicate,
            },
            status_code=202,
        )

    def invalid(request: Request, err: PayloadError) -> JSONResponse:
        log.warning("ingest.invalid_payload", path=request.url.path, field=err.field)
        return _error(422, str(err), err.field)

    async def json_endpoint(
        request: Request, parse: Callable[[Any], InboundMessage]
    ) -> JSONResponse:
        refused = bearer_refusal(request)
        if refused is not None:
            return refused
        try:
            payload = await request.json()
        except ValueError:
            return invalid(request, PayloadError("body", "is not valid JSON"))
        try:
            message = parse(payload)
        except PayloadError as err:
            return invalid(request, err)
        return await accept(message)

    @app.post("/ingest/sms", status_code=202, summary="Twilio Messaging webhook (SMS/MMS)")
    async def ingest_sms(request: Request) -> JSONResponse:
        form = await request.form()
        params = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
        if settings.twilio_auth_token:
            given = request.headers.get("x-twilio-signature", "")
            expected = [
                twilio_signature(settings.twilio_auth_token, url, params)
                for url in _url_variants(str(request.url))
            ]
            # As bytes: compare_digest refuses non-ASCII str, and a forged header may be so.
            if not given or not any(
                hmac.compare_digest(given.encode(), e.encode()) for e in expected
            ):
                log.warning("ingest.bad_twilio_signature", path=request.url.path)
                return _error(403, "X-Twilio-Signature is missing or does not match")
        try:
            message = from_twilio_sms(dict(params))
        except PayloadError as err:
            return invalid(request, err)
        return await accept(message)

    @app.post("/ingest/email", status_code=202, summary="Postmark inbound webhook")
    async def ingest_email(request: Request) -> JSONResponse:
        return await json_endpoint(request, from_postmark_email)

    @app.post("/ingest/chat", status_code=202, summary="Chat widget message")
    async def ingest_chat(request: Request) -> JSONResponse:
        return await json_endpoint(request, from_chat)

    @app.post("/ingest/web", status_code=202, summary="Web contact form submission")
    async def ingest_web(request: Request) -> JSONResponse:
        return await json_endpoint(request, from_web_form)

    @app.post("/ingest/social", status_code=202, summary="Social inbox message")
    async def ingest_social(request: Request) -> JSONResponse:
        return await json_endpoint(request, from_social)

    @app.get("/healthz", summary="Liveness, and which Temporal this API starts workflows on")
    async def healthz() -> dict[str, Any]:
        return {"ok": True, "temporal": settings.temporal_address}

    return app
