"""The chaos run's parts. On loopback only, in ``<data_dir>/chaos`` (fresh each run):

- the dev server (``temporal server start-dev --db-filename``) on its SQLite file, on
  ports picked at start;
- the workers (two by default), each in its own process (devtools/chaos_worker.py), each
  started again at once whenever it dies (as a supervisor such as systemd would);
- the sandbox shop on a SQLite file, or on a fresh PostgreSQL database that the workers
  reach through a loopback proxy.

How they are knocked over is in faults.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from pydantic import SecretStr
from sqlalchemy.engine import make_url
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter

from desk.codec import new_key
from desk.config import Settings
from devtools.chaos.plan import ChaosPlan, Figures, _say
from devtools.demo import demo_secrets
from devtools.net import free_port as _free_port

ROOT = Path(__file__).resolve().parents[2]  # the repository (this is devtools/chaos/rig.py)
HOST = "127.0.0.1"

# ---------------------------------------------------------------- the parts


class WorkerProcess:
    """The desk worker as a child process, restarted whenever it dies."""

    def __init__(self, env: dict[str, str], origin: datetime, time_scale: float, log: Path):
        self._env = env
        self._args = [
            sys.executable,
            "-m",
            "devtools.chaos_worker",
            origin.isoformat(),
            repr(time_scale),
        ]
        self._log_path = log
        self._log: IO[bytes] | None = None
        self.process: asyncio.subprocess.Process | None = None
        self.killing = False
        self.unexpected_exits = 0

    async def start(self) -> None:
        if self._log is None:
            self._log = self._log_path.open("ab")
        self.process = await asyncio.create_subprocess_exec(
            *self._args,
            cwd=ROOT,
            env=self._env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
            start_new_session=True,
        )

    async def kill(self) -> None:
        """SIGKILL, then a new worker straight away."""
        assert self.process is not None
        self.killing = True
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGKILL)
        await self.process.wait()
        self.killing = False
        await self.start()

    async def watch(self) -> None:
        """Restart the worker if it exits by itself (and count it)."""
        while True:
            process = self.process
            assert process is not None
            await process.wait()
            if not self.killing and self.process is process:
                self.unexpected_exits += 1
                _say(f"worker exited by itself (code {process.returncode}); restarting")
                await self.start()
            await asyncio.sleep(0.2)

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), timeout=10)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None


class TcpProxy:
    """127.0.0.1:<port> forwarding to the shop's PostgreSQL: the worker connects through
    it. ``refuse()`` closes the listener and cuts every connection, so the worker's next
    connection attempt is refused (ECONNREFUSED) and pooled ones are dead; ``serve()``
    listens again on the same port."""

    def __init__(self, host: str, port: int):
        self._target = (host, port)
        self.port = _free_port()
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.StreamWriter] = set()

    async def serve(self) -> None:
        self._server = await asyncio.start_server(self._link, HOST, self.port)

    async def refuse(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._links):
            writer.transport.abort()
        self._links.clear()

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.transport.abort()
            return
        self._links |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._links -= {writer, up_writer}


def _fresh_postgres(url: str, name: str = "desk_chaos") -> tuple[str, str, int]:
    """A fresh database ``name`` on the server of ``url`` (dropped first if a previous run
    left it): (its URL, host, port). The database named in ``url`` is only connected to."""
    import psycopg
    from sqlalchemy.engine import make_url

    from desk.adapters.sandbox import database_url

    given = database_url(url)
    host, port = given.host or HOST, given.port or 5432
    if host not in (HOST, "localhost"):
        raise SystemExit(f"chaos: loopback only; {host} is not 127.0.0.1")
    dsn = given.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as db:
        db.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        db.execute(f"CREATE DATABASE {name}")
    fresh = make_url(str(given.render_as_string(hide_password=False))).set(database=name)
    return fresh.render_as_string(hide_password=False), host, port


class ChaosRig:
    """One run's state, and its parts' settings: fresh ports and payload key, the workers'
    environment, the shop's database (and the proxy in front of a PostgreSQL one)."""

    def __init__(self, plan: ChaosPlan, data_dir: Path, database_url: str | None = None):
        self.plan = plan
        self.data = data_dir
        self.figures = Figures()
        self.intake_ids: dict[str, str] = {}  # message id -> intake workflow id
        self.send_problems: list[str] = []  # messages ingest never accepted: lost
        self.first_sent = 0
        self.sending_done = False
        self.working = 0
        self.origin = datetime.now(UTC)
        key = f"chaos:{new_key()}"
        self.settings = Settings(
            data_dir=str(data_dir),
            database_url=None,
            task_queue="chaos",
            temporal_port=_free_port(),
            ui_port=_free_port(),
            ingest_host=HOST,
            ingest_port=_free_port(),
            codec_keys=SecretStr(key),
            **demo_secrets(),  # type: ignore[arg-type]
        )
        self.settings = self.settings.model_copy(
            update={"temporal_address": f"{HOST}:{self.settings.temporal_port}"}
        )
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DESK_", "TEMPORAL_"))},
            "DESK_DATA_DIR": str(data_dir),
            "DESK_TASK_QUEUE": self.settings.task_queue,
            "DESK_TEMPORAL_ADDRESS": self.settings.temporal_address,
            "DESK_CODEC_KEYS": key,
            "PYTHONPATH": str(ROOT),
        }
        self.shop_path = data_dir / "shop.db"
        self.shop_url = f"sqlite:///{self.shop_path}"
        self.proxy: TcpProxy | None = None
        if database_url is not None:
            # PostgreSQL: a fresh database, and the workers reach it through the proxy.
            self.shop_url, host, port = _fresh_postgres(database_url)
            self.proxy = TcpProxy(host, port)
            proxied = make_url(self.shop_url).set(host=HOST, port=self.proxy.port)
            self.env["DESK_DATABASE_URL"] = proxied.render_as_string(hide_password=False)


async def _polling(logs: list[Path], timeout_s: float = 90) -> None:
    """Until every worker says it polls (a slow machine takes seconds to import one)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if all("polling" in log.read_text(errors="replace") for log in logs if log.exists()):
            return
        await asyncio.sleep(0.5)
    _say("not every worker is polling yet; going on")


def _quiet_runtime() -> Runtime:
    """The SDK's own warnings (every retried call while the server is down) would bury the
    run's progress lines: errors only."""
    return Runtime(
        telemetry=TelemetryConfig(
            logging=LoggingConfig(filter=TelemetryFilter(core_level="ERROR", other_level="ERROR"))
        )
    )
