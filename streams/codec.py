"""Compact, exact serialization of engine state entities for the Faust table (changelog).

Values (entities of `kpis.state`: dataclasses, dicts with int/tuple keys, lists, tuples,
`Decimal`, floats, ints, strings, None) become UTF-8 JSON where a JSON object is always a
tag, so that every Python type comes back as itself:

| Python | JSON |
|---|---|
| None, bool, int, float, str | themselves (floats round-trip exactly through `repr`) |
| list | array |
| tuple | `{"T": [...]}` |
| Decimal | `{"D": "12.30"}` (exact, scale kept) |
| dict | `{"M": [[key, value], ...]}` (keys of any type, insertion order kept) |
| dataclass of kpis.state | `{"@": "Invitation", "sent_at": 1, ...}` (see below) |

A dataclass leaves out fields equal to their default; decoding ignores unknown fields and
gives missing ones their default, so stored state survives fields added to `kpis.state`.

Keys (dict keys of `AccountState` namespaces: str, int, tuples of them) use plain JSON with
tuples as arrays (a key is never a list): `"inv-1"`, `["invitations_sent",20000]`. JSON
escapes control characters, so an encoded key never contains the table key separator.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import kpis.state as state_module
from kpis.state import AccountState

_MISSING = object()

# Every dataclass the engine keeps inside an AccountState, by class name.
ENTITY_CLASSES: dict[str, type[Any]] = {
    name: obj
    for name, obj in vars(state_module).items()
    if isinstance(obj, type) and dataclasses.is_dataclass(obj) and obj is not AccountState
}


def _defaults(cls: type[Any]) -> tuple[tuple[str, Any], ...]:
    out: list[tuple[str, Any]] = []
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            default: Any = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            default = _MISSING
        out.append((f.name, default))
    return tuple(out)


_FIELDS: dict[type[Any], tuple[tuple[str, Any], ...]] = {
    cls: _defaults(cls) for cls in ENTITY_CLASSES.values()
}
_FIELD_NAMES: dict[str, frozenset[str]] = {
    name: frozenset(f for f, _ in _FIELDS[cls]) for name, cls in ENTITY_CLASSES.items()
}
_SCALARS = frozenset((str, int, float, bool, type(None)))


def to_tree(value: Any) -> Any:
    """A JSON-compatible tree of `value` (see the module table)."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is list:
        if _SCALARS.issuperset(map(type, value)):
            return value  # JSON-native already (the common case: counters)
        return [to_tree(v) for v in value]
    if kind is tuple:
        return {"T": [to_tree(v) for v in value]}
    if kind is dict:
        scalars = _SCALARS
        return {
            "M": [
                [
                    k if type(k) in scalars else to_tree(k),
                    v if type(v) in scalars else to_tree(v),
                ]
                for k, v in value.items()
            ]
        }
    if kind is Decimal:
        return {"D": str(value)}
    spec = _FIELDS.get(kind)
    if spec is None:
        raise TypeError(f"cannot encode {kind.__name__} in table state")
    out: dict[str, Any] = {"@": kind.__name__}
    for name, default in spec:
        item = getattr(value, name)
        if default is _MISSING or type(item) is not type(default) or item != default:
            out[name] = to_tree(item)
    return out


def _object_hook(obj: dict[str, Any]) -> Any:
    if "@" in obj:
        name = obj.pop("@")
        cls = ENTITY_CLASSES.get(name)
        if cls is None:
            raise ValueError(f"unknown entity class {name!r} in table state")
        known = _FIELD_NAMES[name]
        return cls(**{k: v for k, v in obj.items() if k in known})
    if "M" in obj:
        return {k: v for k, v in obj["M"]}
    if "T" in obj:
        return tuple(obj["T"])
    if "D" in obj:
        return Decimal(obj["D"])
    raise ValueError(f"untagged object in table state: {sorted(obj)}")


_dumps: Callable[[Any], str] = json.JSONEncoder(
    separators=(",", ":"), ensure_ascii=False, allow_nan=True
).encode
_loads_tagged = json.JSONDecoder(object_hook=_object_hook).decode


def encode_value(value: Any) -> bytes:
    return _dumps(to_tree(value)).encode()


def decode_value(data: bytes | str) -> Any:
    return _loads_tagged(data.decode() if isinstance(data, bytes) else data)


def _key_tree(key: Any) -> Any:
    if type(key) is tuple:
        return [_key_tree(k) for k in key]
    return to_tree(key)


def _from_key_tree(tree: Any) -> Any:
    if type(tree) is list:
        return tuple(_from_key_tree(t) for t in tree)
    return tree


def encode_key(key: Any) -> bytes:
    """A namespace key (str, int, or tuple of them) as compact JSON."""
    kind = type(key)
    if kind is str or kind is int:
        return _dumps(key).encode()
    return _dumps(_key_tree(key)).encode()


def decode_key(data: bytes | str) -> Any:
    return _from_key_tree(_loads_tagged(data.decode() if isinstance(data, bytes) else data))


def dumps(tree: Any) -> str:
    """Compact JSON text of a plain tree (no tagging)."""
    return _dumps(tree)
