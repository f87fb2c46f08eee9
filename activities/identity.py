"""Unverified senders: counting their attempts, and telling an order's owner on the
identity on file that someone wrote about it (the only way a stranger's message leads to
anything: the owner's own reply, from an authenticated channel)."""

from __future__ import annotations

from temporalio import activity

from desk import reply_text as say
from desk.config import PolicyConfig
from desk.models import AttemptVerdict, Channel, OwnerNotice, Reply, UnverifiedAttempt
from desk.policy.identity import attempt_limits
from desk.ports import AttemptLedger, Helpdesk, OrderSystem


class IdentityActivities:
    def __init__(
        self,
        orders: OrderSystem,
        helpdesk: Helpdesk,
        ledger: AttemptLedger,
        policy: PolicyConfig,
    ) -> None:
        self.orders = orders
        self.helpdesk = helpdesk
        self.ledger = ledger
        self.limits = attempt_limits(policy)

    @activity.defn
    def register_unverified_attempt(self, attempt: UnverifiedAttempt) -> AttemptVerdict:
        """Counted against this worker's configured limits (per sender, per order)."""
        return self.ledger.register_attempt(attempt, self.limits)

    @activity.defn
    def notify_owner(self, notice: OwnerNotice) -> str | None:
        """Write to the order's customer on the email (else phone) on file; one message per
        key. None when nothing is on file to write to."""
        order = self.orders.get_order(notice.order_number)
        owner = self.orders.find_customer_by_id(order.customer_id)
        if owner is None:
            return None
        on_file: dict[str, str] = {}
        for identity in owner.identities:
            on_file.setdefault(identity.kind, identity.value)
        if "email" in on_file:
            channel, to = Channel.email, on_file["email"]
        elif "phone" in on_file:
            channel, to = Channel.sms, on_file["phone"]
        else:
            return None
        reply = Reply(
            channel=channel,
            to=to,
            subject=f"About your order {order.number}" if channel == Channel.email else None,
            body=say.owner_notice(order.number, notice.channel),
        )
        return self.helpdesk.send_reply(notice.contact_id, reply, notice.key)
