"""Email replies through SMTP, end to end against an aiosmtpd server on 127.0.0.1 that the
test starts: what arrives (headers, plain-text body, one message per key even when
send_reply is called twice or by a second worker), threading, AUTH, STARTTLS and implicit
TLS with a certificate made here, and the server's refusals as the port's errors."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from desk.adapters.helpdesk import MemorySentStore, SmtpReplies, SmtpSettings, SqlSentStore
from desk.adapters.helpdesk.smtp import message_id_for
from desk.adapters.http import VendorAuthError
from desk.models import Channel, Reply
from desk.ports import Refused, Unavailable
from devtools.net import free_port as _free_port

CONTACT = "contact-order-60102"
PASSWORD = "s3cr3t-smtp-password"
REPLY = Reply(
    channel=Channel.email,
    to="claire@example.com",
    subject="Re: where is my parcel",
    body="Hi Claire,\n\nUSPS shows it delivered. We've opened a trace — café.\n",
)


@dataclass
class Inbox:
    """What the test's SMTP server received, and how it answers RCPT."""

    messages: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)
    rcpt_answer: str | None = None
    logins: list[str] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.rcpt_answer:
            return self.rcpt_answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted"

    def authenticator(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            b"desk",
            PASSWORD.encode(),
        )
        self.logins.append(f"{mechanism}:{'ok' if ok else 'refused'}")
        return AuthResult(success=ok, handled=False)  # aiosmtpd answers 235 / 535


@contextmanager
def smtp_server(**kwargs: Any) -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = _free_port()
    if kwargs.pop("with_auth", False):
        kwargs.update(authenticator=inbox.authenticator)
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def _settings(port: int, **kw: Any) -> SmtpSettings:
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "from_address": "Shop Support <support@shop.example>",
        "timeout": 5,
    }
    values.update(kw)
    return SmtpSettings(**values)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _server_tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


# ---------------------------------------------------------------- what arrives


def test_a_reply_arrives_as_one_plain_text_message_with_a_message_id_from_its_key() -> None:
    with smtp_server() as (inbox, port):
        smtp = SmtpReplies(_settings(port, reply_to="help@shop.example"))
        outbox = smtp.send_reply(CONTACT, REPLY, f"{CONTACT}:r1")
    [(mail_from, rcpt, message)] = inbox.messages
    assert mail_from == "support@shop.example" and rcpt == ["claire@example.com"]
    assert message["From"] == "Shop Support <support@shop.example>"
    assert message["To"] == "claire@example.com"
    assert message["Subject"] == "Re: where is my parcel"
    assert message["Reply-To"] == "help@shop.example"
    assert message["Auto-Submitted"] == "auto-replied"
    assert message["Message-ID"] == message_id_for(f"{CONTACT}:r1", "shop.example")
    assert message["In-Reply-To"] is None and message["References"] is None
    assert message.get_content_type() == "text/plain"
    assert message.get_content().replace("\r\n", "\n") == REPLY.body
    assert outbox == "smtp:" + message["Message-ID"].strip("<>")
    assert CONTACT not in message["Message-ID"]  # the key's digest, not the key


def test_the_same_key_twice_sends_one_message() -> None:
    with smtp_server() as (inbox, port):
        smtp = SmtpReplies(_settings(port))
        first = smtp.send_reply(CONTACT, REPLY, f"{CONTACT}:r1")
        again = smtp.send_reply(CONTACT, REPLY.model_copy(update={"body": "x"}), f"{CONTACT}:r1")
    assert first == again and len(inbox.messages) == 1


