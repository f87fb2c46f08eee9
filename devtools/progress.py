"""A plain-text progress bar on stderr that works in a terminal and in a log.

In a terminal the bar is redrawn in place (carriage return, no escape codes); anywhere else
(CI, a pipe, ``2> file``) a line is written only when what it says changes, at most once
every ``every_s`` seconds, and once more at the end, so a log stays short.

    bar = Progress("contacts", total=40)
    bar.update(12, "resolved 10 · escalated 2")
    bar.finish("all settled")
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 24


def bar_text(done: int, total: int, width: int = WIDTH) -> str:
    filled = 0 if total <= 0 else min(width, round(width * done / total))
    return "[" + "#" * filled + "." * (width - filled) + "]"


class Progress:
    def __init__(
        self,
        label: str,
        total: int,
        *,
        stream: TextIO | None = None,
        tty: bool | None = None,
        every_s: float = 2.0,
    ) -> None:
        self.label = label
        self.total = total
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.every_s = every_s
        self.started = time.monotonic()
        self._last_line = ""
        self._last_written = 0.0
        self._drawn = 0  # characters of the line drawn in place

    def line(self, done: int, detail: str = "") -> str:
        elapsed = time.monotonic() - self.started
        text = f"{self.label} {bar_text(done, self.total)} {done}/{self.total}"
        if detail:
            text += f"  {detail}"
        return f"{text}  {elapsed:4.0f}s"

    def update(self, done: int, detail: str = "") -> None:
        text = self.line(done, detail)
        if self.tty:
            self._draw(text)
            return
        what = text.rsplit("  ", 1)[0]  # without the elapsed time
        now = time.monotonic()
        if what != self._last_line and now - self._last_written >= self.every_s:
            self._write(text)
            self._last_line, self._last_written = what, now

    def finish(self, done: int, detail: str = "") -> None:
        text = self.line(done, detail)
        if self.tty:
            self._draw(text)
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = 0
        elif text.rsplit("  ", 1)[0] != self._last_line:
            self._write(text)

    def say(self, text: str) -> None:
        """A line of its own, above the bar in a terminal."""
        if self.tty and self._drawn:
            self.stream.write("\r" + " " * self._drawn + "\r")
            self._drawn = 0
        self._write(text)

    def _draw(self, text: str) -> None:
        pad = max(0, self._drawn - len(text))
        self.stream.write("\r" + text + " " * pad)
        self.stream.flush()
        self._drawn = len(text)

    def _write(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()
