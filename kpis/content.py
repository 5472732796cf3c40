"""Posts: totals, engagement, 48-hour curve, long-lived flag, weekly totals (seeds 000/001/004)."""

from __future__ import annotations

from dataclasses import dataclass, field

from kpis.config import EngineConfig
from kpis.daily import Contribution, move_contribution
from kpis.emit import Emitter, bucket_next_change, next_after, ratio, rollup
from kpis.state import POST_FIELDS, POST_KIND_INDEX, AccountState, Post
from kpis.timeutil import DAY_US, HOUR_US, day_info, day_of
from models.events import PostInteraction, PostPublished, PostSnapshot
from models.records import KpiRecord

MINUTE_US = 60_000_000
POST_KPIS = tuple(f"post_{name}" for name in POST_FIELDS)


def expired(post: Post, t: int, cfg: EngineConfig) -> bool:
    """Whether `prune` at a watermark of `t` would drop the record: an event at `t` then finds
    a new post, so that records never depend on when prune ran. Cheap in the usual cases."""
    published = post.published_at
    if published is not None and published > t - cfg.bucket_retention_us:
        return False  # still a tombstone at least
    horizon = t - cfg.post_retention_us
    points, snapshots = post.points, post.snapshots
    if points and next(reversed(points)) > horizon:  # in time order, the latest point
        return False
    return all(p <= horizon for p in points) and all(s <= horizon for s in snapshots)


def _post(st: AccountState, post_id: str, t: int, cfg: EngineConfig) -> Post | None:
    """The post's record, or None when the event is older than post retention."""
    post = st.posts.get(post_id)
    horizon = st.watermark - cfg.post_retention_us
    if post is not None and expired(post, t, cfg):
        post = None
    if post is None:
        if t <= horizon:
            return None
        post = st.posts[post_id] = Post()
    elif t <= horizon or (post.published_at is not None and post.published_at <= horizon):
        return None
    return post


def _published_contribution(post: Post) -> Contribution:
    if post.published_at is None:
        return []
    return [(("posts_published", day_of(post.published_at)), 1)]


def on_published(st: AccountState, ev: PostPublished, t: int, cfg: EngineConfig) -> bool:
    post = _post(st, ev.post_id, t, cfg)
    if post is None:
        return False
    if (
        post.published_at is None
        or t < post.published_at
        or (t == post.published_at and ev.format > (post.format or ""))
    ):
        old = _published_contribution(post)
        post.published_at, post.format = t, ev.format
        move_contribution(st, old, _published_contribution(post), cfg)
        st.touch("posts", ev.post_id)
    return True


def on_interaction(st: AccountState, ev: PostInteraction, t: int, cfg: EngineConfig) -> bool:
    # `_post`, inlined: a third of all events are interactions.
    post_id = ev.post_id
    post = st.posts.get(post_id)
    horizon = st.watermark - cfg.post_retention_us
    if (
        post is not None
        # `expired`'s first test, inlined: a post published in the last 400 days is not
        and (post.published_at is None or post.published_at <= t - cfg.bucket_retention_us)
        and expired(post, t, cfg)
    ):
        post = None
    if post is None:
        if t <= horizon:
            return False
        post = st.posts[post_id] = Post()
    elif t <= horizon or (post.published_at is not None and post.published_at <= horizon):
        return False
    points = post.points
    point = points.get(t)
    if point is None:
        if len(points) >= cfg.max_points_per_post:
            t -= t % MINUTE_US  # documented cap: fold to the minute rather than grow unbounded
            point = points.get(t)
        if point is None:
            point = points[t] = [0, 0, 0, 0, 0]
    point[POST_KIND_INDEX[ev.kind]] += ev.count
    if st.dirty is not None:
        st.dirty.add(("posts", post_id))
    return True


def on_snapshot(st: AccountState, ev: PostSnapshot, t: int, cfg: EngineConfig) -> bool:
    post = _post(st, ev.post_id, t, cfg)
    if post is None:
        return False
    values = [ev.views, ev.reactions, ev.comments, ev.shares, ev.clicks]
    known = post.snapshots.get(t)
    if known is not None:  # two reads at the same instant: keep the larger, whatever the order
        values = [_max_or_none(a, b) for a, b in zip(known, values, strict=True)]
    elif len(post.snapshots) >= cfg.max_snapshots_per_post:
        del post.snapshots[min(post.snapshots)]
    post.snapshots[t] = values
    st.touch("posts", ev.post_id)
    return True


