"""`socialkpi ingest-http` over a real loopback socket (aiohttp client) and the real broker:
what it accepts is read back from Kafka, what it refuses is read back from the dead-letter
topic (payloads: tests/fixtures/webhooks, anonymized, in Expandi's and HeyReach's shapes)."""

from __future__ import annotations

import base64
import io
import json
import logging
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiokafka.errors import KafkaConnectionError
from importer_kit import records, values
from ingest_kit import AUTH, KEY, TOKEN, Ingest, hook, ingest_settings, running, serve

from importers.derived_ids import conversation_id, invitation_id
from importers.events import Encoded
from importers.http_ingest import IngestServer
from importers.webhooks import load_mappings
from importers.writer import EventWriter
from kpis.replay import replay

EXPANDI = ["invite_sent", "connected", "message_sent", "replied", "contact_revoked"]
HEYREACH = [
    "connection_request_sent",
    "connection_request_accepted",
    "message_sent",
    "message_reply_received",
]


def readable(events: list[dict[str, Any]], account: str, members: list[str]) -> list[tuple]:
    """(type, occurred_at, payload) with the keyed derived ids shown as `inv:<member>` /
    `conv:<member>`; envelope fields and message ids left out."""
    names = {invitation_id(account, m, key=KEY): f"inv:{m}" for m in members}
    names |= {conversation_id(account, m, key=KEY): f"conv:{m}" for m in members}
    skip = {"event_id", "type", "occurred_at", "account_id", "source", "message_id"}
    return [
        (
            e["type"],
            e["occurred_at"],
            {k: names.get(v, v) for k, v in e.items() if k not in skip},
        )
        for e in events
    ]


@pytest.fixture
async def ingest(kafka_bootstrap: str, unique_name: str) -> AsyncIterator[Ingest]:
    async with running(kafka_bootstrap, unique_name) as client:
        yield client


