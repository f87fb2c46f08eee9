"""The Chromium the console's browser tests and ``make screenshots`` drive through
Playwright: ``DESK_CHROMIUM`` if set, else Debian's (``apt-get install chromium``).
Playwright's own browser download is never used (it cannot run offline)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
HOW = "`apt-get install chromium` (Debian), or set DESK_CHROMIUM to a Chromium or Chrome binary"
# As root (CI, containers) Chromium's sandbox cannot start.
LAUNCH_ARGS = ["--no-sandbox", "--disable-dev-shm-usage"]


class ChromiumMissing(RuntimeError):
    pass


def find_chromium() -> str:
    configured = os.environ.get("DESK_CHROMIUM")
    if configured:
        found = shutil.which(configured) or (configured if Path(configured).is_file() else None)
        if found is None:
            raise ChromiumMissing(f"DESK_CHROMIUM={configured} is not an executable; {HOW}")
        return found
    for candidate in CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    raise ChromiumMissing(f"no Chromium found: {HOW}")
