"""The browser the console's tests drive: Debian's Chromium (``apt-get install chromium``)
or the binary ``DESK_CHROMIUM`` names, through Playwright, headless. Playwright's own
browser download is not used. A missing browser fails the tests, saying how to get one."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


def chromium_path() -> str:
    """The Chromium binary, or a failure naming how to install or point at one."""
    configured = os.environ.get("DESK_CHROMIUM")
    if configured:
        found = shutil.which(configured) or (configured if Path(configured).is_file() else None)
        if found is None:
            pytest.fail(f"DESK_CHROMIUM={configured} is not an executable Chromium binary")
        return found
    for candidate in CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    pytest.fail(
        "the console's browser tests need Chromium: `apt-get install chromium` (Debian), or "
        "set DESK_CHROMIUM to a Chromium or Chrome binary"
    )


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    path = chromium_path()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=path,
            headless=True,
            # As root (CI, containers) Chromium's sandbox cannot start.
            args=["--no-sandbox", "--disable-dev-shm-usage"],
        )
        try:
            yield browser
        finally:
            await browser.close()
