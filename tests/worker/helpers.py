"""Event logs for the worker tests and the replay they must match.

`event_log()` uses the project generator (`gen.synthetic`): duplicates and out-of-order
deliveries included. Each item is
(topic short name, message key, raw line): the key is the event's account_id, invalid lines
keep the key of the account they came from.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from gen.synthetic import RAW_LINE, GeneratorConfig, event_line, generate_events
from kpis.replay import replay
from kpis.timeutil import format_ts, to_us
from models import EventRejected, parse_event
from models.records import KpiRecord
from sinks.redis.documents import record_field
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


def event_log(
    seed: int,
    accounts: int,
    events: int | None,
    invalid_rate: float = 0.0,
    *,
    days: int | None = None,
    start: datetime | None = None,
) -> list[LogItem]:
    """About `events` items (or `days` days from `start`) in arrival order, duplicates and
    late ones included, from the project generator (`gen.synthetic`)."""
    config = GeneratorConfig(invalid_rate=invalid_rate)
    options: dict[str, Any] = {"start": start} if start is not None else {}
    out: list[LogItem] = []
    last_account = "rep-01"
    for event in generate_events(
        seed, accounts, days, events_target=events, config=config, **options
    ):
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


def is_invalid(line: bytes) -> bool:
    """What the contract refuses (the worker dead-letters it)."""
    try:
        parse_event(line)
    except EventRejected:
        return True
    return False


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
