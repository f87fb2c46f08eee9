"""The console's settings: ``DESK_CONSOLE_*`` variables, in ``desk.config``'s style (an
empty variable counts as unset; a bad value is a ``ConfigError`` naming the variable)."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from desk.config import ConfigError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ConsoleSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DESK_CONSOLE_", extra="forbid", frozen=True, env_ignore_empty=True
    )

    host: str = "127.0.0.1"
    port: int = Field(default=8090, ge=0, le=65535)
    # YAML: accounts: [{id, password (scrypt hash from `desk console-password`), supervisor}]
    accounts_file: str | None = None
    # Signs the session cookies and CSRF tokens; none: a random one per start (everyone
    # signs in again after a restart). At least 32 characters.
    session_secret: str | None = Field(default=None, min_length=32, repr=False)
    session_hours: float = Field(default=8.0, gt=0, le=24 * 30)
    # Cookies only over HTTPS; on when the console is served behind TLS.
    secure_cookie: bool = False
    # A header a trusted reverse proxy sets to the signed-in user's id (e.g.
    # X-Forwarded-User), believed only from the addresses in trusted_proxies.
    proxy_header: str | None = None
    trusted_proxies: list[str] = Field(default_factory=list)
    # How often a page's live part is refreshed from Temporal (seconds).
    refresh_seconds: float = Field(default=2.0, gt=0, le=300)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str) and not value.lstrip().startswith("["):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for each in value:
            ipaddress.ip_network(each, strict=False)  # ValueError names the bad entry
        return value

    def proxy_networks(self) -> list[Network]:
        return [ipaddress.ip_network(v, strict=False) for v in self.trusted_proxies]

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ConsoleSettings:
        try:
            if env is None:
                return cls()
            known = {
                k.removeprefix("DESK_CONSOLE_").lower(): v
                for k, v in env.items()
                if k.startswith("DESK_CONSOLE_") and v != ""
            }
            return cls.model_validate(known)
        except ValidationError as err:
            problems = "; ".join(
                f"DESK_CONSOLE_{'_'.join(str(x) for x in e['loc'][:1]).upper()}: {e['msg']}"
                for e in err.errors()
            )
            raise ConfigError(f"invalid console settings: {problems}") from None
