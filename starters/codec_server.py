"""``desk codec-server``: Temporal's codec-server protocol over the desk's payload codec, so
authorised people read encrypted payloads in the Temporal UI and ``temporal workflow show``.

The protocol (docs.temporal.io, "Codec Server setup"; temporalio/samples-go codec-server):

- ``POST .../encode`` and ``POST .../decode``; only the last path segment counts, so
  ``/decode`` and ``/{namespace}/decode`` (the CLI's endpoint templating) both work.
- The body, both ways, is the ``Payloads`` protobuf message as proto3 JSON:
  ``{"payloads": [{"metadata": {"encoding": "<base64>"}, "data": "<base64>"}]}``.
  Invalid JSON or a payload the codec refuses is 400.
- Requests carry ``Content-Type: application/json`` and ``X-Namespace``; the UI sends them
  from the browser, so the server answers CORS preflights (``OPTIONS``) for the UI's origin
  with ``Access-Control-Allow-Origin`` (that origin, never ``*``), ``-Methods: POST,
  OPTIONS`` and ``-Headers: Authorization, Content-Type, X-Namespace``; credentials are
  allowed for the UI's "Include cross-origin credentials".

The desk's additions: a bearer token (``DESK_CODEC_SERVER_TOKEN``; the CLI sends it with
``--codec-auth "Bearer <token>"``) required always, except by a server on loopback with the
development key; a request from any other browser origin is refused (403) before anything
is decoded, and so, without a token, is one for a host name that is not loopback (DNS
rebinding).
"""

from __future__ import annotations

import errno
import hmac
import socket
import sys
from collections.abc import Sequence

import structlog
import uvicorn
from google.protobuf import json_format
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from temporalio.api.common.v1 import Payloads
from temporalio.converter import PayloadCodec

from desk.codec import EncryptionCodec, Keyring
from desk.config import ConfigError, Settings
from desk.data_converter import is_loopback_host, load_keyring
from starters.serving import api_server, serve, stop_event

log = structlog.get_logger("desk.codec_server")

ALLOWED_METHODS = "POST, OPTIONS"
ALLOWED_HEADERS = "Authorization, Content-Type, X-Namespace"
PREFLIGHT_MAX_AGE_S = 600


def create_codec_app(
    codec: PayloadCodec, *, token: str | None, origins: Sequence[str]
) -> Starlette:
    """The codec server as an ASGI app: ``token`` None means no authentication."""
    allowed = frozenset(origins)
    expected = f"Bearer {token}".encode() if token else None

    def cors(request: Request) -> dict[str, str]:
        origin = request.headers.get("origin")
        if origin is None or origin not in allowed:
            return {}
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Credentials": "true",
            "Vary": "Origin",
        }

    def refused_origin(request: Request) -> Response | None:
        origin = request.headers.get("origin")
        if origin is not None and origin not in allowed:
            log.warning("codec_server.origin_refused", origin=origin)
            return JSONResponse(
                {"error": "origin not allowed (DESK_CODEC_CORS_ORIGIN)"},
                status_code=403,
                headers={"Vary": "Origin"},
            )
        return None

    def authorised(request: Request) -> bool:
        if expected is None:
            return True
        given = request.headers.get("authorization", "")
        scheme, _, credentials = given.partition(" ")
        # The scheme is case-insensitive (RFC 7235); compare the rest in constant time.
        return scheme.lower() == "bearer" and hmac.compare_digest(
            f"Bearer {credentials.strip()}".encode(), expected
        )

    def foreign_host(request: Request) -> bool:
        # Without a token only a loopback name may be asked for: a page whose own name was
        # rebound to 127.0.0.1 sends its name as the Host.
        return expected is None and not is_loopback_host(request.url.hostname or "")

    async def endpoint(request: Request) -> Response:
        if (refused := refused_origin(request)) is not None:
            return refused
        if foreign_host(request):
            log.warning("codec_server.host_refused", host=request.headers.get("host"))
            return JSONResponse({"error": "host not allowed"}, status_code=403)
        operation = request.url.path.rstrip("/").rsplit("/", 1)[-1]
        if operation not in ("encode", "decode"):
            return JSONResponse({"error": "not found"}, status_code=404, headers=cors(request))
        if request.method == "OPTIONS":
            # A preflight carries no credentials: answer it for the allowed origin only.
            headers = cors(request)
            if headers:
                headers |= {
                    "Access-Control-Allow-Methods": ALLOWED_METHODS,
                    "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                    "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE_S),
                }
            return Response(status_code=204, headers=headers | {"Allow": ALLOWED_METHODS})
        if not authorised(request):
            return JSONResponse(
                {"error": "missing or wrong bearer token"},
                status_code=401,
                headers=cors(request) | {"WWW-Authenticate": "Bearer"},
            )
        try:
            payloads = json_format.Parse(await request.body(), Payloads())
        except (json_format.ParseError, UnicodeDecodeError) as err:
            return JSONResponse(
                {"error": f"body is not Payloads JSON: {err}"},
                status_code=400,
                headers=cors(request),
            )
        try:
            if operation == "encode":
                done = await codec.encode(list(payloads.payloads))
            else:
                done = await codec.decode(list(payloads.payloads))
        except ValueError as err:  # an unknown key id, a payload that does not authenticate
            return JSONResponse({"error": str(err)}, status_code=400, headers=cors(request))
        log.debug(  # the UI sends many of these a page
            "codec_server.request",
            operation=operation,
            payloads=len(done),
            namespace=request.headers.get("x-namespace"),
        )
        return Response(
            json_format.MessageToJson(Payloads(payloads=done)),
            media_type="application/json",
            headers=cors(request),
        )

    return Starlette(
        routes=[Route("/{path:path}", endpoint, methods=["POST", "OPTIONS"])],
    )


