"""One vocabulary for every refused input, and one place that says what each kind costs.

Every entry point (replay, the worker, importers, ingest-http, webhooks) refuses input with
an `EventRejected` whose `kind` is a `RejectKind`. The kind is bounded (it is a metric label
and a dead-letter field); the reason is free text, short and safe to log (never a secret,
never a member id). `POLICY` is the single answer to "what happens to a rejected input":
the worker and the HTTP ingest read it instead of deciding on their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class RejectKind(StrEnum):
    """Why an input was refused (a `StrEnum`: compares equal to its value)."""

    MALFORMED_JSON = "malformed_json"
    TOO_DEEP = "too_deep"
    UNKNOWN_TYPE = "unknown_type"
    MISSING_FIELD = "missing_field"
    INVALID_FIELD = "invalid_field"
    IMPLAUSIBLE_TIME = "implausible_time"
    FUTURE_TIME = "future_time"
    OVERSIZE = "oversize"
    KEY_MISMATCH = "key_mismatch"
    WRONG_TOPIC = "wrong_topic"
    WRONG_PARTITION = "wrong_partition"
    PROCESSING_ERROR = "processing_error"


@dataclass(frozen=True, slots=True)
class RejectPolicy:
    """What a rejection of one kind does: every kind is dead-lettered and counted (never
    silently dropped); `http_status` is what ingest-http answers; `log_level` is how loud
    the worker is about it (input errors are the sender's problem: debug; our bugs: error)."""

    http_status: int
    log_level: str = "debug"


POLICY: dict[RejectKind, RejectPolicy] = {
    RejectKind.MALFORMED_JSON: RejectPolicy(400),
    RejectKind.TOO_DEEP: RejectPolicy(400),
    RejectKind.UNKNOWN_TYPE: RejectPolicy(422),
    RejectKind.MISSING_FIELD: RejectPolicy(422),
    RejectKind.INVALID_FIELD: RejectPolicy(422),
    RejectKind.IMPLAUSIBLE_TIME: RejectPolicy(422),
    RejectKind.FUTURE_TIME: RejectPolicy(422),
    RejectKind.OVERSIZE: RejectPolicy(413),
    RejectKind.KEY_MISMATCH: RejectPolicy(422),
    RejectKind.WRONG_TOPIC: RejectPolicy(422),
    RejectKind.WRONG_PARTITION: RejectPolicy(422, "warning"),
    RejectKind.PROCESSING_ERROR: RejectPolicy(422, "error"),
}


class EventRejected(ValueError):
    """An input the contract refuses; `reason` is short, stable-ish and safe to log."""

    def __init__(self, reason: str, kind: RejectKind) -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = RejectKind(kind)

    @property
    def policy(self) -> RejectPolicy:
        return POLICY[self.kind]
