"""What the carrier adapters share: reading vendor payloads leniently, turning proof of
delivery into the words the desk's proof reading recognises, OAuth tokens, settings.

Every adapter maps its vendor's response onto the desk's ``Shipment`` the same way:

- events oldest first (vendors send them newest first), each with a ``ScanStatus``;
- an exception only when the carrier says the parcel is lost, damaged or going back to the
  sender (a delay or a missed attempt is still in transit);
- the delivery's proof on the last delivery event: ``photo`` and ``signature`` from the
  vendor's fields, coordinates into ``lat`` / ``lon``, and a hand-off to a person or a
  secured place written into the description in the words ``desk.policy.carrier_record``
  recognises ("handed to <name>", "front desk", "parcel locker" ...).
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from datetime import time as dtime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from desk.config import ConfigError
from desk.models import ExceptionKind, ScanEvent, ScanStatus, Shipment, TraceResult
from desk.ports import NotFound

# ---------------------------------------------------------------- errors


class CarrierFormatError(ValueError):
    """The payload is not this vendor's response at all: the message names the vendor and
    the field that is missing or of the wrong kind."""

    def __init__(self, vendor: str, field: str, problem: str) -> None:
        self.vendor, self.field, self.problem = vendor, field, problem
        super().__init__(f"not a {vendor} response: {field}: {problem}")


class CarrierErrorResponse(ValueError):
    """The payload is the vendor's error envelope, not a tracking record (a saved 401, 429
    or 500 body): there is nothing to read."""

    def __init__(self, vendor: str, code: str, message: str) -> None:
        self.vendor, self.code, self.message = vendor, code, message
        super().__init__(f"a {vendor} error response, not a tracking record: {code}: {message}")


class TrackingNotFound(NotFound):
    """The carrier answered that it has no record of the number (UPS TW0001, FedEx
    TRACKING.TRACKINGNUMBER.NOTFOUND, AfterShip 4004)."""

    def __init__(self, vendor: str, tracking: str, code: str, message: str) -> None:
        self.vendor, self.tracking, self.code, self.message = vendor, tracking, code, message
        super().__init__(f"{vendor} has no record of {tracking or 'the number'}: {code} {message}")


# ---------------------------------------------------------------- lenient reading

Json = dict[str, Any]


def obj(value: Any) -> Json:
    """A JSON object, or an empty one for anything else (null, a string, a list)."""
    return value if isinstance(value, dict) else {}


def objs(value: Any) -> list[Json]:
    """The objects of a JSON list (a lone object counts as a list of one)."""
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return []


def text(value: Any) -> str:
    """A trimmed string; numbers become their text, anything else the empty string."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)
    return ""


def as_bool(value: Any) -> bool:
    """Vendors send booleans as booleans, as "true"/"false" strings, or as "Y"/"N"."""
    if isinstance(value, bool):
        return value
    return text(value).lower() in {"true", "y", "yes", "1"}


def as_float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(text(value))
    except ValueError:
        return None


def require_object(payload: Any, vendor: str) -> Json:
    if not isinstance(payload, dict):
        kind = type(payload).__name__ if payload is not None else "null"
        raise CarrierFormatError(vendor, "(document)", f"a JSON object is needed, got {kind}")
    return payload


_OFFSET = re.compile(r"^([+-])(\d{1,2}):?(\d{2})$")


def parse_offset(value: Any) -> timezone | None:
    """``-06:00``, ``-7:00``, ``+0530`` → a fixed offset; anything else None."""
    match = _OFFSET.match(text(value))
    if not match:
        return None
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    return timezone(-delta if sign == "-" else delta)


def parse_instant(value: Any, assume: timezone | None = None) -> datetime | None:
    """An ISO-8601 timestamp; one without an offset is read in ``assume`` (UTC when none)."""
    raw = text(value)
    if not raw:
        return None
    raw = raw.replace(" ", "T", 1) if "T" not in raw and " " in raw else raw
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=assume or UTC)
    return moment.astimezone(UTC)


def end_of_day(day: datetime) -> datetime:
    """A date the carrier gives without a time means by the end of that day (POLICY.md:
    late when now is past the expected delivery date)."""
    return day.replace(hour=23, minute=59, second=59, microsecond=0)


