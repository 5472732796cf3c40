"""A dependency-free progress bar on stderr, shown only when stderr is a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO

MIN_SIZE = 8 * 1024 * 1024  # smaller files finish before a bar is worth drawing


class Progress:
    def __init__(self, enabled: bool | None = None, out: TextIO | None = None) -> None:
        self.out = out or sys.stderr
        self.enabled = self.out.isatty() if enabled is None else enabled
        self._name = ""
        self._size = 0
        self._started = 0.0
        self._active = False

    def start_file(self, name: str, size: int) -> None:
        self._name, self._size, self._started = name, size, time.monotonic()
        self._active = self.enabled and size >= MIN_SIZE

    def update(self, done: int) -> None:
        if not self._active:
            return
        fraction = min(1.0, done / self._size)
        filled = int(fraction * 30)
        rate = done / max(time.monotonic() - self._started, 1e-6) / 1e6
        bar = "#" * filled + "-" * (30 - filled)
        self.out.write(f"\r{self._name} [{bar}] {fraction:6.1%} {rate:5.1f} MB/s")
        self.out.flush()

    def finish_file(self) -> None:
        if self._active:
            self.update(self._size)
            self.out.write("\n")
            self._active = False
