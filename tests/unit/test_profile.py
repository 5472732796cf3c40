"""Profile, network size and SSI (docs/kpis.md, kpis/profile.py): hand-worked expectations."""

from __future__ import annotations

from .helpers import profile, run, ssi

AS_OF = "2026-11-20T12:00:00Z"  # ISO week 2026-W47; W46 = 9..15 Nov; W44 = 26 Oct..1 Nov


def test_latest_value_of_each_field_is_the_most_recent_snapshot_carrying_it() -> None:
    events = [
        profile(
            "2026-11-18T10:00:00Z",
            connections=500,
            followers=800,
            profile_views_90d=120,
            search_appearances_7d=30,
            target_in_first_degree=40,
        ),
        profile("2026-11-19T10:00:00Z", connections=510),  # only connections moves
        profile("2026-11-17T10:00:00Z", connections=9999, followers=1),  # older: ignored
        profile("2026-11-20T13:00:00Z", connections=7777),  # after as_of: not applied
    ]
    r = run(events, as_of=AS_OF)
    assert r.value("connections", "latest") == 510
    assert r.value("followers", "latest") == 800
    assert r.value("profile_views_90d", "latest") == 120
    assert r.value("search_appearances_7d", "latest") == 30
    assert r.value("target_in_first_degree", "latest") == 40
    assert isinstance(r.value("connections", "latest"), int)


def test_same_instant_snapshots_keep_the_larger_value_whatever_the_order() -> None:
    t = "2026-11-19T10:00:00Z"
    for order in ((600, 610), (610, 600)):
        r = run([profile(t, connections=n) for n in order], as_of=AS_OF)
        assert r.value("connections", "latest") == 610


def test_ssi_total_components_and_ranks_of_the_latest_ssi() -> None:
    events = [
        profile("2026-11-18T10:00:00Z", ssi=ssi(10, 10, 10, 10, industry_rank_pct=50)),
        profile(
            "2026-11-19T10:00:00Z",
            ssi=ssi(12.5, 10, 15.25, 20, industry_rank_pct=5, network_rank_pct=2),
        ),
    ]
    r = run(events, as_of=AS_OF)
    # 12.5 + 10 + 15.25 + 20 = 57.75
    assert r.value("ssi_total", "latest") == 57.75
    assert isinstance(r.value("ssi_total", "latest"), float)
    assert r.value("ssi_brand", "latest") == 12.5
    assert r.value("ssi_people", "latest") == 10.0
    assert r.value("ssi_insights", "latest") == 15.25
    assert r.value("ssi_relationships", "latest") == 20.0
    assert r.value("ssi_industry_rank_pct", "latest") == 5.0
    assert r.value("ssi_network_rank_pct", "latest") == 2.0
    for name in ("ssi_brand", "ssi_people", "ssi_industry_rank_pct", "ssi_network_rank_pct"):
        assert isinstance(r.value(name, "latest"), float)


def test_connections_and_followers_growth_per_week_and_month() -> None:
    events = [
        profile("2026-10-28T10:00:00Z", connections=90),  # W44, October
        profile("2026-11-10T10:00:00Z", connections=100, followers=1000),  # W46
        profile("2026-11-12T10:00:00Z", connections=110),  # W46
        profile("2026-11-18T10:00:00Z", connections=125, followers=990),  # W47, a drop
    ]
    r = run(events, as_of=AS_OF)
    assert r.series("connections_growth") == {
        "week:2026-W44": 0,  # no value before: 90 - 90 (its own first value)
        "week:2026-W46": 20,  # 110 (last of W46) - 90 (last before)
        "week:2026-W47": 15,  # 125 - 110
        "month:2026-10": 0,  # 90 - 90
        "month:2026-11": 35,  # 125 - 90
    }
    assert r.series("followers_growth") == {
        "week:2026-W46": 0,  # 1000 - 1000 (first value)
        "week:2026-W47": -10,  # 990 - 1000
        "month:2026-11": -10,  # 990 - 1000
    }


