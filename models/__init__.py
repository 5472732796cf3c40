"""Pydantic models of the wire contract (events) and of the output contract (KPI records)."""

from models.events import EVENT_MODELS, Event
from models.parse import MAX_EVENT_BYTES, parse_event
from models.records import KpiRecord
from models.rejects import POLICY, EventRejected, RejectKind

__all__ = [
    "EVENT_MODELS",
    "MAX_EVENT_BYTES",
    "POLICY",
    "Event",
    "EventRejected",
    "KpiRecord",
    "RejectKind",
    "parse_event",
]
