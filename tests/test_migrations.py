"""The desk's database evolves by Alembic migrations, on SQLite and on PostgreSQL: the
newest revision is exactly the tables the code declares, and upgrading a database written
by an earlier version keeps its rows."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from desk.adapters.sandbox import SandboxShop, migrations
from desk.models import AttemptLimits, UnverifiedAttempt


def test_head_is_exactly_the_declared_tables(shop_sandbox: SandboxShop) -> None:
    assert migrations.current(shop_sandbox.engine) == migrations.head()
    with shop_sandbox.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, migrations.METADATA) == []  # type: ignore[arg-type]


def test_an_older_database_upgrades_and_keeps_its_rows(shop_sandbox: SandboxShop) -> None:
    engine = shop_sandbox.engine
    migrations.downgrade(engine, "0001")
    assert "unverified_attempts" not in inspect(engine).get_table_names()
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO customers (id, name, tier) VALUES ('C-1', 'Ann', 'standard')")
        )
    shop_sandbox.create_all()  # what every process runs at start: upgrade to head
    assert migrations.current(engine) == migrations.head()
    assert shop_sandbox.find_customer_by_id("C-1") is not None
    verdict = shop_sandbox.register_attempt(
        UnverifiedAttempt(key="m1", sender_key="s", at=datetime.now(UTC)),
        AttemptLimits(per_sender=1, per_order=1, window_hours=1),
    )
    assert verdict.allowed
