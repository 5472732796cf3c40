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


def add_contact(st: AccountState, day: int, member_id: str, cfg: EngineConfig) -> None:
    """Remember that the account reached out to a member on a day (prospects contacted)."""
    key = (day, member_id)
    if key not in st.contacted and not day_expired(st, day, cfg.bucket_retention_us):
        st.contacted[key] = 1
        st.touch("contacted", key)
