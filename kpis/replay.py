"""Replay: the engine over JSON-lines event files (`-` = stdin, `.gz` accepted), no Kafka or
Redis. The library behind `socialkpi replay`; `gen`, the dashboards' checks, the tests and
the benchmarks call it too.

`replay` runs in this process and returns the records; `replay_jsonl` writes them as JSON
lines, in this process (`jobs=1`) or with the accounts spread over `jobs` processes
(`kpis.replay_jobs`), byte for byte the same output. Rejected lines and warnings go to
`errors` (stderr by default); the caller prints the summary.
"""

from __future__ import annotations

import gc
import gzip
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO, Protocol, TextIO

from pydantic import ValidationError

from kpis.config import EngineConfig
from kpis.engine import Engine
from kpis.timeutil import format_ts
from models import MAX_EVENT_BYTES, EventRejected, parse_event
from models.events import Event
from models.parse import fast_validator
from models.records import KpiRecord, records_jsonl

PRUNE_EVERY = 250_000  # valid events between two `Engine.prune`s
READ_BLOCK = 1 << 18  # bytes of lines validated, then applied, at once (~1,000 lines)
PROGRESS_EVERY = 65_536  # lines


class ReplayInputError(Exception):
    """An input file that cannot be read: one line for the user, no traceback."""


class ProgressReporter(Protocol):
    """What replay tells a progress bar (`cli.progress.Progress` is one)."""

    def start_file(self, name: str, size: int) -> None: ...

    def update(self, done: int) -> None: ...

    def finish_file(self) -> None: ...


class _NoProgress:
    def start_file(self, name: str, size: int) -> None:
        pass

    def update(self, done: int) -> None:
        pass

    def finish_file(self) -> None:
        pass


def wall_clock_us() -> int:
    return time.time_ns() // 1000


@dataclass(slots=True)
class ReplaySummary:
    lines: int = 0
    valid: int = 0
    rejected: int = 0
    rejected_by_kind: dict[str, int] = field(default_factory=dict)

    def reject(self, kind: str) -> None:
        self.rejected += 1
        self.rejected_by_kind[kind] = self.rejected_by_kind.get(kind, 0) + 1

    def add(self, other: ReplaySummary) -> None:
        """Fold in the summary of another share of the same input."""
        self.lines += other.lines
        self.valid += other.valid
        self.rejected += other.rejected
        for kind, count in other.rejected_by_kind.items():
            self.rejected_by_kind[kind] = self.rejected_by_kind.get(kind, 0) + count


@dataclass(slots=True)
class ReplayReport:
    """What `replay_jsonl` did: the summary line's figures."""

    summary: ReplaySummary
    stats: Counter[str]  # `Engine.stats`, summed over the processes
    records: int
    as_of: int | None  # the evaluation time (None: no valid event, no record)
    # With jobs > 1, per worker process: CPU seconds, peak RSS bytes, input lines routed.
    worker_cpu_s: list[float] = field(default_factory=list)
    worker_peak_rss: list[int] = field(default_factory=list)
    worker_lines: list[int] = field(default_factory=list)


# --------------------------------------------------------------------------- input


def check_readable(paths: Sequence[str]) -> None:
    """Refuse a missing or unreadable file before any work (not after hours of the others)."""
    for path in paths:
        if path != "-":
            try:
                open(path, "rb").close()  # a probe
            except OSError as error:
                raise ReplayInputError(f"cannot read {path}: {error.strerror}") from None


def open_input(path: str) -> tuple[BinaryIO, int]:
    """The file (or stdin for '-') as bytes, with its size for the progress bar (0 = unknown)."""
    if path == "-":
        return sys.stdin.buffer, 0
    size = os.path.getsize(path)
    raw = open(path, "rb", buffering=1 << 20)  # noqa: SIM115 - closed by the caller
    if path.endswith(".gz"):
        return gzip.GzipFile(fileobj=raw), size  # type: ignore[return-value]
    return raw, size


