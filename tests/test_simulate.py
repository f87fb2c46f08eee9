"""``desk simulate`` and ``make bench``'s harness, in their smallest configurations: they
run end to end on a dev server of their own and report every figure. No timing asserted."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from desk.adapters.sandbox import SandboxShop
from devtools.bulk_shop import TRAFFIC_MIX, seed_bulk_shop, traffic

ROOT = Path(__file__).resolve().parent.parent


def test_bulk_shop_is_unique_and_the_mix_is_tier_one(tmp_path: Path) -> None:
    shop = SandboxShop(f"sqlite:///{tmp_path / 'shop.db'}")
    shop.create_all()
    bulk = seed_bulk_shop(shop, datetime.now(UTC), 900, seed=3)
    assert bulk.orders >= 850 and bulk.customers > 100
    contacts = traffic(bulk, 200, seed=3)
    orders = [c.contact.order_number for c in contacts if c.kind != "unknown_sender"]
    assert len(set(orders)) == len(orders)  # one contact per order
    kinds = [c.kind for c in contacts]
    assert kinds.count("wismo") == max(kinds.count(k) for k, _, _ in TRAFFIC_MIX)
    assert len({c.contact.channel for c in contacts}) >= 3
    shop.close()


def test_desk_simulate_reports(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    run = subprocess.run(
        [
            str(Path(sys.executable).parent / "desk"),
            "simulate",
            "--contacts",
            "5",
            "--in-flight",
            "5",
            "--json",
            str(out),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "=== desk simulate ===" in run.stdout
    report = json.loads(out.read_text())
    assert report["contacts"] == 5
    assert sum(r["contacts"] for r in report["outcomes"]) == 5
    assert report["throughput"] > 0
    assert set(report["first_reply_s"]) == {"p50", "p95", "p99"}
    assert sum(report["mix"].values()) == 5


def test_bench_quick_prints_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "bench.py"),
            "--quick",
            "--json",
            str(out),
            "--data-dir",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    for label in ("desk / floor", "at 50%", "at 90%", "worker process", "RSS", "replayed"):
        assert label in run.stdout, label
    results = json.loads(out.read_text())
    assert results["vs_floor"]["ratio"] > 0
    assert results["scale"]["parked"] == results["scale"]["open_contacts"]
    assert results["scale"]["replay_failures"] == 0


def _processes_naming(text: str) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if text in cmdline and int(proc.name) != os.getpid():
                found.append(int(proc.name))
    return found


def test_bench_stopped_by_sigterm_stops_its_dev_server_and_workers(tmp_path: Path) -> None:
    """SIGTERM mid-run: the part under way is reported interrupted, exit code 130, and the
    run's dev server and worker processes are gone (none left serving on their ports)."""
    bench = subprocess.Popen(
        [sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--quick", "--only", "scale"]
        + ["--json", str(tmp_path / "bench.json"), "--data-dir", str(tmp_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    # Running: its dev server and a worker, both on this run's data folder.
    while not (
        any(p != bench.pid for p in _processes_naming(f"{tmp_path}/bench-scale/temporal.db"))
        and _processes_naming("devtools.sim_worker")
    ):
        assert bench.poll() is None, bench.communicate()[1][-3000:]
        assert time.monotonic() < deadline, "the bench never started its dev server and worker"
        time.sleep(0.2)
    bench.send_signal(signal.SIGTERM)
    _, err = bench.communicate(timeout=120)
    assert bench.returncode == 130, err[-3000:]
    assert "scale failed: interrupted by SIGTERM" in err
    time.sleep(1)
    assert _processes_naming(str(tmp_path)) == []
