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
    def open_contact(self, contact_id: str, customer_id: str, order_number: str) -> None:
        self.helpdesk.open_contact(contact_id, customer_id, order_number)

    @activity.defn
    def close_contact(self, contact_id: str) -> None:
        self.helpdesk.close_contact(contact_id)

    @activity.defn
    def alert_supervisors(self, contact_id: str, text: str, level: int, key: str) -> str:
        return self.helpdesk.alert_supervisors(contact_id, text, level, key)
