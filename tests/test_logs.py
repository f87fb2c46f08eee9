"""Logs redact personal data (desk/logs.py): the structlog processor, the configured chain
as every desk process has it, and the standard library's records."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import redirect_stderr

import pytest
import structlog

from desk.logs import (
    RedactingFilter,
    configure_logging,
    redact_personal_data,
    redact_text,
)

EMAIL = "j.tremblay-nakamura@example.com"
PHONE = "+1 (415) 555-0199"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"from {EMAIL}.", "from [email]."),
        (f"call {PHONE} now", "call [phone] now"),
        ("sms from 415-555-0199 and 4155550199", "sms from [phone] and [phone]"),
        ("uk +44 7700 900123", "uk [phone]"),
        # Ids, numbers, dates and addresses of machines stay.
        ("order 10234, contact-order-4155550199", "order 10234, contact-order-4155550199"),
        ("contact-anon-3f5a1234567b SO-1234567", "contact-anon-3f5a1234567b SO-1234567"),
        ("usps 9400111899223856926489", "usps 9400111899223856926489"),
        ("at 2026-05-01 12:34:56 on 127.0.0.1:7233", "at 2026-05-01 12:34:56 on 127.0.0.1:7233"),
        ("refund 52.00 of 3 lines", "refund 52.00 of 3 lines"),
    ],
)
def test_redact_text(text: str, expected: str) -> None:
    assert redact_text(text) == expected


def test_the_processor_drops_personal_keys_and_redacts_every_value() -> None:
    event = {
        "event": f"ingest.accepted for {EMAIL}",
        "sender": EMAIL,
        "text": "where is my parcel",
        "body": "b",
        "subject": "s",
        "name": "Jo",
        "Email": EMAIL,
        "phone": PHONE,
        "address": "1 Main St",
        "message_id": "m-1",
        "contact_id": "contact-order-10234",
        "count": 3,
        "note": f"customer wrote from {PHONE}",
        "nested": {"sender": EMAIL, "ids": ["c-1", f"{EMAIL}"], "ok": True},
        "pair": ("x", PHONE),
        "obj": ValueError(f"bad address for {EMAIL}"),
    }
    out = redact_personal_data(None, "info", dict(event))
    for key in ("sender", "text", "body", "subject", "name", "Email", "phone", "address"):
        assert key not in out
    assert out["event"] == "ingest.accepted for [email]"
    assert out["message_id"] == "m-1" and out["contact_id"] == "contact-order-10234"
    assert out["count"] == 3
    assert out["note"] == "customer wrote from [phone]"
    assert out["nested"] == {"ids": ["c-1", "[email]"], "ok": True}
    assert out["pair"] == ("x", "[phone]")
    assert out["obj"] == "bad address for [email]"
    assert EMAIL not in repr(out) and "555-0199" not in repr(out)


@pytest.fixture
def configured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    saved = structlog.get_config()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    with redirect_stderr(stream):
        configure_logging()
        yield stream
    structlog.configure(**saved)
    root.handlers, root.level = handlers, level


def test_every_desk_process_logs_through_the_redaction(configured: io.StringIO) -> None:
    log = structlog.get_logger("desk.test")
    log.info("contact.message", sender=EMAIL, contact_id="contact-order-10234", hint=PHONE)
    try:
        raise RuntimeError(f"order system refused {EMAIL}")
    except RuntimeError:
        log.exception("activity.failed", order="10234")
    logging.getLogger("temporalio.test").warning("failed for %s at %s", EMAIL, PHONE)
    written = configured.getvalue()
    assert "contact.message" in written and "contact-order-10234" in written
    assert "RuntimeError: order system refused [email]" in written  # the traceback too
    assert "failed for [email] at [phone]" in written
    assert EMAIL not in written and "555-0199" not in written


def test_the_standard_library_filter_redacts_tracebacks() -> None:
    try:
        raise ValueError(f"no customer {EMAIL}")
    except ValueError:
        import sys

        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "lookup for %s", (EMAIL,), sys.exc_info()
        )
    assert RedactingFilter().filter(record)
    assert record.getMessage() == "lookup for [email]"
    assert record.exc_text and EMAIL not in record.exc_text
