"""JSON Schema of the wire contract, generated from the models (docs/schema/ holds a copy).

The schema validates one event; how events travel in Kafka messages (one per message, or a
batch: contract 1.1, `models.batch`) is told in its `description` and, for tools, in the
`x-kafka-framing` annotation (JSON Schema 2020-12 keeps unknown keywords as annotations).
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from models.batch import BATCH_FRAMING, BATCH_HEADER, DEFAULT_BATCH_BYTES, MAX_BATCH_ITEMS
from models.events import Event
from models.parse import MAX_EVENT_BYTES

DESCRIPTION = (
    "One socialkpi event (wire format 1.1; every version-1 event stays valid). In Kafka, "
    "the message key is the event's account_id. A message without the "
    f"`{BATCH_HEADER}` header carries one event: its value is one JSON object of this "
    f"schema (UTF-8, by default at most {MAX_EVENT_BYTES} bytes). A message with the header "
    f"`{BATCH_HEADER}: {BATCH_FRAMING.decode()}` is a batch: its value is UTF-8 JSON lines, "
    "every non-blank line one event of this schema (compact JSON, no raw newline inside, "
    f"at most {MAX_EVENT_BYTES} bytes), all of the account the key names, at most "
    f"{MAX_BATCH_ITEMS} items. Each item is validated, deduplicated and dead-lettered on "
    "its own (its 0-based index among the non-blank lines in the dead letter), exactly as "
    "if it had come alone; an item of another account is refused as key_mismatch. A batch "
    "whose framing is refused as a whole (unknown framing version, a JSON-array body, no "
    "item, too many items) is one dead letter."
)
FRAMING = {
    "single": {"headers": {}, "value": "one JSON object (this schema)"},
    "batch": {
        "headers": {BATCH_HEADER: BATCH_FRAMING.decode()},
        "value": "application/x-ndjson: one JSON object (this schema) per non-blank line",
        "key": "account_id of every item",
        "max_items": MAX_BATCH_ITEMS,
        "max_item_bytes": MAX_EVENT_BYTES,
        "producer_max_bytes": DEFAULT_BATCH_BYTES,
    },
}


def event_json_schema() -> dict[str, Any]:
    schema = TypeAdapter(Event).json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "socialkpi event, wire format version 1.1"
    schema["description"] = DESCRIPTION
    schema["x-kafka-framing"] = FRAMING
    return schema