@pytest.mark.integration
async def test_token_required_and_never_logged(ingest: Ingest, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    event = {"event_id": "x"}
    assert (await ingest.post("/v1/events", event, headers={}))[0] == 401
    wrong = {"Authorization": "Bearer not-the-token-at-all"}
    status, body = await ingest.post("/v1/events", event, headers=wrong)
    assert status == 401 and body == {"error": "missing or wrong token"}
    status, _ = await ingest.post(f"/v1/webhooks/expandi?token={TOKEN[:-1]}x", event, headers={})
    assert status == 401
    async with ingest.client.get("/healthz") as resp:
        assert resp.status == 200
    # the right token in the query string (vendors that cannot set headers) passes
    status, _ = await ingest.post(
        f"/v1/webhooks/expandi?token={TOKEN}&account=rep-ana",
        hook("expandi_profile_visited"),
        headers={},
    )
    assert status == 200
    assert "/v1/webhooks/expandi 200" in caplog.text  # access log: path, no query string
    assert TOKEN not in caplog.text and TOKEN[:-1] not in caplog.text


@pytest.mark.integration
async def test_oversize_refused_before_reading(ingest: Ingest) -> None:
    big = [{"event_id": f"e{i}", "pad": "x" * 400} for i in range(100)]
    status, body = await ingest.post("/v1/events", big)
    assert status == 413 and "larger than 32768 bytes" in body["error"]
    assert body["kind"] == "oversize"

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: streamed, then cut
        for _ in range(40):
            yield b"x" * 1024

    async with ingest.client.post("/v1/events", data=chunks(), headers=AUTH) as resp:
        assert resp.status == 413
    many = [{"event_id": f"e{i}"} for i in range(51)]
    status, body = await ingest.post("/v1/events", many)
    assert (status, body["kind"]) == (413, "oversize") and "more than 50 items" in body["error"]
    assert await ingest.kafka(0) == []  # nothing written, not even a dead letter


CONTRACT = [
    {
        "event_id": "c-1",
        "type": "invitation.sent",
        "occurred_at": "2026-11-20T09:00:00Z",
        "account_id": "rep-http",
        "invitation_id": "i1",
        "invitee_id": "m1",
        "direction": "outbound",
    },
    {
        "event_id": "c-2",
        "type": "post.snapshot",
        "occurred_at": "2026-11-20T10:00:00Z",
        "account_id": "rep-http",
        "post_id": "p1",
        "views": 120,
    },
    {
        "event_id": "c-3",
        "type": "ad.click",
        "occurred_at": "2026-11-20T11:00:00+02:00",
        "account_id": "page-http",
        "campaign_id": "c9",
        "creative_id": "k9",
        "format": "video",
        "count": 3,
    },
    {"event_id": "c-4", "type": "invitation.sent", "occurred_at": 5, "account_id": "rep-http"},
]


@pytest.mark.integration
async def test_contract_events_batch_round_trip(ingest: Ingest, tmp_path: Path) -> None:
    status, body = await ingest.post("/v1/events", CONTRACT)
    assert status == 207
    assert (body["accepted"], body["ignored"], body["rejected"]) == (3, 0, 1)
    assert [(i["index"], i["status"]) for i in body["items"]] == [
        (0, "accepted"),
        (1, "accepted"),
        (2, "accepted"),
        (3, "rejected"),
    ]
    assert [i.get("event_id") for i in body["items"][:3]] == ["c-1", "c-2", "c-3"]
    assert body["items"][3]["kind"] == "invalid_field"
    assert body["items"][3]["reason"].startswith("occurred_at")
    lines = b"\n".join(json.dumps(e).encode() for e in CONTRACT[:3]) + b"\n"  # JSON lines
    status, body = await ingest.post("/v1/events", lines)  # the same again: a retry
    assert (status, body["accepted"]) == (200, 3)
    got = await ingest.kafka(7)
    topics = ingest.settings.topics
    by_topic = {(topic, key, json.loads(value).get("event_id")) for topic, key, value in got}
    assert by_topic == {
        (topics["invitations"], b"rep-http", "c-1"),
        (topics["interactions"], b"rep-http", "c-2"),
        (topics["ads"], b"page-http", "c-3"),
        (ingest.settings.dead_letter_topic, None, None),
    }
    assert len(got) == 7  # 3 + 3 events, 1 dead letter
    letter = next(json.loads(v) for t, _k, v in got if t == ingest.settings.dead_letter_topic)
    assert json.loads(base64.b64decode(letter["original"])) == CONTRACT[3]
    assert letter["topic"] == "http:/v1/events" and letter["kind"] == "invalid_field"
    assert letter["index"] == 3
    log = tmp_path / "events.jsonl"
    log.write_bytes(b"".join(v + b"\n" for t, _k, v in got if t in topics.values()))
    found = values(records(log), "invitations_sent", "post_views")
    assert found[("invitations_sent", "day:2026-11-20", "")] == 1  # the retry counted once
    assert found[("post_views", "total", "post_id=p1")] == 120


@pytest.mark.integration
async def test_webhooks_mapped_and_redelivery_counted_once(ingest: Ingest, tmp_path: Path) -> None:
    for name in EXPANDI:
        status, body = await ingest.post(
            "/v1/webhooks/expandi?account=rep-ana", hook(f"expandi_{name}")
        )
        assert status == 200, name
        assert (body["accepted"], body["ignored"], body["rejected"]) == (1, 0, 0), name
        assert body["items"][0]["status"] == "accepted"
    status, body = await ingest.post(
        "/v1/webhooks/expandi?account=rep-ana", hook("expandi_invite_sent")
    )
    assert status == 200  # a redelivery is accepted again: same event_id, counted once
    status, body = await ingest.post(
        "/v1/webhooks/expandi?account=rep-ana", hook("expandi_profile_visited")
    )
    assert (status, body["accepted"], body["ignored"]) == (200, 0, 1)
    batch = [hook(f"heyreach_{name}") for name in HEYREACH]  # account from sender.id
    status, body = await ingest.post("/v1/webhooks/heyreach", batch)
    assert (status, body["accepted"]) == (200, 4)

    got = await ingest.kafka(10)
    assert len(got) == 10 and all(t != ingest.settings.dead_letter_topic for t, _k, _v in got)
    events = [json.loads(v) for _t, _k, v in got]
    assert {(k, e["account_id"]) for (_t, k, _v), e in zip(got, events, strict=True)} == {
        (b"rep-ana", "rep-ana"),
        (b"heyreach-4401", "heyreach-4401"),
    }
    ana = sorted(
        (e for e in events if e["account_id"] == "rep-ana"), key=lambda e: e["occurred_at"]
    )
    felix, gina = "felix-fictive-demo-04", "gina-mock-demo-05"
    assert readable(ana, "rep-ana", [felix, gina]) == [
        (
            "invitation.sent",
            "2026-11-18T09:00:00.123456Z",
            {"invitation_id": f"inv:{felix}", "invitee_id": felix, "direction": "outbound"},
        ),
        (
            "invitation.sent",
            "2026-11-18T09:00:00.123456Z",
            {"invitation_id": f"inv:{felix}", "invitee_id": felix, "direction": "outbound"},
        ),
        ("invitation.accepted", "2026-11-18T15:30:00.000001Z", {"invitation_id": f"inv:{felix}"}),
        (
            "message.sent",
            "2026-11-18T16:00:00Z",
            {"conversation_id": f"conv:{felix}", "recipient_id": felix},
        ),
        (
            "message.received",
            "2026-11-19T08:45:10Z",
            {"conversation_id": f"conv:{felix}", "sender_id": felix},
        ),
        ("invitation.withdrawn", "2026-11-19T10:00:00Z", {"invitation_id": f"inv:{gina}"}),
    ]
    assert ana[0]["event_id"] == ana[1]["event_id"]
    assert {e["source"] for e in events} == {"webhook:expandi", "webhook:heyreach"}
    jon = "jon-fake-demo-09"
    hey = sorted(
        (e for e in events if e["account_id"] != "rep-ana"), key=lambda e: e["occurred_at"]
    )
    assert [(e["type"], e["occurred_at"]) for e in hey] == [
        ("invitation.sent", "2026-11-18T10:00:00Z"),
        ("invitation.accepted", "2026-11-19T09:00:00Z"),
        ("message.sent", "2026-11-19T09:30:00Z"),
        ("message.received", "2026-11-19T13:15:00Z"),
    ]
    assert readable(hey, "heyreach-4401", [jon])[0][2]["invitation_id"] == f"inv:{jon}"
    for raw in (v for _t, _k, v in got):  # message texts stay out of the events
        assert (
            b"Thanks" not in raw and b"chat next week" not in raw and b"example.invalid" not in raw
        )

    log = tmp_path / "hooks.jsonl"
    log.write_bytes(b"".join(v + b"\n" for _t, _k, v in got))
    _records, _summary, engine = replay([str(log)], errors=io.StringIO())
    assert engine.stats["duplicate"] == 1  # the redelivered invitation
    found = records(log, as_of="2026-11-19T14:00:00Z")
    for account in ("rep-ana", "heyreach-4401"):
        mine = [r for r in found if r.account_id == account]
        assert values(
            mine,
            "invitations_sent",
            "invitation_cohort_accepted",
            "conversations_started",
            "reply_rate",
            "messages_sent",
        ) == {
            ("invitations_sent", "day:2026-11-18", ""): 1,
            ("invitations_sent", "week:2026-W47", ""): 1,
            ("invitations_sent", "month:2026-11", ""): 1,
            ("invitations_sent", "rolling_24h", ""): 0,
            ("invitation_cohort_accepted", "day:2026-11-18", ""): 1,
            ("invitation_cohort_accepted", "rolling_96h", ""): 1,
            ("conversations_started", f"day:{mine_day(account)}", ""): 1,
            ("messages_sent", f"day:{mine_day(account)}", ""): 1,
            ("messages_sent", "week:2026-W47", ""): 1,
            ("reply_rate", "rolling_7d", ""): 1.0,
            ("reply_rate", "rolling_30d", ""): 1.0,
        }, account


def mine_day(account: str) -> str:
    return "2026-11-18" if account == "rep-ana" else "2026-11-19"


@pytest.mark.integration
async def test_unknown_payloads_get_4xx_and_a_dead_letter(ingest: Ingest) -> None:
    status, body = await ingest.post(
        "/v1/webhooks/expandi?account=rep-ana", hook("expandi_unknown_event")
    )
    assert status == 422
    assert body["items"] == [
        {
            "index": 0,
            "status": "rejected",
            "kind": "unknown_type",
            "reason": "hook.event: unknown expandi event 'linked_in_messenger.campaign_teleported'",
        }
    ]
    no_member = hook("heyreach_message_sent")
    del no_member["lead"]
    status, body = await ingest.post("/v1/webhooks/heyreach", no_member)
    assert status == 422 and "no LinkedIn profile URL" in body["items"][0]["reason"]
    status, body = await ingest.post("/v1/webhooks/lemlist", {"type": "emailsSent"})
    assert status == 404 and body["error"].startswith("unknown vendor 'lemlist'")
    assert body["kind"] == "unknown_type"
    status, body = await ingest.post("/v1/webhooks/expandi", b"{not json")
    assert (status, body["items"][0]["kind"]) == (400, "malformed_json")
    anonymous = hook("expandi_replied")
    del anonymous["hook"]["li_account"]  # no ?account= and no account in the payload
    status, body = await ingest.post("/v1/webhooks/expandi", anonymous)
    assert status == 422 and "pass ?account=ID" in body["items"][0]["reason"]

    got = await ingest.kafka(5)
    assert len(got) == 5 and {t for t, _k, _v in got} == {ingest.settings.dead_letter_topic}
    letters = {json.loads(v)["reason"][:12]: json.loads(v) for _t, _k, v in got}
    assert sorted((d["topic"], d["kind"]) for d in letters.values()) == sorted(
        [
            ("http:/v1/webhooks/expandi", "unknown_type"),
            ("http:/v1/webhooks/heyreach", "missing_field"),
            ("http:/v1/webhooks/lemlist", "unknown_type"),
            ("http:/v1/webhooks/expandi", "malformed_json"),
            ("http:/v1/webhooks/expandi", "missing_field"),
        ]
    )
    first = letters["hook.event: "]
    assert set(first) == {
        "topic",
        "partition",
        "offset",
        "key",
        "original",
        "original_bytes",
        "truncated",
        "reason",
        "kind",
        "time",
        "app_id",
        "index",
        "redacted",
    }
    assert (first["partition"], first["offset"], first["app_id"]) == (
        None,
        None,
        "socialkpi-ingest-http",
    )
    original = json.loads(base64.b64decode(first["original"]))
    assert original["hook"]["event"] == "linked_in_messenger.campaign_teleported"
    assert original["messenger"]["last_received_message"] == "[redacted]"
    assert original["contact"]["email"] == "[redacted]"
    assert letters["malformed JS"]["original"] == ""  # unparseable: nothing kept
    assert letters["unknown vend"]["original"]  # the redacted body, for the operator


class _BrokenWriter(EventWriter):
    async def write(self, events: Sequence[Encoded]) -> None:
        raise KafkaConnectionError("broker gone")

    async def dead_letter(self, key: bytes | None, value: bytes) -> None:
        raise KafkaConnectionError("broker gone")


async def test_kafka_failure_is_503_nothing_accepted() -> None:
    server = IngestServer(ingest_settings(), _BrokenWriter(), load_mappings(), KEY)
    runner, port = await serve(server)
    try:
        async with (
            aiohttp.ClientSession(base_url=f"http://127.0.0.1:{port}") as client,
            client.post("/v1/events", json=CONTRACT[:1], headers=AUTH) as resp,
        ):
            assert resp.status == 503
            assert "nothing was accepted" in (await resp.json())["error"]
    finally:
        await runner.cleanup()


@pytest.mark.integration
async def test_a_user_mapping_adds_a_vendor(
    tmp_path: Path, kafka_bootstrap: str, unique_name: str
) -> None:
    (tmp_path / "lemlist.json").write_text(
        json.dumps(
            {
                "vendor": "lemlist",
                "event": ["type"],
                "time": ["createdAt"],
                "member": ["linkedinUrl"],
                "events": {
                    "linkedinInviteDone": "invitation.sent",
                    "linkedinInviteAccepted": "invitation.accepted",
                    "linkedinReplied": "message.received",
                },
            }
        )
    )
    payload = {
        "type": "linkedinInviteAccepted",
        "createdAt": 1795500000000,
        "linkedinUrl": "https://linkedin.com/in/jon-fake-demo-09",
    }
    async with running(kafka_bootstrap, unique_name, vendors=tmp_path) as ingest:
        status, _body = await ingest.post("/v1/webhooks/lemlist?account=rep-ana", payload)
        assert status == 200
        got = await ingest.kafka(1)
    event = json.loads(got[0][2])
    assert (event["type"], event["occurred_at"], event["source"]) == (
        "invitation.accepted",
        "2026-11-24T06:00:00Z",
        "webhook:lemlist",
    )


def test_bad_mapping_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text(
        json.dumps(
            {
                "vendor": "x",
                "event": ["e"],
                "time": ["t"],
                "member": ["m"],
                "events": {"E": "post.deleted"},
            }
        )
    )
    with pytest.raises(ValueError, match=r"broken.json: events\.E"):
        load_mappings(tmp_path)
