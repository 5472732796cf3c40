"""The importer commands of `socialkpi`: `import linkedin-export`, `import campaign-manager`,
`ingest-http` and `generate` (reference: docs/importers.md).

Problems go to stderr as `FILE:LINE: reason`, then a summary. Exit code: 0; 1 when an input
file yielded no event (a file that fails entirely must not pass unnoticed) or, with
`--strict`, when a row could not be mapped (the mapped events are written either way); 2
for a usage error (missing file, no destination, unreachable broker).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable, Coroutine
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar, get_args

from cli.progress import Progress
from importers.events import Encoded, ImportSummary
from models.batch import MAX_BATCH_ITEMS
from models.events import AdFormat

if TYPE_CHECKING:
    from importers.settings import PublishSettings

T = TypeVar("T")


def _destination(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--output", "-o", metavar="FILE", help="JSON lines for `socialkpi replay`")
    group.add_argument(
        "--kafka",
        action="store_true",
        help="the worker's topics (default when "
        "SOCIALKPI_KAFKA_BOOTSTRAP is set; connection: SOCIALKPI_KAFKA_*)",
    )


def _batching(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--batch-size",
        type=_int_between(1, MAX_BATCH_ITEMS),
        metavar="N",
        help="Kafka: most events of one account per message (SOCIALKPI_PUBLISH_BATCH_EVENTS, "
        "1000; 1 = one event per message, contract version 1)",
    )
    parser.add_argument(
        "--batch-bytes",
        type=_int_between(1024, 64 * 1024 * 1024),
        metavar="BYTES",
        help="Kafka: most bytes of one batch message (SOCIALKPI_PUBLISH_BATCH_BYTES, 921600; "
        "below the topics' max.message.bytes)",
    )


def _int_between(low: int, high: int) -> Callable[[str], int]:
    def check(text: str) -> int:
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}")
        return value

    return check


def _publish(args: argparse.Namespace) -> PublishSettings | None:
    """How Kafka messages are packed (flags over SOCIALKPI_PUBLISH_*); None for a file."""
    if args.output:
        return None
    from importers.settings import publish_settings

    flags = (("batch_events", args.batch_size), ("batch_bytes", args.batch_bytes))
    return publish_settings(**{k: v for k, v in flags if v is not None})


def _account(text: str) -> str:
    if not 1 <= len(text) <= 200:
        raise argparse.ArgumentTypeError("1 to 200 characters")
    return text


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run the writer; a broker that cannot be reached is a message, not a traceback."""
    from aiokafka.errors import KafkaError

    try:
        return asyncio.run(coroutine)
    except KafkaError as error:
        raise ValueError(f"Kafka: {type(error).__name__}: {error}") from None


def _run_import(
    args: argparse.Namespace, command: str, collect: Callable[[ImportSummary], list[Encoded]]
) -> int:
    """Shared tail of the import commands: map, dedup, order, write, summarize."""
    from importers.writer import choose_destination, unique_in_time_order, write_all

    writer = choose_destination(args.output, args.kafka, publish=_publish(args))
    summary = ImportSummary(errors=sys.stderr)
    events = unique_in_time_order(collect(summary), summary)
    written = _run(write_all(writer, events))
    sys.stderr.write(summary.text(command, written, writer.description))
    if writer.messages:
        plural = "" if writer.messages == 1 else "s"
        sys.stderr.write(f"  in {writer.messages} Kafka message{plural}\n")
    return 1 if summary.empty_sources or (args.strict and summary.problems) else 0


def _cmd_linkedin(args: argparse.Namespace) -> int:
    from importers.derived_ids import derived_key
    from importers.linkedin_import import import_export

    key = derived_key()  # no key, no import: ids derived from people must not be reversible
    exported_on = date.fromisoformat(args.exported_on) if args.exported_on else None

    def collect(summary: ImportSummary) -> list[Encoded]:
        return import_export(
            args.path,
            args.account,
            summary,
            key=key,
            previous=args.previous,
            profile_url=args.profile_url,
            exported_on=exported_on,
            with_previous=args.with_previous,
            progress=Progress(),
        )

    return _run_import(args, "import linkedin-export", collect)


def _cmd_campaign_manager(args: argparse.Namespace) -> int:
    from importers.campaign_manager import ReportOptions, import_report
    from importers.dates import parse_datetime

    generated = None
    if args.generated_at:
        generated = parse_datetime(args.generated_at)
        if generated is None:
            raise ValueError("--generated-at: not a date and time")
    options = ReportOptions(args.account, args.currency, args.format, generated, args.decimal_mark)
    _check_inputs(args.reports)

    def collect(summary: ImportSummary) -> list[Encoded]:
        progress = Progress()
        return [e for p in args.reports for e in import_report(p, options, summary, progress)]

    return _run_import(args, "import campaign-manager", collect)


def _check_inputs(paths: list[str]) -> None:
    """Every input readable before anything is written: one line naming what is missing."""
    from importers.events import InputError, check_input

    problems = []
    for path in paths:
        try:
            check_input(path)
        except InputError as error:
            problems.append(str(error))
    if problems:
        raise InputError("; ".join(problems))


def _cmd_ingest(args: argparse.Namespace) -> int:
    from importers.ingest_main import serve

    return serve(args)


