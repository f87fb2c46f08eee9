"""Who may sign into the console: accounts with scrypt password hashes, each acting as one
supervisor of the registry (``desk.supervisors``), whose role caps what they decide.

The accounts file (``DESK_CONSOLE_ACCOUNTS_FILE``)::

    accounts:
      - id: sam@shop.example          # shown on the page, and the decision's `by`
        password: scrypt$16384$8$1$...  # `desk console-password`
      - id: kim@shop.example
        # no password: signs in only through the trusted proxy header

An account's id is the supervisor id its decisions are signed as: it must be in the
supervisor registry to decide (else it may look, and every decision is refused, saying so).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from desk.config import ConfigError

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
_MAXMEM = 64 * 1024 * 1024


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=32)


def hash_password(password: str) -> str:
    """``scrypt$N$r$p$salt$hash`` (base64), for the accounts file."""
    if not password:
        raise ValueError("the password is empty")
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def _parse(hashed: str) -> tuple[int, int, int, bytes, bytes]:
    parts = hashed.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        raise ValueError("is not a scrypt$N$r$p$salt$hash password hash (desk console-password)")
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt, digest = base64.b64decode(parts[4], validate=True), base64.b64decode(parts[5])
    except ValueError:
        raise ValueError("is not a valid scrypt password hash") from None
    if n < 2**14 or n & (n - 1) or not (1 <= r <= 32) or not (1 <= p <= 16) or len(salt) < 16:
        raise ValueError("has scrypt parameters weaker than N=16384, r=8, or a short salt")
    return n, r, p, salt, digest


def verify_password(password: str, hashed: str) -> bool:
    n, r, p, salt, digest = _parse(hashed)
    return hmac.compare_digest(_scrypt(password, salt, n, r, p), digest)


# Checked against when the user is unknown, so an unknown id takes as long as a wrong password.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


class Account(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=200)
    password: str | None = Field(default=None, repr=False)

    @field_validator("password")
    @classmethod
    def _hashed(cls, value: str | None) -> str | None:
        if value is not None:
            _parse(value)
        return value


class Accounts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    accounts: list[Account] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> Accounts:
        ids = [a.id for a in self.accounts]
        if len(ids) != len(set(ids)):
            raise ValueError("an account id is listed twice")
        return self

    def find(self, account_id: str) -> Account | None:
        return next((a for a in self.accounts if a.id == account_id), None)

    def check(self, account_id: str, password: str) -> Account | None:
        """The account when the password is its own; None otherwise (same time either way)."""
        account = self.find(account_id)
        hashed = account.password if account and account.password else _DUMMY_HASH
        ok = verify_password(password, hashed)
        return account if ok and account is not None and account.password else None


def load_accounts(path: str | Path | None) -> Accounts:
    """The accounts from their YAML file; none configured: nobody can sign in."""
    if path is None:
        return Accounts()
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"console accounts file {p} does not exist")
    data = yaml.safe_load(p.read_text()) or {}
    try:
        return Accounts.model_validate(data)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(x) for x in e['loc']) or '(root)'}: {e['msg']}" for e in err.errors()
        )
        raise ConfigError(f"invalid console accounts file {p}: {problems}") from None
