"""Content (docs/kpis.md, kpis/content.py): totals, 48-hour curve, long-lived, snapshots, weeks."""

from __future__ import annotations

import random

from .helpers import interaction, published, run, snapshot

AS_OF = "2026-11-20T12:00:00Z"
PUB = "2026-11-18T10:00:00Z"  # hour h covers [10:00 + h, 11:00 + h); as_of is 50 h later


def _curve_events() -> list[dict]:
    return [
        published("p1", PUB),
        interaction("p1", "view", "2026-11-18T10:00:00Z", count=100),  # h0 (at published)
        interaction("p1", "view", "2026-11-18T10:59:59.999999Z", count=50),  # h0, last µs
        interaction("p1", "reaction", "2026-11-18T11:00:00Z", count=3),  # h1: exactly pub + 1h
        interaction("p1", "comment", "2026-11-18T11:30:00Z"),  # h1, count defaults to 1
        interaction("p1", "share", "2026-11-18T12:15:00Z"),  # h2
        interaction("p1", "click", "2026-11-18T12:45:00Z", count=2),  # h2
        interaction("p1", "view", "2026-11-18T13:00:00Z", count=30),  # h3
        interaction("p1", "view", "2026-11-20T09:59:59.999999Z", count=20),  # h47
        interaction("p1", "reaction", "2026-11-20T10:00:00Z"),  # pub + 48h: no hour, long-lived
    ]


def test_post_totals_and_engagement_rate() -> None:
    r = run(_curve_events(), as_of=AS_OF)
    assert r.value("post_views", "total", post_id="p1") == 200  # 100 + 50 + 30 + 20
    assert r.value("post_reactions", "total", post_id="p1") == 4  # 3 + 1
    assert r.value("post_comments", "total", post_id="p1") == 1
    assert r.value("post_shares", "total", post_id="p1") == 1
    assert r.value("post_clicks", "total", post_id="p1") == 2
    # 4 + 1 + 1 + 2 = 8
    assert r.value("post_interactions", "total", post_id="p1") == 8
    # 8 / 200 = 0.04
    assert r.value("post_engagement_rate", "total", post_id="p1") == 0.04


def test_48_hour_curve_with_exact_hour_boundaries() -> None:
    r = run(_curve_events(), as_of=AS_OF)
    views = r.by_dim("post_hourly_views", "hour", post_id="p1")
    inter = r.by_dim("post_hourly_interactions", "hour", post_id="p1")
    assert sorted(views) == list(range(48))  # 50 h elapsed: all 48 hours, zeros included
    assert sorted(inter) == list(range(48))
    assert (views[0], views[1], views[2], views[3], views[47]) == (150, 0, 0, 30, 20)
    assert sum(views.values()) == 200
    # h1: 3 reactions + 1 comment = 4; h2: 1 share + 2 clicks = 3; the pub+48h reaction is out
    assert (inter[0], inter[1], inter[2], inter[3]) == (0, 4, 3, 0)
    assert sum(inter.values()) == 7


def test_48_hour_cumulative_curve() -> None:
    r = run(_curve_events(), as_of=AS_OF)
    cum_views = r.by_dim("post_cumulative_views", "hour", post_id="p1")
    cum_inter = r.by_dim("post_cumulative_interactions", "hour", post_id="p1")
    # views: 150, 150, 150, 180, ..., 180, 200 (h47)
    assert [cum_views[h] for h in (0, 1, 2, 3, 46, 47)] == [150, 150, 150, 180, 180, 200]
    # interactions: 0, 4, 7, 7, ..., 7
    assert [cum_inter[h] for h in (0, 1, 2, 3, 47)] == [0, 4, 7, 7, 7]


def test_long_lived_when_an_interaction_arrives_48h_or_more_after_publication() -> None:
    r = run(_curve_events(), as_of=AS_OF)
    assert r.value("post_long_lived", "total", post_id="p1") == 1  # reaction at pub + 48h


def test_not_long_lived_when_only_views_or_earlier_interactions() -> None:
    events = [e for e in _curve_events() if e["occurred_at"] != "2026-11-20T10:00:00Z"]
    events.append(interaction("p1", "view", "2026-11-20T11:00:00Z", count=5))  # a view at 49h
    r = run(events, as_of=AS_OF)
    assert r.value("post_long_lived", "total", post_id="p1") == 0
    assert r.value("post_views", "total", post_id="p1") == 205  # the total still counts it


