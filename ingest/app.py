"""The ingest API: one HTTP endpoint per channel format, in front of the intake workflow.

A vendor webhook gets 202 only once Temporal durably holds the message (the intake
workflow has started), so a crash after the answer loses nothing. When Temporal is
unavailable or too slow the answer is 503 and the vendor retries; the retry carries the
same provider message id, maps to the same intake workflow id, and Temporal refuses the
duplicate, so it is answered 202 ``duplicate: true`` and starts nothing. A start Temporal
refuses for good (the message is invalid or too large for it) is a 4xx that says so, never
a 503 the vendor would retry for hours.

    POST /ingest/sms      Twilio Messaging webhook (form; X-Twilio-Signature)
    POST /ingest/email    Postmark inbound webhook (JSON; HTTP Basic credentials)
    POST /ingest/chat     chat widget (JSON; signed identity user / user_hash)
    POST /ingest/web      web contact form (JSON; signed identity user / user_hash)
    POST /ingest/social   social inbox (JSON; X-Hub-Signature-256)
    GET  /healthz

Each message records how its sender was authenticated, or that it was not, in
``InboundMessage.auth`` (README, "Channel authentication"):

- sms: a valid Twilio signature (``twilio_signature``); with a token configured, a missing
  or wrong one is 403 (Twilio does not retry) and nothing starts.
- email: with Basic credentials configured, wrong or missing ones are 401; the sender is
  authenticated (``email_authentication``) from the receiving server's verdicts in the
  headers (ingest/email_auth.py), read only when the webhook itself authenticated.
- chat, web: ``user`` + ``user_hash`` = hex HMAC-SHA256(DESK_IDENTITY_SECRET, user) makes
  ``user`` the sender (``signed_identity``). Without one, or with a wrong one, the message
  is accepted (202) from its anonymous handle, unauthenticated: a widget cannot fix a bad
  signature by retrying, and the customer's words should not be lost.
- social: a valid ``X-Hub-Signature-256`` (``platform_signature``); with a secret
  configured, a missing or wrong one is 403.
- A channel with nothing configured is accepted unauthenticated, unless development mode
  trusts it (``dev_unsigned``).

Every body is bounded (413 above DESK_INGEST_MAX_BYTES, before parsing), must have its
media type (415), and parse strictly (422 naming the field). Logs carry ids, the channel,
the auth method and sizes: never a sender, a subject or a text.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from desk.config import Settings
from desk.models import Channel, InboundMessage, SenderAuth
from desk.observability import span
from desk.routing import INTAKE_WORKFLOW, intake_workflow_id
from ingest import metrics, openapi
from ingest.channel_formats import (
    PayloadError,
    claimed_identity,
    from_chat,
    from_postmark_email,
    from_social,
    from_twilio_sms,
    from_web_form,
    postmark_headers,
    signed_sender,
)
from ingest.email_auth import email_sender_auth
from ingest.exposure import check_ingest_settings
from ingest.request_body import (
    FORM,
    JSON,
    RequestRefused,
    parse_form,
    parse_json,
    read_body,
    require_media_type,
)
from ingest.signatures import (
    basic_valid,
    hub_signature_valid,
    identity_valid,
    same,
    twilio_algorithm,
    twilio_signature_valid,
)

log = structlog.get_logger("desk.ingest")

# Vendors time webhooks out (Twilio after 15 s); answering 503 before that makes them retry
# instead of guessing. The SDK's own retries against an unreachable server outlast this.
DEFAULT_START_TIMEOUT_S = 10.0

# Temporal statuses a retry can get past: the server is down, slow, rate-limiting, or the
# desk cannot use its namespace right now (an operator fixes that without the vendor).
_RETRYABLE = {
    RPCStatusCode.UNAVAILABLE,
    RPCStatusCode.DEADLINE_EXCEEDED,
    RPCStatusCode.CANCELLED,
    RPCStatusCode.ABORTED,
    RPCStatusCode.UNKNOWN,
    RPCStatusCode.INTERNAL,
    RPCStatusCode.RESOURCE_EXHAUSTED,
    RPCStatusCode.UNAUTHENTICATED,
    RPCStatusCode.PERMISSION_DENIED,
    RPCStatusCode.NOT_FOUND,
    RPCStatusCode.FAILED_PRECONDITION,
    RPCStatusCode.UNIMPLEMENTED,
}
_TOO_LARGE = ("larger than max", "blob data size", "blob size", "size exceeds", "too large")


def _printable(text: str) -> str:
    # An error may quote what was sent; the answer must still encode.
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _error(
    status: int, error: str, field: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    body: dict[str, Any] = {"error": _printable(error)}
    if field is not None:
        body["field"] = _printable(field)
    return JSONResponse(body, status_code=status, headers=headers)


def _loggable(field: str) -> str:
    # A field path can hold a sender's own JSON key: log it only if it is plainly a name.
    safe = field.replace("[", "").replace("]", "").replace(".", "").replace("_", "")
    return field if safe.isalnum() and field.isascii() and len(field) <= 60 else "(other)"


def _short_hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def _dev_or(settings: Settings, auth: SenderAuth) -> SenderAuth:
    """Development mode trusts what nothing else authenticated."""
    if auth.authenticated or not settings.dev_mode:
        return auth
    why = f" ({auth.detail})" if auth.detail else ""
    return SenderAuth(
        method="dev_unsigned",
        authenticated=True,
        detail=f"development mode: unsigned input trusted{why}"[:500],
    )


def create_app(
    client: Client,
    settings: Settings,
    *,
    start_timeout: float = DEFAULT_START_TIMEOUT_S,
) -> FastAPI:
    """The ingest API over ``client``; workflows start on ``settings.task_queue``.

    Raises ``ConfigError`` when these settings must not serve (ingest/exposure.py)."""
    check_ingest_settings(settings)
    app = FastAPI(
        title="Contact desk ingest",
        description="Channel webhooks in; one durable intake workflow per message out.",
        version="1",
    )
    served = set(settings.ingest_channels)
    limit = settings.ingest_max_bytes

    @app.exception_handler(RequestRefused)
    async def refused(request: Request, err: RequestRefused) -> JSONResponse:
        log.warning("ingest.refused", path=request.url.path, status=err.status, field=err.field)
        return _error(err.status, err.error, err.field, err.headers)

    @app.exception_handler(PayloadError)
    async def invalid(request: Request, err: PayloadError) -> JSONResponse:
        log.warning("ingest.invalid_payload", path=request.url.path, field=_loggable(err.field))
        return _error(422, str(err), err.field)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, err: StarletteHTTPException) -> JSONResponse:
        error = {404: "no such endpoint", 405: "method not allowed"}.get(
            err.status_code, str(err.detail)
        )
        return _error(err.status_code, error, headers=getattr(err, "headers", None))

    @app.exception_handler(Exception)
    async def internal_error(request: Request, err: Exception) -> JSONResponse:
        # A bug, not the sender's doing: the type only (an exception's text may quote them).
        log.error("ingest.internal_error", path=request.url.path, error=type(err).__name__)
        return _error(500, "internal error; the message was not accepted")

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, err: RequestValidationError) -> JSONResponse:
        first = err.errors()[0] if err.errors() else {}
        field = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "body"
        return _error(422, f"{field} {first.get('msg', 'is invalid')}", field)

    # ------------------------------------------------------------ the start

    async def accept(message: InboundMessage) -> JSONResponse:
        workflow_id = intake_workflow_id(message)
        channel = message.channel.value
        facts = {
            "channel": channel,
            "intake_workflow_id": workflow_id,
            "auth_method": message.auth.method,
            "authenticated": message.auth.authenticated,
        }
        duplicate = False
        began = time.monotonic()
        try:
            # Cancelling on timeout is safe: if the start did land, the vendor's retry finds
            # the workflow and is answered as a duplicate. The span is the trace's root:
            # StartWorkflow, the intake and contact workflows and their activities join it.
            with span("ingest", channel=channel, authenticated=message.auth.authenticated):
                await asyncio.wait_for(
                    client.start_workflow(
                        INTAKE_WORKFLOW,
                        message,
                        id=workflow_id,
                        task_queue=settings.task_queue,
                        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                        # No personal data: operators see the channel and a short hash.
                        static_summary=f"{channel} message {_short_hash(message.message_id)}",
                    ),
                    timeout=start_timeout,
                )
        except WorkflowAlreadyStartedError:
            duplicate = True
        except RPCError as err:
            text = str(err).lower()
            too_large = any(marker in text for marker in _TOO_LARGE)
            if err.status in _RETRYABLE and not too_large:
                return unavailable(facts, err.status.name)
            log.warning("ingest.temporal_refused", status=err.status.name, **facts)
            metrics.MESSAGES.labels(channel, "refused").inc()
            if too_large:
                return _error(
                    413,
                    "Temporal refused the message as too large; retrying will not help",
                    "body",
                )
            return _error(
                422,
                f"Temporal refused the message ({err.status.name}); retrying will not help",
            )
        except (TimeoutError, RuntimeError) as err:
            # RuntimeError is how the SDK reports a client that cannot (re)connect at all.
            return unavailable(facts, type(err).__name__)
        metrics.LATENCY.labels(channel).observe(time.monotonic() - began)
        metrics.MESSAGES.labels(channel, "duplicate" if duplicate else "accepted").inc()
        log.info(
            "ingest.accepted",
            duplicate=duplicate,
            text_chars=len(message.text),
            subject_chars=len(message.subject or ""),
            attachments=len(message.attachments),
            **facts,
        )
        return JSONResponse(
            {
                "accepted": True,
                "message_id": message.message_id,
                "intake_workflow_id": workflow_id,
                "duplicate": duplicate,
                "authenticated": message.auth.authenticated,
                "auth_method": message.auth.method,
            },
            status_code=202,
        )

    def unavailable(facts: dict[str, Any], status: str) -> JSONResponse:
        log.warning("ingest.temporal_unavailable", status=status, **facts)
        metrics.MESSAGES.labels(facts["channel"], "unavailable").inc()
        return _error(
            503,
            "Temporal is unavailable; the message was not accepted, retry",
            headers={"Retry-After": "5"},
        )

    def with_auth(message: InboundMessage, auth: SenderAuth, **update: Any) -> InboundMessage:
        return message.model_copy(update={"auth": _dev_or(settings, auth), **update})

    # ------------------------------------------------------------ the channels

    def merchant_relay(request: Request) -> None:
        """The optional bearer token of the merchant's own chat and web relays."""
        if not settings.ingest_token:
            return
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and same(token.strip(), settings.ingest_token):
            return
        raise RequestRefused(
            401,
            "a valid 'Authorization: Bearer <token>' header is required",
            "Authorization",
            headers={"WWW-Authenticate": "Bearer"},
        )

    async def sms(request: Request) -> JSONResponse:
        body = await read_body(request, limit)
        require_media_type(request, FORM)
        params = parse_form(body)
        auth = SenderAuth(detail="no DESK_TWILIO_AUTH_TOKEN: Twilio's signature is not checked")
        key_sha1 = settings.twilio_auth_token
        if key_sha1 or settings.twilio_sha256_key:
            algorithm = twilio_algorithm(
                request.headers.get("x-twilio-webhooks-signature-settings")
            )
            key = (settings.twilio_sha256_key or key_sha1) if algorithm == "sha256" else key_sha1
            given = request.headers.get("x-twilio-signature", "")
            if (
                algorithm is None
                or key is None
                or not twilio_signature_valid(key, str(request.url), params, given, algorithm)
            ):
                raise RequestRefused(
                    403, "X-Twilio-Signature is missing or does not match", "X-Twilio-Signature"
                )
            auth = SenderAuth(
                method="twilio_signature",
                authenticated=True,
                detail=f"X-Twilio-Signature (HMAC-{algorithm.upper()})",
            )
        message = from_twilio_sms(dict(params))
        return await accept(with_auth(message, auth))

    async def email(request: Request) -> JSONResponse:
        webhook_authenticated = False
        if settings.postmark_webhook_user and settings.postmark_webhook_password:
            if not basic_valid(
                request.headers.get("authorization"),
                settings.postmark_webhook_user,
                settings.postmark_webhook_password,
            ):
                raise RequestRefused(
                    401,
                    "the webhook's HTTP Basic credentials are missing or wrong",
                    "Authorization",
                    headers={"WWW-Authenticate": 'Basic realm="desk ingest"'},
                )
            webhook_authenticated = True
        body = await read_body(request, limit)
        require_media_type(request, JSON)
        payload = parse_json(body)
        message = from_postmark_email(payload)
        headers = postmark_headers(payload)
        if webhook_authenticated:
            auth = email_sender_auth(
                headers, message.sender, authserv_id=settings.email_authserv_id
            )
        else:
            auth = SenderAuth(
                detail="the webhook is not authenticated (no DESK_POSTMARK_WEBHOOK_USER): "
                "its authentication headers are not read"
            )
        return await accept(with_auth(message, auth))

    async def signed_identity_message(
        request: Request, parse: Callable[[Any], InboundMessage]
    ) -> JSONResponse:
        merchant_relay(request)
        body = await read_body(request, limit)
        require_media_type(request, JSON)
        payload = parse_json(body)
        message = parse(payload)
        claim = claimed_identity(payload)
        secret = settings.identity_secret
        if claim is None:
            auth = SenderAuth(detail="no signed identity: an anonymous sender")
        elif secret is None:
            auth = SenderAuth(detail="a signed identity, but no DESK_IDENTITY_SECRET to check it")
        elif not claim[0] or not claim[1] or not identity_valid(secret, *claim):
            log.warning("ingest.identity_not_verified", channel=message.channel.value)
            auth = SenderAuth(detail="user_hash does not match user: an anonymous sender")
        else:
            auth = SenderAuth(
                method="signed_identity",
                authenticated=True,
                detail="user_hash: HMAC-SHA256 of user with the merchant's identity secret",
            )
            return await accept(with_auth(message, auth, sender=signed_sender(claim[0])))
        return await accept(with_auth(message, auth))

    async def social(request: Request) -> JSONResponse:
        body = await read_body(request, limit)
        auth = SenderAuth(
            detail="no DESK_SOCIAL_WEBHOOK_SECRET: the platform's signature is not checked"
        )
        if settings.social_webhook_secret:
            if not hub_signature_valid(
                settings.social_webhook_secret, body, request.headers.get("x-hub-signature-256")
            ):
                raise RequestRefused(
                    403,
                    "X-Hub-Signature-256 is missing or does not match the body",
                    "X-Hub-Signature-256",
                )
            auth = SenderAuth(
                method="platform_signature",
                authenticated=True,
                detail="X-Hub-Signature-256 (HMAC-SHA256 of the body)",
            )
        require_media_type(request, JSON)
        message = from_social(parse_json(body))
        return await accept(with_auth(message, auth))

    async def chat(request: Request) -> JSONResponse:
        return await signed_identity_message(request, from_chat)

    async def web(request: Request) -> JSONResponse:
        return await signed_identity_message(request, from_web_form)

    endpoints: dict[Channel, tuple[Callable[[Request], Awaitable[JSONResponse]], str]] = {
        Channel.sms: (sms, "Twilio Messaging webhook (SMS/MMS)"),
        Channel.email: (email, "Postmark inbound webhook"),
        Channel.chat: (chat, "Chat widget message"),
        Channel.web: (web, "Web contact form submission"),
        Channel.social: (social, "Social inbox message"),
    }
    for channel in Channel:
        if channel not in served:
            continue  # not routed: 404
        endpoint, summary = endpoints[channel]
        app.add_api_route(
            f"/ingest/{channel.value}",
            endpoint,
            methods=["POST"],
            status_code=202,
            summary=summary,
            response_class=JSONResponse,
            openapi_extra=openapi.request(channel),
            responses=openapi.RESPONSES,
        )

    if settings.ingest_metrics:
        app.add_route("/metrics", metrics.metrics_endpoint, include_in_schema=False)

    @app.get("/healthz", summary="Liveness, and which Temporal this API starts workflows on")
    async def healthz() -> dict[str, Any]:
        return {"ok": True, "temporal": settings.temporal_address}

    return app
