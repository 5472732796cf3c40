"""JSON Schema of the wire contract, generated from the models (docs/schema/ holds a copy)."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from models.events import Event


def event_json_schema() -> dict[str, Any]:
    schema = TypeAdapter(Event).json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "socialkpi event, wire format version 1"
    return schema
