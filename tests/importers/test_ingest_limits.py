"""ingest-http never answers 5xx for input (issue 12): deep nesting, NaN and huge numbers,
out-of-range webhook times, malformed JSON, mixed batches, the documented maximum batch,
header and body timeouts; against the real server and broker."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from ingest_kit import AUTH, TOKEN, Ingest, hook, ingest_settings, original, running

from importers.generate import GenerateOptions, synthetic_events
from importers.ingest_batch import Batch
from importers.ingest_judge import judge_events
from importers.settings import IngestSettings

EVENT = {
    "event_id": "lim-1",
    "type": "post.interaction",
    "occurred_at": "2026-11-20T09:00:00Z",
    "account_id": "rep-lim",
    "post_id": "p1",
    "kind": "view",
    "count": 3,
}
DEEP_BODY = b"[" * 200_000
HOOK_URL = "/v1/webhooks/heyreach"


def deep_event(levels: int) -> bytes:
    inner = b"[" * levels + b"]" * levels
    return json.dumps({**EVENT, "event_id": "lim-deep"}).encode()[:-1] + b',"x":' + inner + b"}"


def with_count(literal: str) -> bytes:
    return json.dumps(EVENT).encode().replace(b'"count": 3', b'"count": ' + literal.encode())


def heyreach(timestamp: Any) -> dict[str, Any]:
    payload = hook("heyreach_connection_request_sent")
    payload["timestamp"] = timestamp
    return payload


@pytest.fixture
async def ingest(kafka_bootstrap: str, unique_name: str) -> AsyncIterator[Ingest]:
    settings = ingest_settings(max_body_bytes=1024 * 1024)  # room for [ x 200,000
    async with running(kafka_bootstrap, unique_name, settings) as client:
        yield client


@pytest.mark.integration
async def test_deep_nesting_is_400_too_deep_and_fast(ingest: Ingest) -> None:
    started = time.monotonic()
    for path in ("/v1/events", HOOK_URL):
        status, body = await ingest.post(path, DEEP_BODY)
        assert (status, body["items"][0]["kind"]) == (400, "too_deep"), path
        status, body = await ingest.post(path, deep_event(5000))
        assert (status, body["items"][0]["kind"]) == (400, "too_deep"), path
        status, body = await ingest.post(path, deep_event(40))  # under the parser's own limit
        assert (status, body["items"][0]["kind"]) == (400, "too_deep"), path
    assert time.monotonic() - started < 5
    status, body = await ingest.post("/v1/events", deep_event(31))  # 32 levels: allowed
    assert status == 200, body
    # one valid and one deep event: the valid one counts
    mixed = b"[" + json.dumps(EVENT).encode() + b"," + deep_event(5000) + b"]"
    status, body = await ingest.post("/v1/events", mixed)
    assert status == 207
    assert [i["status"] for i in body["items"]] == ["accepted", "rejected"]
    events, letters = ingest.split(await ingest.kafka(1 + 1 + 6 + 1))
    assert sorted(e["event_id"] for e in events) == ["lim-1", "lim-deep"]
    assert sorted(d["kind"] for d in letters) == ["too_deep"] * 7
    assert {d["index"] for d in letters} == {0, 1}
    webhook = [d for d in letters if d["topic"] == f"http:{HOOK_URL}"]
    assert len(webhook) == 3 and all(original(d) == b"" and d["redacted"] for d in webhook)


@pytest.mark.integration
@pytest.mark.parametrize(
    ("literal", "kind"),
    [
        ("NaN", "invalid_field"),
        ("Infinity", "invalid_field"),
        ("-Infinity", "invalid_field"),
        ("1e400", "invalid_field"),
        ("1" + "0" * 50, "invalid_field"),
        ("1" + "0" * 5000, "malformed_json"),  # past what the JSON parser reads at all
    ],
)
async def test_numbers_out_of_range_are_4xx(ingest: Ingest, literal: str, kind: str) -> None:
    status, body = await ingest.post("/v1/events", with_count(literal))
    assert 400 <= status < 500
    assert body["items"][0]["kind"] == kind, body
    # the same literal anywhere in a webhook payload refuses that payload only
    payload = json.dumps(hook("heyreach_message_sent")).encode()
    bad = payload[:-1] + b', "extra": ' + literal.encode() + b"}"
    status, body = await ingest.post(HOOK_URL, b"[" + bad + b"," + payload + b"]")
    assert status == 207, body
    assert [i["status"] for i in body["items"]] == ["rejected", "accepted"]


@pytest.mark.integration
@pytest.mark.parametrize(
    ("timestamp", "kind"),
    [
        (1e20, "implausible_time"),  # was OverflowError: 500
        (10**30, "implausible_time"),
        (-1, "implausible_time"),  # 1969
        ("9999-06-01T00:00:00Z", "implausible_time"),
        ("1999-12-31T23:59:59Z", "implausible_time"),
        ("2100-01-01T00:00:00Z", "implausible_time"),
        ("+10000-01-01T00:00:00Z", "invalid_field"),
        (True, "invalid_field"),
        ("soon", "invalid_field"),
    ],
)
async def test_webhook_times_out_of_range_are_4xx(
    ingest: Ingest, timestamp: Any, kind: str
) -> None:
    status, body = await ingest.post(HOOK_URL, heyreach(timestamp))
    assert status == 422, body
    assert body["items"][0]["kind"] == kind
    assert body["items"][0]["reason"].startswith(("timestamp", "occurred_at"))


@pytest.mark.integration
async def test_webhook_nan_timestamp_does_not_lose_the_valid_item(ingest: Ingest) -> None:
    """Issue 12: an array with one valid and one NaN item got 500 and lost the valid event."""
    valid = json.dumps(hook("heyreach_message_sent")).encode()
    nan = json.dumps(heyreach(0)).encode().replace(b'"timestamp": 0', b'"timestamp": NaN')
    status, body = await ingest.post(HOOK_URL, b"[" + valid + b",\n" + nan + b"]")
    assert status == 207, body
    assert [(i["index"], i["status"]) for i in body["items"]] == [(0, "accepted"), (1, "rejected")]
    assert body["items"][1]["kind"] == "invalid_field"
    events, letters = ingest.split(await ingest.kafka(2))
    assert [e["type"] for e in events] == ["message.sent"]
    assert [(d["index"], d["kind"], d["redacted"]) for d in letters] == [(1, "invalid_field", True)]


@pytest.mark.integration
@pytest.mark.parametrize("raw", [b"{not json", b'[{"a": 1},', b"\xff\xfe{}", b'{"a": 1}}'])
async def test_malformed_json_is_400_on_every_endpoint(ingest: Ingest, raw: bytes) -> None:
    for path in ("/v1/events", "/v1/webhooks/expandi?account=rep-ana", HOOK_URL):
        status, body = await ingest.post(path, raw)
        assert status == 400, (path, body)
        assert {i["kind"] for i in body["items"]} == {"malformed_json"}, (path, body)
    status, body = await ingest.post("/v1/events", b"  \n ")
    assert (status, body["kind"]) == (400, "malformed_json")


@pytest.mark.integration
async def test_the_documented_maximum_batch_of_realistic_events_is_accepted(
    kafka_bootstrap: str, unique_name: str
) -> None:
    """Default limits: 5,000 events, the largest the generator makes, pretty-printed."""
    settings = IngestSettings(token=TOKEN)  # the defaults
    generated = list(synthetic_events(GenerateOptions(accounts=5, events=20_000)))
    largest = sorted(generated, key=lambda e: len(e.line), reverse=True)
    batch = [json.loads(e.line) for e in largest[: settings.max_batch_events]]
    body = json.dumps(batch, indent=2).encode()
    assert 1024 * 1024 < len(body) <= settings.max_body_bytes  # the old 1 MiB refused it
    async with running(kafka_bootstrap, unique_name, settings) as ingest:
        status, answer = await ingest.post("/v1/events", body)
        assert status == 200, answer
        assert answer["accepted"] == settings.max_batch_events
        got = await ingest.kafka(settings.max_batch_events, timeout=60)
        assert len(got) == settings.max_batch_events
        status, answer = await ingest.post("/v1/events", body[:-1] + b", {}]")  # 5,001 items
        assert (status, answer["kind"]) == (413, "oversize")


def test_limits_must_agree() -> None:
    with pytest.raises(ValueError, match="cannot hold a full batch of 5000 events"):
        IngestSettings(token=TOKEN, max_body_bytes=1024 * 1024)
    assert IngestSettings(token=TOKEN, max_body_bytes=1024 * 1024, max_batch_events=2000)


def test_judging_is_linear_on_hostile_bodies() -> None:
    """Bodies the whole-body parser refuses are split by a scan; bounded work either way."""
    flat = b"[" + b",".join([json.dumps(EVENT).encode()] * 3000) + b',{"a" 1}]'  # one broken item
    hostile = [DEEP_BODY, b"[1," * 300_000 + b"]", b"[" + b'"",' * 300_000 + b"{]", flat]
    for body in hostile:
        started = time.monotonic()
        judged = judge_events("/v1/events", body, 5000)
        assert time.monotonic() - started < 2
        assert isinstance(judged, Batch) and judged.count("rejected") == 1
    assert isinstance(judged, Batch) and judged.count("accepted") == 3000


async def _open(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", port)


@pytest.mark.integration
async def test_header_and_body_timeouts(kafka_bootstrap: str, unique_name: str) -> None:
    settings = ingest_settings(header_timeout_s=0.5, body_timeout_s=0.5)
    async with running(kafka_bootstrap, unique_name, settings) as ingest:
        trickling = [await _open(ingest.port) for _ in range(4)]
        started = time.monotonic()
        for _reader, writer in trickling:
            writer.write(b"POST /v1/events HTTP/1.1\r\nHost: x\r\n")
            await writer.drain()

        async def closed(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> float:
            while True:  # a header line now and then, never the blank line ending them
                try:
                    data = await asyncio.wait_for(reader.read(1024), 0.2)
                except TimeoutError:
                    writer.write(b"X-Slow: 1\r\n")
                    continue
                if not data:
                    return time.monotonic() - started

        waits = await asyncio.wait_for(asyncio.gather(*(closed(r, w) for r, w in trickling)), 10)
        assert all(0.4 < wait < 3 for wait in waits), waits
        for _reader, writer in trickling:
            writer.close()

        reader, writer = await _open(ingest.port)
        writer.write(
            f"POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: {AUTH['Authorization']}\r\n"
            'Content-Type: application/json\r\nContent-Length: 500\r\n\r\n{"event_id":'.encode()
        )
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 3)
        assert head.startswith(b"HTTP/1.1 408"), head[:80]
        length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
        assert b"body not received within 0.5 s" in await reader.readexactly(length)
        assert await asyncio.wait_for(reader.read(), 5) == b""  # then the connection closes
        writer.close()
        assert await ingest.kafka(0, timeout=2) == []
