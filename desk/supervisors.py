"""Who may decide for the desk: supervisors, their roles and each role's limit, and the
signature that makes a decision theirs.

A supervisor decision reaches a contact signed: the service the supervisor signs into (the
console) or the CLI, holding that supervisor's key, signs the decision's fields with
HMAC-SHA256. The worker checks the signature against this registry before the contact
accepts the decision, so a decision's ``by`` is never free text: anyone able to send an
update to Temporal still cannot decide without a supervisor's key. Each role caps the money
one decision may move.

The registry is a YAML file (``DESK_SUPERVISORS_FILE``)::

    roles:            # money one decision may move (refund, or reship value), per role
      agent: 100
      lead: 500
      manager: 5000
    supervisors:
      - id: sam@shop.example
        role: lead
        key: 3q2+7w...   # base64, at least 32 bytes; the same key is the operator's
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from datetime import datetime
from pathlib import Path

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from desk.config import ConfigError, Settings
from desk.models import SupervisorDecision

DEFAULT_ROLES = {"agent": 100.0, "lead": 500.0, "manager": 5000.0}


class Supervisor(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    role: str = Field(min_length=1)
    key: str = Field(min_length=1, repr=False)

    @field_validator("key")
    @classmethod
    def _key_is_long_enough(cls, value: str) -> str:
        if len(key_bytes(value)) < 32:
            raise ValueError("must be base64 of at least 32 random bytes")
        return value


class SupervisorRegistry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    roles: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_ROLES))
    supervisors: list[Supervisor] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> SupervisorRegistry:
        ids = [s.id for s in self.supervisors]
        if len(ids) != len(set(ids)):
            raise ValueError("an id is listed twice")
        for s in self.supervisors:
            if s.role not in self.roles:
                raise ValueError(f"{s.id} has role {s.role!r}, not one of {sorted(self.roles)}")
        if any(limit < 0 for limit in self.roles.values()):
            raise ValueError("a role's limit must not be negative")
        return self

    def find(self, supervisor_id: str) -> Supervisor | None:
        return next((s for s in self.supervisors if s.id == supervisor_id), None)

    def limit(self, supervisor: Supervisor) -> float:
        return self.roles[supervisor.role]


def key_bytes(key: str) -> bytes:
    try:
        return base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("is not base64") from None


def new_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def load_registry(path: str | Path | None) -> SupervisorRegistry:
    """The registry from its YAML file; no file: nobody may decide. A bad file stops the
    desk at start with the field named."""
    if path is None:
        return SupervisorRegistry()
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"supervisors file {p} does not exist")
    data = yaml.safe_load(p.read_text()) or {}
    try:
        return SupervisorRegistry.model_validate(data)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(x) for x in e['loc']) or '(root)'}: {e['msg']}" for e in err.errors()
        )
        raise ConfigError(f"invalid supervisors file {p}: {problems}") from None


def _signed_text(contact_id: str, d: SupervisorDecision) -> bytes:
    fields = {
        "contact": contact_id,
        "action": d.action.value,
        "by": d.by,
        "note": d.note,
        "resolution": d.resolution.value if d.resolution else None,
        "amount": None if d.amount is None else round(d.amount, 2),
        "issued_at": d.issued_at.isoformat() if d.issued_at else None,
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def signature(contact_id: str, decision: SupervisorDecision, key: str) -> str:
    return hmac.new(key_bytes(key), _signed_text(contact_id, decision), hashlib.sha256).hexdigest()


def sign(
    contact_id: str, decision: SupervisorDecision, key: str, now: datetime
) -> SupervisorDecision:
    """The decision as its supervisor's service sends it: dated and signed."""
    dated = decision.model_copy(update={"issued_at": now, "signature": None, "role": None})
    return dated.model_copy(update={"signature": signature(contact_id, dated, key)})


def signature_valid(contact_id: str, decision: SupervisorDecision, key: str) -> bool:
    if not decision.signature:
        return False
    unsigned = decision.model_copy(update={"signature": None, "role": None})
    expected = signature(contact_id, unsigned, key)
    return hmac.compare_digest(expected.encode(), decision.signature.encode())


DEV_SUPERVISOR = "supervisor@desk.local"


def registry_path(settings: Settings) -> Path:
    return Path(settings.supervisors_file or Path(settings.data_dir) / "supervisors.yaml")


def registry_for(settings: Settings) -> SupervisorRegistry:
    """The configured registry; none configured and none in the data folder: nobody may
    decide (every decision is refused, with the reason)."""
    path = registry_path(settings)
    if settings.supervisors_file is None and not path.is_file():
        return SupervisorRegistry()
    return load_registry(path)


def ensure_dev_registry(settings: Settings) -> Path | None:
    """For the embedded default (``desk up`` with no registry configured): a registry in the
    data folder with one manager and a fresh key, readable by its owner only. None when a
    registry is configured or already there."""
    path = registry_path(settings)
    if settings.supervisors_file is not None or path.exists():
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    registry = {
        "roles": DEFAULT_ROLES,
        "supervisors": [{"id": DEV_SUPERVISOR, "role": "manager", "key": new_key()}],
    }
    path.touch(mode=0o600)
    path.write_text(
        "# Created by `desk up`: the supervisors who may decide, their roles and keys.\n"
        + yaml.safe_dump(registry, sort_keys=False)
    )
    return path


def operator_credentials(settings: Settings) -> tuple[str, str]:
    """Who the CLI decides as, and their key: DESK_OPERATOR_ID with DESK_OPERATOR_KEY, or,
    on the machine holding the registry, the key listed there for that id (or for its only
    supervisor)."""
    if settings.operator_id and settings.operator_key:
        return settings.operator_id, settings.operator_key
    registry = registry_for(settings)
    if settings.operator_id:
        found = registry.find(settings.operator_id)
        if found is None:
            raise ConfigError(
                f"DESK_OPERATOR_ID {settings.operator_id!r} is not in the supervisor registry "
                f"{registry_path(settings)}; set DESK_OPERATOR_KEY too"
            )
        return found.id, found.key
    if len(registry.supervisors) == 1:
        only = registry.supervisors[0]
        return only.id, only.key
    raise ConfigError(
        "no operator credentials: set DESK_OPERATOR_ID and DESK_OPERATOR_KEY (a supervisor's "
        f"id and key from the registry, {registry_path(settings)})"
    )
