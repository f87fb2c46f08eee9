"""The signatures and credentials each channel's webhook carries, checked in constant time.

- Twilio: ``X-Twilio-Signature``, HMAC-SHA1 of the URL and the sorted form parameters with
  the auth token, base64; HMAC-SHA256 when ``X-Twilio-Webhooks-Signature-Settings`` says
  ``algorithm=HMAC_SHA256`` (a Twilio webhook rule's key, configured on our side: the key
  never comes from the request).
- Meta-style social platforms: ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw
  body>``.
- Signed identities from the merchant's site or widget (Intercom-style):
  ``user_hash = hex HMAC-SHA256(secret, user)``.
- Postmark: HTTP Basic credentials embedded in the webhook URL.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Iterable
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

TwilioAlgorithm = Literal["sha1", "sha256"]


def same(given: str | bytes, expected: str | bytes) -> bool:
    """Constant-time equality; as bytes, since compare_digest refuses non-ASCII str and a
    forged header may be anything."""
    a = given.encode("utf-8", "surrogatepass") if isinstance(given, str) else given
    b = expected.encode("utf-8", "surrogatepass") if isinstance(expected, str) else expected
    return hmac.compare_digest(a, b)


# ---------------------------------------------------------------- Twilio


def twilio_signature(
    auth_token: str,
    url: str,
    params: Iterable[tuple[str, str]],
    algorithm: TwilioAlgorithm = "sha1",
) -> str:
    """Twilio's request signature: HMAC over the URL, then each POST parameter sorted by
    name with its name and value appended (a repeated name: each value, sorted), base64."""
    values: dict[str, list[str]] = {}
    for key, value in params:
        values.setdefault(key, []).append(value)
    signed = url + "".join(key + value for key in sorted(values) for value in sorted(values[key]))
    digest = hmac.new(
        auth_token.encode(), signed.encode("utf-8", "surrogatepass"), getattr(hashlib, algorithm)
    ).digest()
    return base64.b64encode(digest).decode()


def twilio_algorithm(settings_header: str | None) -> TwilioAlgorithm | None:
    """The algorithm ``X-Twilio-Webhooks-Signature-Settings`` names (``key=...,
    algorithm=HMAC_SHA256``); SHA-1 without the header; None for one we do not know."""
    if settings_header is None:
        return "sha1"
    fields: dict[str, str] = {}
    for part in settings_header.replace(";", ",").split(","):
        key, _, value = part.partition("=")
        fields[key.strip().lower()] = value.strip().upper()
    named = fields.get("algorithm", "")
    if named in ("HMAC_SHA256", "HMAC-SHA256", "SHA256"):
        return "sha256"
    if named in ("HMAC_SHA1", "HMAC-SHA1", "SHA1"):
        return "sha1"
    return None


def twilio_signature_valid(
    key: str,
    url: str,
    params: Iterable[tuple[str, str]],
    given: str,
    algorithm: TwilioAlgorithm = "sha1",
) -> bool:
    """Whether ``given`` signs these parameters over the URL as received, or with its
    default port added or removed."""
    params = list(params)
    if not given:
        return False
    return any(
        same(given.strip(), twilio_signature(key, variant, params, algorithm))
        for variant in _url_variants(url)
    )


def _url_variants(url: str) -> list[str]:
    """The URL as received, and with its default port added or removed: Twilio signs the
    URL exactly as configured in its console, and proxies differ on whether they keep it."""
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    variants = [url]
    if default is None or parts.hostname is None:
        return variants
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    userinfo = parts.netloc.rpartition("@")[0]
    prefix = f"{userinfo}@" if userinfo else ""
    try:
        port = parts.port
    except ValueError:
        return variants
    if port is None:
        variants.append(urlunsplit(parts._replace(netloc=f"{prefix}{host}:{default}")))
    elif port == default:
        variants.append(urlunsplit(parts._replace(netloc=f"{prefix}{host}")))
    return variants


# ---------------------------------------------------------------- social platforms


def hub_signature_256(secret: str, body: bytes) -> str:
    """``sha256=<hex>``: the ``X-Hub-Signature-256`` value Meta's webhooks send."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def hub_signature_valid(secret: str, body: bytes, given: str | None) -> bool:
    if not given:
        return False
    scheme, _, digest = given.strip().partition("=")
    if scheme.lower() != "sha256" or not digest:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return same(digest.lower(), expected)


# ---------------------------------------------------------------- signed identities


def identity_hash(secret: str, user: str) -> str:
    """The ``user_hash`` a merchant's server computes for its logged-in customer:
    hex HMAC-SHA256 of the identity (email or phone as on file) with the shared secret."""
    return hmac.new(
        secret.encode(), user.encode("utf-8", "surrogatepass"), hashlib.sha256
    ).hexdigest()


def identity_valid(secret: str, user: str, user_hash: str) -> bool:
    return same(user_hash.strip().lower(), identity_hash(secret, user))


# ---------------------------------------------------------------- HTTP Basic


def basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    """(user, password) of an ``Authorization: Basic ...`` header, None when it is not one."""
    if not authorization:
        return None
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    user, colon, password = decoded.partition(":")
    return (user, password) if colon else None


def basic_valid(authorization: str | None, user: str, password: str) -> bool:
    given = basic_credentials(authorization)
    if given is None:
        return False
    # Both compared, always, so the time taken says nothing about which one was wrong.
    user_ok = same(given[0], user)
    password_ok = same(given[1], password)
    return user_ok and password_ok
