"""Configuration: the policy numbers (POLICY.md) and the deployment settings.

Both are loaded once at process start and validated; a bad value fails at start with the
field named. The policy travels into each workflow as data (``ContactInput.policy``), so a
running contact keeps the numbers it started with and replays identically.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)
from pydantic_settings.sources.utils import parse_env_vars

from desk.models import Channel, Tier


class ConfigError(ValueError):
    """A configuration value is missing or invalid; the message names the field."""


def _tiers(vip: float, standard: float, new: float, b2b: float) -> dict[Tier, float]:
    return {Tier.vip: vip, Tier.standard: standard, Tier.new: new, Tier.b2b: b2b}


class PolicyConfig(BaseModel):
    """Every number POLICY.md names, with its defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_intent_confidence: float = Field(0.6, ge=0, le=1)
    gps_match_m: float = Field(150, gt=0)
    misdelivery_m: float = Field(400, gt=0)
    stall_days: float = Field(5, gt=0)
    lost_after_late_days: float = Field(3, ge=0)
    handling_days: int = Field(2, ge=0, description="business days from placing to ship-by")
    unshipped_escalate_days: float = Field(5, gt=0)
    recheck_after_expected_days: float = Field(
        1, ge=0, description="where_is_my_order step 2: re-trace this long after the ETA"
    )
    late_recheck_hours: float = Field(48, gt=0)
    repeat_claim_limit: int = Field(2, ge=1)
    claim_window_days: float = Field(365, gt=0)
    carrier_followup_hours: float = Field(48, gt=0)
    retrace_hours: float = Field(12, gt=0)
    customer_reply_hours: float = Field(48, gt=0)
    early_claim_hours: float = Field(24, ge=0)
    reopen_hours: float = Field(72, ge=0)
    return_required_above: dict[Tier, float] = Field(
        default_factory=lambda: _tiers(100, 50, 50, 50)
    )
    auto_approve_limit: dict[Tier, float] = Field(default_factory=lambda: _tiers(500, 200, 100, 0))
    escalation_sla_hours: dict[Tier, float] = Field(default_factory=lambda: _tiers(4, 24, 24, 4))
    escalation_top_level: int = Field(3, ge=1, description="escalation levels: team, lead, manager")
    escalation_slow_reminder_hours: float = Field(
        24, gt=0, description="past the top level, supervisors are reminded at most this often"
    )
    holding_replies_max: int = Field(
        3, ge=0, description="holding replies a customer gets while a decision is late"
    )
    human_owned_check_hours: float = Field(
        24, gt=0, description="how often a contact a person owns checks its history length"
    )
    fastest_service: str = "express"
    unverified_attempts_per_sender: int = Field(
        5, ge=1, description="messages an unverified sender may send in the window"
    )
    unverified_attempts_per_order: int = Field(
        5, ge=1, description="unverified messages about one order in the window"
    )
    unverified_window_hours: float = Field(
        24, gt=0, description="the attempt window; a lockout lifts one window after it began"
    )
    confirm_below_confidence: float = Field(
        0.8, ge=0, le=1, description="below this reading, ask before anything irreversible"
    )
    recent_order_days: float = Field(
        60, gt=0, description="orders this recent make an inferred order uncertain"
    )
    max_rereads: int = Field(
        2, ge=0, description="corrections the desk re-reads before a person takes over"
    )
    message_text_max_chars: int = Field(
        8000, ge=200, description="text of a verified message carried into its contact"
    )
    max_history_events: int = Field(
        8000, ge=200, description="continue-as-new once a contact's history is this long"
    )
    carried_entries: int = Field(
        300, ge=10, description="messages and timeline entries carried into a new run"
    )
    time_scale: float = Field(
        1.0, gt=0, le=1, description="multiplies every timer; demos use a small value"
    )

    @model_validator(mode="after")
    def _every_tier(self) -> PolicyConfig:
        for name in ("return_required_above", "auto_approve_limit", "escalation_sla_hours"):
            missing = [t.value for t in Tier if t not in getattr(self, name)]
            if missing:
                raise ValueError(f"{name} has no value for tier(s) {', '.join(missing)}")
        return self


