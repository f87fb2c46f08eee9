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

LOGIN_ATTEMPTS = 5  # wrong passwords for one account from one address
ADDRESS_ATTEMPTS = 20  # wrong passwords from one address, whatever the accounts
LOGIN_WINDOW_S = 15 * 60
_REMEMBERED = 10_000  # keys of each kind kept; a flood of made-up ones forgets the oldest


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
        self._failures: dict[tuple[str, ...], list[float]] = {}

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

    # Sign-in attempts. Counted per account *and address*, so a stranger's wrong guesses
    # from elsewhere cannot lock a supervisor out of their own sign-in; and per address
    # across accounts, so one address cannot spray guesses over many accounts. Behind a
    # trusted proxy every user shares the proxy's address: there only the per-account count
    # applies (a shared ceiling would let one user lock everyone out).
    def peer(self, request: Request) -> str:
        return request.client.host if request.client is not None else "unknown"

    def locked(self, request: Request, account_id: str) -> str | None:
        """Why sign-in is refused now (``account`` or ``address``), or None."""
        peer = self.peer(request)
        if self._recent(("account", account_id, peer)) >= LOGIN_ATTEMPTS:
            return "account"
        if not self.from_proxy(request) and self._recent(("address", peer)) >= ADDRESS_ATTEMPTS:
            return "address"
        return None

    def failed(self, request: Request, account_id: str) -> None:
        peer = self.peer(request)
        for key in (("account", account_id, peer), ("address", peer)):
            if len(self._failures) > 2 * _REMEMBERED:
                self._failures.pop(next(iter(self._failures)))
            self._failures.setdefault(key, []).append(time.monotonic())

    def succeeded(self, request: Request, account_id: str) -> None:
        # The address's count stays: a guesser holding one account of their own must not
        # be able to reset it by signing in between guesses.
        self._failures.pop(("account", account_id, self.peer(request)), None)

    def _recent(self, key: tuple[str, ...]) -> int:
        now = time.monotonic()
        recent = [t for t in self._failures.get(key, []) if now - t < LOGIN_WINDOW_S]
        if recent:
            self._failures[key] = recent
        else:
            self._failures.pop(key, None)
        return len(recent)