def test_workers_sharing_a_sql_store_send_one_message_per_key(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    SqlSentStore(url).create_all()
    with smtp_server() as (inbox, port):
        one = SmtpReplies(_settings(port), SqlSentStore(url))
        other = SmtpReplies(_settings(port), SqlSentStore(url))  # a second worker
        assert one.send_reply(CONTACT, REPLY, "k1") == other.send_reply(CONTACT, REPLY, "k1")
        other.send_reply(CONTACT, REPLY, "k2")
    assert len(inbox.messages) == 2


def test_a_resend_in_the_unrecorded_window_is_the_same_message_to_the_receiver() -> None:
    # The relay took the message, the worker died before recording it: the retry sends
    # again, with the same Message-ID, which receiving systems recognise.
    with smtp_server() as (inbox, port):
        SmtpReplies(_settings(port), MemorySentStore()).send_reply(CONTACT, REPLY, "k1")
        SmtpReplies(_settings(port), MemorySentStore()).send_reply(CONTACT, REPLY, "k1")
    ids = {m["Message-ID"] for _, _, m in inbox.messages}
    assert len(inbox.messages) == 2 and len(ids) == 1


def test_later_replies_thread_on_the_customers_email_and_the_desks_earlier_ones() -> None:
    with smtp_server() as (inbox, port):
        smtp = SmtpReplies(_settings(port))
        smtp.send_reply(CONTACT, REPLY, f"{CONTACT}:r1")
        smtp.send_reply(CONTACT, REPLY, f"{CONTACT}:r2")
        threaded = SmtpReplies(
            _settings(port), smtp.store, thread_of=lambda contact: "CAB123@mail.example.com"
        )
        threaded.send_reply(CONTACT, REPLY, f"{CONTACT}:r3")
        smtp.send_reply("contact-order-7", REPLY, "contact-order-7:r1")
    first, second, third, elsewhere = (m for _, _, m in inbox.messages)
    assert second["In-Reply-To"] == first["Message-ID"]
    assert second["References"] == first["Message-ID"]
    assert third["In-Reply-To"] == "<CAB123@mail.example.com>"
    assert third["References"].split() == [
        "<CAB123@mail.example.com>",
        first["Message-ID"],
        second["Message-ID"],
    ]
    assert elsewhere["In-Reply-To"] is None


def test_a_reply_without_a_subject_gets_the_default_or_none() -> None:
    with smtp_server() as (inbox, port):
        SmtpReplies(_settings(port)).send_reply(
            CONTACT, REPLY.model_copy(update={"subject": None}), "k1"
        )
        SmtpReplies(_settings(port, default_subject="About your order")).send_reply(
            CONTACT, REPLY.model_copy(update={"subject": None}), "k2"
        )
    assert inbox.messages[0][2]["Subject"] is None
    assert inbox.messages[1][2]["Subject"] == "About your order"


def test_alerts_go_to_the_supervisors_addresses() -> None:
    with smtp_server() as (inbox, port):
        smtp = SmtpReplies(_settings(port, alert_to=["sup1@shop.example", "sup2@shop.example"]))
        smtp.alert_supervisors(CONTACT, "new escalation: fraud_review", 2, f"{CONTACT}:a1")
        smtp.alert_supervisors(CONTACT, "new escalation: fraud_review", 2, f"{CONTACT}:a1")
    [(_, rcpt, message)] = inbox.messages
    assert rcpt == ["sup1@shop.example", "sup2@shop.example"]
    assert message["Subject"] == f"[desk] level 2: {CONTACT}"
    assert "new escalation: fraud_review" in message.get_content()


# ---------------------------------------------------------------- connections and auth


def test_auth_on_a_loopback_relay_and_a_wrong_password_refused_without_it() -> None:
    with smtp_server(with_auth=True, auth_require_tls=False) as (inbox, port):
        good = SmtpReplies(_settings(port, username="desk", password=PASSWORD))
        good.send_reply(CONTACT, REPLY, "k1")
        bad = SmtpReplies(_settings(port, username="desk", password="wrong-" + PASSWORD))
        with pytest.raises(VendorAuthError) as err:
            bad.send_reply(CONTACT, REPLY, "k2")
    assert len(inbox.messages) == 1 and inbox.logins[0].endswith(":ok")
    assert "535" in str(err.value) and PASSWORD not in str(err.value)
    assert PASSWORD not in repr(good.settings)


def test_starttls_verifies_the_servers_certificate(certificate: tuple[Path, Path]) -> None:
    tls = _server_tls(certificate)
    with smtp_server(tls_context=tls, require_starttls=True, with_auth=True) as (inbox, port):
        trusted = _settings(
            port,
            security="starttls",
            ca_file=str(certificate[0]),
            username="desk",
            password=PASSWORD,
        )
        SmtpReplies(trusted).send_reply(CONTACT, REPLY, "k1")
        untrusted = _settings(port, security="starttls", username="desk", password=PASSWORD)
        with pytest.raises(Refused, match="certificate"):
            SmtpReplies(untrusted).send_reply(CONTACT, REPLY, "k2")
    assert len(inbox.messages) == 1 and inbox.logins == ["PLAIN:ok"]


def test_implicit_tls(certificate: tuple[Path, Path]) -> None:
    with smtp_server(ssl_context=_server_tls(certificate)) as (inbox, port):
        settings = _settings(port, security="ssl", ca_file=str(certificate[0]))
        SmtpReplies(settings).send_reply(CONTACT, REPLY, "k1")
    assert len(inbox.messages) == 1


def test_starttls_on_a_server_without_it_is_refused() -> None:
    with smtp_server() as (inbox, port), pytest.raises(Refused, match="does not offer"):
        SmtpReplies(_settings(port, security="starttls")).send_reply(CONTACT, REPLY, "k1")
    assert inbox.messages == []


# ---------------------------------------------------------------- refusals


def test_a_5xx_for_the_recipient_is_refused_and_a_4xx_is_retried_later() -> None:
    with smtp_server() as (inbox, port):
        smtp = SmtpReplies(_settings(port))
        inbox.rcpt_answer = "550 5.1.1 <claire@example.com>: Recipient address rejected"
        with pytest.raises(Refused) as refused:
            smtp.send_reply(CONTACT, REPLY, "k1")
        inbox.rcpt_answer = "451 4.7.1 Greylisted, try again later"
        with pytest.raises(Unavailable):
            smtp.send_reply(CONTACT, REPLY, "k1")
        inbox.rcpt_answer = None
        smtp.send_reply(CONTACT, REPLY, "k1")  # the activity's retry
    assert "550" in str(refused.value) and "claire" not in str(refused.value)
    assert len(inbox.messages) == 1


def test_no_server_is_unavailable() -> None:
    smtp = SmtpReplies(_settings(_free_port(), timeout=2))
    with pytest.raises(Unavailable, match="unreachable"):
        smtp.send_reply(CONTACT, REPLY, "k1")
    assert smtp.store.sent("k1") is None


def test_only_email_replies_to_an_address_go_through_smtp() -> None:
    smtp = SmtpReplies(_settings(25))
    with pytest.raises(Refused, match="email replies only"):
        smtp.send_reply(CONTACT, Reply(channel=Channel.sms, to="+15551234567", body="x"), "k")
    for bad in ("not an address", "claire@example.com\r\nBcc: all@example.com"):
        with pytest.raises(Refused, match="not an email address"):
            smtp.send_reply(CONTACT, REPLY.model_copy(update={"to": bad}), "k")


# ---------------------------------------------------------------- settings


def test_settings_from_the_environment_and_their_checks() -> None:
    settings = SmtpSettings.from_env(
        {
            "DESK_SMTP_HOST": "smtp.shop.example",
            "DESK_SMTP_USERNAME": "desk",
            "DESK_SMTP_PASSWORD": PASSWORD,
            "DESK_SMTP_FROM_ADDRESS": "Shop <support@shop.example>",
            "DESK_SMTP_ALERT_TO": "a@shop.example, b@shop.example",
        }
    )
    assert settings.effective_port == 587 and settings.security == "starttls"
    assert settings.alert_to == ["a@shop.example", "b@shop.example"]
    assert settings.domain == "shop.example" and PASSWORD not in repr(settings)
    assert SmtpSettings(host="x", security="ssl", from_address="a@b.c").effective_port == 465
    with pytest.raises(ValueError, match="loopback"):
        SmtpSettings(
            host="smtp.shop.example",
            security="none",
            username="desk",
            password=PASSWORD,
            from_address="a@b.c",
        )
    with pytest.raises(ValueError):
        SmtpSettings(host="x", from_address="no address")
