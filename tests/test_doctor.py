"""``desk doctor``: one line per configured part, ``FAIL`` naming the reason (never a
secret), exit 1 when anything failed."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from desk.adapters.sandbox import SandboxShop
from devtools.test_server import start_test_server
from devtools.vendor_fakes import create_app
from devtools.vendor_fakes import shopify as shopify_fake
from devtools.vendor_fakes.loopback import serve_on_loopback

DESK = str(Path(sys.executable).parent / "desk")
KEYS = "k1:" + "A" * 43 + "="


async def _doctor(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    proc = await asyncio.create_subprocess_exec(
        DESK,
        "doctor",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={k: v for k, v in os.environ.items() if not k.startswith("DESK_")} | env,
    )
    out, err = await proc.communicate()
    return subprocess.CompletedProcess([], proc.returncode or 0, out.decode(), err.decode())


async def test_every_part_ok_on_the_sandbox(tmp_path: Path) -> None:
    env = await start_test_server()
    async with env:
        target = env.client.service_client.config.target_host
        result = await _doctor(
            {
                "DESK_DATA_DIR": str(tmp_path),
                "DESK_TEMPORAL_ADDRESS": target,
                "DESK_CODEC_KEYS": KEYS,
            }
        )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert all(line.startswith("ok") for line in lines), result.stdout
    assert any("desk database migrations: at 0005" in line for line in lines), result.stdout
    assert any(line.startswith("ok    temporal: " + target) for line in lines), result.stdout
    assert "ok    workflow sandbox: fast (the workflow package passed through" in result.stdout


async def test_a_refused_token_and_no_temporal_fail_by_name(tmp_path: Path) -> None:
    shop = SandboxShop(f"sqlite:///{tmp_path / 'shop.db'}")
    shop.create_all()
    fake = shopify_fake.ShopifyFake(shop, lambda: datetime.now(UTC), token="shpat_right")
    app = create_app(shop, lambda: datetime.now(UTC), [fake.router()])
    try:
        with serve_on_loopback(app) as base:
            result = await _doctor(
                {
                    "DESK_DATA_DIR": str(tmp_path),
                    "DESK_TEMPORAL_ADDRESS": "127.0.0.1:1",
                    "DESK_CODEC_KEYS": KEYS,
                    "DESK_ORDER_SYSTEM": "shopify",
                    "DESK_SHOPIFY_SHOP": "doctor.myshopify.com",
                    "DESK_SHOPIFY_ACCESS_TOKEN": "",  # empty: unset
                    "DESK_SHOPIFY_BASE_URL": f"{base}/shopify",
                    "DESK_WORKFLOW_SANDBOX": "loose",
                }
            )
            assert result.returncode == 1
            assert "FAIL  workflow sandbox: ConfigError: DESK_WORKFLOW_SANDBOX='loose'" in (
                result.stdout
            )
            assert "FAIL  adapters: ConfigError: adapter settings: DESK_SHOPIFY_ACCESS_TOKEN" in (
                result.stdout
            )
            assert "FAIL  temporal: 127.0.0.1:1" in result.stdout

            shopify_fake_refuses = await _doctor(
                {
                    "DESK_DATA_DIR": str(tmp_path),
                    "DESK_TEMPORAL_ADDRESS": "127.0.0.1:1",
                    "DESK_CODEC_KEYS": KEYS,
                    "DESK_ORDER_SYSTEM": "shopify",
                    "DESK_SHOPIFY_SHOP": "doctor.myshopify.com",
                    "DESK_SHOPIFY_ACCESS_TOKEN": "shpat_wrong_secret",
                    "DESK_SHOPIFY_BASE_URL": f"{base}/shopify",
                }
            )
    finally:
        shop.close()
    out = shopify_fake_refuses.stdout
    assert shopify_fake_refuses.returncode == 1
    assert "ok    desk database migrations" in out
    assert "FAIL  shopify: Refused: shopify DeskCustomerOrders: the access token was refused" in out
    assert "shpat_wrong_secret" not in out + shopify_fake_refuses.stderr