_MIDNIGHT = re.compile(r"^[T ]00:00(?::00(?:\.0+)?)?$")


def is_date_only(raw: Any) -> bool:
    """ "2024-11-29", or midnight with no offset ("2024-11-29T00:00:00", USPS's way of
    giving a date)."""
    value = text(raw)
    return bool(value) and (len(value) <= 10 or bool(_MIDNIGHT.match(value[10:])))


def expected_from(value: Any, assume: timezone | None = None) -> datetime | None:
    """An expected-delivery value: a date (or midnight) is the end of that day, local."""
    raw = text(value)
    if not raw:
        return None
    if is_date_only(raw):
        try:
            day = datetime.fromisoformat(raw[:10])
        except ValueError:
            return None
        local = datetime.combine(day.date(), dtime(23, 59, 59), tzinfo=assume or UTC)
        return local.astimezone(UTC)
    return parse_instant(raw, assume)


# ---------------------------------------------------------------- statuses from words

_LOST = re.compile(
    r"\blost\b|unable to locate|could not be located|cannot be located|can ?not be located|"
    r"not located|missing (?:mail|package|parcel|item)|presumed lost|lost and found",
    re.IGNORECASE,
)
_DAMAGED = re.compile(r"damage", re.IGNORECASE)
_RETURNING = re.compile(
    r"return(?:ed|ing)? to (?:the )?(?:sender|shipper)|return to (?:sender|shipper)|"
    r"returning package|addressee unknown|undeliverable as addressed|returned to shipper",
    re.IGNORECASE,
)


def exception_from_text(*texts: str) -> ExceptionKind | None:
    """The desk's exception kind a carrier's words name, if any (returning first: "return to
    sender, damaged" is going back to us; then damaged; then lost)."""
    joined = " ".join(t for t in texts if t)
    if _RETURNING.search(joined):
        return ExceptionKind.return_to_sender
    if _DAMAGED.search(joined):
        return ExceptionKind.damaged
    if _LOST.search(joined):
        return ExceptionKind.lost
    return None


# ---------------------------------------------------------------- proof of delivery in words

# What a carrier writes in a "received by" field when no person received the parcel.
_NOT_A_PERSON = re.compile(
    r"release|door|porch|garage|mail ?box|box|dock|yard|patio|steps|stoop|inside|outside|"
    r"not required|signature|\bn/?a\b|none|unknown|locker|office|desk|room|receiving|"
    r"reception|shipping|neighbou?r|building|residence|front|back|side|deliver|left|"
    r"concierge|guard|security|gate|agent|carrier|driver",
    re.IGNORECASE,
)


def person_name(value: Any) -> str | None:
    """A name of someone who took the parcel, or None for a place or a release note."""
    name = text(value)
    if len(name) < 2 or not re.search(r"[A-Za-z]", name) or _NOT_A_PERSON.search(name):
        return None
    return name


def received_words(value: Any) -> str | None:
    """A "received by" value in words the proof reading understands: a person becomes
    "handed to <name>" (a hand-off); a place or a release note is kept as it is, so a front
    desk still reads as a secured place and a driver release as unattended."""
    raw = text(value)
    if not raw:
        return None
    name = person_name(raw)
    return f"handed to {name}" if name else f"received as: {raw}"


def describe(base: str, *extras: str | None) -> str:
    """An event's text with what the vendor said elsewhere about it, once each."""
    parts = [base.strip()] if base.strip() else []
    for extra in extras:
        if extra and extra.strip() and extra.strip().lower() not in " ; ".join(parts).lower():
            parts.append(extra.strip())
    return "; ".join(parts)


def with_proof(
    events: list[ScanEvent],
    *,
    photo: bool = False,
    signature: bool = False,
    lat: float | None = None,
    lon: float | None = None,
    words: Iterable[str | None] = (),
) -> list[ScanEvent]:
    """The shipment-level proof (UPS deliveryInformation, FedEx deliveryDetails, an
    aggregator's signed_by) put on the last delivery event, where the desk reads it."""
    last = next(
        (i for i in range(len(events) - 1, -1, -1) if events[i].status == ScanStatus.delivered),
        None,
    )
    if last is None:
        return events
    scan = events[last]
    update: dict[str, Any] = {
        "photo": scan.photo or photo,
        "signature": scan.signature or signature,
        "description": describe(scan.description, *words),
    }
    if scan.lat is None and lat is not None and lon is not None:
        update["lat"], update["lon"] = lat, lon
    return [*events[:last], scan.model_copy(update=update), *events[last + 1 :]]


