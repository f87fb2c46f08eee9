"""The desk's database as the first landing had it: the shop, its ledger, the outbox,
supervisor alerts and the helpdesk's open contacts.

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import desk.adapters.sandbox.tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
    )
    op.create_table(
        "helpdesk_contacts",
        sa.Column("contact_id", sa.String(length=200), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("order_number", sa.String(length=64), nullable=False),
        sa.Column(
            "opened_at", desk.adapters.sandbox.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("contact_id", name=op.f("pk_helpdesk_contacts")),
    )
    with op.batch_alter_table("helpdesk_contacts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_helpdesk_contacts_customer_id"), ["customer_id"], unique=False
        )
    op.create_table(
        "inventory",
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("sku", name=op.f("pk_inventory")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("contact_id", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "created_at", desk.adapters.sandbox.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("key", name=op.f("uq_outbox_key")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_contact_id"), ["contact_id"], unique=False)
    op.create_table(
        "supervisor_alerts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("contact_id", sa.String(length=200), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "created_at", desk.adapters.sandbox.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervisor_alerts")),
        sa.UniqueConstraint("key", name=op.f("uq_supervisor_alerts_key")),
    )
    with op.batch_alter_table("supervisor_alerts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_supervisor_alerts_contact_id"), ["contact_id"], unique=False
        )
    op.create_table(
        "claims",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("at", desk.adapters.sandbox.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("contact_id", sa.String(length=200), nullable=True),
        sa.Column("key", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_claims_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claims")),
        sa.UniqueConstraint("key", name=op.f("uq_claims_key")),
    )
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claims_customer_id"), ["customer_id"], unique=False)
    op.create_table(
        "identities",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_identities_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identities")),
        sa.UniqueConstraint("kind", "value", name=op.f("uq_identities_kind_value")),
    )
    with op.batch_alter_table("identities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_identities_customer_id"), ["customer_id"], unique=False
        )
    op.create_table(
        "orders",
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column(
            "placed_at", desk.adapters.sandbox.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column(
            "shipping_cost", sa.Numeric(precision=12, scale=2, asdecimal=False), nullable=False
        ),
        sa.Column("prior_reships", sa.Integer(), nullable=False),
        sa.Column("line1", sa.String(length=200), nullable=False),
        sa.Column("line2", sa.String(length=200), nullable=True),
        sa.Column("city", sa.String(length=120), nullable=False),
        sa.Column("region", sa.String(length=120), nullable=True),
        sa.Column("postal_code", sa.String(length=32), nullable=False),
        sa.Column("country", sa.String(length=64), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_orders_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_orders")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_orders_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_placed_at"), ["placed_at"], unique=False)
    op.create_table(
        "order_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("order_number", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column(
            "created_at", desk.adapters.sandbox.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["order_number"], ["orders.number"], name=op.f("fk_order_changes_order_number_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_changes")),
        sa.UniqueConstraint("key", name=op.f("uq_order_changes_key")),
    )
    with op.batch_alter_table("order_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_order_changes_order_number"), ["order_number"], unique=False
        )
    op.create_table(
        "order_lines",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_number", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=12, scale=2, asdecimal=False), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_number"], ["orders.number"], name=op.f("fk_order_lines_order_number_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_lines")),
    )
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_order_lines_order_number"), ["order_number"], unique=False
        )
    op.create_table(
        "refunds",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("order_number", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2, asdecimal=False), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "created_at", desk.adapters.sandbox.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["order_number"], ["orders.number"], name=op.f("fk_refunds_order_number_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
        sa.UniqueConstraint("key", name=op.f("uq_refunds_key")),
    )
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_refunds_order_number"), ["order_number"], unique=False)
    op.create_table(
        "replacement_orders",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("number", sa.String(length=80), nullable=False),
        sa.Column("original_order", sa.String(length=64), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("service", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column(
            "created_at", desk.adapters.sandbox.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("line1", sa.String(length=200), nullable=False),
        sa.Column("line2", sa.String(length=200), nullable=True),
        sa.Column("city", sa.String(length=120), nullable=False),
        sa.Column("region", sa.String(length=120), nullable=True),
        sa.Column("postal_code", sa.String(length=32), nullable=False),
        sa.Column("country", sa.String(length=64), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["original_order"],
            ["orders.number"],
            name=op.f("fk_replacement_orders_original_order_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_replacement_orders")),
        sa.UniqueConstraint("key", name=op.f("uq_replacement_orders_key")),
        sa.UniqueConstraint("number", name=op.f("uq_replacement_orders_number")),
    )
    with op.batch_alter_table("replacement_orders", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_replacement_orders_original_order"), ["original_order"], unique=False
        )
    op.create_table(
        "return_labels",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("label_number", sa.String(length=80), nullable=False),
        sa.Column("order_number", sa.String(length=64), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column(
            "created_at", desk.adapters.sandbox.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["order_number"], ["orders.number"], name=op.f("fk_return_labels_order_number_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_labels")),
        sa.UniqueConstraint("key", name=op.f("uq_return_labels_key")),
        sa.UniqueConstraint("label_number", name=op.f("uq_return_labels_label_number")),
    )
    with op.batch_alter_table("return_labels", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_return_labels_order_number"), ["order_number"], unique=False
        )
    op.create_table(
        "shipments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_number", sa.String(length=64), nullable=False),
        sa.Column("carrier", sa.String(length=16), nullable=False),
        sa.Column("tracking", sa.String(length=64), nullable=False),
        sa.Column("service", sa.String(length=64), nullable=False),
        sa.Column("skus", sa.JSON(), nullable=False),
        sa.Column(
            "expected_delivery",
            desk.adapters.sandbox.tables.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column("label_voided", sa.Boolean(), nullable=False),
        sa.Column("search_result", sa.String(length=16), nullable=True),
        sa.Column("search_after_seconds", sa.Float(), nullable=True),
        sa.CheckConstraint(
            "search_result IS NULL OR search_result IN ('found', 'not_found')",
            name=op.f("ck_shipments_search_result"),
        ),
        sa.ForeignKeyConstraint(
            ["order_number"], ["orders.number"], name=op.f("fk_shipments_order_number_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipments")),
        sa.UniqueConstraint("tracking", name=op.f("uq_shipments_tracking")),
    )
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shipments_order_number"), ["order_number"], unique=False
        )
    op.create_table(
        "carrier_cases",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("shipment_id", sa.Integer(), nullable=False),
        sa.Column("case_number", sa.String(length=64), nullable=False),
        sa.Column("carrier", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "filed_at", desk.adapters.sandbox.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["shipment_id"], ["shipments.id"], name=op.f("fk_carrier_cases_shipment_id_shipments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carrier_cases")),
        sa.UniqueConstraint("case_number", name=op.f("uq_carrier_cases_case_number")),
        sa.UniqueConstraint("shipment_id", name=op.f("uq_carrier_cases_shipment_id")),
    )
    op.create_table(
        "scan_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("shipment_id", sa.Integer(), nullable=False),
        sa.Column("at", desk.adapters.sandbox.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("city", sa.String(length=120), nullable=True),
        sa.Column("photo", sa.Boolean(), nullable=False),
        sa.Column("signature", sa.Boolean(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("exception", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["shipment_id"], ["shipments.id"], name=op.f("fk_scan_events_shipment_id_shipments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scan_events")),
    )
    with op.batch_alter_table("scan_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_scan_events_shipment_id"), ["shipment_id"], unique=False
        )

    # ### end Alembic commands ###


def downgrade() -> None:
    with op.batch_alter_table("scan_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scan_events_shipment_id"))
    op.drop_table("scan_events")
    op.drop_table("carrier_cases")
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipments_order_number"))
    op.drop_table("shipments")
    with op.batch_alter_table("return_labels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_return_labels_order_number"))
    op.drop_table("return_labels")
    with op.batch_alter_table("replacement_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_replacement_orders_original_order"))
    op.drop_table("replacement_orders")
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refunds_order_number"))
    op.drop_table("refunds")
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_lines_order_number"))
    op.drop_table("order_lines")
    with op.batch_alter_table("order_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_changes_order_number"))
    op.drop_table("order_changes")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_placed_at"))
        batch_op.drop_index(batch_op.f("ix_orders_customer_id"))
    op.drop_table("orders")
    with op.batch_alter_table("identities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identities_customer_id"))
    op.drop_table("identities")
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claims_customer_id"))
    op.drop_table("claims")
    with op.batch_alter_table("supervisor_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supervisor_alerts_contact_id"))
    op.drop_table("supervisor_alerts")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_contact_id"))
    op.drop_table("outbox")
    op.drop_table("inventory")
    with op.batch_alter_table("helpdesk_contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_helpdesk_contacts_customer_id"))
    op.drop_table("helpdesk_contacts")
    op.drop_table("customers")
    # ### end Alembic commands ###
