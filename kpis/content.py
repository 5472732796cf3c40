"""Posts: totals, engagement, 48-hour curve, long-lived flag, weekly totals (seeds 000/001/004)."""

from __future__ import annotations

from dataclasses import dataclass, field

from kpis.config import EngineConfig
from kpis.daily import Contribution, move_contribution
from kpis.emit import Emitter, ratio, rollup
from kpis.state import POST_FIELDS, POST_KIND_INDEX, AccountState, Post
from kpis.timeutil import HOUR_US, day_info, day_of
from models.events import PostInteraction, PostPublished, PostSnapshot

MINUTE_US = 60_000_000


def _post(st: AccountState, post_id: str, t: int, cfg: EngineConfig) -> Post | None:
    """The post's record, or None when the event is older than post retention."""
    post = st.posts.get(post_id)
    horizon = st.watermark - cfg.post_retention_us
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
    post = _post(st, ev.post_id, t, cfg)
    if post is None:
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
    st.touch("posts", ev.post_id)
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
    totals = [0] * len(POST_FIELDS)
    view = PostView(totals)
    for t, point in post.points.items():
        if start < t <= as_of:
            for i, n in enumerate(point):
                totals[i] += n
            view.increments.append((t, point[0], point[1] + point[2] + point[3] + point[4]))
    return view


def evaluate(st: AccountState, emit: Emitter, cfg: EngineConfig) -> None:
    as_of = emit.as_of
    start = as_of - cfg.post_retention_us
    weekly_views: dict[str, int] = {}
    weekly_interactions: dict[str, int] = {}
    for post_id, post in st.posts.items():
        published = post.published_at
        if published is not None and published <= start:
            continue  # curve retention is over
        view = post_view(post, start, as_of)
        if not view.increments and (published is None or published > as_of):
            continue
        views, interactions = view.totals[0], sum(view.totals[1:])
        for name, total in zip(POST_FIELDS, view.totals, strict=True):
            emit(f"post_{name}", "total", total, post_id=post_id)
        emit("post_interactions", "total", interactions, post_id=post_id)
        emit("post_engagement_rate", "total", ratio(interactions, views), post_id=post_id)
        for t, v, i in view.increments:
            week = day_info(day_of(t)).week_label
            weekly_views[week] = weekly_views.get(week, 0) + v
            weekly_interactions[week] = weekly_interactions.get(week, 0) + i
        if published is not None and published <= as_of:
            _emit_curve(emit, post_id, published, view, cfg.curve_hours)
    for week, v in weekly_views.items():
        emit("weekly_post_views", week, v)
        emit("weekly_post_interactions", week, weekly_interactions[week])
        emit("weekly_engagement_rate", week, ratio(weekly_interactions[week], v))
    published_days = [
        (int(key[1]), n) for key, n in st.daily.items() if key[0] == "posts_published"
    ]
    for label, n in rollup(published_days, ("week",), as_of, cfg.bucket_retention_us).items():
        emit("posts_published", label, n)


def _emit_curve(emit: Emitter, post_id: str, published: int, view: PostView, hours: int) -> None:
    hourly_views, hourly_interactions = [0] * hours, [0] * hours
    long_lived = 0
    for t, v, i in view.increments:
        hour = (t - published) // HOUR_US
        if 0 <= hour < hours:
            hourly_views[hour] += v
            hourly_interactions[hour] += i
        elif hour >= hours and i > 0:
            long_lived = 1
    elapsed = min(hours, (emit.as_of - published) // HOUR_US + 1)
    cumulative_views = cumulative_interactions = 0
    for hour in range(elapsed):
        cumulative_views += hourly_views[hour]
        cumulative_interactions += hourly_interactions[hour]
        emit("post_hourly_views", "total", hourly_views[hour], post_id=post_id, hour=hour)
        emit(
            "post_hourly_interactions",
            "total",
            hourly_interactions[hour],
            post_id=post_id,
            hour=hour,
        )
        emit("post_cumulative_views", "total", cumulative_views, post_id=post_id, hour=hour)
        emit(
            "post_cumulative_interactions",
            "total",
            cumulative_interactions,
            post_id=post_id,
            hour=hour,
        )
    emit("post_long_lived", "total", long_lived, post_id=post_id)


def prune(st: AccountState, cfg: EngineConfig) -> None:
    """Drop points past retention; an expired published post stays as a tombstone so that its
    late interactions are recognised as late (until the weekly bucket retention)."""
    horizon = st.watermark - cfg.post_retention_us
    for post_id in list(st.posts):
        post = st.posts[post_id]
        stale_points = [t for t in post.points if t <= horizon]
        stale_snaps = [t for t in post.snapshots if t <= horizon]
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
