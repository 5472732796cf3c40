"""A stop that cannot hang: SIGTERM or Ctrl-C ends the process within `stop_timeout_s`.

With the broker away, Faust's stop waits on consumer threads that retry forever, and the
process never exits (an operator then reaches for `kill -9` anyway). Exiting hard after a
bounded wait loses nothing: input offsets are committed only for events whose state is in
the changelog (streams/README.md, "Commit invariant"), so whatever was not committed is read
again at the next start, as after a SIGKILL.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from typing import Any

import faust

log = logging.getLogger("streams")


def arm_stop_watchdog(
    timeout_s: float, exit_process: Callable[[int], Any] = os._exit
) -> threading.Timer:
    """Exit with status 1 unless the process is gone within `timeout_s`."""

    def expire() -> None:
        log.error(
            "the worker did not stop within %.0f s (is Kafka reachable? check "
            "SOCIALKPI_KAFKA_BOOTSTRAP); exiting now: uncommitted events are read again at "
            "the next start",
            timeout_s,
        )
        logging.shutdown()
        exit_process(1)

    timer = threading.Timer(timeout_s, expire)
    timer.daemon = True  # a clean exit does not wait for it
    timer.start()
    return timer


class BoundedStopWorker(faust.Worker):
    """faust.Worker whose signal-initiated stop is bounded by `stop_timeout_s`."""

    stop_timeout_s: float = 30.0
    _watchdog: threading.Timer | None = None

    def _schedule_shutdown(self, signal: signal.Signals) -> None:
        if self._watchdog is None:
            self._watchdog = arm_stop_watchdog(self.stop_timeout_s)
        super()._schedule_shutdown(signal)
