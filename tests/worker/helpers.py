"""Event logs for the worker tests and the replay they must match.

`event_log()` uses the project generator (`gen.synthetic`) when it is importable, and a small
built-in generator otherwise; both give duplicates and out-of-order deliveries. Each item is
(topic short name, message key, raw line): the key is the event's account_id, invalid lines
keep the key of the account they came from.
"""

from __future__ import annotations

import io
import json
import random
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cli.replay import replay
from kpis.timeutil import format_ts, to_us
from models import EventRejected, parse_event
from models.records import KpiRecord
from sinks.redis_view import record_field
from streams.settings import topic_for_type

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True, slots=True)
class LogItem:
    topic: str  # short name, a key of WorkerSettings.topics
    key: bytes | None
    line: bytes


def topic_for(event: dict[str, Any]) -> str:
    return topic_for_type(event.get("type"))


def invitation(account: str, n: int, kind: str = "sent") -> LogItem:
    """The n-th outbound invitation of an account (sent at 09:00 + n minutes on 2026-11-20),
    or its acceptance / withdrawal (same time: order never matters to the engine)."""
    event: dict[str, object] = {
        "event_id": f"{account}-{kind}-{n}",
        "type": f"invitation.{kind}",
        "occurred_at": f"2026-11-20T{9 + n // 60:02d}:{n % 60:02d}:00Z",
        "account_id": account,
        "invitation_id": f"{account}-inv-{n}",
    }
    if kind == "sent":
        event.update(invitee_id=f"member-{n}", direction="outbound")
    return LogItem("invitations", account.encode(), json.dumps(event).encode())


def event_log(seed: int, accounts: int, events: int, invalid_rate: float = 0.0) -> list[LogItem]:
    """About `events` items in arrival order (duplicates and late ones included)."""
    if str(REPO) not in sys.path:
        sys.path.append(str(REPO))  # gen/ is a top-level folder, not an installed package
    try:
        from gen.synthetic import RAW_LINE, GeneratorConfig, event_line, generate_events
    except ImportError:  # pragma: no cover - the generator is developed in parallel
        return _fallback_log(seed, accounts, events, invalid_rate)
    config = GeneratorConfig(invalid_rate=invalid_rate)
    out: list[LogItem] = []
    last_account = "rep-01"
    for event in generate_events(seed, accounts, None, events_target=events, config=config):
        line = event_line(event).encode()
        if RAW_LINE in event:
            out.append(LogItem("interactions", last_account.encode(), line))
            continue
        account = event.get("account_id")
        if isinstance(account, str):
            last_account = account
        key = account.encode() if isinstance(account, str) else last_account.encode()
        out.append(LogItem(topic_for(event), key, line))
    return out


def _fallback_log(seed: int, accounts: int, events: int, invalid_rate: float) -> list[LogItem]:
    rng = random.Random(seed)
    start = datetime(2026, 3, 2, tzinfo=UTC)
    ids = [f"rep-{i:02d}" for i in range(1, accounts + 1)]
    made: list[dict[str, Any]] = []
    for n in range(events):
        account = rng.choice(ids)
        at = start + timedelta(seconds=n * 37 + rng.randint(0, 3600))
        base = {
            "event_id": f"{account}-{n:07d}",
            "occurred_at": at.isoformat().replace("+00:00", "Z"),
            "account_id": account,
        }
        roll = rng.random()
        if roll < 0.35:
            body = {
                "type": "invitation.sent",
                "invitation_id": f"i{n}",
                "invitee_id": f"m{rng.randint(1, 500)}",
                "direction": "outbound",
            }
        elif roll < 0.5:
            body = {"type": "invitation.accepted", "invitation_id": f"i{rng.randint(0, n)}"}
        elif roll < 0.65:
            body = {
                "type": "message.sent",
                "conversation_id": f"c{rng.randint(1, 200)}",
                "message_id": f"x{n}",
                "recipient_id": f"m{rng.randint(1, 500)}",
            }
        elif roll < 0.75:
            body = {
                "type": "message.received",
                "conversation_id": f"c{rng.randint(1, 200)}",
                "message_id": f"x{n}",
                "sender_id": f"m{rng.randint(1, 500)}",
            }
        elif roll < 0.9:
            body = {
                "type": "post.interaction",
                "post_id": f"p{rng.randint(1, 5)}",
                "kind": rng.choice(["view", "reaction", "comment"]),
                "actor_id": f"m{rng.randint(1, 50)}",
            }
        else:
            body = {
                "type": "ad.impression",
                "campaign_id": "c1",
                "creative_id": "cr1",
                "format": "sponsored_content",
                "count": rng.randint(1, 100),
                "cost": f"{rng.randint(0, 999)}.{rng.randint(0, 99):02d}",
            }
        made.append(base | body)
    made += [dict(e) for e in rng.sample(made, len(made) // 50)]  # duplicates
    rng.shuffle(made)
    out = [LogItem(topic_for(e), e["account_id"].encode(), json.dumps(e).encode()) for e in made]
    for _ in range(int(len(out) * invalid_rate)):
        out.insert(rng.randrange(len(out)), LogItem("invitations", b"rep-01", b'{"broken": '))
    return out


def max_event_time(items: Iterable[LogItem]) -> int:
    """Latest `occurred_at` of the valid events (replay's default `as_of`)."""
    latest = 0
    for item in items:
        try:
            latest = max(latest, to_us(parse_event(item.line).occurred_at))
        except EventRejected:
            continue
    return latest


def write_log(path: Path, items: Iterable[LogItem]) -> Path:
    with open(path, "wb") as handle:
        for item in items:
            handle.write(item.line.replace(b"\n", b" ") + b"\n")
    return path


def replay_records(path: Path, as_of: int) -> list[KpiRecord]:
    records, _summary, _engine = replay([str(path)], as_of=as_of, errors=io.StringIO())
    return records


def by_account(records: Iterable[KpiRecord]) -> dict[str, dict[str, str]]:
    """{account: {hash field: record JSON}}, the shape the Redis publisher writes."""
    out: dict[str, dict[str, str]] = {}
    for record in records:
        out.setdefault(record.account_id, {})[record_field(record)] = record.to_json()
    return out


def as_of_text(as_of: int) -> str:
    return format_ts(as_of)
