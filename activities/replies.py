"""Replying to the customer on their channel, once per reply key."""

from __future__ import annotations

from temporalio import activity

from desk.models import Reply
from desk.ports import Helpdesk


class ReplyActivities:
    def __init__(self, helpdesk: Helpdesk) -> None:
        self.helpdesk = helpdesk

    @activity.defn
    def send_reply(self, contact_id: str, reply: Reply, key: str) -> str:
        return self.helpdesk.send_reply(contact_id, reply, key)

    @activity.defn
    def alert_supervisors(self, contact_id: str, text: str, level: int, key: str) -> str:
        return self.helpdesk.alert_supervisors(contact_id, text, level, key)
