"""Reading a request body defensively: bounded in size before anything is parsed, the
media type checked, and JSON or form data parsed strictly, so that whatever arrives gets a
4xx that names the problem and never reaches a parser, the model or Temporal half-valid.
"""

from __future__ import annotations

import json
import math
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import ClientDisconnect, Request

from ingest.channel_formats import PayloadError

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MAX_DEPTH = 32  # nesting of arrays and objects; the formats need 4
MAX_FORM_FIELDS = 1000


class RequestRefused(Exception):
    """A request refused before its payload is read: the status and what to tell."""

    def __init__(
        self,
        status: int,
        error: str,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.field = field
        self.headers = headers


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 once it is larger than ``limit``: at once from its
    Content-Length, else while it streams in (a chunked body is never read whole)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise RequestRefused(400, "Content-Length is not a number", "Content-Length")
        if int(declared) > limit:
            raise RequestRefused(413, f"the body is larger than {limit} bytes", "body")
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise RequestRefused(413, f"the body is larger than {limit} bytes", "body")
            chunks.append(chunk)
    except ClientDisconnect:
        raise RequestRefused(400, "the client went away before the body was read") from None
    return b"".join(chunks)


def require_media_type(request: Request, wanted: str) -> None:
    """415 unless the Content-Type is ``wanted`` (in UTF-8, when a charset is named)."""
    raw = request.headers.get("content-type")
    if raw is None:
        raise RequestRefused(415, f"Content-Type must be {wanted}", "Content-Type")
    media, *params = raw.split(";")
    if media.strip().lower() != wanted:
        raise RequestRefused(
            415, f"Content-Type must be {wanted}, not {media.strip()[:80]!r}", "Content-Type"
        )
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in (
            "utf-8",
            "utf8",
        ):
            raise RequestRefused(415, f"{wanted} must be sent in UTF-8", "Content-Type")


# ---------------------------------------------------------------- JSON


def _no_constants(name: str) -> Any:
    raise PayloadError("body", f"contains {name}, which JSON does not allow")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise PayloadError("body", f"contains the number {text[:40]}, too large to be read")
    return value


def _path(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    shown = key if key.isidentifier() else json.dumps(key)[:60]
    return f"{parent}.{shown}" if parent else shown


def _check_text(value: str, where: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as err:
        bad = value[err.start]
        raise PayloadError(
            where or "body",
            f"contains a lone surrogate (\\u{ord(bad):04x}), which is not text",
        ) from None


def _walk(document: Any) -> None:
    """At most ``MAX_DEPTH`` levels, and every string, keys included, text (no lone
    surrogates). Iterative: a deep document cannot exhaust the stack here."""
    stack: list[tuple[str, Any, int]] = [("", document, 0)]
    while stack:
        where, value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise PayloadError("body", f"nests deeper than {MAX_DEPTH} levels")
        if isinstance(value, str):
            _check_text(value, where)
        elif isinstance(value, dict):
            for key, item in value.items():
                _check_text(key, f"{where} (a key)" if where else "body (a key)")
                stack.append((_path(where, key), item, depth + 1))
        elif isinstance(value, list):
            stack.extend((_path(where, i), item, depth + 1) for i, item in enumerate(value))


def parse_json(body: bytes) -> Any:
    """A JSON document in UTF-8, strictly: no NaN or Infinity, no lone surrogates, at most
    32 levels deep. A problem raises ``PayloadError`` naming the field."""
    if not body.strip():
        raise PayloadError("body", "is empty; a JSON object is expected")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise PayloadError("body", f"is not valid UTF-8 (at byte {err.start})") from None
    try:
        document = json.loads(text, parse_constant=_no_constants, parse_float=_finite)
    except PayloadError:
        raise
    except RecursionError:
        raise PayloadError("body", f"nests deeper than {MAX_DEPTH} levels") from None
    except ValueError as err:
        raise PayloadError("body", f"is not valid JSON: {str(err)[:120]}") from None
    _walk(document)
    return document


# ---------------------------------------------------------------- forms


def parse_form(body: bytes) -> list[tuple[str, str]]:
    """An ``application/x-www-form-urlencoded`` body as (name, value) pairs, in order,
    percent-decoded as UTF-8 strictly."""
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError:
        raise PayloadError("body", "form data must be percent-encoded ASCII") from None
    try:
        return parse_qsl(
            text,
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_FORM_FIELDS,
        )
    except UnicodeDecodeError:
        raise PayloadError("body", "a form field is not valid UTF-8 once decoded") from None
    except ValueError as err:
        raise PayloadError("body", f"is not valid form data: {str(err)[:120]}") from None
