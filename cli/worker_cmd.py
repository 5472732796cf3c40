"""`socialkpi worker`: run the live worker (settings from SOCIALKPI_* environment variables).

The few flags are shortcuts for their environment variables, applied before the settings
are read, so the worker and its sinks see one configuration.
"""

from __future__ import annotations

import argparse
import os

FLAG_TO_ENV = {
    "as_of": "SOCIALKPI_AS_OF",
    "evaluation_interval": "SOCIALKPI_EVALUATION_INTERVAL_S",
    "metrics_port": "SOCIALKPI_METRICS_PORT",
    "log_level": "SOCIALKPI_LOG_LEVEL",
}


def _cmd_worker(args: argparse.Namespace) -> int:
    for flag, env in FLAG_TO_ENV.items():
        value = getattr(args, flag)
        if value is not None:
            os.environ[env] = str(value)
    from streams.app import run_worker  # Faust is imported only for this command
    from streams.settings import WorkerSettings

    run_worker(WorkerSettings())
    return 0


def add_worker_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    wp = sub.add_parser(
        "worker",
        help="run the live worker: Kafka in, Redis view and /metrics out",
        description="Run the live worker. Every setting is a SOCIALKPI_* environment "
        "variable (README, streams/settings.py, sinks/settings.py); stop with Ctrl-C.",
    )
    wp.add_argument("--as-of", help="pin the evaluation clock (RFC 3339); default: wall clock")
    wp.add_argument("--evaluation-interval", type=float, help="seconds between evaluations")
    wp.add_argument("--metrics-port", type=int, help="port of /metrics (0 = any free port)")
    wp.add_argument("--log-level", choices=("debug", "info", "warning", "error"))
    wp.set_defaults(func=_cmd_worker)
