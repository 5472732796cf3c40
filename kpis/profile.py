"""Network size, profile reach and the Social Selling Index with its trend (seeds 000, 003)."""

from __future__ import annotations

from kpis.config import EngineConfig
from kpis.daily import day_expired
from kpis.emit import Emitter, bucket_next_change, earliest, next_after, retained_day_cutoff
from kpis.state import AccountState
from kpis.timeutil import DAY_US, day_info, day_of
from models.events import PROFILE_FIELDS, ProfileSnapshot

SSI_PARTS = ("brand", "people", "insights", "relationships")
SSI_RANKS = ("industry_rank_pct", "network_rank_pct")
GROWTH_FIELDS = ("connections", "followers")
SSI_TREND_WINDOWS = (("rolling_7d", 7 * DAY_US), ("rolling_30d", 30 * DAY_US))
SSI_RECENT_US = 32 * DAY_US
FIRST_OF_DAY = "@first"  # longer than the longest trend window
# Snapshots kept per field for "latest at or before as_of" when the newest is after it (the
# worker evaluates at a clock a batch may have just passed): bounded, order-independent.
RECENT_PER_FIELD = 8


def _newer(known: tuple[int, object] | None, t: int, value: float) -> bool:
    """Latest by event time; at the same instant the larger value, so order never matters."""
    if known is None:
        return True
    known_t, known_value = known
    return t > known_t or (t == known_t and value > known_value)  # type: ignore[operator]


def _set_latest(st: AccountState, name: str, t: int, value: float, cfg: EngineConfig) -> None:
    if _newer(st.profile.get(name), t, value):
        st.profile[name] = (t, value)
        st.touch("profile", name)
    _remember(st, name, t, value)
    day = day_of(t)
    if name in (*GROWTH_FIELDS, "ssi_total") and not day_expired(st, day, cfg.bucket_retention_us):
        key = (name, day)
        if _newer(st.profile_days.get(key), t, value):
            st.profile_days[key] = (t, value)
            st.touch("profile_days", key)
        # The day's first snapshot too: a period's growth starts from its first value when
        # nothing precedes it (same instant: the larger value, as everywhere).
        first_key = (f"{name}{FIRST_OF_DAY}", day)
        known = st.profile_days.get(first_key)
        if known is None or t < known[0] or (t == known[0] and value > known[1]):
            st.profile_days[first_key] = (t, value)
            st.touch("profile_days", first_key)


def _remember(st: AccountState, name: str, t: int, value: float) -> None:
    """Keep the field's RECENT_PER_FIELD latest instants (the larger value at one instant)."""
    recent = st.profile_recent.get(name, ())
    if len(recent) >= RECENT_PER_FIELD and t < recent[0][0]:
        return
    by_time: dict[int, object] = dict(recent)
    known = by_time.get(t)
    if known is not None and not value > known:  # type: ignore[operator]
        return
    by_time[t] = value
    st.profile_recent[name] = tuple(sorted(by_time.items())[-RECENT_PER_FIELD:])
    st.touch("profile_recent", name)


def _latest_at(st: AccountState, name: str, newest: tuple[int, object], as_of: int) -> object:
    """The field's value at as_of: its newest snapshot, else the latest recent one before."""
    if newest[0] <= as_of:
        return newest[1]
    for t, value in reversed(st.profile_recent.get(name, ())):
        if t <= as_of:
            return value
    return None


def on_snapshot(st: AccountState, ev: ProfileSnapshot, t: int, cfg: EngineConfig) -> bool:
    for name in PROFILE_FIELDS:
        value = getattr(ev, name)
        if value is not None:
            _set_latest(st, name, t, value, cfg)
    ssi = ev.ssi
    if ssi is not None:
        parts = [getattr(ssi, part) for part in SSI_PARTS]
        for part, value in zip(SSI_PARTS, parts, strict=True):
            _set_latest(st, f"ssi_{part}", t, value, cfg)
        total = sum(parts)
        _set_latest(st, "ssi_total", t, total, cfg)
        if t > st.watermark - SSI_RECENT_US and st.ssi_recent.get(t, -1.0) < total:
            st.ssi_recent[t] = total
            st.touch("ssi_recent", t)
        for rank in SSI_RANKS:
            value = getattr(ssi, rank)
            if value is not None:
                _set_latest(st, f"ssi_{rank}", t, value, cfg)
    return True


