"""Replay benchmark: throughput per core on two logs, `--jobs` speed-up, record serialization.

    .venv/bin/python bench/replay_bench.py [--events N] [--repeat K] [--profile]

Two synthetic logs, generated once and cached in bench/out/ (keyed by their parameters and
the generator's source):

- bench: the project's bench log (`--events` lines, 40 accounts, 1 % duplicates, 2 % late,
  0.05 % invalid lines);
- noisy: 60 accounts x 60 days, half the timestamps with a UTC offset other than Z
  (+02:00, +05:30, -05:00), 1 % invalid lines.

Every figure is measured in this run beside its own baseline, each part in a fresh
subprocess, K times, interleaved (so drift hits every part alike), median reported:

- per core, pinned to one core when `taskset` exists: the bare read + `json.loads` of each
  line (the floor for any Python consumer) and the replay end to end as `socialkpi replay`
  does it (`kpis.replay.replay_jsonl`, jobs=1: parse, validate, apply, evaluate, serialize,
  write to /dev/null), with the evaluation and the serialization also timed on their own;
- `--jobs 2` against `--jobs 1`, both unpinned, pair by pair: the wall-clock speed-up, and,
  because a busy machine hides it, the speed-up the same CPU seconds would give on two free
  cores (the workers' CPU seconds over max(the busiest worker, all processes' CPU / 2));
- record serialization on the bench log's records, CPU µs a record: `records_jsonl`
  (orjson, the replay's stdout), `KpiRecord.to_json` and `records_json` (one string per
  record, as the Redis view stores them) against the json module encoding they replaced
  (the same bytes, checked).

Prints a table and writes bench/results/replay.json. `--profile` adds one cProfile run of
the replay (bench/out/replay.prof) and prints its top functions.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

OUT = ROOT / "bench" / "out"
RESULTS = ROOT / "bench" / "results"
GOALS = {  # issue 14
    "bench_events_per_s": 100_000,
    "noisy_events_per_s": 60_000,
    "jobs2_speedup": 1.7,
    "serialize_us_per_record": 1.0,
}
GOAL_PEAK_RSS = 1 << 30  # bytes
MIB = 1 << 20
LOGS = ("bench", "noisy")


# --------------------------------------------------------------------------- data sets


def _generator_digest(config: str) -> str:
    """Cache key part: the generator's source and the knobs it runs with."""
    digest = hashlib.sha256((ROOT / "gen" / "synthetic.py").read_bytes())
    digest.update(config.encode())
    return digest.hexdigest()[:10]


def dataset(
    name: str, events: int, seed: int, accounts: int, force: bool, noisy_days: int = 60
) -> tuple[Path, dict[str, Any]]:
    """The cached log for these parameters, generated when missing."""
    from gen.synthetic import GeneratorConfig, generate_events, write_events

    OUT.mkdir(parents=True, exist_ok=True)
    days: int | None
    if name == "bench":
        config = GeneratorConfig(duplicate_rate=0.01, late_rate=0.02, invalid_rate=0.0005)
        target: int | None = events
        days = None
        stem = f"events-{events}-s{seed}-a{accounts}-{_generator_digest(repr(config))}"
    else:  # noisy: 60 accounts x 60 days, mixed offsets, 1 % bad lines
        config = GeneratorConfig(invalid_rate=0.01, offset_rate=0.5)
        target, days, accounts, seed = None, noisy_days, 60, 7
        stem = f"noisy-d{days}-s{seed}-a{accounts}-{_generator_digest(repr(config))}"
    path, meta_path = OUT / f"{stem}.jsonl", OUT / f"{stem}.meta.json"
    if path.exists() and meta_path.exists() and not force:
        meta: dict[str, Any] = json.loads(meta_path.read_text())
        meta["cached"] = True
        return path, meta
    print(f"generating the {name} log -> {path.relative_to(ROOT)} ...", file=sys.stderr)
    started = time.perf_counter()
    tmp = path.with_suffix(".tmp")
    stream = generate_events(seed, accounts, days, events_target=target, config=config)
    lines = write_events(str(tmp), stream)
    tmp.replace(path)
    meta = {
        "lines": lines,
        "bytes": path.stat().st_size,
        "seed": seed,
        "accounts": accounts,
        "days": days,
        "duplicate_rate": config.duplicate_rate,
        "late_rate": config.late_rate,
        "invalid_rate": config.invalid_rate,
        "offset_rate": config.offset_rate,
        "generate_s": round(time.perf_counter() - started, 2),
    }
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    meta["cached"] = False
    return path, meta


