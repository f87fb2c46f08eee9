"""Carrier searches a person files by hand (a carrier with no search API: USPS).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import desk.adapters.sandbox.tables

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "carrier_tasks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("contact_id", sa.String(length=200), nullable=True),
        sa.Column("tracking", sa.String(length=64), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column(
            "opened_at", desk.adapters.sandbox.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("case_number", sa.String(length=100), nullable=True),
        sa.Column("filed_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carrier_tasks")),
        sa.UniqueConstraint("key", name=op.f("uq_carrier_tasks_key")),
    )
    with op.batch_alter_table("carrier_tasks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_carrier_tasks_contact_id"), ["contact_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_carrier_tasks_tracking"), ["tracking"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("carrier_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_carrier_tasks_tracking"))
        batch_op.drop_index(batch_op.f("ix_carrier_tasks_contact_id"))

    op.drop_table("carrier_tasks")