def evaluate(st: AccountState, emit: Emitter, cfg: EngineConfig) -> None:
    as_of = emit.as_of
    for name, newest in st.profile.items():
        value = _latest_at(st, name, newest, as_of)
        if value is not None:
            emit(name, "latest", float(value) if name.startswith("ssi_") else value)  # type: ignore[arg-type]
    first_day, last_day = retained_day_cutoff(as_of, cfg.bucket_retention_us), day_of(as_of)
    by_time: dict[str, dict[int, float]] = {}
    for (name, day), (t, value) in st.profile_days.items():
        if first_day <= day <= last_day and t <= as_of:
            points_of = by_time.setdefault(name.removesuffix(FIRST_OF_DAY), {})
            points_of[t] = max(value, points_of.get(t, value))
    series = {name: sorted(points.items()) for name, points in by_time.items()}
    for name in GROWTH_FIELDS:
        points = sorted(series.get(name, []))
        for kind in ("week", "month"):
            for label, growth in _growth(points, kind).items():
                emit(f"{name}_growth", label, int(growth))
    ssi = sorted(series.get("ssi_total", []))
    for label, last in _last_per_period(ssi, "week").items():
        emit("ssi_total_weekly", label, float(last))
    # Exact snapshots of the last 32 days plus the last one of each older day: the last
    # total at or before as_of - L is always among them.
    # (only the exact snapshots prune would keep at as_of: records never depend on prune)
    recent_from = as_of - SSI_RECENT_US
    history = sorted(
        {
            **dict(ssi),
            **{t: v for t, v in st.ssi_recent.items() if recent_from < t <= as_of},
        }.items()
    )
    if history:
        latest = history[-1][1]
        for period, length in SSI_TREND_WINDOWS:
            before = [value for t, value in history if t <= as_of - length]
            if before:
                emit("ssi_total_change", period, float(latest - before[-1]))


def next_change(st: AccountState, as_of: int, cfg: EngineConfig) -> int | None:
    """When `evaluate` may change with no event: a snapshot reaches as_of or passes a trend
    window or the exact-snapshot horizon, a day of growth history leaves retention."""
    times = [t for t, _value in st.profile.values()]
    times += [t for recent in st.profile_recent.values() for t, _value in recent]
    times += [t for t, _value in st.profile_days.values()]
    times += st.ssi_recent
    offsets = (0, *(length for _period, length in SSI_TREND_WINDOWS), SSI_RECENT_US)
    days = {day for _name, day in st.profile_days}
    return earliest(
        next_after(as_of, times, offsets),
        bucket_next_change(as_of, days, cfg.bucket_retention_us),
    )


def _label(t: int, kind: str) -> str:
    info = day_info(day_of(t))
    return info.week_label if kind == "week" else info.month_label


def _last_per_period(points: list[tuple[int, float]], kind: str) -> dict[str, float]:
    return {_label(t, kind): value for t, value in points}  # sorted: the last one wins


def _growth(points: list[tuple[int, float]], kind: str) -> dict[str, float]:
    """Last value of each period minus the last value before it (or its own first value)."""
    growth: dict[str, float] = {}
    baseline: float | None = None
    current_label: str | None = None
    period_start_value = 0.0
    for t, value in points:
        label = _label(t, kind)
        if label != current_label:
            period_start_value = baseline if baseline is not None else value
            current_label = label
        growth[label] = value - period_start_value
        baseline = value
    return growth


def prune(st: AccountState, cfg: EngineConfig) -> None:
    for t in [t for t in st.ssi_recent if t <= st.watermark - SSI_RECENT_US]:
        del st.ssi_recent[t]
        st.touch("ssi_recent", t)
    for key in [k for k in st.profile_days if day_expired(st, k[1], cfg.bucket_retention_us)]:
        del st.profile_days[key]
        st.touch("profile_days", key)
