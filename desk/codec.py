"""The payload codec that keeps personal data out of Temporal: AES-256-GCM over every payload.

Each payload the data converter produces (its metadata and data, serialised whole) is
encrypted with the keyring's first key under a fresh 96-bit random nonce, and travels as

    metadata  encoding: binary/encrypted, encryption-key-id: <key id>
    data      nonce (12 bytes) || ciphertext || GCM tag (16 bytes)

the layout of Temporal's encryption samples, so their codec servers and ours read the same
payloads. Decoding looks the key up by the id in the payload: a rotated keyring keeps its
old keys after the new first one, and payloads written under any of them still decode. A
payload that is not ``binary/encrypted`` (histories recorded before the codec, payloads of
other tools) passes through unchanged.

Keys come from configuration as ``id:base64,id:base64`` (``DESK_CODEC_KEYS``) or a key file
of one ``id:base64`` a line; ``parse_keys`` reads both and names what is wrong. Where a
process finds its keys (settings, a key file, the development key) is decided in
``desk/data_converter.py``.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from temporalio import workflow
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

# A native extension cannot be loaded twice: a module that a workflow sandbox re-imports
# (a test module defining workflows imports the data converter) must share the host's.
with workflow.unsafe.imports_passed_through():
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ENCODING = b"binary/encrypted"
KEY_ID_METADATA = "encryption-key-id"
NONCE_BYTES = 12
KEY_BYTES = 32
_TAG_BYTES = 16
_KEY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class CodecKeyError(ValueError):
    """A payload cannot be decrypted: its key id is not configured, or the key does not fit."""


@dataclass(frozen=True)
class Keyring:
    """Named AES-256 keys in order: the first encrypts, every one decrypts.

    ``development`` marks the embedded default (a key the desk generated for itself, or the
    fixed test key): the codec server then needs no token on loopback."""

    keys: tuple[tuple[str, bytes], ...]
    source: str
    development: bool = False

    def __post_init__(self) -> None:
        if not self.keys:
            raise ValueError(f"{self.source}: no keys")
        seen: set[str] = set()
        for key_id, key in self.keys:
            if key_id in seen:
                raise ValueError(f"{self.source}: key id {key_id!r} appears twice")
            seen.add(key_id)
            if len(key) != KEY_BYTES:
                raise ValueError(f"{self.source}: key {key_id!r} is not {KEY_BYTES} bytes")

    @property
    def encrypting_key_id(self) -> str:
        return self.keys[0][0]

    @property
    def key_ids(self) -> list[str]:
        return [key_id for key_id, _ in self.keys]

    def __repr__(self) -> str:  # never the key bytes
        return f"Keyring(key_ids={self.key_ids}, source={self.source!r})"


def parse_keys(text: str, where: str, separator: str = ",") -> list[tuple[str, bytes]]:
    """``id:base64`` entries separated by ``separator`` (blank entries and ``#`` comments are
    skipped); each key must decode to 32 bytes. ValueError names ``where`` and the entry."""
    keys: list[tuple[str, bytes]] = []
    seen: set[str] = set()
    for n, raw in enumerate(text.split(separator), start=1):
        entry = raw.strip()
        if not entry or entry.startswith("#"):
            continue
        place = f"{where} entry {n}" if separator == "," else f"{where} line {n}"
        key_id, colon, encoded = entry.partition(":")
        key_id, encoded = key_id.strip(), encoded.strip()
        if not colon or not key_id or not encoded:
            raise ValueError(f"{place}: expected KEY_ID:BASE64_KEY")
        if not _KEY_ID.match(key_id):
            raise ValueError(
                f"{place}: key id {key_id!r} may hold only letters, digits, '.', '_' and '-'"
            )
        try:
            key = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(f"{place}: key {key_id!r} is not valid base64") from None
        if len(key) != KEY_BYTES:
            raise ValueError(
                f"{place}: key {key_id!r} is {len(key)} bytes; AES-256 needs {KEY_BYTES}"
            )
        if key_id in seen:
            raise ValueError(f"{place}: key id {key_id!r} appears twice")
        seen.add(key_id)
        keys.append((key_id, key))
    if not keys:
        raise ValueError(f"{where}: no keys")
    return keys


def new_key() -> str:
    """A fresh random key, base64, for a key file or ``DESK_CODEC_KEYS``."""
    return base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()


class EncryptionCodec(PayloadCodec):
    """AES-256-GCM over whole payloads, with the key id in the metadata."""

    def __init__(self, keyring: Keyring) -> None:
        super().__init__()
        self.keyring = keyring
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keyring.keys}
        self._key_id = keyring.encrypting_key_id
        self._key_id_bytes = self._key_id.encode()

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(p) for p in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[self._key_id].encrypt(nonce, payload.SerializeToString(), None)
        return Payload(
            metadata={"encoding": ENCODING, KEY_ID_METADATA: self._key_id_bytes},
            data=nonce + sealed,
        )

    def decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload  # not ours to open: plain JSON of older histories, other codecs
        key_id = payload.metadata.get(KEY_ID_METADATA, b"").decode(errors="replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise CodecKeyError(
                f"payload encrypted with key id {key_id!r}, which is not configured "
                f"(configured: {', '.join(self.keyring.key_ids)} from {self.keyring.source}); "
                "keep retired keys after the new one in DESK_CODEC_KEYS"
            )
        data = payload.data
        if len(data) < NONCE_BYTES + _TAG_BYTES:
            raise CodecKeyError(f"payload under key id {key_id!r} is too short to be ours")
        try:
            plain = cipher.decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:], None)
        except InvalidTag:
            raise CodecKeyError(
                f"payload under key id {key_id!r} does not authenticate: the key configured "
                "under that id is not the one it was encrypted with, or the payload was altered"
            ) from None
        return Payload.FromString(plain)


def is_encrypted(payloads: Iterable[Payload]) -> bool:
    """True when every payload is one of ours (for tests and checks)."""
    return all(p.metadata.get("encoding") == ENCODING for p in payloads)


# The fixed key of the test suite, the time-skipping test server and the scenario runner: it
# is public (it is in this file), so it protects nothing and must never encrypt real data.
TEST_KEY_ID = "desk-test-key"
# As DESK_CODEC_KEYS, for a desk process (``desk show`` in a test) on a test server.
TEST_CODEC_KEYS = f"{TEST_KEY_ID}:ZGVzay10ZXN0LWtleS1ub3QtYS1zZWNyZXQtISEhISE="
TEST_KEYRING = Keyring(
    keys=tuple(parse_keys(TEST_CODEC_KEYS, "TEST_CODEC_KEYS")),
    source="the fixed test key (desk/codec.py)",
    development=True,
)
