"""CI's short chaos run: one seed (printed; SOCIALKPI_CHAOS_SEED replays it), a small log,
SIGKILLs, a second worker, a broker stop and kill, Redis wipes: zero problems."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from tests.local_broker import LocalBroker

from .scenario import Plan, run_seed

pytestmark = pytest.mark.integration


async def test_short_chaos_run_ends_exactly_as_replay(redis_url: str, tmp_path: Path) -> None:
    seed = int(os.environ.get("SOCIALKPI_CHAOS_SEED") or random.randrange(100_000))
    print(f"chaos seed {seed} (rerun: SOCIALKPI_CHAOS_SEED={seed})")
    broker = LocalBroker.plaintext(tmp_path / "broker")
    broker.start()
    try:
        outcome = await run_seed(seed, Plan.of(short=True), broker, redis_url, tmp_path)
    finally:
        broker.stop()
    print(outcome.line())
    assert outcome.kills > 0 and outcome.broker_kills == 1
    assert outcome.verdict.problems == 0, (outcome.line(), outcome.verdict.examples)
