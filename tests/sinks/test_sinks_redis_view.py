"""The Redis view on the real Redis: write, read back, replace atomically, TTLs, privacy."""

from __future__ import annotations

import argparse
import io
import json
import re
from collections.abc import AsyncIterator, Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import redis
import redis.asyncio as aioredis
from pydantic import SecretStr
from sink_data import AS_OF, INVITEE_IDS, MEMBER_IDS, full_details, full_records

from cli.show import AccountNotFound, add_show_parser, show
from kpis.replay import replay
from kpis.timeutil import parse_ts
from models.records import KpiRecord
from sinks.privacy import Privacy, RevealError, generate_key, reveal
from sinks.redis.client import redact_url
from sinks.redis.documents import record_field
from sinks.redis.keys import KeySchema, encode_id
from sinks.redis.reader import RedisViewReader
from sinks.redis.writer import RedisView
from sinks.settings import SinkSettings

pytestmark = pytest.mark.integration

SAMPLE = Path(__file__).resolve().parents[2] / "cli" / "sample" / "events.jsonl"
TTL = 120
MEMBER_FIELDS = ("actor_id", "invitee_id", "recipient_id", "sender_id", "prospect_id")


@pytest.fixture
def privacy(pseudonym_key: str, reveal_key: str) -> Privacy:
    return Privacy(pseudonym_key, reveal_key)


@pytest.fixture
async def view(
    redis_url: str, redis_prefix: str, privacy: Privacy, redis_client: aioredis.Redis
) -> AsyncIterator[RedisView]:
    """A RedisView under this test's prefix (``redis_client`` cleans the keys afterwards)."""
    client = aioredis.Redis.from_url(redis_url)
    writer = RedisView(client, privacy, prefix=redis_prefix, ttl_s=TTL, worker_id="w-1")
    yield writer
    await writer.close()


@pytest.fixture
def reader(redis_url: str, redis_prefix: str) -> Iterable[RedisViewReader]:
    settings = SinkSettings(redis_url=SecretStr(redis_url), redis_prefix=redis_prefix)
    r = RedisViewReader.from_settings(settings)
    yield r
    r.close()


async def all_keys(client: aioredis.Redis, prefix: str) -> list[str]:
    return sorted([k async for k in client.scan_iter(match=f"{prefix}*", count=1000)])


async def dump(client: aioredis.Redis, prefix: str) -> str:
    """Every key, field, member and value under the prefix, as one text."""
    parts: list[str] = []
    for key in await all_keys(client, prefix):
        parts.append(key)
        kind = await client.type(key)
        if kind == "string":
            parts.append(str(await client.get(key)))
        elif kind == "hash":
            for name, value in (await client.hgetall(key)).items():
                parts += [name, value]
        elif kind == "zset":
            parts += [str(m) for m in await client.zrange(key, 0, -1)]
        else:
            raise AssertionError(f"unexpected key type {kind} for {key}")
    return "\n".join(parts)


async def publish_all(
    view: RedisView, records: list[KpiRecord], details: Any, summary: dict[str, Any] | None = None
) -> None:
    accounts = sorted({r.account_id for r in records})
    for account in accounts:
        await view.publish(account, [r for r in records if r.account_id == account], details)
    await view.flush(summary or {"evaluations": 1})


# --------------------------------------------------------------------------- write + read


