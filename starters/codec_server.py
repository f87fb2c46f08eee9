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

The desk's additions: a token, always required (``DESK_CODEC_SERVER_TOKEN``; on a loopback
development desk one is generated once into ``<data_dir>/codec-token``). The CLI sends it as
``--codec-auth "Bearer <token>"``. A browser signs in once at ``/login?token=<token>``,
which sets an HttpOnly cookie; the Temporal UI then sends it with its codec requests when its
codec settings have "Include cross-origin credentials" on (the UI on 127.0.0.1:8233 and this
server on 127.0.0.1:8081 are the same site). A request from any other browser origin is
refused (403) before anything is decoded.
"""

from __future__ import annotations

import errno
import hmac
import secrets
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

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
from desk.data_converter import load_keyring
from desk.loopback import is_loopback
from starters.serving import api_server, serve, stop_event

log = structlog.get_logger("desk.codec_server")

ALLOWED_METHODS = "POST, OPTIONS"
ALLOWED_HEADERS = "Authorization, Content-Type, X-Namespace"
PREFLIGHT_MAX_AGE_S = 600


COOKIE = "desk_codec"


def create_codec_app(codec: PayloadCodec, *, token: str, origins: Sequence[str]) -> Starlette:
    """The codec server as an ASGI app; every encode and decode needs ``token``."""
    if not token:
        raise ConfigError("the codec server needs a token")
    allowed = frozenset(origins)
    expected = f"Bearer {token}".encode()

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

    def same_token(given: str) -> bool:
        return hmac.compare_digest(f"Bearer {given.strip()}".encode(), expected)

    def authorised(request: Request) -> bool:
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        # The scheme is case-insensitive (RFC 7235); compare the rest in constant time.
        if scheme.lower() == "bearer" and same_token(credentials):
            return True
        cookie = request.cookies.get(COOKIE)
        return cookie is not None and same_token(cookie)

    async def login(request: Request) -> Response:
        """A browser signs in once: the token in the link becomes an HttpOnly cookie."""
        given = request.query_params.get("token", "")
        if not same_token(given):
            return JSONResponse({"error": "wrong token"}, status_code=401)
        response = JSONResponse(
            {
                "signed_in": True,
                "next": "in the Temporal UI's codec settings, turn on "
                "'Include cross-origin credentials'",
            }
        )
        response.set_cookie(COOKIE, given.strip(), httponly=True, samesite="lax", max_age=43200)
        return response

    async def endpoint(request: Request) -> Response:
        if (refused := refused_origin(request)) is not None:
            return refused
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
        routes=[
            Route("/login", login, methods=["GET"]),
            Route("/{path:path}", endpoint, methods=["POST", "OPTIONS"]),
        ],
    )


def codec_server_token(settings: Settings, keyring: Keyring) -> str:
    """The token the server requires: DESK_CODEC_SERVER_TOKEN, or for a development desk
    on loopback one generated once into ``<data_dir>/codec-token``; ConfigError otherwise."""
    if settings.codec_server_token:
        return settings.codec_server_token.get_secret_value()
    if not is_loopback(settings.codec_server_host):
        raise ConfigError(
            "DESK_CODEC_SERVER_TOKEN is required: the codec server listens on "
            f"{settings.codec_server_host}, not loopback, and decrypts personal data"
        )
    if not keyring.development:
        raise ConfigError(
            f"DESK_CODEC_SERVER_TOKEN is required with configured keys ({keyring.source})"
        )
    path = Path(settings.data_dir) / "codec-token"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32) + "\n")
    return path.read_text().strip()


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


def sign_in_hint(settings: Settings, keyring: Keyring) -> str:
    """How a person on this machine reads payloads: the browser sign-in and the CLI."""
    url = codec_server_url(settings)
    where = (
        "$DESK_CODEC_SERVER_TOKEN"
        if settings.codec_server_token
        else f"$(cat {Path(settings.data_dir) / 'codec-token'})"
    )
    return (
        f"browser: open {url}/login?token=<token> once, then turn on 'Include cross-origin "
        f"credentials' in the UI's codec settings\n"
        f"  CLI: temporal workflow show --workflow-id ID --codec-endpoint {url} "
        f'--codec-auth "Bearer {where}"'
    )


async def run_codec_server(settings: Settings) -> int:
    keyring = load_keyring(settings)
    server = build_codec_server(settings, keyring)
    url = codec_server_url(settings)
    print(
        f"codec server  {url}  (token required; keys {', '.join(keyring.key_ids)} from "
        f"{keyring.source})\n  UI origins    {', '.join(settings.codec_origins)}\n"
        f"  {sign_in_hint(settings, keyring)}\nCtrl-C stops it.",
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