def _format_validation(prefix: str, err: ValidationError) -> str:
    parts = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "(root)"
        if prefix and e["loc"]:
            # Name the variable as it is set: DESK_INGEST_CHANNELS, item 1.
            first, *rest = (str(p) for p in e["loc"])
            loc = first.upper() + "".join(f"[{r}]" for r in rest)
        parts.append(f"{prefix}{loc}: {e['msg']}")
    return "; ".join(parts)


def load_policy(path: str | Path | None = None, env: dict[str, str] | None = None) -> PolicyConfig:
    """Policy from an optional YAML file, then ``DESK_POLICY_<FIELD>`` environment overrides."""
    env = dict(os.environ) if env is None else env
    data: dict[str, Any] = {}
    path = path or env.get("DESK_POLICY_FILE")
    if path:
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"policy file {p} does not exist")
        loaded = yaml.safe_load(p.read_text()) or {}
        if not isinstance(loaded, dict):
            raise ConfigError(f"policy file {p} must hold a mapping of setting: value")
        data.update(loaded)
    for key, value in env.items():
        if key.startswith("DESK_POLICY_") and key != "DESK_POLICY_FILE":
            data[key.removeprefix("DESK_POLICY_").lower()] = yaml.safe_load(value)
    if "DESK_TIME_SCALE" in env:
        data["time_scale"] = env["DESK_TIME_SCALE"]
    try:
        return PolicyConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError("invalid policy: " + _format_validation("", err)) from None


class _MappingEnvSource(EnvSettingsSource):
    """``DESK_*`` variables from a given mapping instead of the process's environment
    (``Settings.from_env(env)``: tests, and tools that build settings for another process)."""

    def __init__(self, settings_cls: type[BaseSettings], env: Mapping[str, str]) -> None:
        self._env = dict(env)
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(
            self._env, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str
        )


_ENV: ContextVar[Mapping[str, str] | None] = ContextVar("desk_settings_env", default=None)


