"""Small helpers for management commands: a progress bar on standard error."""

from __future__ import annotations

import sys
import time


class ProgressBar:
    """``导入区划 [██████░░░░]  62%  412,000/665,000  3.1s`` — redrawn in place on a terminal,
    one line per 10 % otherwise (logs and CI)."""

    def __init__(self, label: str, total: int, stream=None, width: int = 30):
        self.label, self.total, self.width = label, max(total, 1), width
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.started = time.perf_counter()
        self.last_decile = -1

    def update(self, done: int) -> None:
        done = min(done, self.total)
        share = done / self.total
        if not self.tty:
            decile = int(share * 10)
            if decile == self.last_decile:
                return
            self.last_decile = decile
        filled = int(share * self.width)
        bar = "█" * filled + "░" * (self.width - filled)
        line = f"{self.label} [{bar}] {share:4.0%}  {done:,}/{self.total:,}  {time.perf_counter() - self.started:.1f}s"
        self.stream.write(("\r" + line) if self.tty else line + "\n")
        self.stream.flush()

    def close(self) -> None:
        self.update(self.total)
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
