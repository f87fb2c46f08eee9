"""Running the worker and the ingest API side by side until Ctrl-C or SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable

import uvicorn
from fastapi import FastAPI
from temporalio.worker import Worker


def stop_event() -> asyncio.Event:
    """Set on the first Ctrl-C / SIGTERM so everything shuts down in order."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    return stop


def api_server(app: FastAPI, host: str, port: int) -> uvicorn.Server:
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    # We own the signals (stop_event); uvicorn must not swallow Ctrl-C.
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    return server


async def serve(
    stop: asyncio.Event,
    worker: Worker | None = None,
    server: uvicorn.Server | None = None,
    also: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Run what is given until ``stop`` is set (or ``also`` finishes), then stop it cleanly."""
    tasks = []
    if worker is not None:
        tasks.append(asyncio.create_task(worker.run()))
    if server is not None:
        tasks.append(asyncio.create_task(server.serve()))
    waiter = asyncio.create_task(stop.wait())
    extra = asyncio.create_task(also()) if also else None
    watched = [waiter, *tasks] + ([extra] if extra else [])
    done, _ = await asyncio.wait(watched, return_when=asyncio.FIRST_COMPLETED)
    if server is not None:
        server.should_exit = True  # uvicorn finishes its lifespan itself; cancelling it errors
    if worker is not None and worker.is_running:
        await worker.shutdown()
    for task in [waiter, extra]:
        if task is not None and not task.done():
            task.cancel()
    _, pending = await asyncio.wait(tasks, timeout=15) if tasks else (set(), set())
    for task in pending:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for task in done:
        if task is not waiter and not task.cancelled() and task.exception():
            raise task.exception()  # type: ignore[misc]