class Settings(BaseSettings):
    """Where the desk's parts live: ``DESK_*`` variables (pydantic-settings), an empty
    variable counting as unset. Temporal's own connection settings (``TEMPORAL_ADDRESS``,
    ``TEMPORAL_NAMESPACE``, ``TEMPORAL_API_KEY``, TLS, profiles in a TOML file) are read
    too, by ``desk.temporal_client``; a ``DESK_TEMPORAL_*`` given here overrides them."""

    model_config = SettingsConfigDict(
        env_prefix="DESK_", extra="forbid", frozen=True, env_ignore_empty=True
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        given = _ENV.get()
        env = _MappingEnvSource(settings_cls, given) if given is not None else env_settings
        return (init_settings, env)

    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    temporal_tls: bool = False
    temporal_tls_cert: str | None = None
    temporal_tls_key: str | None = None
    temporal_api_key: str | None = None
    task_queue: str = "contact-desk"
    data_dir: str = "data"
    database_url: str | None = None
    ingest_host: str = "127.0.0.1"
    ingest_port: int = Field(8000, ge=1, le=65535)
    ui_port: int = Field(8233, ge=1, le=65535)
    classifier: Literal["local", "llm"] = "local"
    llm_base_url: str | None = None
    llm_api_key: str | None = None
    llm_model: str | None = None
    order_number_formats: list[str] = Field(
        default_factory=list, description="regexes for the shop's own order-number formats"
    )

    @model_validator(mode="after")
    def _formats_compile(self) -> Settings:
        for pattern in self.order_number_formats:
            try:
                re.compile(pattern)
            except re.error as err:
                raise ValueError(
                    f"order_number_formats: {pattern!r} is not a regular expression ({err})"
                ) from None
        return self

    temporal_port: int = Field(7233, ge=1, le=65535)

    # ---- adapters (desk/adapters/wiring.py; README "Connecting the merchant's systems")
    order_system: Literal["sandbox", "shopify"] = Field(
        "sandbox", description="customers, orders, stock, cancellations, address changes"
    )
    payments: Literal["order_system", "stripe"] = Field(
        "order_system", description="refunds: through the order system, or Stripe"
    )
    carriers: Literal["sandbox", "vendor"] = Field(
        "sandbox",
        description="tracking and searches: vendor = every carrier whose DESK_<VENDOR>_* "
        "credentials are set (USPS, UPS, FedEx, EasyPost, AfterShip), DESK_CARRIER_ROUTES",
    )
    helpdesk: Literal["sandbox", "vendor"] = Field(
        "sandbox", description="replies: vendor = DESK_HELPDESK_REPLIES (zendesk, gorgias)"
    )

    # ---- supervisors (desk/supervisors.py)
    supervisors_file: str | None = Field(
        None, description="the supervisor registry (YAML); default <data_dir>/supervisors.yaml"
    )
    operator_id: str | None = Field(None, description="who the CLI decides as")
    operator_key: str | None = Field(None, description="that supervisor's key (base64)")

    # ---- personal data
    # Payload encryption keys and the codec server (desk/codec.py, desk/data_converter.py,
    # starters/codec_server.py; README "Personal data"). With neither keys nor a key file,
    # a desk on a loopback Temporal uses a development key kept in <data_dir>/codec-keys.
    codec_keys: SecretStr | None = Field(
        None, description="id:base64,id:base64 — the first encrypts, every one decrypts"
    )
    codec_key_file: str | None = Field(
        None, description="a file of id:base64 lines, read after DESK_CODEC_KEYS"
    )
    codec_server_host: str = "127.0.0.1"
    codec_server_port: int = Field(8081, ge=1, le=65535)
    codec_server_token: SecretStr | None = Field(
        None, description="bearer token the codec server requires (always, off loopback)"
    )
    codec_cors_origin: str | None = Field(
        None,
        description="comma-separated origins of the Temporal UI allowed to call the codec "
        "server; default http://127.0.0.1:<ui_port>,http://localhost:<ui_port>",
    )

    @field_validator("codec_keys")
    @classmethod
    def _codec_keys_parse(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            from desk.codec import parse_keys

            parse_keys(value.get_secret_value(), "DESK_CODEC_KEYS")
        return value

    @field_validator("codec_server_token")
    @classmethod
    def _codec_token_not_blank(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            return None  # an empty variable (compose's ${VAR:-}) means no token
        return value

    @field_validator("codec_cors_origin")
    @classmethod
    def _codec_origins(cls, value: str | None) -> str | None:
        if value is None:
            return None
        for origin in (o.strip() for o in value.split(",")):
            if not re.fullmatch(r"https?://[^/\s*]+", origin):
                raise ValueError(
                    f"{origin!r} is not an origin (scheme://host[:port], no path, no '*')"
                )
        return value

    @property
    def codec_origins(self) -> list[str]:
        """The Temporal UI origins the codec server answers, in the browser's spelling."""
        if self.codec_cors_origin:
            return [o.strip() for o in self.codec_cors_origin.split(",") if o.strip()]
        return [f"http://127.0.0.1:{self.ui_port}", f"http://localhost:{self.ui_port}"]

    # ---- end of personal data

    # ---- ingest authentication ------------------------------------------------------------
    # How each channel's sender is authenticated at ingest, and what the front door accepts
    # (README, "Channel authentication"). An empty value is the same as unset, so a compose
    # file can pass ``${DESK_X:-}`` through. Ingest refuses to listen beyond loopback unless
    # every channel it serves has its authentication configured (ingest/exposure.py).
    dev_mode: bool = Field(
        False, description="trust unsigned input on every channel; loopback only, said at start"
    )
    # Comma-separated ("sms,email"), not JSON: NoDecode hands the raw text to the validator.
    ingest_channels: Annotated[list[Channel], NoDecode] = Field(
        default_factory=lambda: list(Channel),
        description="the channel endpoints ingest serves (comma list); the others answer 404",
    )
    ingest_max_bytes: int = Field(
        256 * 1024, ge=1024, le=16 * 1024 * 1024, description="larger request bodies get 413"
    )
    ingest_token: str | None = Field(
        None, description="bearer token the merchant's own chat and web relays must send"
    )
    twilio_auth_token: str | None = Field(
        None, description="verifies X-Twilio-Signature (HMAC-SHA1) on /ingest/sms"
    )
    twilio_sha256_key: str | None = Field(
        None,
        description="key of a Twilio webhook rule signing with HMAC-SHA256 "
        "(X-Twilio-Webhooks-Signature-Settings); default: the auth token",
    )
    postmark_webhook_user: str | None = Field(
        None, description="HTTP Basic user in the Postmark inbound webhook URL"
    )
    postmark_webhook_password: str | None = Field(
        None, description="HTTP Basic password in the Postmark inbound webhook URL"
    )
    email_authserv_id: str | None = Field(
        None,
        description="the authserv-id the receiving mail server stamps on its own "
        "(ARC-)Authentication-Results; only results under this id are believed",
    )
    identity_secret: str | None = Field(
        None, description="per-merchant secret of signed chat / web identities (user_hash)"
    )
    social_webhook_secret: str | None = Field(
        None, description="verifies X-Hub-Signature-256 (HMAC-SHA256 of the body) on /ingest/social"
    )

    @field_validator(
        "ingest_token",
        "twilio_auth_token",
        "twilio_sha256_key",
        "postmark_webhook_user",
        "postmark_webhook_password",
        "email_authserv_id",
        "identity_secret",
        "social_webhook_secret",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("ingest_channels", mode="before")
    @classmethod
    def _channel_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            names = [name.strip().lower() for name in value.split(",") if name.strip()]
            return names or list(Channel)
        return value

    @model_validator(mode="after")
    def _postmark_pair(self) -> Settings:
        if (self.postmark_webhook_user is None) != (self.postmark_webhook_password is None):
            raise ValueError(
                "postmark_webhook_user and postmark_webhook_password are set together or not at all"
            )
        return self

    # ---- observability (desk/observability.py; docs/observability.md) ----------------------
    metrics_port: int | None = Field(
        None, ge=1, le=65535, description="the worker's Prometheus endpoint; unset: off"
    )
    metrics_host: str = Field("127.0.0.1", description="where the metrics endpoint listens")
    metrics_interval_s: float = Field(
        30, gt=0, description="how often desk_contacts{state} is counted from visibility"
    )
    ingest_metrics: bool = Field(False, description="GET /metrics on the ingest API")
    tracing: bool = Field(
        False, description="OpenTelemetry spans over OTLP/HTTP, configured by OTEL_* variables"
    )

    @property
    def shop_url(self) -> str:
        return self.database_url or f"sqlite:///{Path(self.data_dir) / 'shop.db'}"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """The settings from ``env`` (default: the process's environment); a bad value is a
        ``ConfigError`` naming the variable."""
        token = _ENV.set(dict(env) if env is not None else None)
        try:
            return cls()
        except ValidationError as err:
            raise ConfigError("invalid settings: " + _format_validation("DESK_", err)) from None
        except SettingsError as err:  # a list or mapping variable that is not JSON
            field = re.search(r'field "(\w+)"', str(err))
            name = f"DESK_{field.group(1).upper()}" if field else "a DESK_ variable"
            raise ConfigError(
                f'invalid settings: {name} must be a JSON list (e.g. ["a", "b"])'
            ) from None
        finally:
            _ENV.reset(token)
