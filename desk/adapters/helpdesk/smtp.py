"""Email replies through an SMTP relay, with the standard library's ``smtplib``.

One message per reply on the email channel: ``From`` the shop's address, ``To`` the reply's
``to``, the ``Subject`` as given (``default_subject`` when the reply has none), a plain-text
UTF-8 body, ``Auto-Submitted: auto-replied`` (RFC 3834: vacation responders do not answer
it), and a ``Message-ID`` derived from the key: ``<desk.<sha256(key)[:32]>@<domain>>``.

Exactly once: SMTP cannot be asked what it already has, so the ``SentStore`` is the record
(``SqlSentStore`` on the desk's database for workers that share it; ``MemorySentStore`` in
tests). A key found there is not sent again: its first outbox id is returned. The one
window left — the relay accepted the message but the worker died before the record — ends in
a resend with the *same* Message-ID, which mail systems (Gmail, Exchange, most MTAs'
duplicate filters, every threading client) recognise as the same message.

Threading: ``In-Reply-To`` and ``References`` are set when a thread is known: the Message-ID
``thread_of(contact_id)`` gives (the customer's email this answers, if the deployment can
tell), then the desk's own earlier replies to the contact (from the store).

Connection: ``security`` ``starttls`` (port 587), ``ssl`` (implicit TLS, port 465) or
``none`` (plain; for a relay on loopback — a password is never sent in the clear to another
host), certificates verified (``ca_file`` adds a private CA), ``username`` / ``password``
for AUTH. Errors: a 4xx, a dropped or refused connection, a timeout → ``Unavailable``
(retried by the activity); a 5xx (recipient, sender or content refused) → ``Refused``;
bad credentials → ``VendorAuthError``; a certificate that does not verify, or a server
without STARTTLS, → ``Refused`` (configuration a retry cannot fix). No address, password or
body is ever in an error.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from desk.adapters.helpdesk.common import digest, settings_from_env, vendor_words
from desk.adapters.helpdesk.store import MemorySentStore, SentStore
from desk.adapters.http import VendorAuthError
from desk.models import Channel, Reply
from desk.ports import Refused, Unavailable

VENDOR = "smtp"
_LOOPBACK = ("127.0.0.1", "localhost", "::1")
_MSGID = re.compile(r"^<[^<>\s@]+@[^<>\s@]+>$")


class SmtpSettings(BaseModel):
    """``DESK_SMTP_*``."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field(min_length=1)
    port: int | None = Field(None, ge=1, le=65535, description="587 / 465 / 25 by security")
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None
    password: SecretStr | None = None
    from_address: str = Field(description="e.g. 'Shop Support <support@shop.example>'")
    envelope_from: str | None = Field(None, description="MAIL FROM; the From address if unset")
    reply_to: str | None = None
    message_id_domain: str | None = Field(None, description="the From address's domain if unset")
    default_subject: str | None = None
    alert_to: list[str] = Field(default_factory=list, description="supervisors' addresses")
    ca_file: str | None = None
    helo_name: str | None = None
    timeout: float = Field(15, gt=0)

    @model_validator(mode="after")
    def _checks(self) -> SmtpSettings:
        if not _address(self.from_address):
            raise ValueError("from_address must hold an email address")
        if (self.username is None) != (self.password is None):
            raise ValueError("username and password are set together or not at all")
        if self.security == "none" and self.username and self.host not in _LOOPBACK:
            raise ValueError("AUTH over a plain connection only to a relay on loopback")
        return self

    @property
    def effective_port(self) -> int:
        return self.port or {"starttls": 587, "ssl": 465, "none": 25}[self.security]

    @property
    def domain(self) -> str:
        return self.message_id_domain or _address(self.from_address).rsplit("@", 1)[1]

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> SmtpSettings:
        return settings_from_env(cls, "DESK_SMTP_", env, lists=("alert_to",))


def _address(value: str) -> str:
    """The bare address of ``value`` (``'Name <a@b.c>'`` or ``'a@b.c'``), '' if none."""
    if "\r" in value or "\n" in value:
        return ""
    _, address = parseaddr(value)
    return address if re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", address) else ""


def message_id_for(key: str, domain: str) -> str:
    """The Message-ID of the reply with this key: the same key, the same Message-ID."""
    return f"<desk.{digest(key)}@{domain}>"


def _one_line(value: str) -> str:
    return " ".join(value.split())


