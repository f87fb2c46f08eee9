"""The payload codec (desk/codec.py) and where a process finds its keys
(desk/data_converter.py): layout, rotation, pass-through, clear errors, the development
key, and start-up refusing bad configuration with exit 2."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from temporalio.api.common.v1 import Payload

from desk.codec import (
    ENCODING,
    KEY_ID_METADATA,
    NONCE_BYTES,
    TEST_KEYRING,
    CodecKeyError,
    EncryptionCodec,
    Keyring,
    new_key,
    parse_keys,
)
from desk.config import ConfigError, Settings
from desk.data_converter import DATA_CONVERTER, data_converter_for, load_keyring
from desk.models import Channel, InboundMessage

DESK = str(Path(sys.executable).parent / "desk")
EMAIL = "margarethe.vollenweider@example.org"


def keyring(*ids: str) -> Keyring:
    return Keyring(tuple((i, os.urandom(32)) for i in ids), "test")


def plain(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(text).encode())


async def test_round_trip_and_layout() -> None:
    codec = EncryptionCodec(keyring("k-2026-11"))
    original = plain(EMAIL)
    [sealed] = await codec.encode([original])
    assert sealed.metadata["encoding"] == ENCODING == b"binary/encrypted"
    assert sealed.metadata[KEY_ID_METADATA] == b"k-2026-11"
    assert set(sealed.metadata) == {"encoding", KEY_ID_METADATA}  # the original's are inside
    assert EMAIL.encode() not in sealed.data
    assert len(sealed.data) == NONCE_BYTES + len(original.SerializeToString()) + 16
    [opened] = await codec.decode([sealed])
    assert opened == original


async def test_a_fresh_nonce_for_every_payload() -> None:
    codec = EncryptionCodec(keyring("k"))
    a, b = await codec.encode([plain(EMAIL), plain(EMAIL)])
    assert a.data[:NONCE_BYTES] != b.data[:NONCE_BYTES]
    assert a.data != b.data


async def test_payloads_that_are_not_encrypted_pass_through() -> None:
    codec = EncryptionCodec(keyring("k"))
    json_payload = plain("recorded before the codec")
    assert await codec.decode([json_payload]) == [json_payload]


async def test_rotation_old_keys_decrypt_the_first_encrypts() -> None:
    old = keyring("key-2026-05")
    [written_before] = await EncryptionCodec(old).encode([plain(EMAIL)])
    rotated = Keyring((("key-2026-11", os.urandom(32)), *old.keys), "rotated")
    codec = EncryptionCodec(rotated)
    assert (await codec.decode([written_before]))[0] == plain(EMAIL)
    [written_now] = await codec.encode([plain(EMAIL)])
    assert written_now.metadata[KEY_ID_METADATA] == b"key-2026-11"


async def test_unknown_key_id_is_a_clear_error_naming_it() -> None:
    [sealed] = await EncryptionCodec(keyring("key-2025-01")).encode([plain(EMAIL)])
    with pytest.raises(CodecKeyError, match=r"key id 'key-2025-01'.*not configured.*'?k2"):
        await EncryptionCodec(keyring("k2")).decode([sealed])


async def test_wrong_key_under_the_same_id_or_tampering_is_refused() -> None:
    [sealed] = await EncryptionCodec(keyring("k")).encode([plain(EMAIL)])
    with pytest.raises(CodecKeyError, match="does not authenticate"):
        await EncryptionCodec(keyring("k")).decode([sealed])
    codec = EncryptionCodec(keyring("k"))
    [sealed] = await codec.encode([plain(EMAIL)])
    tampered = Payload(metadata=sealed.metadata, data=sealed.data[:-1] + b"\0")
    with pytest.raises(CodecKeyError, match="does not authenticate"):
        await codec.decode([tampered])


async def test_the_data_converter_encrypts_every_value() -> None:
    message = InboundMessage(message_id="m1", channel=Channel.email, sender=EMAIL, text="hi")
    payloads = await DATA_CONVERTER.encode([message, "x", 3])
    assert all(p.metadata["encoding"] == ENCODING for p in payloads)
    assert all(EMAIL.encode() not in p.SerializeToString() for p in payloads)
    assert payloads[0].metadata[KEY_ID_METADATA] == TEST_KEYRING.encrypting_key_id.encode()
    back = await DATA_CONVERTER.decode(payloads, [InboundMessage, str, int])
    assert back == [message, "x", 3]


def test_parse_keys_names_what_is_wrong() -> None:
    good = new_key()
    assert [i for i, _ in parse_keys(f"key-2026-11:{good}, key-2026-05:{good}", "X")] == [
        "key-2026-11",
        "key-2026-05",
    ]
    with pytest.raises(ValueError, match="entry 1: key 'a' is not valid base64"):
        parse_keys("a:not-base64!", "X")
    short = base64.b64encode(b"0" * 16).decode()
    with pytest.raises(ValueError, match="key 'a' is 16 bytes; AES-256 needs 32"):
        parse_keys(f"a:{short}", "X")
    with pytest.raises(ValueError, match="entry 2: key id 'a' appears twice"):
        parse_keys(f"a:{good},a:{good}", "X")
    with pytest.raises(ValueError, match="expected KEY_ID:BASE64_KEY"):
        parse_keys(good, "X")
    with pytest.raises(ValueError, match="X: no keys"):
        parse_keys(" , ", "X")


def test_settings_refuse_bad_keys_with_the_variable_named() -> None:
    with pytest.raises(ConfigError, match="DESK_CODEC_KEYS entry 1: key 'k' is not valid base64"):
        Settings.from_env({"DESK_CODEC_KEYS": "k:???"})
    with pytest.raises(ConfigError, match="not an origin"):
        Settings.from_env({"DESK_CODEC_CORS_ORIGIN": "*"})
    settings = Settings.from_env({"DESK_CODEC_KEYS": f"k:{new_key()}"})
    assert "k:" not in repr(settings)  # a secret: never in a printed Settings


def test_configured_keys_then_the_key_file_and_nothing_written(tmp_path: Path) -> None:
    key_file = tmp_path / "keys"
    key_file.write_text(f"# retired\nkey-2026-05:{new_key()}\n")
    key_file.chmod(0o600)
    settings = Settings(
        codec_keys=f"key-2026-11:{new_key()}",
        codec_key_file=str(key_file),
        data_dir=str(tmp_path / "data"),
        temporal_address="temporal.example:7233",
    )
    ring = load_keyring(settings)
    assert ring.key_ids == ["key-2026-11", "key-2026-05"]
    assert not ring.development
    assert not (tmp_path / "data").exists()  # production never writes keys
    duplicate = Settings(codec_keys=f"key-2026-05:{new_key()}", codec_key_file=str(key_file))
    with pytest.raises(ConfigError, match="'key-2026-05' appears twice"):
        load_keyring(duplicate)
    key_file.write_text("oops\n")
    with pytest.raises(ConfigError, match=r"DESK_CODEC_KEY_FILE .*keys line 1"):
        load_keyring(Settings(codec_key_file=str(key_file), data_dir=str(tmp_path / "d2")))


def test_development_key_made_once_mode_0600_on_loopback(tmp_path: Path) -> None:
    settings = Settings(data_dir=str(tmp_path / "data"))
    first = load_keyring(settings)
    path = tmp_path / "data" / "codec-keys"
    assert first.development and path.is_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first.encrypting_key_id.startswith("dev-")
    # Another process (no cache) reads the same key.
    again = Settings(data_dir=str(tmp_path / "data"), temporal_address="localhost:7233")
    assert load_keyring(again).keys == first.keys
    assert data_converter_for(settings) is data_converter_for(settings)


def test_no_keys_for_a_remote_temporal_stops_start_up(tmp_path: Path) -> None:
    settings = Settings(data_dir=str(tmp_path), temporal_address="ns.acct.tmprl.cloud:7233")
    with pytest.raises(ConfigError, match="set DESK_CODEC_KEYS"):
        load_keyring(settings)
    assert not (tmp_path / "codec-keys").exists()


def run_desk(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DESK_")}
    return subprocess.run(
        [DESK, *args], capture_output=True, text=True, timeout=60, env=clean | env
    )


@pytest.mark.parametrize(
    ("keys", "said"),
    [
        ("k1:@@@", "key 'k1' is not valid base64"),
        (f"k1:{base64.b64encode(b'x' * 24).decode()}", "is 24 bytes; AES-256 needs 32"),
        (f"k1:{'A' * 43}=,k1:{'A' * 43}=", "key id 'k1' appears twice"),
    ],
)
def test_bad_keys_stop_a_desk_process_with_exit_2(keys: str, said: str) -> None:
    run = run_desk("worker", DESK_CODEC_KEYS=keys)
    assert run.returncode == 2, run.stderr
    assert said in run.stderr


def test_desk_codec_key_prints_a_usable_key() -> None:
    run = run_desk("codec-key", "--id", "key-2027-01")
    assert run.returncode == 0
    [(key_id, key)] = parse_keys(run.stdout.strip(), "output")
    assert key_id == "key-2027-01" and len(key) == 32
