"""The demo shop's data, pinned: the same seed and ``now`` give these exact rows.

Guards refactors of devtools/demo_shop/ (it was split from one module by concern with
identical output). A deliberate change to the demo data changes the digests: print the new
ones with ``python -m tests.test_demo_shop_golden`` and update them here.
"""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from desk.adapters.sandbox import SandboxShop
from devtools.demo_shop import seed_demo_shop

NOW = datetime(2025, 3, 14, 15, 9, 26, tzinfo=UTC)
ROWS_SHA256 = "b485c649319a6a7297def9e3e64e1a0888eab8ee987ed3b76102fe7391780273"
SUMMARY_SHA256 = "1d52cafab8097a7a649f4e98a9bec91a6ccd8448229c4c1efee817540adeabee"


def digests(folder: Path) -> tuple[str, str]:
    """(sha256 of every row as SQL INSERTs, sha256 of the summary with its contacts)."""
    db = folder / "shop.db"
    shop = SandboxShop(f"sqlite:///{db}")
    shop.create_all()
    summary = seed_demo_shop(shop, NOW, seed=7)
    shop.close()
    con = sqlite3.connect(db)
    # Rows only: the order of CREATE INDEX statements follows Python's string hashing.
    # (alembic_version says which migration the schema is at, not what was seeded.)
    rows = "\n".join(
        line
        for line in con.iterdump()
        if line.startswith("INSERT INTO") and "alembic_version" not in line
    )
    con.close()
    return (
        hashlib.sha256(rows.encode()).hexdigest(),
        hashlib.sha256(summary.model_dump_json().encode()).hexdigest(),
    )


def test_demo_shop_rows_and_traffic_are_pinned(tmp_path: Path) -> None:
    assert digests(tmp_path) == (ROWS_SHA256, SUMMARY_SHA256)


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        print(digests(Path(tmp)))