class SmtpReplies:
    """``send_reply`` (email channel only) and ``alert_supervisors`` (to ``alert_to``) over
    SMTP (see the module)."""

    vendor = VENDOR

    def __init__(
        self,
        settings: SmtpSettings,
        store: SentStore | None = None,
        *,
        thread_of: Callable[[str], str | None] | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self.store: SentStore = store if store is not None else MemorySentStore()
        self.thread_of = thread_of
        self._now = now

    def send_reply(self, contact_id: str, reply: Reply, key: str) -> str:
        first = self.store.sent(key)
        if first is not None:
            return first
        if reply.channel != Channel.email:
            raise Refused(f"smtp sends email replies only, not {reply.channel.value}")
        to = _address(reply.to)
        if not to:
            raise Refused("smtp: the reply's recipient is not an email address")
        message = self._message(key, [to], reply.subject or self.settings.default_subject)
        message.set_content(reply.body)
        self._thread(message, contact_id)
        self._send(message, [to])
        return self.store.record(key, VENDOR, contact_id, _outbox_id(message))

    def alert_supervisors(self, contact_id: str, text: str, level: int, key: str) -> str:
        first = self.store.sent(key)
        if first is not None:
            return first
        recipients = [a for a in (_address(v) for v in self.settings.alert_to) if a]
        if not recipients:
            raise Refused("smtp: alerts need DESK_SMTP_ALERT_TO")
        message = self._message(key, recipients, f"[desk] level {level}: {contact_id}")
        message.set_content(f"Contact {contact_id}, escalation level {level}:\n\n{text}\n")
        self._send(message, recipients)
        return self.store.record(key, f"{VENDOR}-alerts", contact_id, _outbox_id(message))

    # ------------------------------------------------------------ the message

    def _message(self, key: str, to: list[str], subject: str | None) -> EmailMessage:
        s = self.settings
        message = EmailMessage()
        message["From"] = _one_line(s.from_address)
        message["To"] = ", ".join(to)
        if subject:
            message["Subject"] = _one_line(subject)
        if s.reply_to:
            message["Reply-To"] = _one_line(s.reply_to)
        message["Date"] = format_datetime(self._now().astimezone(UTC))
        message["Message-ID"] = message_id_for(key, s.domain)
        message["Auto-Submitted"] = "auto-replied"
        return message

    def _thread(self, message: EmailMessage, contact_id: str) -> None:
        root = self.thread_of(contact_id) if self.thread_of else None
        root = _msgid(root) if root else None
        ours = [
            f"<{o.removeprefix(VENDOR + ':')}>"
            for o in self.store.history(VENDOR, contact_id)
            if o.startswith(VENDOR + ":")
        ]
        chain = ([root] if root else []) + ours[-9:]
        if not chain:
            return
        message["In-Reply-To"] = root or ours[-1]
        message["References"] = " ".join(dict.fromkeys(chain))

    # ------------------------------------------------------------ sending

    def _send(self, message: EmailMessage, recipients: list[str]) -> None:
        s = self.settings
        envelope_from = _address(s.envelope_from or s.from_address)
        try:
            context = ssl.create_default_context(cafile=s.ca_file)
        except (OSError, ssl.SSLError):
            raise Refused("smtp: the ca_file of the settings cannot be read") from None
        with _smtp_errors():
            client: smtplib.SMTP
            if s.security == "ssl":
                client = smtplib.SMTP_SSL(
                    s.host,
                    s.effective_port,
                    local_hostname=s.helo_name,
                    timeout=s.timeout,
                    context=context,
                )
            else:
                client = smtplib.SMTP(
                    s.host, s.effective_port, local_hostname=s.helo_name, timeout=s.timeout
                )
            with client:
                client.ehlo()
                if s.security == "starttls":
                    client.starttls(context=context)
                    client.ehlo()
                if s.username is not None and s.password is not None:
                    client.login(s.username, s.password.get_secret_value())
                client.send_message(message, from_addr=envelope_from, to_addrs=recipients)


def _msgid(value: str) -> str | None:
    value = value.strip()
    if not value.startswith("<"):
        value = f"<{value}>"
    return value if _MSGID.match(value) else None


def _outbox_id(message: EmailMessage) -> str:
    return f"{VENDOR}:{str(message['Message-ID']).strip('<>')}"


def _code_words(code: int, text: bytes | str) -> str:
    raw = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    return f"{code} {vendor_words(raw, 120)}"


@contextmanager
def _smtp_errors() -> Iterator[None]:
    """SMTP's failures as the port's errors: 5xx final, 4xx and the network retryable; no
    recipient address, password or body in any message."""
    try:
        yield
    except smtplib.SMTPAuthenticationError as err:
        raise VendorAuthError(
            f"smtp refused the credentials: {_code_words(err.smtp_code, err.smtp_error)}"
        ) from None
    except smtplib.SMTPRecipientsRefused as err:
        codes = [code for code, _ in err.recipients.values()]
        words = ", ".join(str(c) for c in sorted(set(codes)))
        if codes and all(code >= 500 for code in codes):
            raise Refused(f"smtp refused the recipient ({words})") from None
        raise Unavailable(f"smtp deferred the recipient ({words})") from None
    except smtplib.SMTPNotSupportedError:
        raise Refused("smtp: the server does not offer what the settings require") from None
    except smtplib.SMTPResponseException as err:  # sender, data, helo refused; a 421
        words = _code_words(err.smtp_code, err.smtp_error)
        if err.smtp_code >= 500:
            raise Refused(f"smtp refused the message: {words}") from None
        raise Unavailable(f"smtp deferred the message: {words}") from None
    except ssl.SSLCertVerificationError as err:
        raise Refused(f"smtp: the server's certificate did not verify ({err.reason})") from None
    except (smtplib.SMTPException, OSError) as err:  # disconnected, refused, timed out, TLS
        raise Unavailable(f"smtp unreachable ({type(err).__name__})") from None
