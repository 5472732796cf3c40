"""Day-bucket counters with event-time lateness: a closed, expired bucket is never changed."""

from __future__ import annotations

from kpis.config import EngineConfig
from kpis.state import AccountState
from kpis.timeutil import DAY_US

DailyKey = tuple[str | int, ...]  # (metric, day, *dims)
Contribution = list[tuple[DailyKey, int]]


def day_expired(st: AccountState, day: int, retention_us: int) -> bool:
    """True when the whole day lies before the account's watermark minus the retention."""
    return (day + 1) * DAY_US <= st.watermark - retention_us


def add_daily(st: AccountState, key: DailyKey, delta: int, cfg: EngineConfig) -> bool:
    if day_expired(st, int(key[1]), cfg.bucket_retention_us):
        return False
    value = st.daily.get(key, 0) + delta
    if value:
        st.daily[key] = value
    else:
        st.daily.pop(key, None)
    st.touch("daily", key)
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
    if day_expired(st, day, cfg.bucket_retention_us):
        return
    key = (day, member_id)
    count = st.contacted.get(key, 0) + delta
    if count > 0:
        st.contacted[key] = count
    else:
        st.contacted.pop(key, None)
    st.touch("contacted", key)
