"""Live = replay with events ahead of the clock (spec, "Time and windows"), on the real broker.

The worker's clock is a file the test writes (`streams.faults.test_clock`): events up to a
day ahead wait in the worker's state and are applied when the clock reaches them; events
further ahead are dead-lettered as future_time. At each step Redis must equal
`replay --as-of <step>`, across a SIGKILL (the waiting events are in the changelog).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from kpis.timeutil import HOUR_US, format_ts, to_us
from streams.faults import CLOCK_FILE

from .harness import (
    WorkerProcess,
    WorkerSetup,
    produce,
    read_topic,
    wait_records,
    worker_status,
)
from .helpers import LogItem, by_account, event_log, replay_records, write_log

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 20, 12, tzinfo=UTC)


@pytest.fixture
def partitions() -> int:
    return 2


def far_future(account: str, n: int) -> LogItem:
    """An invitation sent 3 days after T0: beyond max_future at every step of the test."""
    event = {
        "event_id": f"far-{n}",
        "type": "invitation.sent",
        "occurred_at": format_ts(to_us(T0 + timedelta(days=3, minutes=n))),
        "account_id": account,
        "invitation_id": f"far-inv-{n}",
        "invitee_id": f"far-member-{n}",
        "direction": "outbound",
    }
    return LogItem("invitations", account.encode(), json.dumps(event).encode())


async def test_events_ahead_of_the_clock_wait_and_match_replay_at_each_step(
    setup: WorkerSetup,
    workers: list[WorkerProcess],
    redis_client: aioredis.Redis,
    tmp_path: Path,
) -> None:
    # Two days of events around T0: at the first step half of them are ahead of the clock.
    items = event_log(seed=12, accounts=3, events=None, days=2, start=T0 - timedelta(days=1))
    account = next(item.key for item in items if item.key).decode()
    items += [far_future(account, n) for n in range(3)]
    path = write_log(tmp_path / "log.jsonl", items)
    clock = tmp_path / "clock"
    setup.extra[CLOCK_FILE.removeprefix("SOCIALKPI_")] = str(clock)
    setup.extra["COMMIT_INTERVAL_S"] = "0.5"

    def set_clock(at: int) -> None:
        clock.write_text(format_ts(at))

    start = to_us(T0)
    set_clock(start)
    await produce(setup, items)
    workers.append(WorkerProcess(setup, "worker-0"))
    for step, hours in enumerate((0, 4, 8, 12, 24)):
        at = start + hours * HOUR_US
        set_clock(at)
        expected = by_account(replay_records(path, at))
        await wait_records(redis_client, setup.redis_prefix, expected, workers[-1:], 90)
        pid = workers[-1].proc.pid
        statuses = await worker_status(redis_client, setup.redis_prefix)
        (status,) = [s for s in statuses if s["worker_id"].endswith(f":{pid}")]
        if step == 0:
            assert status["future_events_held"] > 0, status
            # The waiting events survive a SIGKILL: they are in the changelog.
            workers[-1].kill()
            workers.append(WorkerProcess(setup, "worker-1"))
    assert status["future_events_held"] == 0
    assert status["outcomes"]["released"] > 0, status

    # Dead-lettered at least once each (the restarted worker read them again).
    letters = [
        json.loads(m.value)
        for m in await read_topic(setup.bootstrap, setup.dead_letter_topic, 6, 20)
    ]
    assert {letter["kind"] for letter in letters} == {"future_time"}
    assert len({(letter["partition"], letter["offset"]) for letter in letters}) == 3
