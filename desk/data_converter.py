"""The one data converter set-up: pydantic payloads, encrypted by the desk's payload codec
(desk/codec.py), failure messages and stack traces encoded as payloads too.

Two ways to get one, with the same codec and different keys:

- ``data_converter_for(settings)``: what the desk's processes use (``connect`` in
  desk/temporal_client.py: worker, ingest, supervisor commands, ``desk up``/``demo``, the
  codec server). Keys from ``DESK_CODEC_KEYS`` and/or ``DESK_CODEC_KEY_FILE``; with
  neither, the development key of ``<data_dir>/codec-keys`` (created on first use, mode
  0600, with a warning) as long as Temporal is on loopback. A desk pointed at a remote
  Temporal with no keys configured refuses to start: a key made up on one host would leave
  every other worker unable to read what it wrote.
- ``DATA_CONVERTER``: the embedded default of the test suite, the time-skipping test server
  (devtools/test_server.py), the scenario runner and the replayers. It encrypts with the
  fixed, public test key (``desk.codec.TEST_KEYRING``), so every test process, subprocesses
  included, reads what the others wrote without any configuration. Never connect a
  production client with it.

Both decode payloads that are not encrypted (the recorded histories in tests/histories/
are plain JSON) unchanged.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import stat
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import structlog
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes

from desk.codec import TEST_KEYRING, EncryptionCodec, Keyring, new_key, parse_keys
from desk.config import ConfigError, Settings
from desk.loopback import is_loopback
from desk.temporal_config import temporal_address

log = structlog.get_logger("desk.codec")

DEV_KEY_FILE = "codec-keys"


def build_data_converter(keyring: Keyring) -> DataConverter:
    """The pydantic converter with the encrypting codec over ``keyring``."""
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=EncryptionCodec(keyring),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


DATA_CONVERTER: DataConverter = build_data_converter(TEST_KEYRING)


def _address_host(address: str) -> str:
    if address.startswith("["):  # [::1]:7233
        return address[1 : address.find("]")]
    return address.rsplit(":", 1)[0] if address.count(":") == 1 else address


def _read_key_file(path: Path, what: str) -> list[tuple[str, bytes]]:
    try:
        text = path.read_text()
        mode = path.stat().st_mode
    except OSError as err:
        raise ConfigError(f"{what} {path} cannot be read: {err.strerror or err}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning(
            "codec.key_file_readable_by_others",
            path=str(path),
            mode=oct(stat.S_IMODE(mode)),
            hint=f"chmod 600 {path}",
        )
    try:
        return parse_keys(text, f"{what} {path}", separator="\n")
    except ValueError as err:
        raise ConfigError(str(err)) from None


def _create_dev_key_file(path: Path) -> None:
    """A fresh key in a 0600 file, created atomically: two processes starting at once
    both end up with the one that got there first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key_id = f"dev-{datetime.now(UTC):%Y%m%d}-{os.urandom(3).hex()}"
    text = (
        "# The desk's development codec key, created on first start because no\n"
        "# DESK_CODEC_KEYS / DESK_CODEC_KEY_FILE was set. Not for production.\n"
        "# One key a line, KEY_ID:BASE64 (32 bytes); the first encrypts, all decrypt.\n"
        "# To rotate: add a new line at the top and keep the old ones below it.\n"
        f"{key_id}:{new_key()}\n"
    )
    fd, tmp = tempfile.mkstemp(prefix=".codec-keys.", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        with contextlib.suppress(FileExistsError):  # another process was first: keep its key
            os.link(tmp, path)
    finally:
        os.unlink(tmp)


_Source = tuple[str | None, str | None, str, str]
_KEYRINGS: dict[_Source, tuple[Keyring, DataConverter]] = {}


def _loaded(settings: Settings) -> tuple[Keyring, DataConverter]:
    configured = settings.codec_keys.get_secret_value() if settings.codec_keys else None
    source = (configured, settings.codec_key_file, settings.data_dir, temporal_address(settings))
    if source not in _KEYRINGS:
        keyring = _load_keyring(settings, configured)
        _KEYRINGS[source] = (keyring, build_data_converter(keyring))
    return _KEYRINGS[source]


def load_keyring(settings: Settings) -> Keyring:
    """The keys this process encrypts and decrypts with (see the module's docstring).
    Raises ConfigError naming the problem; loaded once per process and key source."""
    return _loaded(settings)[0]


def _load_keyring(settings: Settings, configured: str | None) -> Keyring:
    if configured is not None or settings.codec_key_file:
        keys: list[tuple[str, bytes]] = []
        sources = []
        if configured is not None:
            keys += parse_keys(configured, "DESK_CODEC_KEYS")  # validated in Settings
            sources.append("DESK_CODEC_KEYS")
        if settings.codec_key_file:
            path = Path(settings.codec_key_file)
            keys += _read_key_file(path, "DESK_CODEC_KEY_FILE")
            sources.append(f"DESK_CODEC_KEY_FILE {path}")
        try:
            return Keyring(tuple(keys), " and ".join(sources))
        except ValueError as err:  # the same id in both places
            raise ConfigError(str(err)) from None
    path = Path(settings.data_dir) / DEV_KEY_FILE
    if not path.exists():
        address = temporal_address(settings)
        if not is_loopback(_address_host(address)):
            raise ConfigError(
                "no payload encryption keys: set DESK_CODEC_KEYS (or DESK_CODEC_KEY_FILE) for "
                f"a Temporal at {address}; every worker, ingest and codec "
                "server of a namespace needs the same keys"
            )
        _create_dev_key_file(path)
    keys = _read_key_file(path, "development key file")
    log.warning(
        "codec.development_key",
        path=str(path),
        key_id=keys[0][0],
        hint="payloads are encrypted with a development key; set DESK_CODEC_KEYS in production",
    )
    return Keyring(tuple(keys), f"development key file {path}", development=True)


def data_converter_for(settings: Settings) -> DataConverter:
    """The data converter of a desk process configured by ``settings`` (one per process
    and key source)."""
    return _loaded(settings)[1]


__all__ = [
    "DATA_CONVERTER",
    "build_data_converter",
    "data_converter_for",
    "load_keyring",
]
