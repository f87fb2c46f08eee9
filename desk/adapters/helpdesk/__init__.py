"""The Helpdesk port over real vendors: replies through Zendesk, Gorgias or SMTP, the
registry (and, by default, supervisor alerts) through another Helpdesk.

``CompositeHelpdesk(replies=..., registry=...)`` is the whole ``desk.ports.Helpdesk``:

- ``send_reply`` goes to the vendor adapter by the reply's channel: email to ``email``
  (an ``SmtpReplies``) when one is given, everything else (and email without one) to
  ``replies`` (a ``ZendeskReplies`` or ``GorgiasReplies``);
- ``alert_supervisors`` goes to ``alerts`` — the registry unless told otherwise (the desk's
  own queue: ``desk escalations``), or a vendor adapter (an internal note for the
  supervisors in Zendesk or Gorgias, an email to them through SMTP);
- ``open_contact``, ``close_contact``, ``open_contact_order`` go to ``registry`` (the desk's
  database: ``SandboxShop`` or the merchant's own Helpdesk).

Each vendor adapter keeps the port's promise of one message per key with a ``SentStore``
(``store.py``) and, for the HTTP vendors, a marker on the vendor's side; see
docs/adapters/helpdesk.md.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from desk.adapters.helpdesk.common import ReplySender
from desk.adapters.helpdesk.gorgias import GorgiasReplies, GorgiasSettings
from desk.adapters.helpdesk.smtp import SmtpReplies, SmtpSettings
from desk.adapters.helpdesk.store import MemorySentStore, SentStore, SqlSentStore
from desk.adapters.helpdesk.zendesk import ZendeskReplies, ZendeskSettings
from desk.models import Channel, Reply
from desk.ports import Helpdesk


class CompositeHelpdesk:
    """``desk.ports.Helpdesk``: replies by channel through vendor adapters, the registry
    (and alerts, unless ``alerts`` is given) through ``registry``."""

    def __init__(
        self,
        replies: ReplySender,
        registry: Helpdesk,
        *,
        email: ReplySender | None = None,
        alerts: ReplySender | None = None,
    ) -> None:
        self.replies = replies
        self.registry = registry
        self.email = email
        self.alerts: ReplySender = alerts if alerts is not None else registry

    def sender_for(self, channel: Channel) -> ReplySender:
        if channel == Channel.email and self.email is not None:
            return self.email
        return self.replies

    def send_reply(self, contact_id: str, reply: Reply, key: str) -> str:
        return self.sender_for(reply.channel).send_reply(contact_id, reply, key)

    def alert_supervisors(self, contact_id: str, text: str, level: int, key: str) -> str:
        return self.alerts.alert_supervisors(contact_id, text, level, key)

    def open_contact(self, contact_id: str, customer_id: str, order_number: str) -> None:
        self.registry.open_contact(contact_id, customer_id, order_number)

    def close_contact(self, contact_id: str) -> None:
        self.registry.close_contact(contact_id)

    def open_contact_order(self, customer_id: str) -> str | None:
        return self.registry.open_contact_order(customer_id)

    def close(self) -> None:
        for part in {id(p): p for p in (self.replies, self.email, self.alerts)}.values():
            closer = getattr(part, "close", None)
            if part is not self.registry and callable(closer):
                closer()

    @classmethod
    def from_env(
        cls,
        registry: Helpdesk,
        store: SentStore | None = None,
        env: Mapping[str, str] | None = None,
    ) -> CompositeHelpdesk:
        """Built from ``DESK_HELPDESK_REPLIES`` (``zendesk`` | ``gorgias``),
        ``DESK_HELPDESK_EMAIL`` (``smtp`` | ``helpdesk``, default ``helpdesk``) and
        ``DESK_HELPDESK_ALERTS`` (``registry`` | ``helpdesk`` | ``smtp``, default
        ``registry``), each vendor from its own ``DESK_<VENDOR>_*`` settings. ``store``
        defaults to a ``SqlSentStore`` on ``DESK_HELPDESK_STORE_URL`` when set (tables
        created if missing), else memory."""
        env = os.environ if env is None else env
        if store is None:
            url = env.get("DESK_HELPDESK_STORE_URL")
            if url:
                sql = SqlSentStore(url)
                sql.create_all()
                store = sql
            else:
                store = MemorySentStore()
        which = env.get("DESK_HELPDESK_REPLIES", "")
        replies: ReplySender
        if which == "zendesk":
            replies = ZendeskReplies(ZendeskSettings.from_env(dict(env)), store)
        elif which == "gorgias":
            replies = GorgiasReplies(GorgiasSettings.from_env(dict(env)), store)
        else:
            raise ValueError("DESK_HELPDESK_REPLIES must be zendesk or gorgias")
        email_mode = env.get("DESK_HELPDESK_EMAIL", "helpdesk")
        if email_mode not in ("smtp", "helpdesk"):
            raise ValueError("DESK_HELPDESK_EMAIL must be smtp or helpdesk")
        smtp = (
            SmtpReplies(SmtpSettings.from_env(dict(env)), store) if email_mode == "smtp" else None
        )
        alerts_mode = env.get("DESK_HELPDESK_ALERTS", "registry")
        alerts: ReplySender | None
        if alerts_mode == "registry":
            alerts = None
        elif alerts_mode == "helpdesk":
            alerts = replies
        elif alerts_mode == "smtp":
            alerts = smtp or SmtpReplies(SmtpSettings.from_env(dict(env)), store)
        else:
            raise ValueError("DESK_HELPDESK_ALERTS must be registry, helpdesk or smtp")
        return cls(replies=replies, registry=registry, email=smtp, alerts=alerts)


__all__ = [
    "CompositeHelpdesk",
    "GorgiasReplies",
    "GorgiasSettings",
    "MemorySentStore",
    "ReplySender",
    "SentStore",
    "SmtpReplies",
    "SmtpSettings",
    "SqlSentStore",
    "ZendeskReplies",
    "ZendeskSettings",
]
