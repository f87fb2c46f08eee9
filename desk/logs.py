"""Logging for every desk process: structlog to standard error, personal data redacted.

``configure_logging()`` is called once at start by the ``desk`` command (starters/cli.py);
``desk demo`` calls it again with WARNING to stay quiet. Every event passes through
``redact_personal_data``: keys that name personal data (``sender``, ``text``, ``body``,
``subject``, ``name``, ``email``, ``phone``, ``address``) are dropped, and email addresses
and phone-number-like strings in every other value, nested ones and rendered tracebacks
included, are replaced by ``[email]`` and ``[phone]``. Ids, states, counts and dates stay.
Records of the standard library's logging (the Temporal SDK's, uvicorn's errors) get the
same treatment of their text through ``RedactingFilter`` on the root handler.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

DROPPED_KEYS = frozenset({"sender", "text", "body", "subject", "name", "email", "phone", "address"})

EMAIL = re.compile(
    r"[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+"
)
# A run of digits with the separators phone numbers are written with, standing alone: not
# glued to letters, digits or an id's hyphen on either side. What it finds is a phone
# number when it holds 7 to 15 digits (E.164 allows 15) and is not a date or an IP address.
_PHONE_CANDIDATE = re.compile(r"(?<![\w.+/-])\+?(?:\(\d{1,4}\)|\d)[\d \t().-]*\d(?![\w])")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")


def _phone(match: re.Match[str]) -> str:
    found = match.group(0)
    digits = sum(ch.isdigit() for ch in found)
    if not 7 <= digits <= 15 or _DATE.search(found) or _IPV4.fullmatch(found):
        return found
    return "[phone]"


def redact_text(text: str) -> str:
    """``text`` with email addresses and phone-number-like strings replaced."""
    if "@" in text:
        text = EMAIL.sub("[email]", text)
    return _PHONE_CANDIDATE.sub(_phone, text)


def redact_value(value: Any) -> Any:
    """A log value with personal data taken out: strings redacted, containers walked
    (dropping the personal keys of mappings), other objects redacted as text if their text
    holds any."""
    if isinstance(value, str):
        return redact_text(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Mapping):
        return {
            k: redact_value(v)
            for k, v in value.items()
            if not (isinstance(k, str) and k.lower() in DROPPED_KEYS)
        }
    if isinstance(value, tuple):
        return tuple(redact_value(v) for v in value)
    if isinstance(value, list | set | frozenset):
        return [redact_value(v) for v in value]
    text = str(value)
    redacted = redact_text(text)
    return value if redacted == text else redacted


def redact_personal_data(
    logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """The structlog processor: see the module's docstring."""
    for key in [k for k in event_dict if k.lower() in DROPPED_KEYS]:
        del event_dict[key]
    for key, value in event_dict.items():
        event_dict[key] = redact_value(value)
    return event_dict


class RedactingFilter(logging.Filter):
    """Redacts a standard-library log record's message (its arguments merged in first)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_text(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def configure_logging(level: int = logging.INFO) -> None:
    """structlog for the desk's processes (standard error, so JSON output on standard output
    stays clean), and the root logging handler, both redacting personal data."""
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.StackInfoRenderer(),
            structlog.dev.set_exc_info,
            # Tracebacks rendered to text here, so the redaction below covers them too.
            structlog.processors.format_exc_info,
            redact_personal_data,
            structlog.processors.TimeStamper(fmt="%Y-%m-%d %H:%M:%S", utc=False),
            structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty()),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "_desk", False)), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler.addFilter(RedactingFilter())
        handler.setFormatter(logging.Formatter("%(asctime)s [%(levelname)s] %(name)s: %(message)s"))
        handler._desk = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(max(level, logging.WARNING))
