"""Turn raw bytes into a validated event, or a precise rejection reason (field path + problem)."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import TypeAdapter, ValidationError

from models.events import Event

_EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
# pydantic-core's validator itself: `TypeAdapter.validate_json` is a Python wrapper around it.
_VALIDATE_JSON = _EVENT_ADAPTER.validator.validate_json
MAX_EVENT_BYTES = 64 * 1024


class EventRejected(ValueError):
    """An input the contract refuses; `reason` is short, stable-ish and safe to log."""

    def __init__(self, reason: str, kind: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind  # bounded vocabulary, used as a metric label


def parse_event(raw: bytes | str, max_bytes: int = MAX_EVENT_BYTES) -> Event:
    """Validate one JSON document against the wire contract."""
    size = len(raw)
    if isinstance(raw, str) and size * 4 > max_bytes:
        size = len(raw.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise EventRejected(f"oversize: {size} bytes > {max_bytes}", "oversize")
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
        return EventRejected(f"malformed JSON: {first['msg']}", "malformed_json")
    if kind in ("model_type", "model_attributes_type", "dict_type") and len(loc) <= 1:
        return EventRejected("not a JSON object", "malformed_json")
    if kind == "union_tag_not_found":
        return EventRejected("type: missing", "missing_field")
    if kind == "union_tag_invalid":
        tag = first.get("ctx", {}).get("tag", "?")
        return EventRejected(f"type: unknown event type {tag!r}", "unknown_type")
    # The first loc element is the discriminator tag; the rest is the field path.
    path = ".".join(loc[1:]) or (loc[0] if loc else "event")
    label = "missing_field" if kind == "missing" else "invalid_field"
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return EventRejected(f"{path}: {first['msg']}{more}", label)
