"""Trusted senders: the attempt ledger of unverified senders (per sender, per order).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import desk.adapters.sandbox.tables

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unverified_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("sender_key", sa.String(length=128), nullable=False),
        sa.Column("order_number", sa.String(length=64), nullable=True),
        sa.Column("at", desk.adapters.sandbox.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "retry_after", desk.adapters.sandbox.tables.UTCDateTime(timezone=True), nullable=True
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unverified_attempts")),
        sa.UniqueConstraint("key", name=op.f("uq_unverified_attempts_key")),
    )
    with op.batch_alter_table("unverified_attempts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_unverified_attempts_order_number"), ["order_number"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_unverified_attempts_sender_key"), ["sender_key"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("unverified_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unverified_attempts_sender_key"))
        batch_op.drop_index(batch_op.f("ix_unverified_attempts_order_number"))
    op.drop_table("unverified_attempts")
