"""Judge an ingest body item by item, without I/O: framing and limits
(`importers.ingest_json`), then the contract (`models`) or a vendor mapping
(`importers.webhooks`). Each item is judged exactly as if it had come alone.

Whole-request errors (empty body, too many items) are a `RequestError`; everything else is
a `Batch` of per-item verdicts with their dead letters.
"""

from __future__ import annotations

import contextlib
import json
import logging
from dataclasses import dataclass
from typing import Any

from importers.events import encode, encode_line
from importers.ingest_batch import Batch
from importers.ingest_json import Framing, frame, parse_item
from importers.webhooks import VendorMapping, map_payload, redact
from models.rejects import POLICY, EventRejected, RejectKind

log = logging.getLogger("socialkpi.ingest")


@dataclass(frozen=True, slots=True)
class RequestError:
    """No item judged: one status for the request (the kind's, `POLICY`, unless given)."""

    message: str
    kind: RejectKind
    status: int = 0

    @property
    def http_status(self) -> int:
        return self.status or POLICY[self.kind].http_status

    def body(self) -> dict[str, str]:
        return {"error": self.message, "kind": self.kind.value}


def framed(body: bytes, max_items: int) -> Framing | RequestError:
    framing = frame(body)
    if not framing.items and not framing.single_value:
        return RequestError("empty body", RejectKind.MALFORMED_JSON)
    if len(framing.items) > max_items:
        return RequestError(f"more than {max_items} items in one request", RejectKind.OVERSIZE)
    return framing


def judge_events(path: str, body: bytes, max_items: int) -> Batch | RequestError:
    """Contract events: limits, then `models.parse_event` on the item's own bytes."""
    framing = framed(body, max_items)
    if isinstance(framing, RequestError):
        return framing
    batch = Batch(path)
    for index, item in enumerate(framing.items):
        try:
            parse_item(item)
            batch.accept(index, encode_line(item.raw))
        except EventRejected as rejected:
            batch.reject(index, rejected, item.raw)
        except Exception:  # our bug, not the sender's: still a 4xx and a dead letter
            log.exception("%s: item %d: unexpected error", path, index)
            batch.reject(index, _processing_error(), item.raw)
    return batch


def judge_webhooks(
    path: str,
    body: bytes,
    max_items: int,
    mapping: VendorMapping,
    account: str | None,
    key: bytes,
) -> Batch | RequestError:
    """Vendor payloads: limits, the mapping, then the contract. Dead letters keep the
    payload redacted, or nothing when it did not parse (it could not be redacted)."""
    framing = framed(body, max_items)
    if isinstance(framing, RequestError):
        return framing
    batch = Batch(path)
    for index, item in enumerate(framing.items):
        payload: Any = None
        try:
            payload = parse_item(item)
            event = map_payload(mapping, payload, account, key)
            if event is None:
                batch.ignore(index)
            else:
                batch.accept(index, encode(event))
        except EventRejected as rejected:
            batch.reject(index, rejected, redacted_bytes(payload, mapping.redact), redacted=True)
        except Exception:
            log.exception("%s: item %d: unexpected error", path, index)
            batch.reject(index, _processing_error(), b"", redacted=True)
    return batch


def unknown_vendor(
    path: str, vendor: str, body: bytes, known: list[str]
) -> tuple[Batch, RequestError]:
    """404 (the URL names no vendor) and one dead letter of the redacted body."""
    framing = frame(body)
    payload = None
    if framing.single_value and len(framing.items) == 1:
        with contextlib.suppress(EventRejected):
            payload = parse_item(framing.items[0])
    batch = Batch(path)
    rejected = EventRejected(f"unknown vendor {vendor!r}", RejectKind.UNKNOWN_TYPE)
    batch.reject(0, rejected, redacted_bytes(payload), redacted=True)
    message = f"unknown vendor {vendor!r} (known: {', '.join(sorted(known))})"
    return batch, RequestError(message, RejectKind.UNKNOWN_TYPE, 404)


def redacted_bytes(payload: Any, extra: list[str] | None = None) -> bytes:
    """The payload with message-like fields blanked; nothing when it did not parse."""
    if payload is None:
        return b""
    return json.dumps(redact(payload, extra or ()), separators=(",", ":")).encode()


def _processing_error() -> EventRejected:
    return EventRejected("could not process this item", RejectKind.PROCESSING_ERROR)
