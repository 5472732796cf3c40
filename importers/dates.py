"""Date and time formats the sources write, to RFC 3339 in UTC.

Exports carry no offset: LinkedIn's archive and Campaign Manager's "(in UTC)" columns are
UTC, so a time without an offset is taken as UTC. Vendors write ISO 8601 with a space or a
`T`, with or without an offset, or Unix seconds / milliseconds.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from kpis.timeutil import format_ts, to_us

# Tried in order; the first that parses wins (US month-first, as LinkedIn writes them).
DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S %Z",  # messages.csv: 2024-01-15 14:30:00 UTC
    "%Y-%m-%d %H:%M:%S",  # Shares.csv: 2024-01-15 10:23:45
    "%Y-%m-%d %H:%M",
    "%m/%d/%y, %I:%M %p",  # Invitations.csv: 1/15/24, 3:04 PM
    "%m/%d/%Y, %I:%M %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M",
    "%b %d, %Y, %I:%M %p",  # Campaign Manager header: Nov 4, 2026, 9:15 AM
    "%b %d, %Y %I:%M %p",
    "%d %b %Y %H:%M",
)
DATE_FORMATS = (
    "%d %b %Y",  # Connections.csv: 01 Jan 2024
    "%Y-%m-%d",
    "%m/%d/%Y",  # Campaign Manager: 11/01/2026
    "%m/%d/%y",
    "%b %d, %Y",  # Nov 1, 2026
    "%d %B %Y",
    "%B %d, %Y",
)


def parse_date(text: str) -> date | None:
    value = text.strip()
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


def parse_datetime(text: str) -> int | None:
    """Microseconds since the epoch, or None; a value without an offset is UTC."""
    value = " ".join(text.split())
    if not value:
        return None
    iso = _iso(value)
    if iso is not None:
        return iso
    for fmt in DATETIME_FORMATS:
        try:
            moment = datetime.strptime(value, fmt)
        except ValueError:
            continue
        return to_us(moment.replace(tzinfo=UTC))
    day = parse_date(value)
    return None if day is None else day_start_us(day)


def _iso(value: str) -> int | None:
    text = value.replace(" ", "T", 1) if value[4:5] == "-" and value[10:11] == " " else value
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return to_us(moment)


def parse_instant(value: object) -> int | None:
    """A vendor timestamp: ISO 8601 text or Unix seconds / milliseconds (numbers above 1e11
    are milliseconds: 1e11 seconds is the year 5138)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value * 1000 if value > 10**11 else value * 1_000_000  # exact, no float
    if isinstance(value, float):
        return round(value * 1000 if value > 1e11 else value * 1_000_000)
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.isdigit():
            return parse_instant(int(stripped))
        return parse_datetime(stripped)
    return None


def day_start_us(day: date) -> int:
    return to_us(datetime(day.year, day.month, day.day, tzinfo=UTC))


def rfc3339(t: int) -> str:
    return format_ts(t)
