"""The verdict on one ingest request, item by item: what goes to Kafka, what is
dead-lettered, and the answer that tells the sender which is which.

Answer body (every endpoint that judges items):

    {"accepted": 1, "ignored": 0, "rejected": 1,
     "items": [{"index": 0, "status": "accepted", "event_id": "c-1"},
               {"index": 1, "status": "rejected", "kind": "invalid_field",
                "reason": "occurred_at: ..."}]}

Status: 200 when nothing was rejected; 207 when some items were accepted (or ignored) and
some rejected; when every item was rejected, the status `models.rejects.POLICY` gives their
kind (400 malformed_json / too_deep, 413 oversize, 422 the others), 422 if they disagree.
A whole-request error (no item judged) answers `{"error": ..., "kind": ...}`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from importers.events import Encoded
from models.rejects import POLICY, EventRejected, RejectKind
from streams.dead_letters import dead_letter_document

APP_ID = "socialkpi-ingest-http"


@dataclass(frozen=True, slots=True)
class _Origin:
    """What `dead_letter_document` reads from a Kafka message, for an HTTP request."""

    topic: str
    key: bytes | None
    value: bytes
    partition: int | None = None
    offset: int | None = None


@dataclass(slots=True)
class Batch:
    """Items of one request, in order; `path` names the endpoint in dead letters."""

    path: str
    events: list[Encoded] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    dead: list[tuple[bytes | None, bytes]] = field(default_factory=list)
    kinds: set[RejectKind] = field(default_factory=set)

    def accept(self, index: int, event: Encoded) -> None:
        self.events.append(event)
        self.items.append({"index": index, "status": "accepted", "event_id": event.event_id})

    def ignore(self, index: int) -> None:
        self.items.append({"index": index, "status": "ignored"})

    def reject(
        self, index: int, error: EventRejected, original: bytes, redacted: bool = False
    ) -> None:
        """Record the item as rejected and build its dead letter (the item's bytes, its
        index in the request, and `redacted` when message-like fields were blanked)."""
        self.kinds.add(error.kind)
        self.items.append(
            {"index": index, "status": "rejected", "kind": error.kind.value, "reason": error.reason}
        )
        origin = _Origin(f"http:{self.path}", None, original)
        key, value = dead_letter_document(
            origin, error.reason, error.kind.value, APP_ID, time.time_ns() // 1000
        )
        document = json.loads(value)
        document["index"] = index
        if redacted:
            document["redacted"] = True
        self.dead.append((key, json.dumps(document, separators=(",", ":")).encode()))

    def count(self, status: str) -> int:
        return sum(1 for item in self.items if item["status"] == status)

    def status(self) -> int:
        rejected = self.count("rejected")
        if not rejected:
            return 200
        if rejected < len(self.items):
            return 207
        statuses = {POLICY[kind].http_status for kind in self.kinds}
        return statuses.pop() if len(statuses) == 1 else 422

    def body(self) -> dict[str, Any]:
        return {
            "accepted": self.count("accepted"),
            "ignored": self.count("ignored"),
            "rejected": self.count("rejected"),
            "items": self.items,
        }
