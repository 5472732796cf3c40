"""Turn raw bytes into a validated event, or a precise rejection reason (field path + problem)."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import TypeAdapter, ValidationError

from models.events import Event
from models.rejects import EventRejected, RejectKind

_EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
# pydantic-core's validator itself: `TypeAdapter.validate_json` is a Python wrapper around it.
_VALIDATE_JSON = _EVENT_ADAPTER.validator.validate_json
MAX_EVENT_BYTES = 64 * 1024


def parse_event(raw: bytes | str, max_bytes: int = MAX_EVENT_BYTES) -> Event:
    """Validate one JSON document against the wire contract."""
    size = len(raw)
    if isinstance(raw, str) and size * 4 > max_bytes:
        size = len(raw.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise EventRejected(f"oversize: {size} bytes > {max_bytes}", RejectKind.OVERSIZE)
    try:
        event: Event = _VALIDATE_JSON(raw)
    except ValidationError as exc:
        raise _rejection(exc) from None
    return event


def fast_validator() -> Callable[[bytes], Event]:
    """pydantic-core's JSON validator of the contract, for hot loops: it raises pydantic's
    `ValidationError` and does not check the size; call `parse_event` on a failed (or
    oversize) input to get its `EventRejected`."""
    return _VALIDATE_JSON


def _rejection(exc: ValidationError) -> EventRejected:
    errors = exc.errors(include_url=False, include_input=False)
    first = errors[0]
    kind = first["type"]
    loc = [str(p) for p in first["loc"]]
    if kind == "json_invalid":
        return EventRejected(f"malformed JSON: {first['msg']}", RejectKind.MALFORMED_JSON)
    if kind in ("model_type", "model_attributes_type", "dict_type") and len(loc) <= 1:
        return EventRejected("not a JSON object", RejectKind.MALFORMED_JSON)
    if kind == "union_tag_not_found":
        return EventRejected("type: missing", RejectKind.MISSING_FIELD)
    if kind == "union_tag_invalid":
        tag = first.get("ctx", {}).get("tag", "?")
        return EventRejected(f"type: unknown event type {tag!r}", RejectKind.UNKNOWN_TYPE)
    # The first loc element is the discriminator tag; the rest is the field path.
    path = ".".join(loc[1:]) or (loc[0] if loc else "event")
    if kind == "implausible_time":
        return EventRejected(f"{path}: {first['msg']}", RejectKind.IMPLAUSIBLE_TIME)
    label = RejectKind.MISSING_FIELD if kind == "missing" else RejectKind.INVALID_FIELD
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return EventRejected(f"{path}: {first['msg']}{more}", label)
