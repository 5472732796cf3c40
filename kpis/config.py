"""Engine settings: windows, retentions, thresholds and per-entity caps (all documented)."""

from __future__ import annotations

from dataclasses import dataclass

from kpis.timeutil import DAY_US, HOUR_US


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """Defaults are the spec's; every retention is measured back from the evaluation time."""

    bucket_retention_us: int = 400 * DAY_US  # day/week/month buckets
    post_retention_us: int = 90 * DAY_US  # per-post curves and totals
    actor_retention_us: int = 365 * DAY_US  # interaction history
    invitation_retention_us: int = 90 * DAY_US  # invitation / conversation records
    dedup_retention_us: int = 8 * DAY_US  # of processing time; the spec asks >= 7 days
    acceptance_window_us: int = 96 * HOUR_US
    stale_pending_after_us: int = 21 * DAY_US
    curve_hours: int = 48
    warm_prospect_min: int = 4
    max_points_per_post: int = 20_000  # beyond, new points are folded to the minute
    max_snapshots_per_post: int = 5_000  # beyond, the oldest are dropped
    max_actors_per_account: int = 200_000  # beyond, the least active are evicted at prune
    # Live (`Engine.live`): an event up to this far ahead of the clock waits in its account's
    # state until the clock reaches it; further ahead, or beyond the per-account cap, it is
    # refused (`future`). Replay ignores both: events after `as_of` are never applied.
    max_future_us: int = 24 * HOUR_US
    max_pending_per_account: int = 10_000

    def __post_init__(self) -> None:
        if self.dedup_retention_us < 7 * DAY_US:
            raise ValueError("duplicate ids must be kept at least 7 days")
        if self.max_future_us < 0 or self.max_pending_per_account < 0:
            raise ValueError("max_future_us and max_pending_per_account must be >= 0")
