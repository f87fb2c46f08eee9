"""The ingest authentication settings, what ingest may listen on, and the signatures."""

from __future__ import annotations

import base64
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from desk.config import ConfigError, Settings
from desk.loopback import is_loopback
from desk.models import Channel, Customer, InboundMessage, SenderMatch, Tier
from desk.routing import contact_id_for, intake_workflow_id
from ingest.exposure import announce, channel_summary, check_ingest_settings
from ingest.signatures import (
    basic_credentials,
    basic_valid,
    hub_signature_256,
    hub_signature_valid,
    identity_hash,
    identity_valid,
    twilio_algorithm,
    twilio_signature,
    twilio_signature_valid,
)

DESK = str(Path(sys.executable).parent / "desk")


# ---------------------------------------------------------------- settings


def test_defaults_are_safe() -> None:
    s = Settings.from_env({})
    assert s.dev_mode is False
    assert s.ingest_host == "127.0.0.1"
    assert s.ingest_channels == list(Channel)
    assert s.ingest_max_bytes == 256 * 1024
    for secret in (
        s.twilio_auth_token,
        s.postmark_webhook_user,
        s.identity_secret,
        s.social_webhook_secret,
        s.email_authserv_id,
    ):
        assert secret is None


def test_from_env() -> None:
    s = Settings.from_env(
        {
            "DESK_DEV_MODE": "true",
            "DESK_INGEST_CHANNELS": " SMS , email,",
            "DESK_INGEST_MAX_BYTES": "65536",
            "DESK_TWILIO_AUTH_TOKEN": "tok",
            "DESK_POSTMARK_WEBHOOK_USER": "pm",
            "DESK_POSTMARK_WEBHOOK_PASSWORD": "pw",
            "DESK_EMAIL_AUTHSERV_ID": "mx.example",
            "DESK_IDENTITY_SECRET": "",  # compose passes unset variables as ""
            "DESK_SOCIAL_WEBHOOK_SECRET": "   ",
        }
    )
    assert s.dev_mode is True
    assert s.ingest_channels == [Channel.sms, Channel.email]
    assert s.ingest_max_bytes == 65536
    assert (s.twilio_auth_token, s.postmark_webhook_user) == ("tok", "pm")
    assert s.identity_secret is None and s.social_webhook_secret is None
    assert Settings.from_env({"DESK_INGEST_CHANNELS": ""}).ingest_channels == list(Channel)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DESK_INGEST_CHANNELS": "sms,fax"}, "DESK_INGEST_CHANNELS[1]"),
        ({"DESK_INGEST_MAX_BYTES": "10"}, "DESK_INGEST_MAX_BYTES"),
        ({"DESK_DEV_MODE": "perhaps"}, "DESK_DEV_MODE"),
        ({"DESK_POSTMARK_WEBHOOK_USER": "pm"}, "set together"),
    ],
)
def test_bad_settings_are_named(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named.replace("[", r"\[").replace("]", r"\]")):
        Settings.from_env(env)


# ---------------------------------------------------------------- exposure


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.10.0.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("0.0.0.0", False),
        ("::", False),
        ("", False),
        ("10.0.0.5", False),
        ("localhost.example", False),
    ],
)
def test_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_channel_summary_says_which_channels_are_authenticated() -> None:
    settings = Settings(
        twilio_auth_token="t",
        identity_secret="i",
        ingest_channels=[Channel.sms, Channel.chat, Channel.social],
    )
    lines = channel_summary(settings)
    assert lines == [
        "email   not served (DESK_INGEST_CHANNELS)",
        "sms     authenticated: Twilio signature",
        "chat    authenticated: signed identity (user_hash)",
        "web     not served (DESK_INGEST_CHANNELS)",
        "social  NOT authenticated (accepted, never verified): set DESK_SOCIAL_WEBHOOK_SECRET",
    ]
    dev = channel_summary(Settings(dev_mode=True))
    assert all("DEV MODE" in line for line in dev)


