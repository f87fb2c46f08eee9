"""Who is asking: a session cookie, or the trusted proxy's header when the request comes
from one of the configured proxy addresses. Either way the user must be an account; a
request with neither gets nothing (pages redirect to /login, the rest answer 401)."""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass

from starlette.requests import Request

from console.accounts import Accounts
from console.sessions import COOKIE, Sessions
from console.settings import ConsoleSettings, Network

LOGIN_ATTEMPTS = 5
LOGIN_WINDOW_S = 15 * 60


@dataclass(frozen=True)
class User:
    id: str
    binding: str  # what the user's CSRF tokens are tied to (session id, or the proxy user)
    via_proxy: bool = False
    expires: float | None = None


class NotSignedIn(Exception):
    pass


class Gate:
    def __init__(self, settings: ConsoleSettings, accounts: Accounts, sessions: Sessions) -> None:
        self.settings = settings
        self.accounts = accounts
        self.sessions = sessions
        self._proxies: list[Network] = settings.proxy_networks()
        self._failures: dict[str, list[float]] = {}

    def from_proxy(self, request: Request) -> bool:
        if not self.settings.proxy_header or not self._proxies or request.client is None:
            return False
        try:
            peer = ipaddress.ip_address(request.client.host)
        except ValueError:
            return False
        return any(peer in net for net in self._proxies)

    def user(self, request: Request) -> User | None:
        header = self.settings.proxy_header
        if header and self.from_proxy(request):
            named = request.headers.get(header, "").strip()
            if named and self.accounts.find(named) is not None:
                return User(id=named, binding=f"proxy:{named}", via_proxy=True)
        session = self.sessions.read(request.cookies.get(COOKIE))
        if session is not None and self.accounts.find(session.user) is not None:
            return User(id=session.user, binding=session.sid, expires=session.expires)
        return None

    # Sign-in attempts: after LOGIN_ATTEMPTS failures for one account id in LOGIN_WINDOW_S,
    # that id is refused until the window has passed (whatever the password).
    def locked(self, account_id: str) -> bool:
        now = time.monotonic()
        recent = [t for t in self._failures.get(account_id, []) if now - t < LOGIN_WINDOW_S]
        self._failures[account_id] = recent
        return len(recent) >= LOGIN_ATTEMPTS

    def failed(self, account_id: str) -> None:
        if len(self._failures) > 10_000:  # bounded: a flood of made-up ids forgets the oldest
            self._failures.pop(next(iter(self._failures)))
        self._failures.setdefault(account_id, []).append(time.monotonic())

    def succeeded(self, account_id: str) -> None:
        self._failures.pop(account_id, None)
