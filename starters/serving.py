"""Running the worker, the ingest API and the codec server side by side until Ctrl-C or
SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

import uvicorn
from starlette.applications import Starlette
from temporalio.worker import Worker


def stop_event() -> asyncio.Event:
    """Set on the first Ctrl-C / SIGTERM so everything shuts down in order."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    return stop


def api_server(app: Starlette, host: str, port: int) -> uvicorn.Server:
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    # We own the signals (stop_event): uvicorn must not capture Ctrl-C for itself.
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    return server


async def serve(
    stop: asyncio.Event,
    worker: Worker | None = None,
    server: uvicorn.Server | None = None,
    also: Callable[[], Coroutine[Any, Any, None]] | None = None,
    more_servers: Sequence[uvicorn.Server] = (),
) -> None:
    """Run what is given until ``stop`` is set (or ``also`` finishes), then stop it cleanly."""
    servers = [s for s in (server, *more_servers) if s is not None]
    parts: list[asyncio.Task[Any]] = []
    if worker is not None:
        parts.append(asyncio.create_task(worker.run()))
    for each in servers:
        parts.append(asyncio.create_task(each.serve()))
    helpers: list[asyncio.Task[Any]] = [asyncio.create_task(stop.wait())]
    if also is not None:
        helpers.append(asyncio.create_task(also()))
    done, _ = await asyncio.wait([*helpers, *parts], return_when=asyncio.FIRST_COMPLETED)
    for each in servers:
        each.should_exit = True  # uvicorn finishes its lifespan itself; cancelling it errors
    if worker is not None and worker.is_running:
        await worker.shutdown()
    for task in helpers:
        task.cancel()
    if parts:
        _, pending = await asyncio.wait(parts, timeout=15)
        for task in pending:
            task.cancel()
        await asyncio.gather(*parts, return_exceptions=True)
    for task in done:
        error = None if task.cancelled() else task.exception()
        if error is not None:
            raise error
