"""The embedded Temporal: the CLI's dev server as a child process, on a SQLite file.

``desk up`` and ``desk demo`` run it so one machine needs nothing else; contacts live in
``<data_dir>/temporal.db`` and survive a restart. The server's own output goes to
``<data_dir>/temporal.log``.

    async with start_embedded_temporal(settings) as temporal:
        client = await connect(temporal.settings)

``await start_embedded_temporal(settings)`` works too; then call ``stop()`` yourself.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
import time
from collections.abc import Generator
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import structlog
from temporalio.client import Client
from temporalio.converter import DataConverter
from temporalio.service import RPCError

from desk import search_attributes
from desk.binaries import find_binary
from desk.config import Settings
from desk.temporal_client import connect, register_search_attributes

log = structlog.get_logger("desk.embedded_temporal")

HOST = "127.0.0.1"
STARTUP_TIMEOUT_S = 30.0
STOP_GRACE_S = 10.0
_STDERR_TAIL_CHARS = 2000


class EmbeddedTemporalError(RuntimeError):
    """The dev server could not be started (the message carries its output's tail)."""


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the server's own listener does: connections of a just-stopped server lingering
        # in TIME_WAIT must not count as the port being taken.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError as err:
            return err.errno == errno.EADDRINUSE
    return False


class EmbeddedTemporal:
    """One ``temporal server start-dev`` process; an async context manager."""

    def __init__(
        self,
        settings: Settings,
        *,
        binary: str | None = None,
        startup_timeout: float = STARTUP_TIMEOUT_S,
        stop_grace: float = STOP_GRACE_S,
        codec_endpoint: str | None = None,
        data_converter: DataConverter | None = None,
    ) -> None:
        self.codec_endpoint = codec_endpoint
        self._data_converter = data_converter
        self.data_dir = Path(settings.data_dir)
        self.db_path = self.data_dir / "temporal.db"
        self.log_path = self.data_dir / "temporal.log"
        self.address = f"{HOST}:{settings.temporal_port}"
        self.ui_url = f"http://{HOST}:{settings.ui_port}"
        # The dev server is local and plain: whatever TLS or Cloud credentials the
        # settings carry are for a remote cluster and would only break the connection.
        self.settings = settings.model_copy(
            update={
                "temporal_address": self.address,
                "temporal_tls": False,
                "temporal_tls_cert": None,
                "temporal_tls_key": None,
                "temporal_api_key": None,
            }
        )
        self._requested = settings
        self._binary = binary
        self._startup_timeout = startup_timeout
        self._stop_grace = stop_grace
        self._process: asyncio.subprocess.Process | None = None
        self._log_file: IO[bytes] | None = None
        self._log_offset = 0

    def command(self) -> list[str]:
        binary = self._binary or find_binary("temporal")
        return [
            binary,
            "server",
            "start-dev",
            "--ip",
            HOST,
            "--port",
            str(self.settings.temporal_port),
            "--ui-port",
            str(self.settings.ui_port),
            "--db-filename",
            str(self.db_path),
            "--namespace",
            self.settings.temporal_namespace,
            "--log-level",
            "warn",
            *search_attributes.cli_flags(),
            # The UI sends encrypted payloads to the desk's codec server to show them.
            *(["--ui-codec-endpoint", self.codec_endpoint] if self.codec_endpoint else []),
        ]

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    async def start(self) -> EmbeddedTemporal:
        if self.running:
            return self
        if self._requested.temporal_address != self.address:
            log.warning(
                "embedded_temporal.address_mismatch",
                configured=self._requested.temporal_address,
                embedded=self.address,
                hint="connect with EmbeddedTemporal.settings",
            )
        # Another server already on the port would answer our readiness check and we would
        # mistake it for ours; fail plainly instead.
        for port in (self.settings.temporal_port, self.settings.ui_port):
            if _port_in_use(port):
                raise EmbeddedTemporalError(
                    f"port {HOST}:{port} is already in use (another Temporal still running?)"
                )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # Appended, not truncated: the previous run's last words are what explain a crash.
        self._log_file = self.log_path.open("ab")
        self._log_offset = self._log_file.tell()
        self._process = await asyncio.create_subprocess_exec(
            *self.command(),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=self._log_file,
            # Its own session, so Ctrl-C reaches only the desk, which then shuts the worker
            # down before the server it talks to.
            start_new_session=True,
        )
        log.info(
            "embedded_temporal.starting",
            pid=self._process.pid,
            temporal=self.address,  # not "address": log keys of that name are dropped
            db=str(self.db_path),
        )
        try:
            await self._wait_ready()
        except BaseException:
            await self.stop()
            raise
        log.info("embedded_temporal.ready", temporal=self.address, ui=self.ui_url)
        return self

    async def _wait_ready(self) -> Client:
        """Connect and register the desk's search attributes, retrying until the server
        answers both: an existing db file may predate an attribute the flags add."""
        assert self._process is not None
        deadline = time.monotonic() + self._startup_timeout
        last_error: BaseException | None = None
        while time.monotonic() < deadline:
            if self._process.returncode is not None:
                raise EmbeddedTemporalError(
                    f"temporal server start-dev exited with code {self._process.returncode}:\n"
                    f"{self._output_tail()}"
                )
            try:
                remaining = max(0.1, deadline - time.monotonic())
                client = await asyncio.wait_for(
                    connect(self.settings, self._data_converter), timeout=remaining
                )
                await asyncio.wait_for(
                    register_search_attributes(client),
                    timeout=max(0.1, deadline - time.monotonic()),
                )
                return client
            except (RuntimeError, OSError, TimeoutError, RPCError) as err:
                last_error = err
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._process.wait(), timeout=0.2)
        raise EmbeddedTemporalError(
            f"temporal server start-dev did not accept connections on {self.address} within "
            f"{self._startup_timeout:.0f}s (last error: {last_error}):\n{self._output_tail()}"
        )

    def _output_tail(self) -> str:
        if self._log_file is not None:
            self._log_file.flush()
        try:
            with self.log_path.open("rb") as f:
                f.seek(self._log_offset)
                text = f.read().decode(errors="replace")
        except OSError:
            return "(no output captured)"
        return text[-_STDERR_TAIL_CHARS:].strip() or "(no output)"

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL if the server has not exited after the grace period."""
        process, self._process = self._process, None
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
            try:
                await asyncio.wait_for(process.wait(), timeout=self._stop_grace)
            except TimeoutError:
                log.warning("embedded_temporal.kill", pid=process.pid)
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
            log.info("embedded_temporal.stopped", pid=process.pid, code=process.returncode)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    async def __aenter__(self) -> EmbeddedTemporal:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def __await__(self) -> Generator[Any, None, EmbeddedTemporal]:
        return self.start().__await__()


def start_embedded_temporal(
    settings: Settings,
    *,
    binary: str | None = None,
    startup_timeout: float = STARTUP_TIMEOUT_S,
    stop_grace: float = STOP_GRACE_S,
    codec_endpoint: str | None = None,
    data_converter: DataConverter | None = None,
) -> EmbeddedTemporal:
    """The dev server for ``settings``: use with ``async with`` (stops on exit) or ``await``
    it (started; call ``stop()`` when done). ``codec_endpoint``: the codec server the UI
    decodes payloads with; ``data_converter``: for the readiness check's client (default:
    the settings' own, ``desk.data_converter.data_converter_for``)."""
    return EmbeddedTemporal(
        settings,
        binary=binary,
        startup_timeout=startup_timeout,
        stop_grace=stop_grace,
        codec_endpoint=codec_endpoint,
        data_converter=data_converter,
    )
