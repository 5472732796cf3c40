"""`socialkpi ingest-http` from the command line: settings, keys, logging, then serve.

Configuration errors are one `ValueError` line (the CLI prints it and exits 2). Logs are
one line each; tracebacks only with `--log-level debug` (`SOCIALKPI_LOG_LEVEL`), and the
Kafka client's own chatter is kept to warnings unless debugging.
"""

from __future__ import annotations

import argparse
import logging
import os

from pydantic import ValidationError

LOG_LEVELS = ("debug", "info", "warning", "error")


def serve(args: argparse.Namespace) -> int:
    from importers.derived_ids import derived_key
    from importers.http_ingest import IngestServer, run
    from importers.settings import IngestSettings
    from importers.webhooks import load_mappings
    from importers.writer import choose_destination
    from sinks.privacy import PrivacyError

    level = getattr(args, "log_level", None) or os.environ.get("SOCIALKPI_LOG_LEVEL") or "info"
    setup_logging(level.lower())
    overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    try:
        settings = IngestSettings(**overrides)  # the token comes from the environment
    except ValidationError as error:
        first = error.errors(include_url=False, include_input=False)[0]
        field = ".".join(str(p) for p in first["loc"]) or "settings"
        prefix = f"SOCIALKPI_INGEST_{field.upper()}: " if first["loc"] else ""
        raise ValueError(f"ingest-http: {prefix}{first['msg']}") from None
    try:
        key = derived_key()
    except PrivacyError as error:
        raise ValueError(f"ingest-http: {error}") from None
    mappings = load_mappings(args.vendors or settings.vendor_dir)
    writer = choose_destination(args.output, args.kafka, append=True)
    logging.getLogger("socialkpi.ingest").info(
        "vendors: %s; writing to %s", ", ".join(sorted(mappings)), writer.description
    )
    run(IngestServer(settings, writer, mappings, key))
    return 0


def setup_logging(level: str) -> None:
    if level not in LOG_LEVELS:
        raise ValueError(f"log level {level!r}: one of {', '.join(LOG_LEVELS)}")
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if level != "debug":  # aiokafka logs every failed connection, with its traceback
        logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
