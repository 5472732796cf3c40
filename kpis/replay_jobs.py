"""`replay --jobs N`: the accounts spread over N processes, the output of one process.

The parent reads the input once (files, stdin, `.gz`) and hands each line to the process of
its account. It finds the account id with a cheap scan of the raw bytes, trusted only where
the bytes cannot mean anything else: exactly one `"account_id"` in the line, no backslash in
it (no escaped key, no quote inside a string) and an ASCII string value right after the
colon. Whatever the scan finds in an invalid line does not matter (the line is rejected
wherever it goes); any other line is validated here as a worker would (an invalid one goes
with the other lines that carry no account id, a blank one nowhere).

Which process replays which account (`Assignment`) depends on the input alone, never on
timing or on Python's salted `hash`: the accounts of the first `SAMPLE_LINES` lines, the
busiest first, each to the process with the fewest lines so far (a stable hash of 40
accounts left one process 56 % of the bench log's lines, which caps 2 processes at 1.8x);
an account first seen later goes to the process with the fewest lines routed by then.

Each worker validates and applies its lines in file order (so each account sees its events
in the same order as in one process), evaluates its accounts and serializes them; the
parent merges the per-account outputs in account order (the order of `Engine.evaluate`),
writes the rejections in file and line order, and sums the summaries and engine stats. The
default `as_of` is the latest event time over all the processes, so every process evaluates
at the same time.
"""

from __future__ import annotations

import heapq
import itertools
import multiprocessing as mp
import queue
import re
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any, BinaryIO, Literal, TextIO

from pydantic import ValidationError

from kpis.config import EngineConfig
from kpis.engine import Engine
from kpis.replay import (
    LineApplier,
    ProgressReporter,
    ReplayReport,
    ReplaySummary,
    _NoProgress,
    check_readable,
    paused_gc,
    read_blocks,
    wall_clock_us,
    warn_if_after_clock,
)
from models import MAX_EVENT_BYTES, EventRejected, parse_event
from models.parse import fast_validator
from models.records import KpiRecord, records_jsonl

Render = Literal["jsonl", "records"]
QUEUED_BLOCKS = 16  # blocks in flight to each worker: slack for uneven shares, bounded memory
SAMPLE_LINES = 131_072  # lines read before the accounts are assigned (about 35 MB held)
_KEY = b'"account_id"'
_VALUE = re.compile(rb'[ \t\r\n]*:[ \t\r\n]*"([^"\\]*)"')
_ACCOUNT = re.compile(rb'"account_id"[ \t\r]*:[ \t\r]*"([^"\\\n]*)"')
_POLL_S = 0.5


class ReplayWorkerError(RuntimeError):
    """A worker process failed: its traceback, not a hang."""


def account_key(line: bytes) -> bytes | None:
    """The UTF-8 bytes of a line's account id: what the parent routes by. None for a blank
    line, b"" for an invalid one without an account id."""
    start = line.find(_KEY)
    if start >= 0 and line.find(_KEY, start + 12) < 0 and b"\\" not in line:
        found = _VALUE.match(line, start + 12)
        if found is not None and (key := found[1]).isascii():
            return key
    return _validated_key(line)


def _validated_key(line: bytes) -> bytes | None:
    """A line the scan does not trust: validated as `LineApplier` does."""
    if not line.strip():
        return None
    try:
        event = fast_validator()(line) if len(line) <= MAX_EVENT_BYTES else None
    except ValidationError:
        event = None
    if event is None:
        try:
            event = parse_event(line)
        except EventRejected:
            return b""
    return event.account_id.encode("utf-8", "surrogatepass")


def _block_keys(block: Sequence[bytes]) -> list[bytes | None]:
    """`account_key` of every line of a block, mostly in C: this runs once per input line,
    in the process that feeds the others. A regex finds each line's first `"account_id"`
    with its string value; the block as a whole then shows whether that was each line's only
    one: with no backslash in the block, and as many `"account_id"` in the block as lines
    matched plus those in the lines that did not (those are validated), it was."""
    search = _ACCOUNT.search
    blob = b"".join(block)
    if b"\\" in blob:
        return [account_key(line) for line in block]
    keys: list[bytes | None] = [
        None if found is None else found[1] for found in [search(line) for line in block]
    ]
    expected = len(block)
    if None in keys:
        for index, key in enumerate(keys):
            if key is None:
                line = block[index]
                expected += line.count(_KEY) - 1
                keys[index] = _validated_key(line)
    if blob.count(_KEY) != expected or not b"".join(filter(None, keys)).isascii():
        return [account_key(line) for line in block]
    return keys


