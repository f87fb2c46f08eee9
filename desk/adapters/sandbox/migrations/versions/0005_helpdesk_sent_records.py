"""The helpdesk adapters' record of what was sent (one message per key) and of their tickets.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "helpdesk_sent",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("vendor", sa.String(length=32), nullable=False),
        sa.Column("contact_id", sa.String(length=200), nullable=False),
        sa.Column("outbox_id", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("helpdesk_sent", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_helpdesk_sent_contact_id"), ["contact_id"], unique=False
        )

    op.create_table(
        "helpdesk_tickets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("vendor", sa.String(length=32), nullable=False),
        sa.Column("contact_ref", sa.String(length=300), nullable=False),
        sa.Column("ticket_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("vendor", "contact_ref", name="uq_helpdesk_ticket"),
    )


def downgrade() -> None:

    op.drop_table("helpdesk_tickets")
    with op.batch_alter_table("helpdesk_sent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_helpdesk_sent_contact_id"))

    op.drop_table("helpdesk_sent")
