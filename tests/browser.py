"""The browser the console's tests drive: Debian's Chromium (``apt-get install chromium``)
or the binary ``DESK_CHROMIUM`` names, through Playwright, headless. Playwright's own
browser download is not used. A missing browser fails the tests, saying how to get one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from playwright.async_api import Browser, async_playwright

from devtools.chromium import LAUNCH_ARGS, ChromiumMissing, find_chromium


def chromium_path() -> str:
    """The Chromium binary, or a failure naming how to install or point at one."""
    try:
        return find_chromium()
    except ChromiumMissing as err:
        pytest.fail(f"the console's browser tests need Chromium: {err}")


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    path = chromium_path()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=path, headless=True, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            await browser.close()
