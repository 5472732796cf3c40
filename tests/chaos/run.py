"""`make chaos`: seeded chaos runs against a broker of their own; exits 1 on any problem.

    .venv/bin/python -m tests.chaos.run --seeds 30 [--first 1] [--short]

Each seed prints one line (what was done to the workers, broker and Redis; what the
checker found). Rerun one seed with `--first N --seeds 1`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

from tests.local_broker import LocalBroker

from .scenario import Plan, run_seed

DEFAULT_REDIS = "redis://127.0.0.1:16379/0"


async def main(seeds: list[int], short: bool, workdir: Path) -> int:
    redis_url = os.environ.get("SOCIALKPI_REDIS_URL", DEFAULT_REDIS)
    failed = 0
    for seed in seeds:
        # A broker per seed: a run SIGKILLs it, and nothing of one run leaks into the next.
        broker = LocalBroker.plaintext(workdir / f"broker-{seed}")
        await asyncio.to_thread(broker.start)
        try:
            outcome = await run_seed(seed, Plan.of(short), broker, redis_url, workdir)
        finally:
            broker.stop()
        print(outcome.line(), flush=True)
        for example in outcome.verdict.examples:
            print(f"    {example}", flush=True)
        if outcome.verdict.problems:
            failed += 1
    print(f"chaos: {len(seeds) - failed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--first", type=int, default=int(time.time()) % 100_000)
    parser.add_argument("--short", action="store_true", help="CI's small variant")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="socialkpi-chaos-"))
    print(f"chaos: seeds {args.first}..{args.first + args.seeds - 1}, logs in {workdir}")
    seeds = list(range(args.first, args.first + args.seeds))
    sys.exit(asyncio.run(main(seeds, args.short, workdir)))