async def test_publish_and_read_back(
    view: RedisView, reader: RedisViewReader, privacy: Privacy, reveal_key: str
) -> None:
    records = full_records("rep-7")
    await publish_all(view, records, full_details(), {"evaluations": 3, "worker_id": "w-1"})

    assert reader.accounts() == ["rep-7"]
    assert reader.records("rep-7") == records  # exact, money back as Decimal
    spend = reader.record(
        "rep-7",
        "ad_spend",
        "day:2026-11-20",
        {"campaign_id": "cmp-1", "creative_id": "crv-1", "format": "video", "currency": "EUR"},
    )
    assert spend is not None and spend.value == Decimal("18.40")
    assert [r.period for r in reader.records("rep-7", kpi="invitations_sent")] == [
        "day:2026-11-19",
        "day:2026-11-20",
        "month:2026-10",
        "month:2026-11",
        "rolling_24h",
        "week:2026-W46",
        "week:2026-W47",
    ]

    curve = reader.curve("rep-7", "post-2")
    assert curve is not None
    assert [h["hour"] for h in curve["hours"]] == [0, 1, 2, 3, 4]
    assert curve["hours"][1] == {
        "hour": 1,
        "views": 99,
        "interactions": 1,
        "cumulative_views": 199,
        "cumulative_interactions": 1,
    }
    assert curve["totals"]["views"] == 100 + 99 + 98 + 97 + 96
    assert curve["long_lived"] is False
    assert len(reader.curves("rep-7")["post-1"]["hours"]) == 48

    prospects = reader.warm_prospects("rep-7")
    assert [(p.rank, p.interactions) for p in prospects] == [(1, 9), (2, 5), (3, 5)]
    assert prospects[0].pseudonym == privacy.pseudonymize(MEMBER_IDS[0])
    assert prospects[0].invite_to_connect and prospects[0].degree == 2
    tied = sorted([privacy.pseudonymize(MEMBER_IDS[1]), privacy.pseudonymize(MEMBER_IDS[2])])
    assert [p.pseudonym for p in prospects[1:]] == tied  # ties ranked by pseudonym
    by_pseudonym = {p.pseudonym: p for p in prospects}
    assert by_pseudonym[privacy.pseudonymize(MEMBER_IDS[1])].invite_to_connect is False
    assert by_pseudonym[privacy.pseudonymize(MEMBER_IDS[2])].invite_to_connect is True
    assert by_pseudonym[privacy.pseudonymize(MEMBER_IDS[2])].degree is None
    revealed = {reveal(p.encrypted_id or "", reveal_key, "rep-7") for p in prospects}
    assert revealed == set(MEMBER_IDS)

    stale = reader.stale_invitations("rep-7")
    assert [(s.invitation_id, s.days_pending) for s in stale] == [
        ("inv-older", 40),
        ("inv-old", 30),
    ]
    assert stale[0].invitee_pseudonym == privacy.pseudonymize(INVITEE_IDS[1])
    assert reveal(stale[0].invitee_encrypted_id or "", reveal_key, "rep-7") == INVITEE_IDS[1]
    assert stale[1].sent_at == "2026-10-21T12:00:00Z"

    meta = reader.meta("rep-7")
    assert meta is not None
    assert meta["as_of"] == AS_OF and meta["records"] == len(records)
    assert meta["warm_prospects"] == 3 and meta["stale_invitations"] == 2
    assert meta["revealable"] is True and meta["posts_with_curves"] == 2

    workers = reader.workers()
    assert workers["w-1"]["evaluations"] == 3 and "flushed_at" in workers["w-1"]


