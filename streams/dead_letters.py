"""The dead-letter document: the original bytes plus where they came from and why they failed.

Keyed like the original message, so a fixed event can be re-sent to the same partition.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from kpis.timeutil import format_ts

ORIGINAL_MAX_BYTES = 1024 * 1024  # larger originals are truncated (and flagged)


def dead_letter_document(
    message: Any,
    reason: str,
    kind: str,
    app_id: str,
    now_us: int,
    original: bytes | None = None,
    index: int | None = None,
) -> tuple[bytes | None, bytes]:
    """(key, value) of the dead letter for a Faust/aiokafka `message`; for an item of a
    batch message, `original` is the item's bytes and `index` its place in the batch."""
    raw: bytes = (message.value or b"") if original is None else original
    key: bytes | None = message.key
    document = {
        "topic": message.topic,
        "partition": message.partition,
        "offset": message.offset,
        "key": None if key is None else base64.b64encode(key).decode(),
        "original": base64.b64encode(raw[:ORIGINAL_MAX_BYTES]).decode(),
        "original_bytes": len(raw),
        "truncated": len(raw) > ORIGINAL_MAX_BYTES,
        "reason": reason,
        "kind": kind,
        "time": format_ts(now_us),
        "app_id": app_id,
    }
    if index is not None:
        document["index"] = index
    return key, json.dumps(document, separators=(",", ":")).encode()