def read_block(stream: BinaryIO, path: str) -> list[bytes]:
    """The next lines; a read error (a corrupt or truncated .gz, an I/O error) names the file."""
    try:
        return stream.readlines(READ_BLOCK)
    except (OSError, EOFError) as error:
        reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
        raise ReplayInputError(f"cannot read {path}: {reason}") from None


def read_blocks(
    paths: Sequence[str], progress: ProgressReporter
) -> Iterable[tuple[int, int, list[bytes]]]:
    """(file index, number of the block's first line, lines) for every block of every file,
    with the progress bar moved on the way; the files are closed (stdin is left open)."""
    for index, path in enumerate(paths):
        stream, size = open_input(path)
        progress.start_file(path, size)
        raw = getattr(stream, "fileobj", stream)
        first = next_progress = 1
        try:
            while block := read_block(stream, path):
                yield index, first, block
                first += len(block)
                if first > next_progress:
                    next_progress += PROGRESS_EVERY
                    if size:
                        progress.update(raw.tell() if hasattr(raw, "tell") else 0)
        finally:
            progress.finish_file()
            if stream is not sys.stdin.buffer:
                stream.close()


# --------------------------------------------------------------------------- apply

Reject = Callable[[int, int, str], None]  # (file index, line number, reason)


class LineApplier:
    """Validates blocks of lines and applies their events to an engine, in order.

    The hot loop. pydantic-core's validator runs straight on each line of a block, then the
    engine applies the block's events in order (two tight passes keep each one's code and
    data in the CPU caches: about 20% faster than alternating). A line the validator refuses
    (or a blank or oversize one) takes `parse_event`, the worker's path, for its precise
    reason: blank lines are skipped, rejected ones counted and reported."""

    def __init__(self, engine: Engine, summary: ReplaySummary, reject: Reject) -> None:
        self.engine = engine
        self.summary = summary
        self._reject = reject
        self._validate = fast_validator()
        self._events: list[Event] = []
        self.valid = 0
        self.rejected = 0
        self._next_prune = PRUNE_EVERY

    def block(self, file_index: int, lines: Sequence[bytes], numbers: Iterable[int]) -> None:
        """Apply one block: `numbers` are the lines' numbers in their file."""
        validate, max_bytes, summary = self._validate, MAX_EVENT_BYTES, self.summary
        events = self._events
        keep = events.append
        for number, line in zip(numbers, lines, strict=False):
            try:
                event = validate(line) if len(line) <= max_bytes else None
            except ValidationError:
                event = None
            if event is None:
                if not line.strip():
                    continue
                try:
                    event = parse_event(line)
                except EventRejected as rejected:
                    self.rejected += 1
                    summary.reject(rejected.kind)
                    self._reject(file_index, number, rejected.reason)
                    continue
            keep(event)
        engine = self.engine
        if self.valid + len(events) < self._next_prune:
            engine.apply_all(events)
            self.valid += len(events)
        else:  # a prune is due within this block, after the same event as ever
            for event in events:
                self.valid += 1
                engine.apply(event)
                if self.valid == self._next_prune:
                    self._next_prune += PRUNE_EVERY
                    engine.prune()
        events.clear()

    def finish(self) -> None:
        """Count the lines into the summary (once, after the last block)."""
        self.summary.valid += self.valid
        self.summary.lines += self.valid + self.rejected


def warn_if_after_clock(
    as_of: int | None, evaluation_time: int | None, clock: Callable[[], int], errors: TextIO
) -> None:
    if as_of is None and evaluation_time is not None and evaluation_time > clock():
        errors.write(
            f"replay: warning: the default --as-of (latest event time,"
            f" {format_ts(evaluation_time)}) is after the wall clock; pass --as-of\n"
        )


class _PausedGc:
    """The engine's state is millions of small acyclic containers: the cyclic collector only
    rescans them (about 15% of replay time at 500k events), so it pauses meanwhile."""

    def __enter__(self) -> None:
        self._was_enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc: object) -> None:
        if self._was_enabled:
            gc.enable()


