"""Pydantic models of the wire contract (events) and of the output contract (KPI records)."""

from models.batch import BATCH_HEADER, MAX_BATCH_ITEMS, ItemResult, is_batch, parse_message
from models.events import EVENT_MODELS, Event
from models.parse import MAX_EVENT_BYTES, parse_event
from models.records import KpiRecord
from models.rejects import POLICY, EventRejected, RejectKind

__all__ = [
    "BATCH_HEADER",
    "EVENT_MODELS",
    "MAX_BATCH_ITEMS",
    "MAX_EVENT_BYTES",
    "POLICY",
    "Event",
    "EventRejected",
    "ItemResult",
    "KpiRecord",
    "RejectKind",
    "is_batch",
    "parse_event",
    "parse_message",
]