async def test_hash_field_schema(
    view: RedisView, redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    records = full_records("rep-7")
    await publish_all(view, records, full_details())
    key = f"{redis_prefix}{{rep-7}}:kpis"
    stored = await redis_client.hgetall(key)
    assert set(stored) == {record_field(r) for r in records}
    field = "invitation_acceptance_rate|rolling_96h|{}"
    assert json.loads(stored[field]) == {
        "account_id": "rep-7",
        "kpi": "invitation_acceptance_rate",
        "period": "rolling_96h",
        "dims": {},
        "value": 0.25,
        "as_of": AS_OF,
    }
    spend = stored[
        'ad_spend|day:2026-11-20|{"campaign_id":"cmp-1","creative_id":"crv-1",'
        '"currency":"EUR","format":"video"}'
    ]
    assert json.loads(spend)["value"] == "18.40"  # money is a decimal string
    assert await all_keys(redis_client, redis_prefix) == sorted(
        [
            f"{redis_prefix}accounts",
            f"{redis_prefix}workers",
            f"{redis_prefix}worker:w-1",
            f"{redis_prefix}view:w-1",  # the view marker (a wiped view is noticed)
            *KeySchema(redis_prefix).account_keys("rep-7"),
        ]
    )


async def test_ttls_on_every_key(
    view: RedisView, redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    await publish_all(view, full_records("rep-7") + full_records("rep-8"), full_details())
    keys = await all_keys(redis_client, redis_prefix)
    assert len(keys) == 4 + 2 * 5  # accounts, workers, worker:w-1, view:w-1 + 5 per account
    for key in keys:
        ttl = await redis_client.ttl(key)
        assert 0 < ttl <= TTL, (key, ttl)


async def test_republish_replaces_the_snapshot(
    view: RedisView, reader: RedisViewReader, redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    await publish_all(view, full_records("rep-7"), full_details())
    before = await redis_client.hlen(f"{redis_prefix}{{rep-7}}:kpis")

    smaller = [
        KpiRecord("rep-7", "invitations_sent", "rolling_24h", 4, AS_OF),
        KpiRecord("rep-7", "connections", "latest", 813, AS_OF),
    ]
    await publish_all(view, smaller, {"warm_prospects": [], "stale_invitations": []})

    assert reader.records("rep-7") == sorted(smaller, key=KpiRecord.sort_key)
    assert await redis_client.hlen(f"{redis_prefix}{{rep-7}}:kpis") == 2 < before
    # Kinds with nothing left are gone (no stale curve, no empty list), and no temp key stays.
    keys = await all_keys(redis_client, redis_prefix)
    schema = KeySchema(redis_prefix)
    assert schema.curves("rep-7") not in keys
    assert schema.warm_prospects("rep-7") not in keys
    assert schema.stale_invitations("rep-7") not in keys
    assert not [k for k in keys if ":tmp:" in k]
    assert reader.curves("rep-7") == {} and reader.warm_prospects("rep-7") == []
    assert 0 < await redis_client.ttl(schema.kpis("rep-7")) <= TTL

    # An account that publishes no record at all keeps only its meta (and stays indexed).
    await view.publish("rep-7", [], None)
    await view.flush({})
    assert reader.records("rep-7") == []
    assert schema.kpis("rep-7") not in await all_keys(redis_client, redis_prefix)
    meta = reader.meta("rep-7")
    assert meta is not None and meta["records"] == 0


async def test_publishing_twice_is_idempotent(
    view: RedisView, redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    records = full_records("rep-7")
    await publish_all(view, records, full_details())
    first = await redis_client.hgetall(f"{redis_prefix}{{rep-7}}:kpis")
    await publish_all(view, records, full_details())
    assert await redis_client.hgetall(f"{redis_prefix}{{rep-7}}:kpis") == first


async def test_wiped_redis_is_refilled(
    view: RedisView, reader: RedisViewReader, redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    records = full_records("rep-7")
    await publish_all(view, records, full_details())
    keys = await all_keys(redis_client, redis_prefix)
    await redis_client.delete(*keys)
    assert reader.snapshot("rep-7") is None and reader.accounts() == []
    await publish_all(view, records, full_details())
    assert await all_keys(redis_client, redis_prefix) == keys
    assert reader.records("rep-7") == records
    assert len(reader.warm_prospects("rep-7")) == 3


async def test_one_pipeline_per_flush_even_in_batches(
    redis_url: str, redis_prefix: str, privacy: Privacy, redis_client: aioredis.Redis
) -> None:
    client = aioredis.Redis.from_url(redis_url)
    view = RedisView(client, privacy, prefix=redis_prefix, ttl_s=TTL, batch_commands=10)
    created: list[Any] = []
    executed: list[int] = []
    make_pipeline = client.pipeline

    def counting_pipeline(*args: Any, **kwargs: Any) -> Any:
        pipe = make_pipeline(*args, **kwargs)
        real_execute = pipe.execute

        async def execute(*a: Any, **k: Any) -> Any:
            executed.append(len(pipe))
            return await real_execute(*a, **k)

        pipe.execute = execute
        created.append(pipe)
        return pipe

    client.pipeline = counting_pipeline  # type: ignore[method-assign]
    try:
        records = [r for n in range(6) for r in full_records(f"rep-{n}")]
        await publish_all(view, records, full_details())
        assert len(created) == 1  # one pipeline for the whole evaluation
        assert len(executed) > 1  # sent in batches (batch_commands=10)
        sync = redis.Redis.from_url(redis_url, decode_responses=True)
        reader = RedisViewReader(sync, redis_prefix)
        try:
            assert reader.accounts() == [f"rep-{n}" for n in range(6)]
            assert reader.records("rep-3") == full_records("rep-3")
        finally:
            reader.close()
    finally:
        await view.close()


async def test_no_member_id_in_clear_anywhere(
    view: RedisView, redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    await publish_all(view, full_records("rep-7"), full_details())
    # The worker's current mapping shape is accepted too (ids as actor_id / bare ids).
    mapping_details = {
        "warm_prospects": [
            {"actor_id": MEMBER_IDS[0], "interactions": 6, "invite_to_connect": True}
        ],
        "stale_pending_invitations": ["inv-x"],
    }
    await publish_all(view, full_records("rep-8"), mapping_details)
    text = await dump(redis_client, redis_prefix)
    assert "m_" in text and "inv-older" in text and "inv-x" in text
    for member_id in (*MEMBER_IDS, *INVITEE_IDS):
        assert member_id not in text


async def test_without_privacy_member_lists_are_not_written(
    redis_url: str, redis_prefix: str, redis_client: aioredis.Redis, reader: RedisViewReader
) -> None:
    view = RedisView(aioredis.Redis.from_url(redis_url), None, prefix=redis_prefix, ttl_s=TTL)
    try:
        await publish_all(view, full_records("rep-7"), full_details())
    finally:
        await view.close()
    text = await dump(redis_client, redis_prefix)
    for member_id in (*MEMBER_IDS, *INVITEE_IDS):
        assert member_id not in text
    assert reader.warm_prospects("rep-7") == [] and reader.stale_invitations("rep-7") == []
    meta = reader.meta("rep-7")
    assert meta is not None and meta["member_lists"] is False
    table = show(redis_url, "rep-7", prefix=redis_prefix)
    assert "not published: the worker has no pseudonym key" in table


async def test_odd_account_ids_get_distinct_keys(view: RedisView, reader: RedisViewReader) -> None:
    odd = ["a", "a:kpis", "a}:b{", "rép 7/x", "50%"]
    records = [KpiRecord(a, "connections", "latest", n, AS_OF) for n, a in enumerate(odd)]
    await publish_all(view, records, None)
    assert reader.accounts() == sorted(odd)
    for n, account in enumerate(odd):
        assert [r.value for r in reader.records(account)] == [n]
    assert encode_id("a}:b{") == "a%7D%3Ab%7B"


# --------------------------------------------------------------------------- show


async def test_show_table_and_json(
    view: RedisView, redis_url: str, redis_prefix: str, privacy: Privacy, reveal_key: str
) -> None:
    await publish_all(view, full_records("rep-7"), full_details())

    table = show(redis_url, "rep-7", prefix=redis_prefix)
    assert table.startswith("Account rep-7\n")
    assert f"as of {AS_OF}" in table
    for heading in ("invitations_sent", "ad_spend", "Warm prospects (3)", "Stale invitations (2)"):
        assert re.search(rf"^{re.escape(heading)}", table, re.M), heading
    assert "Post curves, 48 hours after publication (2 posts)" in table
    assert "campaign_id=cmp-1, creative_id=crv-1, currency=EUR, format=video  18.40" in table
    assert privacy.pseudonymize(MEMBER_IDS[0]) in table
    assert "invite to connect" in table and "message (1st degree)" in table
    for member_id in (*MEMBER_IDS, *INVITEE_IDS):
        assert member_id not in table
    assert "post_hourly_views" not in table  # curves are shown as curves, not raw rows

    revealed = show(redis_url, "rep-7", prefix=redis_prefix, reveal_key=reveal_key)
    for member_id in (*MEMBER_IDS, *INVITEE_IDS):
        assert member_id in revealed

    data = json.loads(show(redis_url, "rep-7", as_json=True, prefix=redis_prefix))
    assert data["account_id"] == "rep-7" and data["meta"]["as_of"] == AS_OF
    kpis = {r["kpi"] for r in data["records"]}
    assert "ad_spend" in kpis and "post_hourly_views" not in kpis
    assert set(data["curves"]) == {"post-1", "post-2"}
    assert data["warm_prospects"][0] == {
        "rank": 1,
        "pseudonym": privacy.pseudonymize(MEMBER_IDS[0]),
        "interactions": 9,
        "degree": 2,
        "invite_to_connect": True,
    }
    assert data["stale_invitations"][0]["days_pending"] == 40
    text = json.dumps(data)
    for member_id in (*MEMBER_IDS, *INVITEE_IDS):
        assert member_id not in text

    data = json.loads(
        show(redis_url, "rep-7", as_json=True, prefix=redis_prefix, reveal_key=reveal_key)
    )
    assert data["warm_prospects"][0]["member_id"] == MEMBER_IDS[0]
    assert data["stale_invitations"][0]["invitee_id"] == INVITEE_IDS[1]


async def test_show_one_kpi(view: RedisView, redis_url: str, redis_prefix: str) -> None:
    await publish_all(view, full_records("rep-7"), full_details())
    table = show(redis_url, "rep-7", kpi="invitations_sent", prefix=redis_prefix)
    assert "invitations_sent" in table and "ad_spend" not in table
    assert "Warm prospects" not in table and "Post curves" not in table
    text = show(redis_url, "rep-7", kpi="warm_prospects", as_json=True, prefix=redis_prefix)
    data = json.loads(text)
    assert [r["kpi"] for r in data["records"]] == ["warm_prospects"]
    assert len(data["warm_prospects"]) == 3 and "stale_invitations" not in data
    data = json.loads(
        show(redis_url, "rep-7", kpi="post_hourly_views", as_json=True, prefix=redis_prefix)
    )
    assert len(data["records"]) == 48 + 5 and set(data["curves"]) == {"post-1", "post-2"}
    missing = show(redis_url, "rep-7", kpi="no_such_kpi", prefix=redis_prefix)
    assert "(no record of KPI 'no_such_kpi')" in missing


async def test_show_wrong_key_and_unknown_account_fail_cleanly(
    view: RedisView, redis_url: str, redis_prefix: str
) -> None:
    await publish_all(view, full_records("rep-7"), full_details())
    with pytest.raises(RevealError, match="reveal key"):
        show(redis_url, "rep-7", prefix=redis_prefix, reveal_key=generate_key())
    with pytest.raises(AccountNotFound, match="rep-404"):
        show(redis_url, "rep-404", prefix=redis_prefix)


async def test_show_cli_handler(
    view: RedisView,
    redis_url: str,
    redis_prefix: str,
    reveal_key: str,
    clean_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await publish_all(view, full_records("rep-7"), full_details())
    parser = argparse.ArgumentParser(prog="socialkpi")
    add_show_parser(parser.add_subparsers(dest="command", required=True))

    def run(*argv: str) -> int:
        args = parser.parse_args(["show", *argv])
        return int(args.func(args))

    clean_env.setenv("SOCIALKPI_REDIS_URL", redis_url)
    clean_env.setenv("SOCIALKPI_REDIS_PREFIX", redis_prefix)
    assert run("rep-7", "--kpi", "connections") == 0
    assert "connections" in capsys.readouterr().out

    assert run("rep-7", "--reveal") == 2  # no SOCIALKPI_REVEAL_KEY
    assert "SOCIALKPI_REVEAL_KEY" in capsys.readouterr().err

    clean_env.setenv("SOCIALKPI_REVEAL_KEY", reveal_key)
    assert run("rep-7", "--reveal", "--json") == 0
    assert json.loads(capsys.readouterr().out)["warm_prospects"][0]["member_id"] == MEMBER_IDS[0]

    clean_env.setenv("SOCIALKPI_REVEAL_KEY", generate_key())
    assert run("rep-7", "--reveal") == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "cannot reveal" in captured.err

    assert run("rep-404") == 1
    err = capsys.readouterr().err
    assert "no snapshot for account 'rep-404'" in err and "published: rep-7" in err

    assert run() == 0  # no ACCOUNT: the published accounts
    assert capsys.readouterr().out == "rep-7\n"
    assert run("--json") == 0
    assert json.loads(capsys.readouterr().out) == ["rep-7"]
    assert run("--prefix", "nothing-here:") == 1
    assert "no account published" in capsys.readouterr().err

    assert run("rep-7", "--redis-url", "redis://:hunter2@127.0.0.1:1/0") == 1
    err = capsys.readouterr().err
    assert "hunter2" not in err and "redis://:***@127.0.0.1:1/0" in err


def test_redact_url() -> None:
    assert redact_url("rediss://user:pw@host:6380/1") == "rediss://user:***@host:6380/1"
    assert redact_url("redis://127.0.0.1:16379/0") == "redis://127.0.0.1:16379/0"


# --------------------------------------------------------------------------- real engine


async def test_engine_records_and_details_end_to_end(
    view: RedisView,
    reader: RedisViewReader,
    redis_client: aioredis.Redis,
    redis_prefix: str,
    redis_url: str,
    reveal_key: str,
) -> None:
    """The bundled sample through the engine: same records back, no member id in clear."""
    records, _, engine = replay([str(SAMPLE)], errors=io.StringIO())
    as_of = parse_ts(records[0].as_of)
    accounts = sorted({r.account_id for r in records})
    for account in accounts:
        mine = [r for r in records if r.account_id == account]
        await view.publish(account, mine, engine.details(account, as_of))
    await view.flush({"evaluations": 1})

    assert reader.accounts() == accounts
    for account in accounts:
        assert reader.records(account) == [r for r in records if r.account_id == account]
        details = engine.details(account, as_of)
        assert len(reader.warm_prospects(account)) == len(details.warm_prospects)
        assert len(reader.stale_invitations(account)) == len(details.stale_invitations)

    member_ids: set[str] = set()
    for line in SAMPLE.read_text(encoding="utf-8").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        member_ids |= {event[f] for f in MEMBER_FIELDS if isinstance(event.get(f), str)}
    assert len(member_ids) > 100
    text = await dump(redis_client, redis_prefix)
    leaked = sorted(m for m in member_ids if m in text)
    assert leaked == []

    revealed = show(redis_url, accounts[0], prefix=redis_prefix, reveal_key=reveal_key)
    first = engine.details(accounts[0], as_of).warm_prospects
    assert first and all(p.actor_id in revealed for p in first)