def _max_or_none(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else max(a, b)


@dataclass(slots=True)
class PostView:
    """A post's numbers at one `as_of`: totals and per-moment increments (time, views, inter.)."""

    totals: list[int]
    increments: list[tuple[int, int, int]] = field(default_factory=list)


def post_view(post: Post, start: int, as_of: int) -> PostView:
    """Totals and increments from snapshots when there are any, else from interactions."""
    snapshots = sorted((t, v) for t, v in post.snapshots.items() if start < t <= as_of)
    if snapshots:
        previous = [0] * len(POST_FIELDS)
        latest = [0] * len(POST_FIELDS)
        view = PostView(latest)
        for t, values in snapshots:
            deltas = [0] * len(POST_FIELDS)
            for i, value in enumerate(values):
                if value is not None:
                    deltas[i] = value - previous[i]
                    previous[i] = latest[i] = value
            view.increments.append((t, deltas[0], sum(deltas[1:])))
        return view
    views = reactions = comments = shares = clicks = 0
    increments: list[tuple[int, int, int]] = []
    append = increments.append
    for t, (v, r, c, s, k) in post.points.items():
        if start < t <= as_of:
            views += v
            reactions += r
            comments += c
            shares += s
            clicks += k
            append((t, v, r + c + s + k))
    return PostView([views, reactions, comments, shares, clicks], increments)


@dataclass(slots=True)
class PostNumbers:
    """Everything a post shows at one `as_of`: its records are built from these alone (the
    incremental evaluation keeps them per post, to compare and rebuild without re-reading
    the post's points)."""

    totals: list[int]  # views, reactions, comments, shares, clicks
    interactions: int
    rate: float | None  # engagement rate, None when the post has no view
    weekly: dict[int, list[int]]  # ISO week index -> [views, interactions] of its increments
    # The 48-hour curve, when published at or before as_of (curve is False otherwise): the
    # elapsed hours only, so both lists have `min(curve_hours, hours since publication + 1)`.
    curve: bool
    published_at: int | None
    hourly_views: list[int]
    hourly_interactions: list[int]
    long_lived: int


def post_numbers(post: Post, as_of: int, cfg: EngineConfig) -> PostNumbers | None:
    """The post's numbers at `as_of`, or None when it shows no record then."""
    start = as_of - cfg.post_retention_us
    published = post.published_at
    if published is not None and published <= start:
        return None  # curve retention is over
    view = post_view(post, start, as_of)
    increments = view.increments
    if not increments and (published is None or published > as_of):
        return None
    totals = view.totals
    interactions = totals[1] + totals[2] + totals[3] + totals[4]
    # ISO week index -> views / interactions: day 0 (1970-01-01) is a Thursday, so the week of
    # day d is (d + 3) // 7 and its Monday is 7 * week - 3.
    weekly: dict[int, list[int]] = {}
    for t, v, i in increments:
        week = (t // DAY_US + 3) // 7
        sums = weekly.get(week)
        if sums is None:
            weekly[week] = [v, i]
        else:
            sums[0] += v
            sums[1] += i
    numbers = PostNumbers(
        totals, interactions, ratio(interactions, totals[0]), weekly, False, published, [], [], 0
    )
    if published is not None and published <= as_of:
        hours = cfg.curve_hours
        elapsed = min(hours, (as_of - published) // HOUR_US + 1)
        hourly_views, hourly_interactions = [0] * elapsed, [0] * elapsed
        long_lived = 0
        for t, v, i in increments:
            hour = (t - published) // HOUR_US
            if 0 <= hour < elapsed:
                hourly_views[hour] += v
                hourly_interactions[hour] += i
            elif hour >= hours and i > 0:
                long_lived = 1
        numbers.curve = True
        numbers.hourly_views, numbers.hourly_interactions = hourly_views, hourly_interactions
        numbers.long_lived = long_lived
    return numbers


def post_next_change(post: Post, as_of: int, cfg: EngineConfig) -> int | None:
    """The earliest evaluation time after `as_of` at which `post_numbers` may differ with no
    new event (None: never): a point or snapshot reaching as_of or leaving the retention
    window, the publication reached or past retention, the next hour of the curve."""
    retention = cfg.post_retention_us
    best = next_after(as_of, (*post.points, *post.snapshots), (0, retention))
    published = post.published_at
    if published is not None:
        if published > as_of:
            candidate = published
        else:
            candidate = published + retention
            hour = (as_of - published) // HOUR_US + 1  # the next elapsed hour
            if hour < cfg.curve_hours:
                candidate = min(candidate, published + hour * HOUR_US)
        best = candidate if best is None else min(best, candidate)
    return best


_new_record = tuple.__new__
TOTAL_KPIS = (*POST_KPIS, "post_interactions")
CURVE_KPIS = (
    "post_hourly_views",
    "post_hourly_interactions",
    "post_cumulative_views",
    "post_cumulative_interactions",
)


def post_records(
    account_id: str, as_of_label: str, post_id: str, numbers: PostNumbers, curve: bool = True
) -> list[KpiRecord]:
    """The post's records: totals, engagement rate, then its curve (4 records an hour;
    `curve=False` leaves them out) and long-lived flag. Built directly (one dims dict per
    hour, shared by its 4 records)."""
    new, cls = _new_record, KpiRecord
    dims: dict[str, str | int] = {"post_id": post_id}  # shared by the post's records
    out = [
        new(cls, (account_id, name, "total", value, as_of_label, dims))
        for name, value in zip(TOTAL_KPIS, (*numbers.totals, numbers.interactions), strict=True)
    ]
    append = out.append
    if numbers.rate is not None:
        append(
            new(cls, (account_id, "post_engagement_rate", "total", numbers.rate, as_of_label, dims))
        )
    if numbers.curve and curve:
        hourly, hourly_i, cumulative, cumulative_i = CURVE_KPIS
        cum_v = cum_i = 0
        for hour, (v, i) in enumerate(
            zip(numbers.hourly_views, numbers.hourly_interactions, strict=True)
        ):
            cum_v += v
            cum_i += i
            hour_dims: dict[str, str | int] = {"post_id": post_id, "hour": hour}
            append(new(cls, (account_id, hourly, "total", v, as_of_label, hour_dims)))
            append(new(cls, (account_id, hourly_i, "total", i, as_of_label, hour_dims)))
            append(new(cls, (account_id, cumulative, "total", cum_v, as_of_label, hour_dims)))
            append(new(cls, (account_id, cumulative_i, "total", cum_i, as_of_label, hour_dims)))
    if numbers.curve:
        append(
            new(
                cls, (account_id, "post_long_lived", "total", numbers.long_lived, as_of_label, dims)
            )
        )
    return out


def weekly_records(emit: Emitter, weekly: dict[int, list[int]]) -> None:
    """Per account per ISO week: post views, interactions, engagement rate."""
    for week, (v, i) in weekly.items():
        label = day_info(7 * week - 3).week_label
        emit("weekly_post_views", label, v)
        emit("weekly_post_interactions", label, i)
        emit("weekly_engagement_rate", label, ratio(i, v))


def add_weekly(into: dict[int, list[int]], weekly: dict[int, list[int]]) -> None:
    for week, (v, i) in weekly.items():
        sums = into.get(week)
        if sums is None:
            into[week] = [v, i]
        else:
            sums[0] += v
            sums[1] += i


def published_days(st: AccountState) -> list[tuple[int, int]]:
    """(day, posts published) buckets."""
    return [(int(key[1]), n) for key, n in st.daily.items() if key[0] == "posts_published"]


def account_records(
    emit: Emitter, st: AccountState, weekly: dict[int, list[int]], cfg: EngineConfig
) -> None:
    """The account-level content records: weekly post totals and posts published per week."""
    weekly_records(emit, weekly)
    for label, n in rollup(
        published_days(st), ("week",), emit.as_of, cfg.bucket_retention_us
    ).items():
        emit("posts_published", label, n)


def account_next_change(st: AccountState, as_of: int, cfg: EngineConfig) -> int | None:
    """When `account_records` may change with no event (weekly totals follow the posts)."""
    return bucket_next_change(
        as_of, (day for day, _n in published_days(st)), cfg.bucket_retention_us
    )


def evaluate(st: AccountState, emit: Emitter, cfg: EngineConfig) -> None:
    as_of = emit.as_of
    weekly: dict[int, list[int]] = {}
    records = emit.records
    for post_id, post in st.posts.items():
        numbers = post_numbers(post, as_of, cfg)
        if numbers is None:
            continue
        records.extend(post_records(emit.account_id, emit.as_of_label, post_id, numbers))
        add_weekly(weekly, numbers.weekly)
    account_records(emit, st, weekly, cfg)


def prune(st: AccountState, cfg: EngineConfig) -> None:
    """Drop points past retention; an expired published post stays as a tombstone so that its
    late interactions are recognised as late (until the weekly bucket retention)."""
    horizon = st.watermark - cfg.post_retention_us
    for post_id, post in list(st.posts.items()):
        points, snapshots = post.points, post.snapshots
        stale_points = (
            [t for t in points if t <= horizon] if points and min(points) <= horizon else []
        )
        stale_snaps = (
            [t for t in snapshots if t <= horizon]
            if snapshots and min(snapshots) <= horizon
            else []
        )
        for t in stale_points:
            del post.points[t]
        for t in stale_snaps:
            del post.snapshots[t]
        tombstone_over = post.published_at is None or (
            post.published_at <= st.watermark - cfg.bucket_retention_us
        )
        if not post.points and not post.snapshots and tombstone_over:
            del st.posts[post_id]
        if stale_points or stale_snaps or post_id not in st.posts:
            st.touch("posts", post_id)
