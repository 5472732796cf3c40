"""`socialkpi replay`: the command line over `kpis.replay` (the pipeline itself lives there).

stdout carries KPI records only; rejected lines, progress and the summary go to stderr.
"""

from __future__ import annotations

import argparse
import io
import sys
from typing import TextIO

from cli.progress import Progress
from kpis.replay import (
    ReplayInputError,
    default_jobs,
    replay_jsonl,
    replay_records,
    summary_line,
)
from kpis.replay_jobs import ReplayWorkerError
from models.records import KpiRecord


def add_replay_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "files", nargs="+", metavar="FILE", help="event files ('-' = stdin, .gz ok)"
    )
    parser.add_argument("--as-of", help="evaluation time, RFC 3339 (default: latest event time)")
    parser.add_argument("--format", choices=("jsonl", "table"), default="jsonl")
    parser.add_argument("--strict", action="store_true", help="exit 1 if any line was rejected")
    parser.add_argument(
        "--jobs",
        "-j",
        type=_jobs,
        default=None,
        help="processes the accounts are spread over (default: the number of cores,"
        f" {default_jobs()} here); the output is the same for any number",
    )


def _jobs(text: str) -> int:
    jobs = int(text)
    if jobs < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return jobs


def run(args: argparse.Namespace, as_of: int | None) -> int:
    jobs = args.jobs if args.jobs is not None else default_jobs()
    out = sys.stdout
    try:
        if args.format == "table":
            records, report = replay_records(args.files, jobs, as_of, progress=Progress())
            write_table(out, records)
        else:
            out.flush()
            report = replay_jsonl(args.files, out.buffer, jobs, as_of, progress=Progress())
    except ReplayInputError as error:
        print(f"socialkpi replay: {error}", file=sys.stderr)
        return 2
    except ReplayWorkerError as error:
        print(f"socialkpi replay: {error}", file=sys.stderr)
        return 1
    out.flush()
    sys.stderr.write(summary_line(report.summary, report.stats, report.records))
    return 1 if args.strict and report.summary.rejected else 0


def write_table(out: TextIO, records: list[KpiRecord]) -> None:
    """A fixed-width table for people; dims as k=v pairs."""
    rows = [("ACCOUNT", "KPI", "PERIOD", "DIMS", "VALUE")]
    for record in records:
        data = record.to_dict()
        dims = " ".join(f"{k}={v}" for k, v in record.dims.items())
        value = data["value"]
        shown = f"{value:.4f}" if isinstance(value, float) else str(value)
        rows.append((record.account_id, record.kpi, record.period, dims, shown))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    buffer = io.StringIO()
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True)]
        buffer.write("  ".join([*cells, row[4]]).rstrip() + "\n")
    out.write(buffer.getvalue())