class Assignment:
    """Account key -> process, decided from the input alone (see the module's doc)."""

    def __init__(self, jobs: int) -> None:
        self.of: dict[bytes, int] = {}
        self.loads = [0] * jobs  # lines routed to each process

    def plan(self, counts: Counter[bytes]) -> None:
        """The sampled accounts, busiest first, each to the least loaded process (LPT)."""
        planned = [0] * len(self.loads)
        for key, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
            shard = planned.index(min(planned))
            self.of[key] = shard
            planned[shard] += count

    def new(self, key: bytes) -> int:
        """An account first seen after the sample: the process with the fewest lines."""
        loads = self.loads
        shard = loads.index(min(loads))
        self.of[key] = shard
        return shard


# --------------------------------------------------------------------------- worker


def _worker(
    as_of: int | None,
    config: EngineConfig | None,
    inbox: Any,  # multiprocessing Queue: blocks, then None, then the evaluation time
    outbox: Connection,
    render: Render,
) -> None:
    try:
        _work(as_of, config, inbox, outbox, render)
    except BaseException:
        outbox.send(("error", traceback.format_exc()))
        raise
    finally:
        outbox.close()


def _work(
    as_of: int | None, config: EngineConfig | None, inbox: Any, outbox: Connection, render: Render
) -> None:
    import gc

    gc.disable()  # see `paused_gc`; this process ends with the replay
    engine = Engine(config=config, apply_until=as_of)
    summary = ReplaySummary()
    rejections: list[tuple[int, int, str]] = []
    applier = LineApplier(engine, summary, lambda f, n, reason: rejections.append((f, n, reason)))
    get = inbox.get
    while (item := get()) is not None:
        applier.block(*item)
    applier.finish()
    outbox.send(("applied", engine.max_event_time, summary, dict(engine.stats), rejections))
    evaluation_time = get()
    records = [] if evaluation_time is None else engine.evaluate(evaluation_time)
    count = len(records)
    for account_id, group in itertools.groupby(records, key=_account_of):
        share = list(group)
        payload = records_jsonl(share).encode() if render == "jsonl" else share
        outbox.send(("account", account_id, payload))
    outbox.send(("done", count, time.process_time(), peak_rss_bytes()))


def peak_rss_bytes() -> int:
    """This process's peak resident set (VmHWM; 0 where /proc is missing)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _account_of(record: KpiRecord) -> str:
    return record[0]


# --------------------------------------------------------------------------- parent


class _Workers:
    """The worker processes, their inboxes (bounded queues) and result pipes."""

    def __init__(
        self, jobs: int, as_of: int | None, config: EngineConfig | None, render: Render
    ) -> None:
        context: Any = mp.get_context("fork" if sys.platform == "linux" else "spawn")
        self.processes: list[BaseProcess] = []
        self.inboxes: list[Any] = []
        self.results: list[Connection] = []
        for _ in range(jobs):
            inbox = context.Queue(QUEUED_BLOCKS)
            receive, send = context.Pipe(duplex=False)
            process = context.Process(
                target=_worker, args=(as_of, config, inbox, send, render), daemon=True
            )
            process.start()
            send.close()
            self.processes.append(process)
            self.inboxes.append(inbox)
            self.results.append(receive)

    def put(self, shard: int, item: object) -> None:
        inbox, process = self.inboxes[shard], self.processes[shard]
        while True:
            try:
                inbox.put(item, timeout=_POLL_S)
                return
            except queue.Full:
                if not process.is_alive():
                    self._failed(shard)

    def receive(self, shard: int) -> tuple[Any, ...]:
        connection, process = self.results[shard], self.processes[shard]
        while not connection.poll():
            wait([connection, process.sentinel], timeout=_POLL_S)
            if not connection.poll() and not process.is_alive():
                self._failed(shard)
        try:
            message: tuple[Any, ...] = connection.recv()
        except EOFError:
            self._failed(shard)
        if message[0] == "error":
            raise ReplayWorkerError(f"replay worker {shard} failed:\n{message[1]}")
        return message

    def _failed(self, shard: int) -> Any:
        connection = self.results[shard]
        try:
            while connection.poll():
                message = connection.recv()
                if message[0] == "error":
                    raise ReplayWorkerError(f"replay worker {shard} failed:\n{message[1]}")
        except (EOFError, OSError):
            pass
        code = self.processes[shard].exitcode
        raise ReplayWorkerError(f"replay worker {shard} exited ({code}) before its results")

    def close(self, ok: bool) -> None:
        for process in self.processes:
            if not ok and process.is_alive():
                process.terminate()
        for inbox in self.inboxes:
            if not ok:
                inbox.cancel_join_thread()  # do not wait to flush blocks nobody will read
            inbox.close()
        for process in self.processes:
            process.join()
        for connection in self.results:
            connection.close()


def _distribute(
    paths: list[str], workers: _Workers, jobs: int, progress: ProgressReporter
) -> Assignment:
    """The parent's loop: the sample, the plan, then each line to its account's process."""
    assignment = Assignment(jobs)
    blocks = iter(read_blocks(paths, progress))
    sample: list[tuple[tuple[int, int, list[bytes]], list[bytes | None]]] = []
    counts: Counter[bytes | None] = Counter()
    sampled = 0
    for item in blocks:
        keys = _block_keys(item[2])
        sample.append((item, keys))
        counts.update(keys)
        sampled += len(keys)
        if sampled >= SAMPLE_LINES:
            break
    counts.pop(None, None)
    assignment.plan(counts)  # type: ignore[arg-type]
    for item, keys in sample:
        _route(item, keys, assignment, workers, jobs)
    del sample
    for item in blocks:
        _route(item, _block_keys(item[2]), assignment, workers, jobs)
    return assignment


def _route(
    item: tuple[int, int, list[bytes]],
    keys: list[bytes | None],
    assignment: Assignment,
    workers: _Workers,
    jobs: int,
) -> None:
    """One block to the workers: each one's lines and their numbers, in file order."""
    file_index, first, block = item
    shards: list[int | None] = list(map(assignment.of.get, keys))  # type: ignore[arg-type]
    if None in shards:  # blank lines (None keys) and accounts not seen before
        for index, shard in enumerate(shards):
            if shard is None:
                key = keys[index]
                shards[index] = -1 if key is None else assignment.new(key)
    numbers = range(first, first + len(block))
    loads = assignment.loads
    for shard in range(jobs):
        mine = list(map(shard.__eq__, shards))
        lines = list(itertools.compress(block, mine))
        if lines:
            loads[shard] += len(lines)
            workers.put(shard, (file_index, lines, list(itertools.compress(numbers, mine))))