# --------------------------------------------------------------------------- children


def _peak_rss_bytes() -> int:
    """Peak resident set of this process: VmHWM, else ru_maxrss (KiB on Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _cpu_s(who: int = resource.RUSAGE_SELF) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def child_baseline(path: str) -> dict[str, Any]:
    lines = bad = 0
    loads = json.loads
    started, cpu = time.perf_counter(), _cpu_s()
    with open(path, "rb") as handle:
        for line in handle:
            if not line.strip():
                continue
            lines += 1
            try:
                loads(line)
            except ValueError:
                bad += 1
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "cpu_s": _cpu_s() - cpu,
        "lines": lines,
        "bad": bad,
        "peak_rss": _peak_rss_bytes(),
    }


class _Counting:
    """A binary sink that counts what the replay writes (and keeps nothing)."""

    def __init__(self) -> None:
        self.bytes = 0

    def write(self, data: bytes) -> int:
        self.bytes += len(data)
        return len(data)


def child_replay(path: str, profile_to: str | None = None) -> dict[str, Any]:
    """`socialkpi replay` in this process: `replay_jsonl` with jobs=1."""
    import kpis.replay as library
    from kpis.engine import Engine

    timing: dict[str, float] = {}
    evaluate, serialize = Engine.evaluate, library.records_jsonl  # type: ignore[attr-defined]

    def timed_evaluate(self: Engine, as_of: int) -> Any:
        started = time.perf_counter()
        try:
            return evaluate(self, as_of)
        finally:
            timing["evaluate"] = time.perf_counter() - started

    def timed_serialize(records: Any) -> str:
        started = time.perf_counter()
        try:
            return serialize(records)
        finally:
            timing["serialize"] = time.perf_counter() - started

    Engine.evaluate = timed_evaluate  # type: ignore[method-assign]
    library.records_jsonl = timed_serialize  # type: ignore[attr-defined]
    rss_before = _peak_rss_bytes()
    out = _Counting()
    with open(os.devnull, "w", encoding="utf-8") as devnull:
        started, cpu = time.perf_counter(), _cpu_s()
        if profile_to:
            import cProfile

            profiler = cProfile.Profile()
            replay = library.replay_jsonl
            report = profiler.runcall(replay, [path], out, 1, errors=devnull)  # type: ignore[arg-type]
            profiler.dump_stats(profile_to)
        else:
            report = library.replay_jsonl([path], out, 1, errors=devnull)  # type: ignore[arg-type]
        seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "cpu_s": _cpu_s() - cpu,
        "evaluate_s": timing.get("evaluate", 0.0),
        "serialize_s": timing.get("serialize", 0.0),
        "output_bytes": out.bytes,
        "lines": report.summary.lines,
        "valid": report.summary.valid,
        "rejected": report.summary.rejected,
        "stats": dict(report.stats),
        "records": report.records,
        "peak_rss": _peak_rss_bytes(),
        "rss_before_replay": rss_before,
    }


def child_jobs(path: str, jobs: int) -> dict[str, Any]:
    """`replay_jsonl` with `jobs` processes (jobs=1: this one), unpinned."""
    from kpis.replay import replay_jsonl

    out = _Counting()
    with open(os.devnull, "w", encoding="utf-8") as devnull:
        started, cpu = time.perf_counter(), _cpu_s()
        report = replay_jsonl([path], out, jobs, errors=devnull)  # type: ignore[arg-type]
        seconds = time.perf_counter() - started
    parent_cpu = _cpu_s() - cpu
    workers = report.worker_cpu_s or [parent_cpu]
    total = parent_cpu + (sum(report.worker_cpu_s) if report.worker_cpu_s else 0.0)
    return {
        "seconds": seconds,
        "jobs": jobs,
        "cpu_s": total,
        "parent_cpu_s": parent_cpu if report.worker_cpu_s else 0.0,
        "worker_cpu_s": workers,
        "worker_lines": report.worker_lines,
        "worker_peak_rss": report.worker_peak_rss,
        "records": report.records,
        "output_bytes": out.bytes,
        "peak_rss": _peak_rss_bytes(),
    }


_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def _json_to_json(record: Any) -> str:
    """`KpiRecord.to_json` as it was before orjson: the baseline of the serialization."""
    value = record.json_value()
    return (
        f'{{"account_id":{_JSON(record.account_id)},"kpi":"{record.kpi}",'
        f'"period":"{record.period}","dims":{_JSON(record.dims)},'
        f'"value":{_JSON(value)},"as_of":"{record.as_of}"}}'
    )


def child_serialize(path: str, repeat: int) -> dict[str, Any]:
    """µs a record: orjson paths against the json encoding, on a real log's records."""
    import gc
    import io

    from kpis.replay import replay
    from models.records import records_json, records_jsonl

    records, _summary, _engine = replay([path], errors=io.StringIO())
    gc.disable()  # as replay runs; a collection in the middle would time the heap, not JSON

    def best(function: Any) -> float:
        """Median CPU seconds (not wall: on a busy machine preemption would count)."""
        times = []
        for _ in range(repeat):
            started = time.process_time()
            function()
            times.append(time.process_time() - started)
        return statistics.median(times)

    count = len(records)
    jsonl = records_jsonl(records)
    reference = "".join([_json_to_json(r) + "\n" for r in records])
    assert jsonl == reference, "records_jsonl differs from the json encoding"
    assert all(r.to_json() == _json_to_json(r) for r in records[:: max(1, count // 20_000)])
    assert records_json(records) == [_json_to_json(r) for r in records]
    parts = {
        "jsonl_json": best(lambda: "".join([_json_to_json(r) + "\n" for r in records])),
        "jsonl_orjson": best(lambda: records_jsonl(records)),
        "to_json_json": best(lambda: [_json_to_json(r) for r in records]),
        "to_json_orjson": best(lambda: [r.to_json() for r in records]),
        "records_json_orjson": best(lambda: records_json(records)),
    }
    return {
        "records": count,
        "us_per_record": {k: round(v / count * 1e6, 3) for k, v in parts.items()},
        "seconds": {k: round(v, 4) for k, v in parts.items()},
    }


# --------------------------------------------------------------------------- runner


def _pin_prefix(enabled: bool) -> tuple[list[str], int | None]:
    if not enabled or shutil.which("taskset") is None:
        return [], None
    cpu = max(os.sched_getaffinity(0))
    return ["taskset", "-c", str(cpu)], cpu


def _cpu_times() -> tuple[int, int, int]:
    """(steal, idle, total) jiffies of the whole machine."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            values = [int(v) for v in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return 0, 0, 0
    steal = values[7] if len(values) > 7 else 0
    return steal, values[3] + values[4], sum(values[:8])


def run_child(mode: str, path: Path, prefix: list[str], extra: list[str] | None = None) -> Any:
    command = [*prefix, sys.executable, str(Path(__file__).resolve()), "--child", mode, str(path)]
    steal_before, idle_before, total_before = _cpu_times()
    done = subprocess.run(
        [*command, *(extra or [])], check=True, capture_output=True, text=True, cwd=ROOT
    )
    steal_after, idle_after, total_after = _cpu_times()
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    elapsed = total_after - total_before
    result["steal_pct"] = round(100 * (steal_after - steal_before) / elapsed, 1) if elapsed else 0
    # CPU of the whole machine left idle meanwhile: near 0 with other work running
    result["idle_pct"] = round(100 * (idle_after - idle_before) / elapsed, 1) if elapsed else 0
    if "seconds" in result and result.get("cpu_s"):
        result["cores_used"] = round(result["cpu_s"] / result["seconds"], 2)
    return result


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _git_commit() -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
        )
    except OSError:
        return None
    return done.stdout.strip() or None


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(r[key] for r in runs))


def summarize(runs: list[dict[str, Any]], lines: int) -> dict[str, Any]:
    seconds = _median(runs, "seconds")
    out: dict[str, Any] = {
        "runs_s": [round(r["seconds"], 3) for r in runs],
        "median_s": round(seconds, 3),
        "events_per_s": round(lines / seconds),
        # per CPU second: what a core of its own would do (a pinned run shares its core
        # with whatever else the machine runs: `cores_used` below 1)
        "events_per_cpu_s": round(lines / _median(runs, "cpu_s")),
        "cores_used": [r.get("cores_used") for r in runs],
        "steal_pct": [r["steal_pct"] for r in runs],
        "machine_idle_pct": [r["idle_pct"] for r in runs],
        "peak_rss_mib": round(max(r["peak_rss"] for r in runs) / MIB, 1),
    }
    if "evaluate_s" in runs[0]:
        out["evaluate_median_s"] = round(_median(runs, "evaluate_s"), 3)
        out["serialize_median_s"] = round(_median(runs, "serialize_s"), 3)
        apply_s = statistics.median(r["seconds"] - r["evaluate_s"] - r["serialize_s"] for r in runs)
        out["apply_median_s"] = round(apply_s, 3)
        out["apply_events_per_s"] = round(lines / apply_s)
        last = runs[-1]
        for key in ("valid", "rejected", "stats", "records", "output_bytes"):
            out[key] = last[key]
        out["serialize_us_per_record"] = round(out["serialize_median_s"] / last["records"] * 1e6, 3)
    return out


def summarize_jobs(pairs: list[tuple[dict[str, Any], dict[str, Any]]]) -> dict[str, Any]:
    """(jobs 1, jobs N) pairs, run back to back: ratios pair by pair, then medians."""
    wall = [one["seconds"] / many["seconds"] for one, many in pairs]
    # On free cores the run would take max(the busiest worker, all processes' CPU / cores).
    # Its work is the workers' CPU seconds (one process needs at least that: the parent's
    # reading and routing is the price of the split), so the speed-up is work / that. CPU
    # seconds of separate runs vary by +-20 % on a busy machine, so the one-process run's
    # own CPU seconds give a second, noisier figure.
    cores = min(pairs[-1][1]["jobs"], os.cpu_count() or 1)
    free, versus_one = [], []
    for one, many in pairs:
        work = sum(many["worker_cpu_s"])
        critical = max(max(many["worker_cpu_s"]), (work + many["parent_cpu_s"]) / cores)
        free.append(work / critical)
        versus_one.append(one["cpu_s"] / critical)
    last = pairs[-1][1]
    lines = last["worker_lines"]
    return {
        "jobs": last["jobs"],
        "speedup_wall": round(statistics.median(wall), 3),
        "speedup_wall_runs": [round(x, 3) for x in wall],
        "speedup_on_free_cores": round(statistics.median(free), 3),
        "speedup_on_free_cores_runs": [round(x, 3) for x in free],
        "speedup_on_free_cores_vs_jobs1_cpu": round(statistics.median(versus_one), 3),
        "cpu_overhead": round(statistics.median(m["cpu_s"] / o["cpu_s"] for o, m in pairs), 3),
        "jobs1_median_s": round(statistics.median(o["seconds"] for o, _ in pairs), 3),
        "jobsN_median_s": round(statistics.median(m["seconds"] for _, m in pairs), 3),
        "jobs1_cores_used": [o.get("cores_used") for o, _ in pairs],
        "jobsN_cores_used": [m.get("cores_used") for _, m in pairs],
        "machine_idle_pct": [m["idle_pct"] for _, m in pairs],
        "parent_cpu_s": [round(m["parent_cpu_s"], 2) for _, m in pairs],
        "worker_cpu_s": [[round(c, 2) for c in m["worker_cpu_s"]] for _, m in pairs],
        "jobs1_cpu_s": [round(o["cpu_s"], 2) for o, _ in pairs],
        "worker_line_share": [round(n / sum(lines), 3) for n in lines] if lines else [],
        "worker_peak_rss_mib": [round(b / MIB, 1) for b in last["worker_peak_rss"]],
        "jobs1_peak_rss_mib": round(pairs[-1][0]["peak_rss"] / MIB, 1),
        "same_output_bytes": all(o["output_bytes"] == m["output_bytes"] for o, m in pairs),
    }


# --------------------------------------------------------------------------- report


def _table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        print("  ".join(cells).rstrip())


def _verdict(ok: bool, got: float, goal: float, higher: bool = True) -> str:
    if ok:
        return f"PASS ({got:,})"
    short = (goal - got) / goal if higher else (got - goal) / goal
    return f"MISS by {100 * short:.0f} % (got {got:,})"


def print_report(result: dict[str, Any]) -> None:
    pinned = result["pinned_cpu"]
    print(
        f"\nreplay benchmark, Python {result['python']}, {result['cpu_model']},"
        f" per-core parts {'pinned to cpu ' + str(pinned) if pinned is not None else 'not pinned'},"
        f" median of {result['repeat']}"
    )
    rows: list[tuple[str, ...]] = [
        (
            "log / part",
            "lines",
            "median s",
            "runs s",
            "events/s",
            "per CPU s",
            "vs json.loads",
            "peak RSS",
        )
    ]
    for name in LOGS:
        log = result["logs"][name]
        base, rep = log["baseline"], log["replay"]
        rows.append(
            (
                f"{name}: read + json.loads",
                f"{log['lines']:,}",
                f"{base['median_s']:.2f}",
                "/".join(f"{s:.1f}" for s in base["runs_s"]),
                f"{base['events_per_s']:,}",
                f"{base['events_per_cpu_s']:,}",
                "1",
                f"{base['peak_rss_mib']:.0f} MiB",
            )
        )
        rows.append(
            (
                f"{name}: replay end to end",
                "",
                f"{rep['median_s']:.2f}",
                "/".join(f"{s:.1f}" for s in rep["runs_s"]),
                f"{rep['events_per_s']:,}",
                f"{rep['events_per_cpu_s']:,}",
                f"{log['ratio']:.3f} ({log['ratio_cpu']:.3f} CPU)",
                f"{rep['peak_rss_mib']:.0f} MiB",
            )
        )
        rows.append(
            (
                "    parse+validate+apply",
                "",
                f"{rep['apply_median_s']:.2f}",
                "",
                f"{rep['apply_events_per_s']:,}",
                "",
                "",
                "",
            )
        )
        rows.append(("    evaluate", "", f"{rep['evaluate_median_s']:.2f}", "", "", "", "", ""))
        rows.append(
            (
                f"    serialize {rep['records']:,} records",
                "",
                f"{rep['serialize_median_s']:.2f}",
                f"{rep['serialize_us_per_record']:.2f} us/rec",
                "",
                "",
                "",
                "",
            )
        )
    _table(rows)
    print()
    rows = [("--jobs 2 vs --jobs 1", "wall speed-up", "on free cores", "CPU cost", "cores used")]
    for name in LOGS:
        jobs = result["logs"][name]["jobs"]
        used = "/".join(f"{c}" for c in jobs["jobsN_cores_used"])
        rows.append(
            (
                f"{name} (shares {'/'.join(str(s) for s in jobs['worker_line_share'])})",
                f"{jobs['speedup_wall']:.2f}x",
                f"{jobs['speedup_on_free_cores']:.2f}x",
                f"{jobs['cpu_overhead']:.2f}x",
                used,
            )
        )
    _table(rows)
    ser = result["serialize"]["us_per_record"]
    print(
        f"\nserialization, {result['serialize']['records']:,} records of the bench log:"
        f" records_jsonl {ser['jsonl_orjson']:.2f} us/record (json {ser['jsonl_json']:.2f},"
        f" {ser['jsonl_json'] / ser['jsonl_orjson']:.1f}x); to_json {ser['to_json_orjson']:.2f}"
        f" us/record (json {ser['to_json_json']:.2f},"
        f" {ser['to_json_json'] / ser['to_json_orjson']:.1f}x); records_json (bulk, for the"
        f" Redis view) {ser['records_json_orjson']:.2f} us/record"
    )
    idle = [x for name in LOGS for x in result["logs"][name]["replay"]["machine_idle_pct"]]
    print(f"machine idle CPU during the per-core runs: {min(idle)}-{max(idle)} %")
    goals = result["goals"]
    for key, goal in GOALS.items():
        got = goals[key]["got"]
        higher = key != "serialize_us_per_record"
        print(f"goal {key} {'>=' if higher else '<='} {goal}: ", end="")
        line = _verdict(goals[key]["ok"], got, goal, higher)
        if key == "jobs2_speedup":
            jobs = result["logs"]["bench"]["jobs"]
            line += (
                f"; from CPU seconds, on {jobs['jobs']} free cores:"
                f" {jobs['speedup_on_free_cores']:.2f}x"
                f" (machine idle {min(jobs['machine_idle_pct'])}-{max(jobs['machine_idle_pct'])} %)"
            )
        print(line)


def print_profile(prof: Path, top: int) -> None:
    import pstats

    for order in ("tottime", "cumulative"):
        print(f"\n--- cProfile of one replay, top {top} by {order} ({prof.relative_to(ROOT)})")
        pstats.Stats(str(prof), stream=sys.stdout).strip_dirs().sort_stats(order).print_stats(top)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000, help="bench log size (lines)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement")
    parser.add_argument("--accounts", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2, help="processes of the --jobs part")
    parser.add_argument("--noisy-days", type=int, default=60, help="days of the noisy log")
    parser.add_argument("--regenerate", action="store_true", help="ignore the cached logs")
    parser.add_argument("--no-pin", action="store_true", help="do not pin to one core")
    parser.add_argument("--profile", action="store_true", help="add one cProfile'd replay")
    parser.add_argument("--top", type=int, default=30, help="profile rows to print")
    parser.add_argument("--out", default=str(RESULTS / "replay.json"))
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--profile-to", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        mode, path = args.child
        if mode == "baseline":
            print(json.dumps(child_baseline(path)))
        elif mode == "replay":
            print(json.dumps(child_replay(path, args.profile_to)))
        elif mode == "serialize":
            print(json.dumps(child_serialize(path, args.repeat)))
        else:
            print(json.dumps(child_jobs(path, int(mode.removeprefix("jobs")))))
        return 0

    paths = {}
    metas = {}
    for name in LOGS:
        paths[name], metas[name] = dataset(
            name, args.events, args.seed, args.accounts, args.regenerate, args.noisy_days
        )
    prefix, cpu = _pin_prefix(not args.no_pin)
    runs: dict[str, dict[str, list[Any]]] = {
        name: {"baseline": [], "replay": [], "jobs": []} for name in LOGS
    }
    load_before = os.getloadavg()
    for i in range(args.repeat):  # interleaved, so drift hits every part alike
        for name in LOGS:
            part = runs[name]
            part["baseline"].append(run_child("baseline", paths[name], prefix))
            part["replay"].append(run_child("replay", paths[name], prefix))
            one = run_child("jobs1", paths[name], [])
            many = run_child(f"jobs{args.jobs}", paths[name], [])
            part["jobs"].append((one, many))
            print(
                f"run {i + 1} {name}: baseline {part['baseline'][-1]['seconds']:.1f}s,"
                f" replay {part['replay'][-1]['seconds']:.1f}s, jobs 1 {one['seconds']:.1f}s,"
                f" jobs {args.jobs} {many['seconds']:.1f}s",
                file=sys.stderr,
            )
    serialized = run_child("serialize", paths["bench"], [], ["--repeat", str(max(3, args.repeat))])
    logs: dict[str, Any] = {}
    for name in LOGS:
        lines = metas[name]["lines"]
        baseline = summarize(runs[name]["baseline"], lines)
        replayed = summarize(runs[name]["replay"], lines)
        logs[name] = {
            "file": str(paths[name].relative_to(ROOT)),
            "lines": lines,
            "bytes": metas[name]["bytes"],
            "accounts": metas[name]["accounts"],
            "dataset": metas[name],
            "baseline": baseline,
            "replay": replayed,
            "ratio": round(replayed["events_per_s"] / baseline["events_per_s"], 4),
            "ratio_cpu": round(replayed["events_per_cpu_s"] / baseline["events_per_cpu_s"], 4),
            "jobs": summarize_jobs(runs[name]["jobs"]),
        }
    speedup = logs["bench"]["jobs"]["speedup_wall"]
    per_record = serialized["us_per_record"]["jsonl_orjson"]
    goals = {  # per core: per CPU second of the pinned run (see `events_per_cpu_s`)
        "bench_events_per_s": logs["bench"]["replay"]["events_per_cpu_s"],
        "noisy_events_per_s": logs["noisy"]["replay"]["events_per_cpu_s"],
        "jobs2_speedup": speedup,
        "serialize_us_per_record": per_record,
    }
    result: dict[str, Any] = {
        "repeat": args.repeat,
        "pinned_cpu": cpu,
        "python": platform.python_version(),
        "cpu_model": _cpu_model(),
        "cores": os.cpu_count(),
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        "git_commit": _git_commit(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "logs": logs,
        "serialize": serialized,
        "goals": {
            key: {
                "goal": GOALS[key],
                "got": got,
                "ok": got <= GOALS[key] if key == "serialize_us_per_record" else got >= GOALS[key],
            }
            for key, got in goals.items()
        },
        "peak_rss_ok": max(logs[n]["replay"]["peak_rss_mib"] for n in LOGS) * MIB < GOAL_PEAK_RSS,
    }
    if args.profile:
        prof = OUT / "replay.prof"
        run_child("replay", paths["bench"], prefix, ["--profile-to", str(prof)])
        result["profile"] = str(prof.relative_to(ROOT))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print_report(result)
    print(f"result: {args.out}")
    if args.profile:
        print_profile(OUT / "replay.prof", args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
