"""The console's web app: sign-in, the queue, a contact's page with the decision buttons,
and the live updates (server-sent events carrying the page's redrawn live part).

Every route but /login and /static needs a signed-in user: a page redirects to /login, the
JSON, event-stream and form routes answer 401, with nothing of any contact."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.responses import StreamingResponse
from temporalio.client import Client

from console import data, decisions
from console.accounts import Accounts
from console.auth import Gate, NotSignedIn, User
from console.sessions import COOKIE, LOGIN_COOKIE, Sessions
from console.settings import ConsoleSettings
from desk.models import ResolutionKind, SupervisorAction
from desk.supervisors import SupervisorRegistry

HERE = Path(__file__).parent
KEEPALIVE_S = 15.0
Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]

SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        b"form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


class _SecurityHeaders:
    """Headers on every response; pages and data are never cached (static assets may be)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += SECURITY_HEADERS
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def _when(t: datetime | None) -> str:
    return "—" if t is None else f"{t.astimezone(UTC):%a %d %b %H:%M:%S} UTC"


def _wants_page(request: Request) -> bool:
    path = request.url.path
    return (
        request.method == "GET"
        and not path.startswith(("/api/", "/events/"))
        and "text/event-stream" not in request.headers.get("accept", "")
    )


def create_app(
    client: Client,
    settings: ConsoleSettings,
    accounts: Accounts,
    registry: SupervisorRegistry,
    scans: data.Scans | None = None,
) -> FastAPI:
    sessions = Sessions(settings.session_secret, settings.session_hours)
    gate = Gate(settings, accounts, sessions)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    env = templates.env
    env.globals.update(
        resolutions=[r.value for r in ResolutionKind],
        sla_text=data.sla_text,
        sla_due=data.sla_due,
        age=data.age,
    )
    env.filters["when"] = _when
    env.filters["money"] = lambda v: "—" if v is None else f"{v:,.2f}"

    app = FastAPI(title="desk console", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.gate = gate
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.exception_handler(NotSignedIn)
    async def _not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        if _wants_page(request):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        return JSONResponse({"detail": "sign in first"}, status_code=401)

    def signed_in(request: Request) -> User:
        user = gate.user(request)
        if user is None:
            raise NotSignedIn()
        request.state.user = user
        return user

    def page_context(request: Request, user: User, **more: Any) -> dict[str, Any]:
        supervisor = registry.find(user.id)
        return {
            "user": user,
            "role": supervisor.role if supervisor else None,
            "limit": registry.limit(supervisor) if supervisor else None,
            "csrf": sessions.csrf_token(user.binding),
            "refresh": settings.refresh_seconds,
            "now": datetime.now(UTC),
            **more,
        }

    def set_session_cookie(response: Response, value: str) -> None:
        response.set_cookie(
            COOKIE,
            value,
            max_age=sessions.seconds,
            httponly=True,
            samesite="strict",
            secure=settings.secure_cookie,
            path="/",
        )

    # ------------------------------------------------------------ public: sign-in

    public = APIRouter()

    def login_page(
        request: Request, error: str = "", status: int = 200, next_path: str = "/"
    ) -> Response:
        nonce = Sessions.new_login_nonce()
        response = templates.TemplateResponse(
            request,
            "login.html",
            {
                "error": error,
                "csrf": sessions.csrf_token(f"login:{nonce}"),
                "next": next_path,
                "proxy": bool(settings.proxy_header),
                "accounts": bool(accounts.accounts),
            },
            status_code=status,
        )
        response.set_cookie(
            LOGIN_COOKIE,
            nonce,
            max_age=3600,
            httponly=True,
            samesite="strict",
            secure=settings.secure_cookie,
            path="/login",
        )
        return response

    def safe_next(value: str | None) -> str:
        if value and value.startswith("/") and not value.startswith(("//", "/\\")):
            return value
        return "/"

    @public.get("/login", response_class=HTMLResponse)
    async def login_form(request: Request, next: str | None = None) -> Response:
        if gate.user(request) is not None:
            return RedirectResponse(safe_next(next), status_code=303)
        return login_page(request, next_path=safe_next(next))

    @public.post("/login")
    async def login(
        request: Request,
        username: str = Form("", max_length=200),
        password: str = Form("", max_length=1024),
        csrf: str = Form("", max_length=200),
        next: str = Form("/", max_length=2000),
    ) -> Response:
        nonce = request.cookies.get(LOGIN_COOKIE, "")
        target = safe_next(next)
        if not nonce or not sessions.csrf_valid(f"login:{nonce}", csrf):
            return login_page(request, "The form expired: sign in again.", 400, target)
        username = username.strip()
        if locked := gate.locked(request, username):
            why = (
                "Too many failed attempts for this account from here"
                if locked == "account"
                else "Too many failed sign-ins from this address"
            )
            return login_page(request, f"{why}: wait 15 minutes.", 429, target)
        account = await asyncio.to_thread(accounts.check, username, password)
        if account is None:
            gate.failed(request, username)
            return login_page(request, "Wrong account or password.", 401, target)
        gate.succeeded(request, username)
        value, _ = sessions.issue(account.id)
        response = RedirectResponse(target, status_code=303)
        set_session_cookie(response, value)
        response.delete_cookie(LOGIN_COOKIE, path="/login")
        return response

    app.include_router(public)

    # ------------------------------------------------------------ signed in only

    private = APIRouter(dependencies=[Depends(signed_in)])

    def check_csrf(user: User, token: str) -> Response | None:
        if sessions.csrf_valid(user.binding, token):
            return None
        return JSONResponse(
            {"detail": "the form's CSRF token is missing or wrong: reload the page"},
            status_code=403,
        )

    @private.post("/logout")
    async def logout(request: Request, csrf: str = Form("", max_length=200)) -> Response:
        user: User = request.state.user
        if (refused := check_csrf(user, csrf)) is not None:
            return refused
        session = sessions.read(request.cookies.get(COOKIE))
        if session is not None:
            sessions.end(session)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    @private.get("/", response_class=HTMLResponse)
    async def queue_page(request: Request) -> Response:
        rows = await data.queue(client)
        return templates.TemplateResponse(
            request, "queue.html", page_context(request, request.state.user, rows=rows)
        )

    @private.get("/api/queue")
    async def queue_json(request: Request) -> Response:
        rows = await data.queue(client)
        return JSONResponse([jsonable_encoder(dataclasses.asdict(r)) for r in rows])

    @private.get("/contacts/{contact_id}", response_class=HTMLResponse)
    async def contact_page(request: Request, contact_id: str, decided: str = "") -> Response:
        accepted = decided if decided in {a.value for a in SupervisorAction} else ""
        return await render_contact(request, contact_id, accepted=accepted)

    async def render_contact(
        request: Request,
        contact_id: str,
        *,
        accepted: str = "",
        refusal: str = "",
        status: int = 200,
        form: dict[str, str] | None = None,
    ) -> Response:
        view = await data.contact_view(client, contact_id, scans)
        user: User = request.state.user
        if view is None:
            return templates.TemplateResponse(
                request,
                "missing.html",
                page_context(request, user, contact_id=contact_id),
                status_code=404,
            )
        return templates.TemplateResponse(
            request,
            "contact.html",
            page_context(
                request,
                user,
                view=view,
                accepted=accepted,
                refusal=refusal,
                form=form or {},
                deciding=view.snap.state in data.WAITING_ON_A_PERSON,
            ),
            status_code=status,
        )

    @private.get("/api/contacts/{contact_id}")
    async def contact_json(contact_id: str) -> Response:
        snap = await data.snapshot(client, contact_id)
        if snap is None:
            return JSONResponse({"detail": f"no contact {contact_id}"}, status_code=404)
        return Response(snap.model_dump_json(), media_type="application/json")

    @private.post("/contacts/{contact_id}/decide")
    async def decide(
        request: Request,
        contact_id: str,
        action: str = Form("", max_length=40),
        note: str = Form("", max_length=decisions.NOTE_MAX + 1),
        resolution: str = Form("", max_length=40),
        amount: str = Form("", max_length=40),
        csrf: str = Form("", max_length=200),
    ) -> Response:
        user: User = request.state.user
        if (refused := check_csrf(user, csrf)) is not None:
            return refused
        form = {"note": note, "resolution": resolution, "amount": amount}
        try:
            decision = decisions.parse_form(user.id, action, note, resolution or None, amount)
        except decisions.BadDecision as err:
            return await render_contact(
                request, contact_id, refusal=str(err), status=400, form=form
            )
        outcome = await decisions.send(client, registry, contact_id, decision)
        if outcome.accepted:
            return RedirectResponse(
                f"/contacts/{quote(contact_id, safe='')}?decided={decision.action.value}",
                status_code=303,
            )
        return await render_contact(
            request, contact_id, refusal=outcome.message, status=409, form=form
        )

    # ------------------------------------------------------------ live updates (SSE)

    def stream(request: Request, render: Callable[[], Awaitable[str]]) -> StreamingResponse:
        async def events() -> AsyncIterator[str]:
            last, quiet_since = "", time.monotonic()
            yield f"retry: {int(settings.refresh_seconds * 1000)}\n\n"
            while not await request.is_disconnected():
                if gate.user(request) is None:  # signed out or expired: the stream ends
                    yield "event: signed-out\ndata: /login\n\n"
                    return
                html = await render()
                if html != last:
                    last, quiet_since = html, time.monotonic()
                    body = "".join(f"data: {line}\n" for line in html.splitlines() or [""])
                    yield f"event: update\n{body}\n"
                elif time.monotonic() - quiet_since > KEEPALIVE_S:
                    quiet_since = time.monotonic()
                    yield ": keepalive\n\n"
                await asyncio.sleep(settings.refresh_seconds)

        return StreamingResponse(
            events(),
            media_type="text/event-stream",
            headers={"x-accel-buffering": "no"},
        )

    # The live streams share their reads: one per interval, however many pages are open.
    shared = data.Shared(settings.refresh_seconds * 0.9)

    @private.get("/events/queue")
    async def queue_events(request: Request) -> StreamingResponse:
        async def render() -> str:
            rows = await shared.get("queue", lambda: data.queue(client))
            template = env.get_template("_queue.html")
            return template.render(page_context(request, request.state.user, rows=rows))

        return stream(request, render)

    @private.get("/events/contacts/{contact_id}")
    async def contact_events(request: Request, contact_id: str) -> StreamingResponse:
        async def render() -> str:
            view = await shared.get(
                f"contact:{contact_id}", lambda: data.contact_view(client, contact_id, scans)
            )
            if view is None:
                return '<p class="notice">This contact cannot be read right now.</p>'
            template = env.get_template("_contact_live.html")
            return template.render(page_context(request, request.state.user, view=view))

        return stream(request, render)

    app.include_router(private)
    app.add_middleware(_SecurityHeaders)  # type: ignore[arg-type]
    return app