def _run(
    paths: list[str],
    jobs: int,
    as_of: int | None,
    config: EngineConfig | None,
    errors: TextIO | None,
    progress: ProgressReporter | None,
    clock: Callable[[], int],
    render: Render,
    deliver: Callable[[Any], object],
) -> ReplayReport:
    out = errors or sys.stderr
    check_readable(paths)
    for stream in (sys.stdout, sys.stderr, out):  # a forked child flushes its copies
        stream.flush()
    workers = _Workers(jobs, as_of, config, render)
    ok = False
    try:
        with paused_gc():
            assignment = _distribute(paths, workers, jobs, progress or _NoProgress())
        for shard in range(jobs):
            workers.put(shard, None)
        summary, stats = ReplaySummary(), Counter[str]()
        latest: int | None = None
        rejections = []
        for shard in range(jobs):
            _tag, max_time, share, share_stats, rejected = workers.receive(shard)
            summary.add(share)
            stats.update(share_stats)
            rejections.append(rejected)
            if max_time is not None and (latest is None or max_time > latest):
                latest = max_time
        for file_index, number, reason in heapq.merge(*rejections):
            out.write(f"{paths[file_index]}:{number}: rejected: {reason}\n")
        evaluation_time = as_of if as_of is not None else latest
        warn_if_after_clock(as_of, evaluation_time, clock, out)
        for shard in range(jobs):
            workers.put(shard, evaluation_time)
        done: list[tuple[str, int, float, int]] = []
        for payload in _merged(workers, jobs, done):
            deliver(payload)
        ok = True
    finally:
        workers.close(ok)
    return ReplayReport(
        summary,
        stats,
        sum(d[1] for d in done),
        evaluation_time,
        worker_cpu_s=[d[2] for d in done],
        worker_peak_rss=[d[3] for d in done],
        worker_lines=list(assignment.loads),
    )


def _merged(workers: _Workers, jobs: int, done: list[Any]) -> Iterator[Any]:
    """The workers' per-account payloads in account order (each worker sends its accounts
    in order: a k-way merge); each worker's last message lands in `done`."""
    heap: list[tuple[str, int, Any]] = []

    def pull(shard: int) -> None:
        message = workers.receive(shard)
        if message[0] == "account":
            heapq.heappush(heap, (message[1], shard, message[2]))
        else:
            done.append(message)

    for shard in range(jobs):
        pull(shard)
    while heap:
        _account, shard, payload = heapq.heappop(heap)
        yield payload
        pull(shard)


def replay_jsonl_sharded(
    paths: list[str],
    out: BinaryIO,
    jobs: int,
    as_of: int | None = None,
    config: EngineConfig | None = None,
    errors: TextIO | None = None,
    progress: ProgressReporter | None = None,
    clock: Callable[[], int] = wall_clock_us,
) -> ReplayReport:
    """`kpis.replay.replay_jsonl` over `jobs` processes."""
    return _run(paths, jobs, as_of, config, errors, progress, clock, "jsonl", out.write)


def replay_records_sharded(
    paths: list[str],
    jobs: int,
    as_of: int | None = None,
    config: EngineConfig | None = None,
    errors: TextIO | None = None,
    progress: ProgressReporter | None = None,
    clock: Callable[[], int] = wall_clock_us,
) -> tuple[list[KpiRecord], ReplayReport]:
    """`kpis.replay.replay_records` over `jobs` processes."""
    records: list[KpiRecord] = []
    report = _run(paths, jobs, as_of, config, errors, progress, clock, "records", records.extend)
    return records, report
