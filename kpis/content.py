"""Posts: totals, engagement, 48-hour curve, long-lived flag, weekly totals (seeds 000/001/004)."""

from __future__ import annotations

from dataclasses import dataclass, field

from kpis.config import EngineConfig
from kpis.daily import Contribution, move_contribution
from kpis.emit import Emitter, ratio, rollup
from kpis.state import POST_FIELDS, POST_KIND_INDEX, AccountState, Post
from kpis.timeutil import DAY_US, HOUR_US, day_info, day_of
from models.events import PostInteraction, PostPublished, PostSnapshot

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


def evaluate(st: AccountState, emit: Emitter, cfg: EngineConfig) -> None:
    as_of = emit.as_of
    start = as_of - cfg.post_retention_us
    # ISO week index -> views / interactions: day 0 (1970-01-01) is a Thursday, so the week of
    # day d is (d + 3) // 7 and its Monday is 7 * week - 3.
    weekly_views: dict[int, int] = {}
    weekly_interactions: dict[int, int] = {}
    for post_id, post in st.posts.items():
        published = post.published_at
        if published is not None and published <= start:
            continue  # curve retention is over
        view = post_view(post, start, as_of)
        if not view.increments and (published is None or published > as_of):
            continue
        views, interactions = view.totals[0], sum(view.totals[1:])
        dims: dict[str, str | int] = {"post_id": post_id}  # shared by the post's records
        for name, total in zip(POST_KPIS, view.totals, strict=True):
            emit.add(name, "total", total, dims)
        emit.add("post_interactions", "total", interactions, dims)
        rate = ratio(interactions, views)
        if rate is not None:
            emit.add("post_engagement_rate", "total", rate, dims)
        for t, v, i in view.increments:
            week = (t // DAY_US + 3) // 7
            if week in weekly_views:
                weekly_views[week] += v
                weekly_interactions[week] += i
            else:
                weekly_views[week] = v
                weekly_interactions[week] = i
        if published is not None and published <= as_of:
            _emit_curve(emit, post_id, published, view, cfg.curve_hours)
    for week, v in weekly_views.items():
        label = day_info(7 * week - 3).week_label
        emit("weekly_post_views", label, v)
        emit("weekly_post_interactions", label, weekly_interactions[week])
        emit("weekly_engagement_rate", label, ratio(weekly_interactions[week], v))
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
    add = emit.add
    for hour in range(elapsed):
        views, interactions = hourly_views[hour], hourly_interactions[hour]
        cumulative_views += views
        cumulative_interactions += interactions
        dims: dict[str, str | int] = {"post_id": post_id, "hour": hour}  # shared by 4 records
        add("post_hourly_views", "total", views, dims)
        add("post_hourly_interactions", "total", interactions, dims)
        add("post_cumulative_views", "total", cumulative_views, dims)
        add("post_cumulative_interactions", "total", cumulative_interactions, dims)
    emit("post_long_lived", "total", long_lived, post_id=post_id)


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
