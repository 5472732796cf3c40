"""Pydantic models of the wire contract (events) and of the output contract (KPI records)."""

from models.events import EVENT_MODELS, Event
from models.parse import MAX_EVENT_BYTES, EventRejected, parse_event
from models.records import KpiRecord

__all__ = ["EVENT_MODELS", "MAX_EVENT_BYTES", "Event", "EventRejected", "KpiRecord", "parse_event"]
