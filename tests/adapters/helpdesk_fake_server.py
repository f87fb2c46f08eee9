"""The helpdesk fakes served for real on 127.0.0.1 (a free port) in a thread, over a sandbox
shop, for the adapters to talk HTTP to."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import uvicorn

from desk.adapters.sandbox import SandboxShop
from devtools.vendor_fakes import create_app
from devtools.vendor_fakes.helpdesk import HelpdeskFake

T0 = datetime(2026, 3, 5, 18, 0, tzinfo=UTC)


@dataclass
class RunningFake:
    fake: HelpdeskFake
    shop: SandboxShop
    base_url: str

    @property
    def zendesk_url(self) -> str:
        return f"{self.base_url}/zendesk"

    @property
    def gorgias_url(self) -> str:
        return f"{self.base_url}/gorgias"


@contextmanager
def running_helpdesk_fake(shop: SandboxShop, **options: object) -> Iterator[RunningFake]:
    fake = HelpdeskFake(shop, lambda: T0, **options)  # type: ignore[arg-type]
    app = create_app(shop, lambda: T0, [fake.router])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the helpdesk fake did not start")
        time.sleep(0.01)
    try:
        yield RunningFake(fake, shop, f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
