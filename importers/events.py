"""What every importer shares: deterministic ids, member ids from profile URLs, validated
encoding, input files, and the read/mapped/skipped summary.

Ids are hashes of stable source fields (never of message contents), so the same row or
webhook always gives the same `event_id`. Ids derived from a person (invitation,
conversation, message ids) are keyed hashes from `importers.derived_ids`, so the same
member gets the same `invitation_id` whichever source saw it first (an Expandi invitation
is accepted by the export's Connections.csv row of that member), and no one without the
pseudonym key can find the member behind it.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import unquote, urlsplit

from kpis.timeutil import to_us
from models import parse_event

_SEP = "\x1f"  # unit separator: cannot appear in the text fields we hash


def digest(*parts: object) -> str:
    """24 hex chars (96 bits) of SHA-256 over the parts: short, stable, collision-free in
    practice for the volumes of one account."""
    text = _SEP.join("" if part is None else str(part) for part in parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def stable_id(prefix: str, *parts: object) -> str:
    """`prefix-<digest>`; the prefix is hashed too, so kinds of ids never share digests."""
    return f"{prefix}-{digest(prefix, *parts)}"


def member_id(url: str | None) -> str | None:
    """Stable member id of a LinkedIn profile URL, None when it is not one.

    `https://www.linkedin.com/in/Jane-Doe-0a1b2c/?trk=x` -> `jane-doe-0a1b2c` (the /in/ slug,
    percent-decoded, lower-cased: slugs are case-insensitive); opaque ids such as
    `/in/ACoAAB...` keep their case; Sales Navigator `/sales/lead/ACwAA...,NAME` ->
    `sales:ACwAA...`; company pages `/company/acme` -> `company:acme`.
    """
    text = (url or "").strip()
    if not text:
        return None
    parts_url = urlsplit(text if "://" in text else f"https://{text}")
    host = (parts_url.hostname or "").lower()
    if host != "linkedin.com" and not host.endswith(".linkedin.com"):
        return None
    parts = [unquote(p) for p in parts_url.path.split("/") if p]
    if len(parts) >= 2 and parts[0].lower() in ("in", "pub"):
        slug = "/".join(parts[1:]) if parts[0].lower() == "pub" else parts[1]
        opaque = slug[:4].lower() in ("acoa", "acwa")
        return slug if opaque else slug.lower()
    if len(parts) >= 3 and parts[0].lower() == "sales" and parts[1].lower() in ("lead", "people"):
        return "sales:" + parts[2].split(",")[0]
    if len(parts) >= 2 and parts[0].lower() in ("company", "school", "showcase"):
        return f"company:{parts[1].lower()}"
    return None


@dataclass(frozen=True, slots=True)
class Encoded:
    """One validated event as it travels: compact JSON bytes plus what routing needs."""

    event_id: str
    account_id: str
    type: str
    occurred_us: int
    line: bytes


def encode(event: dict[str, Any]) -> Encoded:
    """Serialize and validate through the contract; raises `EventRejected`."""
    line = json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return encode_line(line)


def encode_line(line: bytes) -> Encoded:
    """Validate raw JSON bytes (kept as they are); raises `EventRejected`."""
    parsed = parse_event(line)
    return Encoded(parsed.event_id, parsed.account_id, parsed.type, to_us(parsed.occurred_at), line)


class InputError(ValueError):
    """An input file that cannot be read at all (missing, a directory, no permission)."""


def read_input(path: str | Path) -> bytes:
    """The file's bytes; `InputError` as one line saying what is wrong with which path."""
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise _input_error(path, error) from None


def check_input(path: str | Path) -> None:
    """`InputError` now if `read_input` would fail later (before anything is written)."""
    try:
        Path(path).open("rb").close()
    except OSError as error:
        raise _input_error(path, error) from None


def _input_error(path: str | Path, error: OSError) -> InputError:
    if isinstance(error, FileNotFoundError):
        return InputError(f"{path}: no such file")
    if isinstance(error, IsADirectoryError):
        return InputError(f"{path}: a directory, not a file")
    return InputError(f"{path}: cannot read ({error.strerror or error})")


@dataclass(slots=True)
class ImportSummary:
    """What was read, mapped and skipped; problems are `FILE:LINE: reason` lines."""

    read: Counter[str] = field(default_factory=Counter)  # data rows per file
    mapped: Counter[str] = field(default_factory=Counter)  # events per type
    ignored: Counter[str] = field(default_factory=Counter)  # rows skipped on purpose
    inferred: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    yielded: Counter[str] = field(default_factory=Counter)  # events per input file
    duplicates: int = 0  # same event_id produced twice in this run (kept once)
    errors: TextIO | None = None  # where problems are echoed as they happen

    def source(self, name: str) -> None:
        """Register an input file: one that yields no event makes the command fail."""
        self.yielded[name] += 0

    @property
    def empty_sources(self) -> list[str]:
        return sorted(name for name, events in self.yielded.items() if events == 0)

    def problem(self, where: str, line: int | None, reason: str) -> None:
        text = f"{where}:{line}: {reason}" if line is not None else f"{where}: {reason}"
        self.problems.append(text)
        if self.errors is not None:
            self.errors.write(text + "\n")

    def text(self, command: str, written: int, destination: str) -> str:
        def show(counter: Counter[str]) -> str:
            return ", ".join(f"{k} {v}" for k, v in sorted(counter.items())) or "none"

        lines = [
            f"{command}: read {sum(self.read.values())} rows ({show(self.read)})",
            f"  mapped {sum(self.mapped.values())} events ({show(self.mapped)})",
            f"  skipped {len(self.problems)} unmappable rows, ignored {sum(self.ignored.values())}"
            f" ({show(self.ignored)}), {self.duplicates} duplicates",
        ]
        if self.inferred:
            lines.append(f"  inferred: {show(self.inferred)}")
        lines.append(f"  wrote {written} events to {destination}")
        lines += [f"  no event from {name}" for name in self.empty_sources]
        return "\n".join(lines) + "\n"
