"""Delta publication: on the real Redis, after a full publication only what changed is
written, and the view read back (`socialkpi show`'s reader) equals the full evaluation at
every tick; an unchanged account is not written; a wiped view asks for a refill; idle
accounts keep their keys (TTLs renewed). The gauges fed with deltas equal the gauges fed
with every record."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator

import pytest
import redis.asyncio as aioredis
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from gen.synthetic import RAW_LINE, GeneratorConfig, event_line, generate_events
from kpis import Engine
from kpis.incremental import AccountEvaluation
from kpis.timeutil import HOUR_US, format_ts, parse_ts, to_us
from models import EventRejected, parse_event
from models.events import Event
from models.records import KpiRecord, RecordKey
from sinks.privacy import Privacy, generate_key
from sinks.prometheus.exporter import PrometheusExporter
from sinks.redis.documents import build_curves, build_prospects, build_stale
from sinks.redis.reader import RedisViewReader
from sinks.redis.writer import RedisView
from sinks.settings import SinkSettings
from tests.unit.helpers import ACCOUNT, parse, sent

pytestmark = pytest.mark.integration

TTL = 600
Labels = tuple[tuple[str, str], ...]


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def view(
    redis_url: str, redis_prefix: str, redis_client: aioredis.Redis, clock: Clock
) -> AsyncIterator[RedisView]:
    privacy = Privacy(generate_key(), generate_key())
    client = aioredis.Redis.from_url(redis_url)
    writer = RedisView(client, privacy, prefix=redis_prefix, ttl_s=TTL, worker_id="w", clock=clock)
    yield writer
    await writer.close()


@pytest.fixture
def reader(redis_url: str, redis_prefix: str) -> Iterator[RedisViewReader]:
    settings = SinkSettings(redis_url=SecretStr(redis_url), redis_prefix=redis_prefix)
    r = RedisViewReader.from_settings(settings)
    yield r
    r.close()


def events() -> list[Event]:
    out: list[Event] = []
    config = GeneratorConfig(invalid_rate=0.0)
    for event in generate_events(5, 3, 6, start="2026-11-10", config=config):
        if RAW_LINE in event:
            continue
        try:
            out.append(parse_event(event_line(event)))
        except EventRejected:
            continue
    return sorted(out, key=lambda e: (e.occurred_at, e.event_id))


async def tick(engine: Engine, view: RedisView, clock: Clock, now: int) -> dict[str, bool]:
    """One worker evaluation: every due account to the view, then the flush."""
    engine.advance(now)
    changed = {}
    for account in engine.due_accounts(now):
        evaluation = engine.evaluate_account(account, now)
        account_view = engine.account_view(account)
        assert account_view is not None
        await view.publish_evaluation(evaluation, account_view)
        changed[account] = evaluation.changed
    clock.now += 1
    await view.flush({"worker_id": "w", "last_evaluation_at": format_ts(now)})
    return changed


def check_view(engine: Engine, reader: RedisViewReader, now: int, privacy: Privacy | None) -> None:
    assert privacy is not None
    expected = engine.evaluate(now)
    for account in sorted({r.account_id for r in expected}):
        mine = [r for r in expected if r.account_id == account]
        snapshot = reader.snapshot(account)
        assert snapshot is not None
        assert snapshot.meta["as_of"] == format_ts(now)
        assert sorted(snapshot.records, key=KpiRecord.sort_key) == sorted(
            mine, key=KpiRecord.sort_key
        )
        assert snapshot.meta["records"] == len(mine)
        assert snapshot.curves == json.loads(json.dumps(build_curves(mine)))
        details = engine.details(account, now)
        prospects = build_prospects(details, account, privacy)
        assert [(p.rank, p.pseudonym) for p in snapshot.warm_prospects] == [
            (p.rank, p.pseudonym) for p in prospects
        ]
        stale = build_stale(details, account, privacy, now)
        assert [(s.invitation_id, s.days_pending) for s in snapshot.stale_invitations] == [
            (s.invitation_id, s.days_pending) for s in stale
        ]


async def test_deltas_keep_the_view_equal_to_the_full_evaluation(
    view: RedisView, reader: RedisViewReader, clock: Clock, redis_client: aioredis.Redis
) -> None:
    log = events()
    now = parse_ts("2026-11-10T00:00:00Z")  # the generator's first day (late events before)
    engine = Engine.live(now)
    fed = 0
    for _step in range(44):  # the 6 days in steps of 6 h, then 5 days with no event
        now += 6 * HOUR_US
        while fed < len(log) and to_us(log[fed].occurred_at) <= now:
            engine.apply(log[fed])
            fed += 1
        await tick(engine, view, clock, now)
        check_view(engine, reader, now, view.privacy)
    assert fed == len(log)
    # A second with nothing due: nothing is written (the meta keeps its publication time).
    metas = {a: reader.meta(a) for a in reader.accounts()}
    changed = await tick(engine, view, clock, now + 1)
    assert not any(changed.values())
    assert {a: reader.meta(a) for a in reader.accounts()} == metas
    check_view(engine, reader, now + 1, view.privacy)


async def test_a_wiped_view_asks_for_a_refill_and_idle_accounts_keep_their_keys(
    view: RedisView,
    reader: RedisViewReader,
    clock: Clock,
    redis_client: aioredis.Redis,
    redis_prefix: str,
) -> None:
    log = events()[:400]
    now = to_us(log[-1].occurred_at)
    engine = Engine.live(now)
    for event in log:
        engine.apply(event)
    await tick(engine, view, clock, now)
    assert not view.refill_needed()
    accounts = reader.accounts()
    assert accounts
    # Idle for 40 % of the TTL: the flush renews every key of every account.
    key = f"{redis_prefix}{{{accounts[0]}}}:kpis"
    await redis_client.expire(key, 10)
    clock.now += TTL * 0.4
    await view.flush({"worker_id": "w"})
    assert await redis_client.ttl(key) > TTL - 10
    assert reader.accounts() == accounts  # still listed
    # Everything under the prefix gone (FLUSHALL, a restarted Redis): noticed at the flush.
    await redis_client.unlink(*[k async for k in redis_client.scan_iter(f"{redis_prefix}*")])
    await view.flush({"worker_id": "w"})
    assert view.refill_needed()
    assert not view.refill_needed()  # asking clears it


async def test_a_post_gone_and_a_record_deleted_leave_the_view(
    view: RedisView, reader: RedisViewReader, clock: Clock
) -> None:
    """What the engine reports gone (a post past its retention, a ratio with no denominator
    any more) is deleted from the hashes."""
    log = events()
    now = to_us(log[-1].occurred_at)
    engine = Engine.live(now)
    for event in log:
        engine.apply(event)
    await tick(engine, view, clock, now)
    snapshots = [reader.snapshot(a) for a in reader.accounts()]
    snapshot = next(s for s in snapshots if s is not None and s.curves)
    account = snapshot.account_id
    post_id = next(iter(snapshot.curves))
    record = snapshot.records[0]
    account_view = engine.account_view(account)
    assert account_view is not None
    gone = AccountEvaluation(
        account,
        now + 1,
        [],
        [RecordKey(record.kpi, record.period, record.dims)],
        False,
        posts={post_id: None},
    )
    await view.publish_evaluation(gone, account_view)
    await view.flush({"worker_id": "w"})
    after = reader.snapshot(account)
    assert after is not None
    assert post_id not in after.curves and record not in after.records
    assert len(after.records) == len(snapshot.records) - 1


def kpi_samples(
    exporter: PrometheusExporter,
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in exporter.kpis.collect()
        for s in family.samples
    }


async def test_gauges_from_deltas_equal_gauges_from_full_evaluations() -> None:
    """The exporter fed as the worker feeds it (changed accounts, every account again at a
    new UTC day) shows what one fed every record of every account shows, at every tick."""
    log = events()
    now = parse_ts("2026-11-10T03:00:00Z")
    engine = Engine.live(now)
    incremental, reference = (PrometheusExporter(CollectorRegistry()) for _ in range(2))
    fed = 0
    for step in range(120):  # events in 5 h steps, then 3.75 days of hours, mostly idle
        now += 5 * HOUR_US if step < 30 else HOUR_US
        while fed < len(log) and to_us(log[fed].occurred_at) <= now:
            engine.apply(log[fed])
            fed += 1
        engine.advance(now)
        at = format_ts(now)
        due = engine.due_accounts(now)
        for account in due:
            evaluation = engine.evaluate_account(account, now)
            account_view = engine.account_view(account)
            assert account_view is not None
            await incremental.publish_evaluation(evaluation, account_view)
        if incremental.new_day(now):
            for account, _state in engine.store.accounts():
                account_view = engine.account_view(account)
                if account not in due and account_view is not None:
                    incremental.restage(account_view, at)
        everything = engine.evaluate(now)
        for account in sorted({r.account_id for r in everything}):
            records = [r for r in everything if r.account_id == account]
            await reference.publish(account, records, engine.details(account, now))
        for exporter in (incremental, reference):
            await exporter.flush({"last_evaluation_at": at})
        assert kpi_samples(incremental) == kpi_samples(reference), at


async def test_a_new_day_rebuilds_the_gauges_of_accounts_with_nothing_due() -> None:
    """An invitation sent on 11-20; at 11-21 00:00:01 nothing of the account is due, yet its
    `day` gauge must leave (11-20 is no longer the current day)."""
    engine = Engine.live(parse_ts("2026-11-20T10:00:00Z"))
    for event in parse([sent("inv-1", "2026-11-20T10:00:00Z")]):
        engine.apply(event)
    exporter = PrometheusExporter(CollectorRegistry())
    for at in ("2026-11-20T12:00:00Z", "2026-11-21T00:00:01Z"):
        now = parse_ts(at)
        engine.advance(now)
        due = engine.due_accounts(now)
        for account in due:
            evaluation = engine.evaluate_account(account, now)
            account_view = engine.account_view(account)
            assert account_view is not None
            await exporter.publish_evaluation(evaluation, account_view)
        if exporter.new_day(now):
            assert not due, "the case this test is about: nothing due at midnight"
            account_view = engine.account_view(ACCOUNT)
            assert account_view is not None
            exporter.restage(account_view, at)
        await exporter.flush({"last_evaluation_at": at})
        days = {
            dict(labels).get("period")
            for (name, labels) in kpi_samples(exporter)
            if name == "linkedin_invitations_sent"
        }
        assert ("day" in days) == (at.startswith("2026-11-20")), (at, days)
