"""Fuzz ingest-http (hypothesis) against the running server and the real broker: random
JSON, deep nesting, huge numbers, NaN/Infinity literals, wrong types, broken JSON and
mixed valid/invalid batches, framed as arrays, JSON lines or one item, on both endpoints.

Each generated item carries the verdict it must get alone (a valid event: accepted; a
corruption: rejected with its kind). Asserted per request: no 5xx, one result per item in
order, that verdict, a status that agrees with the results. At the end, from Kafka: every
accepted item is on an input topic and every rejected one has a dead letter (its index).
SOCIALKPI_FUZZ_EXAMPLES raises the example count (default 60 per endpoint, ~20 s)."""

from __future__ import annotations

import asyncio
import http.client
import itertools
import json
import os
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from importer_kit import consume, worker_settings
from ingest_kit import AUTH, KEY, hook, ingest_settings

from importers.http_ingest import IngestServer
from importers.webhooks import load_mappings
from importers.writer import KafkaWriter
from models.rejects import POLICY, RejectKind
from streams.settings import WorkerSettings

EXAMPLES = int(os.environ.get("SOCIALKPI_FUZZ_EXAMPLES", "60"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
ANY = "any"  # random JSON: rejected, whatever the kind
_IDS = itertools.count()


@dataclass(frozen=True)
class Case:
    raw: bytes  # one item's JSON text, no raw newline
    verdict: str  # "accepted", "ignored", or the RejectKind of its rejection (or ANY)


def _text(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _splice(value: dict[str, Any], key: str, literal: bytes) -> bytes:
    """`value` as JSON with `key` set to a literal JSON cannot express (NaN, 1e400)."""
    marker = f"@@{key}@@"
    return _text({**value, key: marker}).replace(f'"{marker}"'.encode(), literal)


def _nested(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


# --- contract events ---------------------------------------------------------------------
times = st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2098, 12, 31)).map(
    lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
)
accounts = st.sampled_from(["rep-fz-1", "rep-fz-2", "page-fz"])


@st.composite
def contract_events(draw: st.DrawFn) -> dict[str, Any]:
    base = {
        "event_id": f"fz-{next(_IDS)}",
        "occurred_at": draw(times),
        "account_id": draw(accounts),
    }
    kind = draw(st.sampled_from(["interaction", "invitation", "ad", "snapshot"]))
    if kind == "interaction":
        count = draw(st.integers(1, 10**6))
        return {**base, "type": "post.interaction", "post_id": "p1", "kind": "view", "count": count}
    if kind == "invitation":
        return {
            **base,
            "type": "invitation.sent",
            "invitation_id": f"i{draw(st.integers(0, 99))}",
            "invitee_id": "m1",
            "direction": draw(st.sampled_from(["outbound", "inbound"])),
        }
    if kind == "ad":
        return {
            **base,
            "type": "ad.click",
            "campaign_id": "c1",
            "creative_id": "k1",
            "format": "video",
            "count": draw(st.integers(1, 1000)),
            "cost": f"{draw(st.integers(0, 10**6)) / 100:.2f}",
        }
    ssi = {k: draw(st.floats(0, 25)) for k in ("brand", "people", "insights", "relationships")}
    return {**base, "type": "profile.snapshot", "connections": 500, "ssi": ssi}


random_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def event_cases(draw: st.DrawFn) -> Case:
    event = draw(contract_events())
    how = draw(
        st.sampled_from(
            [
                "valid",
                "valid",
                "valid",
                "deep",
                "very_deep",
                "nan",
                "inf",
                "huge",
                "bigint",
                "wrong_type",
                "missing",
                "unknown",
                "implausible",
                "broken",
                "scalar",
                "random",
            ]
        )
    )
    if how == "valid":
        return Case(_text(event), "accepted")
    if how == "deep":  # past the limit, under the parser's own
        return Case(_splice(event, "x", _nested(draw(st.integers(33, 150)))), RejectKind.TOO_DEEP)
    if how == "very_deep":  # past the parser's limit too: the body goes the slow path
        return Case(_splice(event, "x", _nested(draw(st.integers(201, 6000)))), RejectKind.TOO_DEEP)
    if how in ("nan", "inf"):
        literal = b"NaN" if how == "nan" else draw(st.sampled_from([b"Infinity", b"-Infinity"]))
        where = draw(st.sampled_from(["count", "x"]))
        return Case(_splice(event, where, literal), RejectKind.INVALID_FIELD)
    if how == "huge":
        return Case(_splice(event, "x", b"1e400"), RejectKind.INVALID_FIELD)
    if how == "bigint":
        return Case(
            _splice(event, "x", b"9" * draw(st.integers(41, 300))), RejectKind.INVALID_FIELD
        )
    if how == "wrong_type":
        return Case(_text({**event, "occurred_at": draw(st.integers())}), RejectKind.INVALID_FIELD)
    if how == "missing":
        return Case(
            _text({k: v for k, v in event.items() if k != "account_id"}), RejectKind.MISSING_FIELD
        )
    if how == "unknown":
        return Case(_text({**event, "type": "post.teleported"}), RejectKind.UNKNOWN_TYPE)
    if how == "implausible":
        when = draw(
            st.sampled_from(
                ["1999-12-31T23:59:59Z", "2100-01-01T00:00:00Z", "1969-12-31T23:59:59Z"]
            )
        )
        return Case(_text({**event, "occurred_at": when}), RejectKind.IMPLAUSIBLE_TIME)
    if how == "broken":  # brackets balanced, so an array around it still splits
        text = draw(st.sampled_from([b'{"event_id" "x"}', b'{"a":}', b"{'a': 1}", b"tru", b"{,}"]))
        return Case(text, RejectKind.MALFORMED_JSON)
    if how == "scalar":
        return Case(
            draw(st.sampled_from([b"5", b'"event"', b"[1,2]", b"null"])), RejectKind.MALFORMED_JSON
        )
    return Case(_text(draw(random_json)), ANY)


# --- webhook payloads --------------------------------------------------------------------
SENT = hook("heyreach_connection_request_sent")


@st.composite
def webhook_cases(draw: st.DrawFn) -> Case:
    payload = json.loads(json.dumps(SENT))
    payload["lead"]["profile_url"] = f"https://www.linkedin.com/in/fuzz-{next(_IDS)}"
    payload["timestamp"] = draw(times)
    how = draw(
        st.sampled_from(
            [
                "valid",
                "valid",
                "valid",
                "ignored",
                "nan_time",
                "huge_time",
                "past",
                "far",
                "bool_time",
                "deep",
                "nan_extra",
                "unknown",
                "no_lead",
                "broken",
                "random",
            ]
        )
    )
    if how == "valid":
        return Case(_text(payload), "accepted")
    if how == "ignored":
        return Case(_text({**payload, "event_type": "VIEWED_PROFILE"}), "ignored")
    if how == "nan_time":
        return Case(_splice(payload, "timestamp", b"NaN"), RejectKind.INVALID_FIELD)
    if how == "huge_time":
        return Case(
            _text({**payload, "timestamp": draw(st.sampled_from([1e20, 10**25]))}),
            RejectKind.IMPLAUSIBLE_TIME,
        )
    if how == "past":
        return Case(
            _text({**payload, "timestamp": draw(st.sampled_from([-1, 0, 946684799]))}),
            RejectKind.IMPLAUSIBLE_TIME,
        )
    if how == "far":
        return Case(
            _text({**payload, "timestamp": "9999-06-01T00:00:00Z"}), RejectKind.IMPLAUSIBLE_TIME
        )
    if how == "bool_time":
        return Case(_text({**payload, "timestamp": True}), RejectKind.INVALID_FIELD)
    if how == "deep":
        levels = draw(st.sampled_from([33, 120, 250, 5000]))
        return Case(_splice(payload, "extra", _nested(levels)), RejectKind.TOO_DEEP)
    if how == "nan_extra":
        return Case(_splice(payload, "extra", b"Infinity"), RejectKind.INVALID_FIELD)
    if how == "unknown":
        return Case(_text({**payload, "event_type": "TELEPORTED"}), RejectKind.UNKNOWN_TYPE)
    if how == "no_lead":
        return Case(
            _text({k: v for k, v in payload.items() if k != "lead"}), RejectKind.MISSING_FIELD
        )
    if how == "broken":
        return Case(
            draw(st.sampled_from([b'{"event_type" 1}', b"{,}", b"[nul]"])),
            RejectKind.MALFORMED_JSON,
        )
    return Case(_text(draw(random_json)), ANY)


def bodies(cases: st.SearchStrategy[Case]) -> st.SearchStrategy[tuple[str, list[Case]]]:
    return st.tuples(
        st.sampled_from(["array", "lines", "single"]), st.lists(cases, min_size=1, max_size=8)
    ).map(_framed)


def _framed(drawn: tuple[str, list[Case]]) -> tuple[str, list[Case]]:
    """A lone item that is itself an array would be read as a batch: send it in one."""
    framing, cases = drawn
    if framing == "single":
        cases = cases[:1]
    if len(cases) == 1 and cases[0].raw.startswith(b"["):
        framing = "array"
    return framing, cases


def encode(framing: str, cases: list[Case]) -> bytes:
    if framing == "array":
        return b"[" + b",".join(c.raw for c in cases) + b"]"
    if framing == "lines":
        return b"\n".join(c.raw for c in cases) + b"\n"
    return cases[0].raw


# --- the server, in a thread of its own (hypothesis drives a synchronous test) -------------
@dataclass
class Served:
    port: int
    worker: WorkerSettings
    accepted: Counter[str] = field(default_factory=Counter)  # event ids answered accepted
    rejected: int = 0


class _Thread:
    def __init__(self, worker: WorkerSettings) -> None:
        self.worker = worker
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.port = 0
        self.runner: web.AppRunner | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._start())
        self.ready.set()
        self.loop.run_forever()

    async def _start(self) -> None:
        settings = ingest_settings(max_body_bytes=1024 * 1024, max_batch_events=50)
        server = IngestServer(settings, KafkaWriter(self.worker), load_mappings(), KEY)
        self.runner = web.AppRunner(server.app(), **server.runner_options())
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = self.runner.addresses[0][1]

    def stop(self) -> None:
        assert self.runner is not None
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture(scope="module")
def served(kafka_bootstrap: str) -> Iterator[Served]:
    worker = worker_settings(kafka_bootstrap, f"fuzz{os.getpid()}{next(_IDS)}")
    thread = _Thread(worker)
    thread.thread.start()
    assert thread.ready.wait(60), "ingest server did not start"
    try:
        yield Served(thread.port, worker)
    finally:
        thread.stop()


def post(port: int, path: str, body: bytes) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("POST", path, body=body, headers={**AUTH, "Content-Type": "application/json"})
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read())
    finally:
        conn.close()


