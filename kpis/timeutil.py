"""Event-time arithmetic in integer microseconds since the Unix epoch, UTC calendar labels."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

US = 1_000_000
HOUR_US = 3600 * US
DAY_US = 24 * HOUR_US
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DATE = date(1970, 1, 1)
_ONE_US = timedelta(microseconds=1)


def to_us(moment: datetime) -> int:
    """Aware datetime -> microseconds since epoch (exact, no float)."""
    return (moment - EPOCH) // _ONE_US


def to_us_fast(moment: datetime) -> int:
    """Same as `to_us`, about twice as fast: between 1900 and 2100 the float error of
    `timestamp()` stays under the 0.5 us that `round` absorbs (a test checks it)."""
    if 1900 < moment.year < 2100:
        return round(moment.timestamp() * 1e6)
    return (moment - EPOCH) // _ONE_US


def from_us(t: int) -> datetime:
    return EPOCH + timedelta(microseconds=t)


def format_ts(t: int) -> str:
    """RFC 3339 in UTC with `Z`; microseconds only when present."""
    text = from_us(t).strftime("%Y-%m-%dT%H:%M:%S.%f")
    if text.endswith(".000000"):
        text = text[:-7]
    return text + "Z"


def parse_ts(text: str) -> int:
    """RFC 3339 with an offset -> microseconds; raises ValueError otherwise."""
    moment = datetime.fromisoformat(text.replace("z", "Z"))
    if moment.tzinfo is None:
        raise ValueError(f"timestamp without offset: {text!r}")
    return to_us(moment)


def day_of(t: int) -> int:
    return t // DAY_US


def day_of_date(d: date) -> int:
    return (d - _EPOCH_DATE).days


@dataclass(frozen=True, slots=True)
class DayInfo:
    """Calendar facts of one UTC day, cached because every bucketed KPI asks for them."""

    day_label: str
    week_label: str
    month_label: str
    week_end_day: int  # exclusive, as a day index
    month_end_day: int  # exclusive


@lru_cache(maxsize=8192)
def day_info(day: int) -> DayInfo:
    d = _EPOCH_DATE + timedelta(days=day)
    iso_year, iso_week, iso_weekday = d.isocalendar()
    next_month = date(d.year + d.month // 12, d.month % 12 + 1, 1)
    return DayInfo(
        day_label=f"day:{d.isoformat()}",
        week_label=f"week:{iso_year}-W{iso_week:02d}",
        month_label=f"month:{d.year}-{d.month:02d}",
        week_end_day=day - iso_weekday + 1 + 7,
        month_end_day=day_of_date(next_month),
    )


def period_labels(day: int, kinds: tuple[str, ...]) -> list[tuple[str, int]]:
    """(label, end_day exclusive) of the day/week/month periods holding `day`."""
    info = day_info(day)
    out: list[tuple[str, int]] = []
    for kind in kinds:
        if kind == "day":
            out.append((info.day_label, day + 1))
        elif kind == "week":
            out.append((info.week_label, info.week_end_day))
        elif kind == "month":
            out.append((info.month_label, info.month_end_day))
    return out