def codec_server_token(settings: Settings, keyring: Keyring) -> str | None:
    """The token the server requires; ConfigError where one is needed and missing."""
    token = settings.codec_server_token.get_secret_value() if settings.codec_server_token else None
    if token is None:
        if not is_loopback_host(settings.codec_server_host):
            raise ConfigError(
                "DESK_CODEC_SERVER_TOKEN is required: the codec server listens on "
                f"{settings.codec_server_host}, not loopback, and decrypts personal data"
            )
        if not keyring.development:
            raise ConfigError(
                "DESK_CODEC_SERVER_TOKEN is required with configured keys "
                f"({keyring.source}); only the development key is served without one on "
                "loopback"
            )
    return token


def codec_server_url(settings: Settings) -> str:
    """The URL a browser or the CLI on this machine uses."""
    host = settings.codec_server_host
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.codec_server_port}"


def _port_in_use(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as err:
            return err.errno == errno.EADDRINUSE
    return False


def build_codec_server(settings: Settings, keyring: Keyring | None = None) -> uvicorn.Server:
    """The codec server for ``settings``, not yet serving; ConfigError when it cannot run."""
    keyring = keyring or load_keyring(settings)
    token = codec_server_token(settings, keyring)
    if _port_in_use(settings.codec_server_host, settings.codec_server_port):
        raise ConfigError(
            f"the codec server's port {settings.codec_server_host}:"
            f"{settings.codec_server_port} is in use (another codec server? set "
            "DESK_CODEC_SERVER_PORT)"
        )
    app = create_codec_app(EncryptionCodec(keyring), token=token, origins=settings.codec_origins)
    return api_server(app, settings.codec_server_host, settings.codec_server_port)


async def run_codec_server(settings: Settings) -> int:
    keyring = load_keyring(settings)
    server = build_codec_server(settings, keyring)
    url = codec_server_url(settings)
    auth = "bearer token required" if settings.codec_server_token else "no token (loopback, dev)"
    print(
        f"codec server  {url}  ({auth}; keys {', '.join(keyring.key_ids)} from "
        f"{keyring.source})\n  UI origins    {', '.join(settings.codec_origins)}\n"
        f"  CLI           temporal workflow show --workflow-id ID --codec-endpoint {url}"
        + (' --codec-auth "Bearer $DESK_CODEC_SERVER_TOKEN"' if settings.codec_server_token else "")
        + "\nCtrl-C stops it.",
        file=sys.stderr,
    )
    await serve(stop_event(), server=server)
    return 0


def embedded_codec_server(
    settings: Settings, keyring: Keyring
) -> tuple[uvicorn.Server | None, str | None]:
    """For ``desk up`` / ``desk demo``: the codec server and its URL (for the embedded
    UI's ``--ui-codec-endpoint``), or a warning and (None, None) when it cannot run here
    (its port taken, configured keys without a token): the desk still runs, the UI then
    shows ciphertext."""
    try:
        return build_codec_server(settings, keyring), codec_server_url(settings)
    except ConfigError as err:
        log.warning("codec_server.not_started", reason=str(err))
        return None, None