def test_hourly_records_only_for_hours_started_by_as_of() -> None:
    events = [
        published("p2", "2026-11-20T10:00:00Z"),
        interaction("p2", "view", "2026-11-20T10:30:00Z", count=7),
    ]
    # as_of = pub + 2h exactly: hours 0, 1 and 2 have started (hour 2 starts at 12:00)
    r = run(events, as_of=AS_OF)
    assert r.by_dim("post_hourly_views", "hour", post_id="p2") == {0: 7, 1: 0, 2: 0}
    assert r.by_dim("post_cumulative_views", "hour", post_id="p2") == {0: 7, 1: 7, 2: 7}
    assert r.value("post_long_lived", "total", post_id="p2") == 0
    # a published post without any view or interaction: totals 0, no engagement rate (0/0)
    r = run([published("p3", "2026-11-20T11:00:00Z")], as_of=AS_OF)
    assert r.value("post_views", "total", post_id="p3") == 0
    assert r.value("post_interactions", "total", post_id="p3") == 0
    assert r.get("post_engagement_rate", "total", post_id="p3") is None
    assert r.by_dim("post_hourly_views", "hour", post_id="p3") == {0: 0, 1: 0}


def test_post_without_published_has_totals_but_no_curve() -> None:
    events = [
        interaction("old", "view", "2026-11-19T10:00:00Z", count=40),
        interaction("old", "reaction", "2026-11-19T10:00:00Z", count=2),
        interaction("old", "click", "2026-11-19T11:00:00Z"),
    ]
    r = run(events, as_of=AS_OF)
    assert r.value("post_views", "total", post_id="old") == 40
    assert r.value("post_interactions", "total", post_id="old") == 3  # 2 reactions + 1 click
    assert r.value("post_engagement_rate", "total", post_id="old") == 3 / 40
    for kpi in (
        "post_hourly_views",
        "post_hourly_interactions",
        "post_cumulative_views",
        "post_cumulative_interactions",
        "post_long_lived",
    ):
        assert kpi not in r.kpis(), kpi
    assert r.find("posts_published", "week:2026-W47") == []


def _snapshot_events() -> list[dict]:
    pub = "2026-11-19T10:00:00Z"
    return [
        published("p3", pub),
        snapshot("p3", "2026-11-19T10:30:00Z", views=100, reactions=5),  # h0
        snapshot("p3", "2026-11-19T11:00:00Z", views=250, reactions=8, comments=2),  # h1 exactly
        # h2: LinkedIn removed spam: views -10, reactions -1; first shares reading +1
        snapshot("p3", "2026-11-19T12:20:00Z", views=240, reactions=7, comments=2, shares=1),
        snapshot("p3", "2026-11-19T13:10:00Z", clicks=4),  # h3: only clicks
        # interactions of a post with snapshots do not change its totals ...
        interaction("p3", "reaction", "2026-11-19T11:10:00Z", count=2, actor="fan"),
        interaction("p3", "view", "2026-11-19T11:10:00Z", count=1000),
    ]


def test_snapshots_define_totals_and_hourly_deltas_including_a_drop() -> None:
    r = run(_snapshot_events(), as_of=AS_OF)
    assert r.value("post_views", "total", post_id="p3") == 240
    assert r.value("post_reactions", "total", post_id="p3") == 7
    assert r.value("post_comments", "total", post_id="p3") == 2
    assert r.value("post_shares", "total", post_id="p3") == 1
    assert r.value("post_clicks", "total", post_id="p3") == 4
    assert r.value("post_interactions", "total", post_id="p3") == 14  # 7 + 2 + 1 + 4
    assert r.value("post_engagement_rate", "total", post_id="p3") == 14 / 240
    views = r.by_dim("post_hourly_views", "hour", post_id="p3")
    inter = r.by_dim("post_hourly_interactions", "hour", post_id="p3")
    # deltas: h0 +100 views / +5; h1 +150 / +3+2 = 5; h2 -10 / -1+0+1 = 0; h3 0 / +4
    assert [views[h] for h in range(5)] == [100, 150, -10, 0, 0]
    assert [inter[h] for h in range(5)] == [5, 5, 0, 4, 0]
    cum_views = r.by_dim("post_cumulative_views", "hour", post_id="p3")
    cum_inter = r.by_dim("post_cumulative_interactions", "hour", post_id="p3")
    # running totals end at the snapshot values (240 views, 14 interactions)
    assert [cum_views[h] for h in (0, 1, 2, 3, 25)] == [100, 250, 240, 240, 240]
    assert [cum_inter[h] for h in (0, 1, 2, 3, 25)] == [5, 10, 10, 14, 14]
    assert r.value("post_long_lived", "total", post_id="p3") == 0
    # ... but the actor's reaction still feeds interaction history (2 -> bucket "2")
    assert r.value("actors_by_interaction_count", "total", bucket="2") == 1


