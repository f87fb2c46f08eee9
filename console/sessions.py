"""Sessions and CSRF tokens: a signed cookie holding who signed in, until when, and a
random session id; a CSRF token per session (and one per login form), each an HMAC with
the console's secret. Nothing is stored server-side but the ids of sessions signed out
before they expired."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

COOKIE = "desk_console"
LOGIN_COOKIE = "desk_console_login"


@dataclass(frozen=True)
class Session:
    user: str
    expires: float
    sid: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Sessions:
    def __init__(self, secret: str | None, hours: float) -> None:
        self._key = hashlib.sha256((secret or secrets.token_hex(32)).encode()).digest()
        self.seconds = int(hours * 3600)
        self._ended: dict[str, float] = {}  # session id -> its expiry

    def _mac(self, purpose: str, text: str) -> str:
        return _b64(hmac.new(self._key, f"{purpose}:{text}".encode(), hashlib.sha256).digest())

    def issue(self, user: str, now: float | None = None) -> tuple[str, Session]:
        now = time.time() if now is None else now
        session = Session(user=user, expires=now + self.seconds, sid=secrets.token_urlsafe(16))
        body = _b64(
            json.dumps({"u": session.user, "e": session.expires, "s": session.sid}).encode()
        )
        return f"{body}.{self._mac('session', body)}", session

    def read(self, cookie: str | None, now: float | None = None) -> Session | None:
        """The session a cookie holds, if it is ours, unexpired and not signed out."""
        if not cookie or "." not in cookie or len(cookie) > 4096:
            return None
        body, mac = cookie.rsplit(".", 1)
        if not hmac.compare_digest(mac, self._mac("session", body)):
            return None
        try:
            data = json.loads(_unb64(body))
            session = Session(user=str(data["u"]), expires=float(data["e"]), sid=str(data["s"]))
        except (ValueError, KeyError, TypeError):
            return None
        now = time.time() if now is None else now
        if session.expires <= now or session.sid in self._ended:
            return None
        return session

    def end(self, session: Session) -> None:
        now = time.time()
        self._ended = {s: e for s, e in self._ended.items() if e > now}
        self._ended[session.sid] = session.expires

    # CSRF: a form's hidden token is tied to the session (or to the login form's cookie).
    def csrf_token(self, binding: str) -> str:
        return self._mac("csrf", binding)

    def csrf_valid(self, binding: str, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf_token(binding), token or "")

    @staticmethod
    def new_login_nonce() -> str:
        return secrets.token_urlsafe(16)