def _ssi_trend_events() -> list[dict]:
    return [
        profile("2026-10-01T10:00:00Z", ssi=ssi(7.5, 7.5, 7.5, 7.5)),  # total 30, W40
        profile("2026-11-10T10:00:00Z", ssi=ssi(10, 10, 10, 10)),  # total 40, W46
        profile("2026-11-13T10:00:00Z", ssi=ssi(11, 11, 11, 11)),  # total 44, W46
        profile("2026-11-18T10:00:00Z", ssi=ssi(12.5, 12.5, 12.5, 12.5)),  # total 50, W47
    ]


def test_ssi_total_weekly_is_the_last_total_of_the_week() -> None:
    r = run(_ssi_trend_events(), as_of=AS_OF)
    assert r.series("ssi_total_weekly") == {
        "week:2026-W40": 30.0,
        "week:2026-W46": 44.0,  # 13 Nov (44) is after 10 Nov (40)
        "week:2026-W47": 50.0,
    }


def test_ssi_total_change_over_7_and_30_days() -> None:
    r = run(_ssi_trend_events(), as_of=AS_OF)
    # 7d: last total at or before 13 Nov 12:00 is the 13 Nov 10:00 snapshot (44): 50 - 44 = 6
    assert r.value("ssi_total_change", "rolling_7d") == 6.0
    # 30d: last total at or before 21 Oct 12:00 is 1 Oct (30): 50 - 30 = 20
    assert r.value("ssi_total_change", "rolling_30d") == 20.0


def test_ssi_total_change_absent_without_a_snapshot_old_enough() -> None:
    r = run(_ssi_trend_events()[1:], as_of=AS_OF)  # nothing at or before 21 Oct
    assert r.value("ssi_total_change", "rolling_7d") == 6.0
    assert r.get("ssi_total_change", "rolling_30d") is None


def test_ssi_total_change_uses_the_last_snapshot_at_or_before_the_window_start() -> None:
    # Two snapshots on 13 Nov, either side of as_of - 7d = 13 Nov 12:00. The baseline is the
    # 08:00 one (44), not the 20:00 one (46, after the cutoff) nor 10 Nov's (40).
    events = [
        profile("2026-11-10T10:00:00Z", ssi=ssi(10, 10, 10, 10)),  # 40
        profile("2026-11-13T08:00:00Z", ssi=ssi(11, 11, 11, 11)),  # 44
        profile("2026-11-13T20:00:00Z", ssi=ssi(11.5, 11.5, 11.5, 11.5)),  # 46
        profile("2026-11-18T10:00:00Z", ssi=ssi(12.5, 12.5, 12.5, 12.5)),  # 50
    ]
    r = run(events, as_of=AS_OF)
    # 50 - 44 = 6
    assert r.value("ssi_total_change", "rolling_7d") == 6.0


def test_latest_is_at_or_before_as_of_even_when_newer_snapshots_are_applied() -> None:
    """The worker may evaluate at a clock a batch has just passed: the newest snapshot is
    after that as_of, the one before it is the answer (spec: "at or before")."""
    from kpis import Engine

    from .helpers import parse, us

    engine = Engine()
    events = [
        profile("2026-11-19T10:00:00Z", connections=500, ssi=ssi(10, 10, 10, 10)),
        profile("2026-11-20T11:00:00Z", connections=505),
        profile("2026-11-20T12:00:01Z", connections=510, ssi=ssi(20, 20, 20, 20)),
        profile("2026-11-20T12:30:00Z", connections=520),
    ]
    for event in reversed(parse(events)):  # arrival order does not matter
        engine.apply(event)
    records = {(r.kpi, r.period): r.value for r in engine.evaluate(us(AS_OF))}
    assert records[("connections", "latest")] == 505
    assert records[("ssi_total", "latest")] == 40.0
    assert ("followers", "latest") not in records
    later = {(r.kpi, r.period): r.value for r in engine.evaluate(us("2026-11-20T13:00:00Z"))}
    assert later[("connections", "latest")] == 520 and later[("ssi_total", "latest")] == 80.0