paused_gc = _PausedGc


# --------------------------------------------------------------------------- entry points


def replay(
    paths: list[str],
    as_of: int | None = None,
    config: EngineConfig | None = None,
    errors: TextIO | None = None,
    progress: ProgressReporter | None = None,
    clock: Callable[[], int] = wall_clock_us,
) -> tuple[list[KpiRecord], ReplaySummary, Engine]:
    """Apply every valid line; evaluate at `as_of` (default: the latest valid event time).
    Raises `ReplayInputError` for a file that cannot be read."""
    out = errors or sys.stderr
    check_readable(paths)
    engine = Engine(config=config, apply_until=as_of)
    summary = ReplaySummary()

    def reject(file_index: int, number: int, reason: str) -> None:
        out.write(f"{paths[file_index]}:{number}: rejected: {reason}\n")

    with paused_gc():
        applier = LineApplier(engine, summary, reject)
        for file_index, first, block in read_blocks(paths, progress or _NoProgress()):
            applier.block(file_index, block, range(first, first + len(block)))
        applier.finish()
        evaluation_time = as_of if as_of is not None else engine.max_event_time
        warn_if_after_clock(as_of, evaluation_time, clock, out)
        records = [] if evaluation_time is None else engine.evaluate(evaluation_time)
    return records, summary, engine


def default_jobs() -> int:
    return os.cpu_count() or 1


def replay_jsonl(
    paths: list[str],
    out: BinaryIO,
    jobs: int = 1,
    as_of: int | None = None,
    config: EngineConfig | None = None,
    errors: TextIO | None = None,
    progress: ProgressReporter | None = None,
    clock: Callable[[], int] = wall_clock_us,
) -> ReplayReport:
    """Replay and write the records to `out` as JSON lines (UTF-8), sorted as `replay`
    returns them; with `jobs` > 1 the accounts are spread over that many processes, and the
    output, the rejections on `errors` and the report are the same."""
    if jobs > 1:
        from kpis.replay_jobs import replay_jsonl_sharded

        return replay_jsonl_sharded(paths, out, jobs, as_of, config, errors, progress, clock)
    records, summary, engine = replay(paths, as_of, config, errors, progress, clock)
    with paused_gc():
        out.write(records_jsonl(records).encode())
    evaluation_time = as_of if as_of is not None else engine.max_event_time
    return ReplayReport(summary, Counter(engine.stats), len(records), evaluation_time)


def replay_records(
    paths: list[str],
    jobs: int = 1,
    as_of: int | None = None,
    config: EngineConfig | None = None,
    errors: TextIO | None = None,
    progress: ProgressReporter | None = None,
    clock: Callable[[], int] = wall_clock_us,
) -> tuple[list[KpiRecord], ReplayReport]:
    """`replay`'s records (and the report) from `jobs` processes."""
    if jobs > 1:
        from kpis.replay_jobs import replay_records_sharded

        return replay_records_sharded(paths, jobs, as_of, config, errors, progress, clock)
    records, summary, engine = replay(paths, as_of, config, errors, progress, clock)
    evaluation_time = as_of if as_of is not None else engine.max_event_time
    return records, ReplayReport(summary, Counter(engine.stats), len(records), evaluation_time)


def summary_line(summary: ReplaySummary, stats: Mapping[str, int], records: int) -> str:
    """The one line replay prints on stderr after the records."""
    rejected = ", ".join(f"{k}={v}" for k, v in sorted(summary.rejected_by_kind.items()))
    return (
        f"replay: {summary.lines} lines, {summary.valid} valid, {summary.rejected} rejected"
        f"{f' ({rejected})' if rejected else ''}; applied={stats.get('applied', 0)}"
        f" duplicates={stats.get('duplicate', 0)} late={stats.get('late', 0)}"
        f" after_as_of={stats.get('after_as_of', 0)}; {records} records\n"
    )