def test_dev_mode_is_announced_loudly() -> None:
    out = io.StringIO()
    announce(Settings(dev_mode=True), out)
    assert "WARNING: DESK_DEV_MODE is on" in out.getvalue()
    assert "UNSIGNED" in out.getvalue()
    quiet = io.StringIO()
    announce(Settings(), quiet)
    assert quiet.getvalue() == ""


def test_check_passes_on_loopback_whatever_is_configured() -> None:
    check_ingest_settings(Settings())
    check_ingest_settings(Settings(dev_mode=True, ingest_host="::1"))


def run_desk(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DESK_")}
    return subprocess.run(
        [DESK, *args],
        env={**clean, **env, "DESK_TEMPORAL_ADDRESS": "127.0.0.1:9"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_desk_ingest_refuses_to_listen_beyond_loopback_unauthenticated() -> None:
    done = run_desk("ingest", DESK_INGEST_HOST="0.0.0.0", DESK_TWILIO_AUTH_TOKEN="t")
    assert done.returncode == 2
    assert "refuses to listen on 0.0.0.0:8000" in done.stderr
    assert "email: set DESK_POSTMARK_WEBHOOK_USER" in done.stderr
    assert "sms:" not in done.stderr  # configured


def test_desk_up_refuses_dev_mode_beyond_loopback() -> None:
    done = run_desk("up", DESK_INGEST_HOST="0.0.0.0", DESK_DEV_MODE="1")
    assert done.returncode == 2
    assert "DESK_DEV_MODE" in done.stderr and "loopback" in done.stderr


# ---------------------------------------------------------------- signatures


def test_twilio_test_vector() -> None:
    # Twilio's documented example (../shared/vendors/twilio_inbound_sms.md, TW3).
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+12349013030",
        "Digits": "1234",
        "From": "+12349013030",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio_signature("12345", url, params.items()) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    assert twilio_signature_valid("12345", url, params.items(), "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
    # Twilio signs the URL as configured; the proxy may have added or dropped :443.
    with_port = "https://mycompany.com:443/myapp.php?foo=1&bar=2"
    assert twilio_signature_valid(
        "12345", with_port, params.items(), "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    )


def test_twilio_repeated_parameters_are_each_signed() -> None:
    one = twilio_signature("k", "https://x.example/sms", [("A", "1"), ("A", "1")])
    other = twilio_signature("k", "https://x.example/sms", [("A", "1")])
    assert one != other  # a repeated value is part of what Twilio signed


@pytest.mark.parametrize(
    ("header", "algorithm"),
    [
        (None, "sha1"),
        ("key=K1,algorithm=HMAC_SHA256", "sha256"),
        ("algorithm=hmac_sha256; key=K1", "sha256"),
        ("algorithm=HMAC_SHA1", "sha1"),
        ("algorithm=HMAC_MD5", None),
        ("", None),
    ],
)
def test_twilio_signature_settings(header: str | None, algorithm: str | None) -> None:
    assert twilio_algorithm(header) == algorithm


def test_hub_signature() -> None:
    body = b'{"object":"instagram"}'
    signature = hub_signature_256("app-secret", body)
    assert signature.startswith("sha256=") and len(signature) == 7 + 64
    assert hub_signature_valid("app-secret", body, signature)
    assert hub_signature_valid("app-secret", body, signature.upper().replace("SHA256", "sha256"))
    for wrong in (None, "", signature[:-1], "sha1=" + signature[7:], signature + "0"):
        assert not hub_signature_valid("app-secret", body, wrong)
    assert not hub_signature_valid("app-secret", body + b" ", signature)


def test_identity_hash_is_intercom_style_hex_hmac_sha256() -> None:
    # Computed independently: printf 'dana@example.com' | openssl dgst -sha256 -hmac secret
    expected = "60322c8a359ead17ed724c046ccc6d63cab12c211b2770da8b126675382533fc"
    assert identity_hash("secret", "dana@example.com") == expected
    assert identity_valid("secret", "dana@example.com", expected)
    assert identity_valid("secret", "dana@example.com", expected.upper())
    assert not identity_valid("secret", "Dana@example.com", expected)
    assert not identity_valid("other", "dana@example.com", expected)
    assert not identity_valid("secret", "dana@example.com", expected[:-1])


def basic_header(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_basic_credentials() -> None:
    assert basic_credentials(basic_header("pm", "p:w")) == ("pm", "p:w")
    assert basic_valid(basic_header("pm", "pw"), "pm", "pw")
    for wrong in (
        None,
        "",
        "Basic",
        "Basic !!!",
        "Bearer pw",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic " + base64.b64encode(b"\xff:\xfe").decode(),
        basic_header("pm", "wrong"),
        basic_header("PM", "pw"),
    ):
        assert not basic_valid(wrong, "pm", "pw")


# ---------------------------------------------------------------- intake ids


def message(
    message_id: str, channel: Channel = Channel.chat, scope: str | None = "c1"
) -> InboundMessage:
    return InboundMessage(
        message_id=message_id, channel=channel, sender="someone", provider_scope=scope
    )


def test_intake_ids_hash_the_whole_id_with_its_scope() -> None:
    ids = {
        intake_workflow_id(message("col/1")),
        intake_workflow_id(message("col:1")),
        intake_workflow_id(message("col_1")),
        intake_workflow_id(message("col:1", scope="c2")),
        intake_workflow_id(message("col:1", scope=None)),
        intake_workflow_id(message("col:1", Channel.social)),
        intake_workflow_id(message("x" * 2000)),
        intake_workflow_id(message("x" * 2000 + "y")),
    }
    assert len(ids) == 8
    same = intake_workflow_id(message("col/1"))
    assert same == intake_workflow_id(message("col/1").model_copy(update={"text": "retry"}))
    assert same.startswith("intake-chat-") and len(same) == len("intake-chat-") + 32
    # Where the scope ends and the id begins is never ambiguous.
    assert intake_workflow_id(message("c", scope="a:b")) != intake_workflow_id(
        message("b:c", scope="a")
    )


def _by_customer(customer_id: str) -> SenderMatch:
    return SenderMatch(
        customer=Customer(id=customer_id, name="x", tier=Tier.standard), problem="no_order"
    )


def _by_claim(number: str) -> SenderMatch:
    return SenderMatch(claimed_order=number, problem="unauthenticated")


def test_contact_ids_are_one_to_one_with_what_they_name() -> None:
    numbers = ["A/1", "A:1", "A_1", "A 1", "#1001", "_1001", "x" * 130, "x" * 130 + "y", "ü1"]
    ids = [contact_id_for(_by_claim(n), "s") for n in numbers]
    assert len(set(ids)) == len(numbers), ids
    assert all(len(i) <= 128 and i.startswith("contact-order-") for i in ids)
    # A safe value stands as it is, as before; the others are marked (never a safe value).
    assert contact_id_for(_by_claim("60102"), "s") == "contact-order-60102"
    assert contact_id_for(_by_claim("SO-12345"), "s") == "contact-order-SO-12345"
    assert contact_id_for(_by_customer("cus_9@x.io"), "s") == "contact-customer-cus_9@x.io"
    assert contact_id_for(_by_claim("A/1"), "s").startswith("contact-order-A_1~")
    assert contact_id_for(_by_claim("A_1"), "s") == "contact-order-A_1"
    # The same value, the same contact, whoever writes.
    assert contact_id_for(_by_claim("A/1"), "s") == contact_id_for(_by_claim("A/1"), "t")
    assert contact_id_for(_by_customer("gid://x/1"), "s") != contact_id_for(
        _by_customer("gid://x_1"), "s"
    )


def test_the_legacy_contact_ids_are_kept_for_intakes_begun_before() -> None:
    assert contact_id_for(_by_claim("A/1"), "s", legacy=True) == "contact-order-A_1"
    assert contact_id_for(_by_claim("A:1"), "s", legacy=True) == "contact-order-A_1"
    assert contact_id_for(_by_claim("60102"), "s", legacy=True) == "contact-order-60102"