def oldest_first(events: Iterable[ScanEvent]) -> list[ScanEvent]:
    """Sorted by time; events with the same time keep the order given (pass them oldest
    first, i.e. reverse a vendor's newest-first list before sorting)."""
    return sorted(events, key=lambda e: e.at)


def as_of_view(result: TraceResult, as_of: datetime) -> TraceResult:
    """What the carrier showed at ``as_of``: real APIs answer "now", so events after
    ``as_of`` are dropped (a case filed after it too). The desk's workflow time and a fake
    carrier's clock agree, so this is exact against the fakes and a no-op in production."""
    moment = as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC)
    shipment = result.shipment
    events = [e for e in shipment.events if e.at <= moment]
    case = result.case if result.case is None or result.case.filed_at <= moment else None
    if len(events) == len(shipment.events) and case is result.case:
        return result
    return TraceResult(shipment=shipment.model_copy(update={"events": events}), case=case)


# ---------------------------------------------------------------- services

_MARKUP = re.compile(r"<[^>]*>|&#?\w+;|[®™]")
_VENDOR_WORD = re.compile(r"^(?:usps|ups|fedex|fdx[eg]?|dhl)[\s_-]+", re.IGNORECASE)


def service_code(value: Any, default: str = "ground") -> str:
    """A vendor's service name as a desk service code: "USPS Ground Advantage<SUP>&#153;
    </SUP>" → ``ground_advantage``, "UPS Ground" / "FEDEX_GROUND" → ``ground``."""
    raw = _MARKUP.sub("", text(value))
    raw = _VENDOR_WORD.sub("", raw.strip())
    code = re.sub(r"[^a-z0-9]+", "_", raw.lower()).strip("_")
    return code or default


# ---------------------------------------------------------------- OAuth client credentials


@dataclass
class OAuthToken:
    """A client-credentials access token, fetched once and reused until shortly before it
    expires; ``invalidate`` after a 401 makes the next caller fetch a fresh one. Thread-safe
    (activities run in a thread pool); never logged."""

    fetch: Callable[[], tuple[str, float]]  # (access token, lifetime in seconds)
    clock: Callable[[], float] = time.monotonic
    margin: float = 300.0
    _token: str | None = field(default=None, init=False, repr=False)
    _expires: float = field(default=0.0, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def token(self) -> str:
        with self._lock:
            if self._token is None or self.clock() >= self._expires:
                token, lifetime = self.fetch()
                margin = min(self.margin, lifetime / 10)
                self._token, self._expires = token, self.clock() + max(0.0, lifetime - margin)
            return self._token

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token()}"}

    def invalidate(self) -> None:
        with self._lock:
            self._token = None


def token_lifetime(value: Any, default: float = 3600.0) -> float:
    """``expires_in`` as a number of seconds (USPS and UPS send it as a string)."""
    seconds = as_float(value)
    return seconds if seconds is not None and seconds > 0 else default


# ---------------------------------------------------------------- settings

S = TypeVar("S", bound=BaseModel)


def settings_from_env(cls: type[S], prefix: str, env: Mapping[str, str] | None = None) -> S:
    """``cls`` from ``<prefix><FIELD>`` variables (e.g. ``DESK_USPS_CLIENT_ID``); a bad or
    missing value is a ``ConfigError`` naming the variable."""
    source = os.environ if env is None else env
    data = {  # an empty variable counts as unset, as for the desk's own settings
        name: source[prefix + name.upper()]
        for name in cls.model_fields
        if source.get(prefix + name.upper(), "").strip()
    }
    try:
        return cls.model_validate(data)
    except ValidationError as err:
        problems = "; ".join(
            f"{prefix}{'.'.join(str(p) for p in e['loc']).upper() or '(settings)'}: {e['msg']}"
            for e in err.errors()
        )
        raise ConfigError(f"invalid carrier settings: {problems}") from None


def empty_shipment(carrier: Any, tracking: str) -> Shipment:
    return Shipment(carrier=carrier, tracking=tracking, events=[])