def test_snapshots_in_any_arrival_order_give_the_same_records() -> None:
    events = _snapshot_events()
    expected = [x.to_dict() for x in run(events, as_of=AS_OF).records]
    shuffled = list(events)
    random.Random(7).shuffle(shuffled)
    assert [x.to_dict() for x in run(shuffled, as_of=AS_OF).records] == expected
    assert [x.to_dict() for x in run(events[::-1], as_of=AS_OF).records] == expected


def test_long_lived_from_a_snapshot_more_than_48h_after_publication() -> None:
    events = [
        published("p4", "2026-11-17T10:00:00Z"),
        snapshot("p4", "2026-11-17T12:00:00Z", views=100, reactions=10),
        snapshot("p4", "2026-11-19T11:00:00Z", views=150, reactions=12),  # pub + 49h, +2
    ]
    r = run(events, as_of=AS_OF)
    assert r.value("post_long_lived", "total", post_id="p4") == 1
    assert r.value("post_reactions", "total", post_id="p4") == 12
    # the curve holds only the h2 change; running totals stop at 100 / 10 inside 48 h
    assert r.by_dim("post_cumulative_views", "hour", post_id="p4")[47] == 100
    assert r.by_dim("post_cumulative_interactions", "hour", post_id="p4")[47] == 10


def test_weekly_posts_views_interactions_and_engagement_rate() -> None:
    events = [
        published("p1", "2026-11-16T09:00:00Z"),  # W47
        published("p2", "2026-11-18T09:00:00Z"),  # W47
        published("p2", "2026-11-19T09:00:00Z"),  # same post again: still one publication
        published("p3", "2026-11-10T09:00:00Z"),  # W46
        interaction("p3", "view", "2026-11-12T09:00:00Z", count=100),  # W46
        interaction("p3", "reaction", "2026-11-12T09:05:00Z", count=5),  # W46
        interaction("p3", "view", "2026-11-17T09:00:00Z", count=50),  # W47
        interaction("p1", "view", "2026-11-17T10:00:00Z", count=150),  # W47
        interaction("p1", "comment", "2026-11-17T10:05:00Z", count=10),  # W47
        interaction("p9", "view", "2026-11-18T10:00:00Z", count=50),  # unpublished post, W47
        interaction("p9", "share", "2026-11-18T10:05:00Z"),  # W47
    ]
    r = run(events, as_of=AS_OF)
    assert r.series("posts_published") == {"week:2026-W46": 1, "week:2026-W47": 2}
    # W46: 100 views, 5 interactions -> 0.05; W47: 50 + 150 + 50 = 250 views, 10 + 1 = 11
    assert r.series("weekly_post_views") == {"week:2026-W46": 100, "week:2026-W47": 250}
    assert r.series("weekly_post_interactions") == {"week:2026-W46": 5, "week:2026-W47": 11}
    assert r.series("weekly_engagement_rate") == {
        "week:2026-W46": 0.05,
        "week:2026-W47": 11 / 250,  # 0.044
    }


def test_weekly_totals_take_the_snapshot_changes() -> None:
    events = [
        snapshot("s", "2026-11-13T10:00:00Z", views=100, reactions=4),  # W46: +100 / +4
        snapshot("s", "2026-11-17T10:00:00Z", views=160, reactions=3, comments=2),  # W47
    ]
    r = run(events, as_of=AS_OF)
    # W47: +60 views; reactions -1, comments +2 -> +1 interaction
    assert r.series("weekly_post_views") == {"week:2026-W46": 100, "week:2026-W47": 60}
    assert r.series("weekly_post_interactions") == {"week:2026-W46": 4, "week:2026-W47": 1}
    assert r.series("weekly_engagement_rate") == {"week:2026-W46": 0.04, "week:2026-W47": 1 / 60}


def test_count_multiplies_interactions() -> None:
    r = run([interaction("p", "reaction", "2026-11-20T10:00:00Z", count=12)], as_of=AS_OF)
    assert r.value("post_reactions", "total", post_id="p") == 12
    assert r.value("post_interactions", "total", post_id="p") == 12
    assert r.get("post_engagement_rate", "total", post_id="p") is None  # 12 / 0 views