def _cmd_generate(args: argparse.Namespace) -> int:
    from importers.generate import GenerateOptions, produce, synthetic_events
    from importers.writer import choose_destination

    events = args.events
    if events is None and args.rate and args.duration:
        events = int(args.rate * args.duration)
    options = GenerateOptions(
        accounts=args.accounts,
        seed=args.seed,
        days=args.days,
        events=events,
        start=args.start or GenerateOptions().start,
        acceptance=args.acceptance,
        duplicate_rate=args.duplicate_rate,
        late_rate=args.late_rate,
        snapshot_share=args.snapshot_share,
    )
    writer = choose_destination(args.output, args.kafka, publish=_publish(args))
    started = time.monotonic()
    sent = _run(produce(writer, synthetic_events(options), args.rate, args.duration))
    elapsed = max(time.monotonic() - started, 1e-6)
    messages = f", {writer.messages} messages" if writer.messages else ""
    sys.stderr.write(
        f"generate: {sent} events to {writer.description} in {elapsed:.1f} s "
        f"({sent / elapsed:.0f} events/s{messages})\n"
    )
    return 0


def _positive(kind: Callable[[str], float]) -> Callable[[str], float]:
    def check(text: str) -> float:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError("must be > 0")
        return value

    return check


def _fraction(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return value


def add_import_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `import ...`, `ingest-http` and `generate` on the `socialkpi` parser."""
    imp = sub.add_parser("import", help="import LinkedIn exports and Campaign Manager reports")
    kinds = imp.add_subparsers(dest="source", required=True)

    li = kinds.add_parser("linkedin-export", help="a 'Get a copy of your data' archive")
    li.add_argument("path", metavar="PATH", help="the archive (.zip) or its unpacked directory")
    li.add_argument("--account", required=True, type=_account, help="measured account id")
    li.add_argument(
        "--previous",
        metavar="OLDER",
        help="an earlier archive: infer acceptances "
        "and withdrawals of the invitations pending in it",
    )
    li.add_argument(
        "--with-previous",
        action="store_true",
        help="also write the earlier archive's own events (when it was never imported)",
    )
    li.add_argument("--profile-url", help="the owner's profile URL (default: inferred)")
    li.add_argument(
        "--exported-on",
        metavar="YYYY-MM-DD",
        help="date of the archive, for inferred withdrawals (default: from its file name)",
    )
    li.add_argument("--strict", action="store_true", help="exit 1 if a row was skipped")
    _destination(li)
    _batching(li)
    li.set_defaults(func=_cmd_linkedin)

    cm = kinds.add_parser("campaign-manager", help="Campaign Manager CSV performance reports")
    cm.add_argument("reports", nargs="+", metavar="REPORT.csv")
    cm.add_argument("--account", required=True, type=_account, help="measured account id")
    cm.add_argument("--currency", help="ISO 4217 code when the report has no currency column")
    cm.add_argument(
        "--format",
        default="sponsored_content",
        choices=get_args(AdFormat),
        help="ad format when the report has no type or format column (contract value, e.g. video)",
    )
    cm.add_argument(
        "--decimal-mark",
        choices=(".", ","),
        help="decimal mark of the report's numbers (default: as its numbers show it)",
    )
    cm.add_argument(
        "--generated-at",
        help="report time (default: its 'Date Generated' line, else the file's modification time)",
    )
    cm.add_argument("--strict", action="store_true", help="exit 1 if a row was skipped")
    _destination(cm)
    _batching(cm)
    cm.set_defaults(func=_cmd_campaign_manager)

    http = sub.add_parser("ingest-http", help="HTTP endpoint for collectors and vendor webhooks")
    http.add_argument("--host", help="listen address (SOCIALKPI_INGEST_HOST, 127.0.0.1)")
    http.add_argument("--port", type=int, help="listen port (SOCIALKPI_INGEST_PORT, 8088)")
    http.add_argument("--vendors", metavar="DIR", help="extra vendor mappings (*.json)")
    http.add_argument(
        "--log-level",
        choices=("debug", "info", "warning", "error"),
        help="SOCIALKPI_LOG_LEVEL, info; tracebacks only with debug",
    )
    _destination(http)
    http.set_defaults(func=_cmd_ingest)

    gen = sub.add_parser("generate", help="a realistic synthetic event stream, file or Kafka")
    gen.add_argument("--accounts", type=int, default=3, help="rep-01, ...; with 4+ a page too")
    gen.add_argument("--days", type=int, help="days of activity (default 14, or from --events)")
    gen.add_argument("--events", type=int, help="stop after this many events")
    gen.add_argument("--duration", type=_positive(float), help="stop after this many seconds")
    gen.add_argument("--rate", type=_positive(float), help="events per second (default: max)")
    gen.add_argument("--seed", type=int, default=0)
    gen.add_argument(
        "--start", help="first UTC day (default 2026-03-02), or 'today' to end the activity today"
    )
    gen.add_argument("--acceptance", type=_fraction, help="invitation acceptance probability")
    gen.add_argument("--duplicate-rate", type=_fraction, default=0.01)
    gen.add_argument("--late-rate", type=_fraction, default=0.02)
    gen.add_argument(
        "--snapshot-share",
        type=_fraction,
        default=0.35,
        help="share of posts observed by snapshots instead of events",
    )
    _destination(gen)
    _batching(gen)
    gen.set_defaults(func=_cmd_generate)
