"""The fraud gate's memory for customers of the merchant's own order system (desk_claims).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import desk.adapters.sandbox.tables

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "desk_claims",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("at", desk.adapters.sandbox.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("contact_id", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_claims")),
        sa.UniqueConstraint("key", name=op.f("uq_desk_claims_key")),
    )
    with op.batch_alter_table("desk_claims", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_desk_claims_customer_id"), ["customer_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("desk_claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_desk_claims_customer_id"))

    op.drop_table("desk_claims")
