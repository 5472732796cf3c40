"""Replay throughput and memory benchmark.

    .venv/bin/python bench/replay_bench.py [--events N] [--repeat K] [--profile]

Generates (or reuses, cached in bench/out/, keyed by size, seed and the generator's source)
a synthetic JSON-lines log, then in the same run measures, each part in a fresh subprocess
pinned to one core when `taskset` exists, K times (median reported):

- baseline: read the lines and `json.loads` each (the floor for any Python consumer);
- replay: `kpis.replay.replay([path])` in-process: parse, validate, apply, evaluate (the
  evaluation is also timed on its own), plus the peak RSS of that process (VmHWM).

Prints a small table and writes bench/out/replay.json. `--profile` adds one cProfile run of
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
GOAL_EVENTS_PER_S = 100_000
GOAL_PEAK_RSS = 1 << 30  # bytes
MIB = 1 << 20


# --------------------------------------------------------------------------- data set


def _generator_digest(config: str) -> str:
    """Cache key part: the generator's source and the knobs it runs with."""
    digest = hashlib.sha256((ROOT / "gen" / "synthetic.py").read_bytes())
    digest.update(config.encode())
    return digest.hexdigest()[:10]


def dataset(events: int, seed: int, accounts: int, force: bool) -> tuple[Path, dict[str, Any]]:
    """The cached log for these parameters, generated when missing."""
    from gen.synthetic import GeneratorConfig, generate_events, write_events

    OUT.mkdir(parents=True, exist_ok=True)
    config = GeneratorConfig(duplicate_rate=0.01, late_rate=0.02, invalid_rate=0.0005)
    stem = f"events-{events}-s{seed}-a{accounts}-{_generator_digest(repr(config))}"
    path, meta_path = OUT / f"{stem}.jsonl", OUT / f"{stem}.meta.json"
    if path.exists() and meta_path.exists() and not force:
        meta: dict[str, Any] = json.loads(meta_path.read_text())
        meta["cached"] = True
        return path, meta
    print(f"generating {events:,} events -> {path.relative_to(ROOT)} ...", file=sys.stderr)
    started = time.perf_counter()
    tmp = path.with_suffix(".tmp")
    stream = generate_events(seed, accounts, None, events_target=events, config=config)
    lines = write_events(str(tmp), stream)
    tmp.replace(path)
    meta = {
        "lines": lines,
        "bytes": path.stat().st_size,
        "seed": seed,
        "accounts": accounts,
        "duplicate_rate": config.duplicate_rate,
        "late_rate": config.late_rate,
        "invalid_rate": config.invalid_rate,
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


def child_baseline(path: str) -> dict[str, Any]:
    lines = bad = 0
    loads = json.loads
    started = time.perf_counter()
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
    return {"seconds": seconds, "lines": lines, "bad": bad, "peak_rss": _peak_rss_bytes()}


def child_replay(path: str, profile_to: str | None = None) -> dict[str, Any]:
    from kpis.engine import Engine
    from kpis.replay import replay

    timing: dict[str, float] = {}
    evaluate = Engine.evaluate

    def timed_evaluate(self: Engine, as_of: int) -> Any:
        started = time.perf_counter()
        try:
            return evaluate(self, as_of)
        finally:
            timing["evaluate"] = time.perf_counter() - started

    Engine.evaluate = timed_evaluate  # type: ignore[method-assign]
    rss_before = _peak_rss_bytes()
    with open(os.devnull, "w", encoding="utf-8") as devnull:
        started = time.perf_counter()
        if profile_to:
            import cProfile

            profiler = cProfile.Profile()
            records, summary, engine = profiler.runcall(replay, [path], errors=devnull)
            profiler.dump_stats(profile_to)
        else:
            records, summary, engine = replay([path], errors=devnull)
        seconds = time.perf_counter() - started
    started = time.perf_counter()
    written = sum(len(record.to_json()) + 1 for record in records)
    serialize = time.perf_counter() - started
    return {
        "seconds": seconds,
        "evaluate_s": timing.get("evaluate", 0.0),
        "serialize_s": serialize,
        "output_bytes": written,
        "lines": summary.lines,
        "valid": summary.valid,
        "rejected": summary.rejected,
        "stats": dict(engine.stats),
        "records": len(records),
        "accounts": sum(1 for _ in engine.store.accounts()),
        "peak_rss": _peak_rss_bytes(),
        "rss_before_replay": rss_before,
    }


def _pin_prefix(enabled: bool) -> tuple[list[str], int | None]:
    if not enabled or shutil.which("taskset") is None:
        return [], None
    cpu = max(os.sched_getaffinity(0))
    return ["taskset", "-c", str(cpu)], cpu


def _cpu_times() -> tuple[int, int]:
    """(steal, total) jiffies of the whole machine, to flag a noisy (virtualised) host."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            values = [int(v) for v in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    return (values[7] if len(values) > 7 else 0), sum(values[:8])


def run_child(mode: str, path: Path, prefix: list[str], extra: list[str] | None = None) -> Any:
    command = [*prefix, sys.executable, str(Path(__file__).resolve()), "--child", mode, str(path)]
    steal_before, total_before = _cpu_times()
    done = subprocess.run(
        [*command, *(extra or [])], check=True, capture_output=True, text=True, cwd=ROOT
    )
    steal_after, total_after = _cpu_times()
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    elapsed = total_after - total_before
    result["steal_pct"] = round(100 * (steal_after - steal_before) / elapsed, 1) if elapsed else 0
    return result


# --------------------------------------------------------------------------- report


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


def summarize(runs: list[dict[str, Any]], lines: int) -> dict[str, Any]:
    seconds = statistics.median(r["seconds"] for r in runs)
    out: dict[str, Any] = {
        "runs_s": [round(r["seconds"], 4) for r in runs],
        "steal_pct": [r["steal_pct"] for r in runs],
        "median_s": round(seconds, 4),
        "events_per_s": round(lines / seconds),
        "peak_rss_mib": round(max(r["peak_rss"] for r in runs) / MIB, 1),
    }
    if "evaluate_s" in runs[0]:
        evaluate = statistics.median(r["evaluate_s"] for r in runs)
        apply_s = statistics.median(r["seconds"] - r["evaluate_s"] for r in runs)
        out["evaluate_median_s"] = round(evaluate, 4)
        out["apply_median_s"] = round(apply_s, 4)
        out["apply_events_per_s"] = round(lines / apply_s)
        out["serialize_median_s"] = round(statistics.median(r["serialize_s"] for r in runs), 4)
        last = runs[-1]
        for key in ("valid", "rejected", "stats", "records", "accounts", "output_bytes"):
            out[key] = last[key]
    return out


def _runs(part: dict[str, Any]) -> str:
    return "/".join(f"{s:.1f}" for s in part["runs_s"])


def print_table(result: dict[str, Any]) -> None:
    base, rep = result["baseline"], result["replay"]
    pinned = result["pinned_cpu"]
    print(
        f"\nreplay benchmark: {result['lines']:,} lines ({result['bytes'] / MIB:.0f} MiB), "
        f"{result['accounts']} accounts, Python {result['python']}, "
        f"{'pinned to cpu ' + str(pinned) if pinned is not None else 'not pinned'}, "
        f"median of {result['repeat']}"
    )
    rows = [
        ("part", "median s", "runs s", "events/s", "peak RSS"),
        (
            "baseline (json.loads)",
            f"{base['median_s']:.2f}",
            _runs(base),
            f"{base['events_per_s']:,}",
            f"{base['peak_rss_mib']:.0f} MiB",
        ),
        (
            "replay (total)",
            f"{rep['median_s']:.2f}",
            _runs(rep),
            f"{rep['events_per_s']:,}",
            f"{rep['peak_rss_mib']:.0f} MiB",
        ),
        ("  apply (parse+engine)", f"{rep['apply_median_s']:.2f}", "", "", ""),
        ("  evaluate", f"{rep['evaluate_median_s']:.2f}", "", "", ""),
        ("records to JSON (extra)", f"{rep['serialize_median_s']:.2f}", "", "", ""),
    ]
    rows[3] = (*rows[3][:3], f"{rep['apply_events_per_s']:,}", "")
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    for row in rows:
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        print("  ".join(cells).rstrip())
    stats = rep["stats"]
    steal = max(base["steal_pct"] + rep["steal_pct"])
    print(
        f"ratio replay/baseline: {result['ratio']:.3f} "
        f"(baseline is {1 / result['ratio']:.1f}x faster); max CPU steal {steal}%\n"
        f"records: {rep['records']:,} for {rep['accounts']} accounts; valid {rep['valid']:,}, "
        f"rejected {rep['rejected']:,}, duplicates {stats.get('duplicate', 0):,}, "
        f"late {stats.get('late', 0):,}"
    )
    goals = result["goals"]
    print(
        f"goals: replay >= {GOAL_EVENTS_PER_S:,} ev/s on one core: "
        f"{'PASS' if goals['throughput'] else 'FAIL'}; peak RSS < 1 GiB: "
        f"{'PASS' if goals['peak_rss'] else 'FAIL'}"
    )


def print_profile(prof: Path, top: int) -> None:
    import pstats

    for order in ("tottime", "cumulative"):
        print(f"\n--- cProfile of one replay, top {top} by {order} ({prof.relative_to(ROOT)})")
        pstats.Stats(str(prof), stream=sys.stdout).strip_dirs().sort_stats(order).print_stats(top)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000, help="log size (lines)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement")
    parser.add_argument("--accounts", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--regenerate", action="store_true", help="ignore the cached log")
    parser.add_argument("--no-pin", action="store_true", help="do not pin to one core")
    parser.add_argument("--profile", action="store_true", help="add one cProfile'd replay")
    parser.add_argument("--top", type=int, default=30, help="profile rows to print")
    parser.add_argument("--out", default=str(OUT / "replay.json"))
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--profile-to", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        mode, path = args.child
        if mode == "baseline":
            print(json.dumps(child_baseline(path)))
        else:
            print(json.dumps(child_replay(path, args.profile_to)))
        return 0

    path, meta = dataset(args.events, args.seed, args.accounts, args.regenerate)
    prefix, cpu = _pin_prefix(not args.no_pin)
    baseline_runs: list[dict[str, Any]] = []
    replay_runs: list[dict[str, Any]] = []
    for i in range(args.repeat):  # interleaved, so drift hits both alike
        baseline_runs.append(run_child("baseline", path, prefix))
        print(f"run {i + 1}: baseline {baseline_runs[-1]['seconds']:.2f}s", file=sys.stderr)
        replay_runs.append(run_child("replay", path, prefix))
        print(f"run {i + 1}: replay {replay_runs[-1]['seconds']:.2f}s", file=sys.stderr)
    lines = meta["lines"]
    baseline = summarize(baseline_runs, lines)
    replayed = summarize(replay_runs, lines)
    ratio = replayed["events_per_s"] / baseline["events_per_s"]
    result: dict[str, Any] = {
        "file": str(path.relative_to(ROOT)),
        "lines": lines,
        "bytes": meta["bytes"],
        "accounts": meta["accounts"],
        "dataset": meta,
        "repeat": args.repeat,
        "pinned_cpu": cpu,
        "python": platform.python_version(),
        "cpu_model": _cpu_model(),
        "git_commit": _git_commit(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "baseline": baseline,
        "replay": replayed,
        "ratio": round(ratio, 4),
        "goals": {
            "throughput": replayed["events_per_s"] >= GOAL_EVENTS_PER_S,
            "peak_rss": max(r["peak_rss"] for r in replay_runs) < GOAL_PEAK_RSS,
        },
    }
    if args.profile:
        prof = OUT / "replay.prof"
        run_child("replay", path, prefix, ["--profile-to", str(prof)])
        result["profile"] = str(prof.relative_to(ROOT))
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print_table(result)
    print(f"result: {args.out}")
    if args.profile:
        print_profile(OUT / "replay.prof", args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
