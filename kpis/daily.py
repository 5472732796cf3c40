"""Day-bucket counters with event-time lateness: a closed, expired bucket is never changed."""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from kpis.config import EngineConfig
from kpis.state import AccountState
from kpis.timeutil import DAY_US

DailyKey = tuple[str | int, ...]  # (metric, day, *dims)
Contribution = list[tuple[DailyKey, int]]


def day_expired(st: AccountState, day: int, retention_us: int) -> bool:
    """True when the whole day lies before the account's watermark minus the retention."""
    return (day + 1) * DAY_US <= st.watermark - retention_us


def last_expired_day(st: AccountState, retention_us: int) -> int:
    """The latest day index that `day_expired` calls expired: day <= this, for prune scans."""
    return (st.watermark - retention_us) // DAY_US - 1


def drop_expired_days(
    st: AccountState, namespace: str, entries: dict[Any, Any], day_at: int, last_day: int
) -> None:
    """Prune: delete the entries of `st.{namespace}` whose key holds a day (at index `day_at`)
    at or before `last_day`. A C-level min() first: most of the time nothing expires."""
    day_of_key = itemgetter(day_at)
    if entries and min(map(day_of_key, entries)) <= last_day:
        for key in [k for k in entries if day_of_key(k) <= last_day]:
            del entries[key]
            st.touch(namespace, key)


def add_daily(st: AccountState, key: DailyKey, delta: int, cfg: EngineConfig) -> bool:
    if (int(key[1]) + 1) * DAY_US <= st.watermark - cfg.bucket_retention_us:  # day_expired
        return False
    daily = st.daily
    value = daily.get(key, 0) + delta
    if value:
        daily[key] = value
    else:
        daily.pop(key, None)
    if st.dirty is not None:
        st.dirty.add(("daily", key))
    return True


def move_contribution(
    st: AccountState, old: Contribution, new: Contribution, cfg: EngineConfig
) -> None:
    """Replace an entity's old bucket contribution with its new one (order-independent sums)."""
    if old == new:
        return
    delta = dict(new)  # a contribution never repeats a key
    for key, amount in old:
        delta[key] = delta.get(key, 0) - amount
    for key, amount in delta.items():
        if amount:
            add_daily(st, key, amount, cfg)


def add_contact(
    st: AccountState, day: int, member_id: str, cfg: EngineConfig, delta: int = 1
) -> None:
    """Count a reach-out to a member on a day (prospects contacted = distinct members with a
    positive count); an invitation whose earliest send moves takes its count back."""
    if (day + 1) * DAY_US <= st.watermark - cfg.bucket_retention_us:  # day_expired
        return
    key = (day, member_id)
    contacted = st.contacted
    count = contacted.get(key, 0) + delta
    if count > 0:
        contacted[key] = count
    else:
        contacted.pop(key, None)
    if st.dirty is not None:
        st.dirty.add(("contacted", key))
