"""Worker logging: library messages that repeat are said once a minute, with their count.

While a broker is away aiokafka logs a connection error at every retry backoff (about 30
lines a second for a consumer, a producer and a coordinator), and mode warns at every tick
while the event loop lags: a flood that buries the line saying what is wrong and fills the
disk. `RepeatLimiter` passes the first record of each message template, counts the repeats
for `window_s`, then passes the next one with that count. At debug level everything passes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

# Loggers whose messages repeat per retry or per tick (children of these names included).
NOISY_LOGGERS = ("aiokafka", "mode.timers", "faust.transport")


class RepeatLimiter(logging.Filter):
    """Passes a message template at most once per `window_s` (per logger)."""

    def __init__(self, window_s: float = 60.0, clock: Callable[[], float] = time.monotonic):
        super().__init__()
        self.window_s = window_s
        self.clock = clock
        self._opened: dict[tuple[str, str], float] = {}  # (logger, template) -> window start
        self._repeats: dict[tuple[str, str], int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno <= logging.DEBUG:
            return True
        key = (record.name, str(record.msg))
        now = self.clock()
        opened = self._opened.get(key)
        if opened is not None and now - opened < self.window_s:
            self._repeats[key] = self._repeats.get(key, 0) + 1
            return False
        repeats = self._repeats.pop(key, 0)
        self._opened[key] = now
        if len(self._opened) > 1000:  # templates are few; bound it anyway
            self._opened = {key: now}
        if repeats:
            record.msg = f"{record.msg} (and {repeats} like it in the last {self.window_s:.0f} s)"
        return True


def limit_repeats(window_s: float = 60.0) -> RepeatLimiter:
    """Install one limiter on every noisy logger that exists now (they are created at import)."""
    limiter = RepeatLimiter(window_s)
    names = [
        name
        for name in list(logging.root.manager.loggerDict)
        if any(name == prefix or name.startswith(prefix + ".") for prefix in NOISY_LOGGERS)
    ]
    for name in names:
        logging.getLogger(name).addFilter(limiter)
    return limiter