def check(served: Served, path: str, framing: str, cases: list[Case]) -> None:
    status, answer = post(served.port, path, encode(framing, cases))
    assert status < 500, answer
    items = answer["items"]
    assert [i["index"] for i in items] == list(range(len(cases))), (framing, answer)
    for case, item in zip(cases, items, strict=True):
        if case.verdict in ("accepted", "ignored"):
            assert item["status"] == case.verdict, (case, item)
        else:
            assert item["status"] == "rejected", (case, item)
            if case.verdict != ANY:
                assert item["kind"] == case.verdict, (case, item)
    rejected = [i for i in items if i["status"] == "rejected"]
    assert answer["rejected"] == len(rejected)
    if not rejected:
        assert status == 200
    elif len(rejected) < len(items):
        assert status == 207
    else:
        statuses = {POLICY[RejectKind(i["kind"])].http_status for i in rejected}
        assert status == (statuses.pop() if len(statuses) == 1 else 422)
    served.accepted.update(i["event_id"] for i in items if i["status"] == "accepted")
    served.rejected += len(rejected)


@pytest.mark.integration
@SETTINGS
@given(body=bodies(event_cases()))
def test_fuzz_events(served: Served, body: tuple[str, list[Case]]) -> None:
    check(served, "/v1/events", *body)


