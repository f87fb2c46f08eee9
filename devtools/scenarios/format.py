"""The scenario file format (shared/scenarios/SCHEMA.md) as pydantic models.

Times in a file are offsets from t0, the moment the first message arrives. ``Offset``
keeps them as timedeltas; the loader turns them into datetimes once t0 is known.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from desk.models import (
    Attachment,
    Carrier,
    Channel,
    ClaimKind,
    EscalationReason,
    ExceptionKind,
    Intent,
    OrderStatus,
    ResolutionKind,
    ScanStatus,
    SupervisorAction,
    Tier,
)

_OFFSET = re.compile(r"^([+-]?)(\d+(?:\.\d+)?)([mhd])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_offset(value: Any) -> timedelta:
    """``-10d``, ``+2h``, ``-90m``, ``0`` -> timedelta. Anything else is an error."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError(f"not a time offset: {value!r}")
    if isinstance(value, int | float) and value == 0:
        return timedelta(0)
    text = str(value).strip()
    if text in {"0", "+0", "-0"}:
        return timedelta(0)
    m = _OFFSET.match(text)
    if not m:
        raise ValueError(
            f"not a time offset: {value!r} (use e.g. -10d, -36h, -90m, 0, +2h; units m, h, d)"
        )
    sign, amount, unit = m.groups()
    delta = timedelta(**{_UNITS[unit]: float(amount)})
    return -delta if sign == "-" else delta


Offset = Annotated[timedelta, BeforeValidator(parse_offset)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScenarioClaim(_Strict):
    kind: ClaimKind
    at: Offset


class ScenarioCustomer(_Strict):
    id: str = Field(min_length=1)
    name: str
    tier: Tier
    email: str | None = None
    phone: str | None = None
    chat: str | None = None
    social: str | None = None
    prior_claims: list[ScenarioClaim] = Field(default_factory=list)


class ScenarioAddress(_Strict):
    line1: str
    line2: str | None = None
    city: str
    region: str | None = None
    postal_code: str
    country: str
    lat: float | None = None
    lon: float | None = None


class ScenarioLine(_Strict):
    sku: str
    name: str
    qty: int = Field(ge=1)
    unit_price: float = Field(ge=0)


class ScenarioEvent(_Strict):
    at: Offset
    status: ScanStatus
    description: str = ""
    city: str | None = None
    photo: bool = False
    signature: bool = False
    lat: float | None = None
    lon: float | None = None
    exception: ExceptionKind | None = None

    @model_validator(mode="after")
    def _exception_needs_kind(self) -> ScenarioEvent:
        if self.status == ScanStatus.exception and self.exception is None:
            raise ValueError("an exception scan needs exception: lost | damaged | return_to_sender")
        return self


class ScenarioSearch(_Strict):
    result: Literal["found", "not_found"]
    after: Offset


class ScenarioShipment(_Strict):
    carrier: Carrier
    tracking: str = Field(min_length=1)
    service: str = "ground"
    skus: list[str] | None = None
    expected_delivery: Offset | None = None
    events: list[ScenarioEvent] = Field(default_factory=list)
    search: ScenarioSearch | None = None


class ScenarioOrder(_Strict):
    number: str = Field(min_length=1)
    customer: str
    placed: Offset
    status: OrderStatus
    shipping_cost: float = Field(0.0, ge=0)
    prior_reships: int = Field(0, ge=0)
    address: ScenarioAddress
    lines: list[ScenarioLine] = Field(min_length=1)
    shipments: list[ScenarioShipment] = Field(default_factory=list)


class ScenarioMessage(_Strict):
    at: Offset
    channel: Channel
    sender: str = Field(alias="from", min_length=1)
    subject: str | None = None
    text: str = ""
    attachments: list[Attachment] = Field(default_factory=list)
    # SCHEMA.md: false means the channel did not authenticate this sender (unsigned
    # webhook, anonymous form, email failing SPF/DKIM): treated as unauthenticated ingest.
    authenticated: bool = True

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ScenarioDecision(_Strict):
    at: Offset
    action: SupervisorAction
    by: str = Field(min_length=1)
    note: str = ""
    resolution: ResolutionKind | None = None
    amount: float | None = Field(None, ge=0)


class ScenarioExpect(_Strict):
    intent: Intent | None = None
    state: (
        Literal[
            "resolved",
            "closed",
            "escalated",
            "human_owned",
            "awaiting_customer",
            "awaiting_carrier",
        ]
        | None
    ) = None
    resolution: ResolutionKind | None = None
    autonomous: bool | None = None
    escalation_reason: EscalationReason | None = None
    proposed_resolution: ResolutionKind | None = None
    carrier_search_filed: bool | None = None
    refund_total: float | None = None
    replacement_orders: int | None = None
    contacts: int | None = None


class Scenario(_Strict):
    name: str = Field(pattern=r"^[a-z0-9-]+$")
    description: str = ""
    customers: list[ScenarioCustomer] = Field(default_factory=list)
    orders: list[ScenarioOrder] = Field(default_factory=list)
    inventory: dict[str, int] = Field(default_factory=dict)
    messages: list[ScenarioMessage] = Field(min_length=1)
    decisions: list[ScenarioDecision] = Field(default_factory=list)
    expect: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        ids = {c.id for c in self.customers}
        for i, order in enumerate(self.orders):
            if order.customer not in ids:
                raise ValueError(f"orders[{i}].customer: no customer with id {order.customer!r}")
            skus = {ln.sku for ln in order.lines}
            for j, ship in enumerate(order.shipments):
                unknown = [s for s in ship.skus or [] if s not in skus]
                if unknown:
                    raise ValueError(
                        f"orders[{i}].shipments[{j}].skus: {', '.join(unknown)} not on the order"
                    )
        if self.expect is not None:
            # Expect keys are validated on their own so an error names "expect.<key>";
            # which keys were given matters (an explicit null is an expectation too).
            ScenarioExpect.model_validate(self.expect)
        return self

    @property
    def expectations(self) -> dict[str, Any]:
        if not self.expect:
            return {}
        parsed = ScenarioExpect.model_validate(self.expect)
        return {k: getattr(parsed, k) for k in self.expect}


class ScenarioError(ValueError):
    """An invalid scenario file; the message names the file and the field."""


def load_scenario(path: Path) -> Scenario:
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise ScenarioError(f"{path}: not valid YAML: {err}") from None
    except OSError as err:
        raise ScenarioError(f"{path}: cannot read: {err.strerror}") from None
    if not isinstance(raw, dict):
        raise ScenarioError(f"{path}: a scenario file holds one mapping (name, messages, ...)")
    try:
        return Scenario.model_validate(raw)
    except ValidationError as err:
        problems = []
        for e in err.errors():
            loc = ".".join(str(p) for p in e["loc"])
            msg = e["msg"].removeprefix("Value error, ")
            problems.append(f"{loc}: {msg}" if loc else msg)
        raise ScenarioError(f"{path}: " + "; ".join(problems)) from None


def scenario_files(paths: list[str]) -> list[Path]:
    """Expand files and folders (``*.yaml`` / ``*.yml``, sorted) into scenario paths."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(sorted([*p.glob("*.yaml"), *p.glob("*.yml")]))
        else:
            found.append(p)
    return found