@pytest.mark.integration
@SETTINGS
@given(body=bodies(webhook_cases()))
def test_fuzz_webhooks(served: Served, body: tuple[str, list[Case]]) -> None:
    check(served, "/v1/webhooks/heyreach", *body)


@pytest.mark.integration
@settings(SETTINGS, max_examples=max(EXAMPLES // 2, 10))
@given(raw=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_fuzz_arbitrary_bytes(served: Served, raw: bytes) -> None:
    for path in ("/v1/events", "/v1/webhooks/expandi?account=rep-fz-1"):
        status, answer = post(served.port, path, raw)
        assert status < 500, answer
        if "items" in answer:
            served.accepted.update(
                i["event_id"] for i in answer["items"] if i["status"] == "accepted"
            )
            served.rejected += answer["rejected"]


@pytest.mark.integration
def test_fuzz_kafka_has_every_accepted_item_and_a_dead_letter_per_rejected(
    served: Served,
) -> None:
    """Runs after the fuzz tests above (file order): what they were told, Kafka holds."""
    if not served.accepted and not served.rejected:
        pytest.skip("run with the fuzz tests of this file")
    worker = served.worker
    expected = sum(served.accepted.values()) + served.rejected
    topics = [*worker.topics.values(), worker.dead_letter_topic]
    got = asyncio.run(consume(worker.kafka_bootstrap, topics, expected, timeout=60))
    events = Counter(json.loads(v)["event_id"] for t, _k, v in got if t != worker.dead_letter_topic)
    letters = [json.loads(v) for t, _k, v in got if t == worker.dead_letter_topic]
    assert events == served.accepted  # no accepted item lost, none written twice
    assert len(letters) == served.rejected
    assert all(
        isinstance(d["index"], int) and d["app_id"] == "socialkpi-ingest-http" for d in letters
    )
