"""Interaction history and warm prospects (docs/kpis.md, kpis/actors.py)."""

from __future__ import annotations

from kpis import EngineConfig

from .helpers import interaction, run

AS_OF = "2026-11-20T12:00:00Z"
T1 = "2026-11-18T10:00:00Z"
T2 = "2026-11-19T10:00:00Z"
BUCKETS = ["1", "2", "3", "4", "5", "6-9", "10-24", "25+"]


def _history() -> list[dict]:
    def act(actor: str, kind: str, count: int | None = None, at: str = T1, degree=None):
        return interaction("post", kind, at, count=count, actor=actor, degree=degree)

    return [
        act("a1", "reaction", 5, degree=1),  # 5 -> bucket "5"
        act("a1", "view", 1, at=T2, degree=2),  # last seen degree 2 (a view still tells it)
        act("a2", "reaction", 5, degree=2),
        act("a2", "comment", at=T2, degree=1),  # 5 + 1 = 6 -> "6-9"; last degree 1
        act("a3", "comment", 9, degree=1),  # 9 -> "6-9"
        act("a3", "reaction", at=T2),  # +1 = 10 -> "10-24"; degree null keeps 1
        act("a4", "share", 10),  # 10 -> "10-24", degree never known
        act("a5", "reaction", 23, degree=1),
        act("a5", "share", 1),  # 24 -> "10-24"
        act("a6", "reaction", 25, degree=3),  # 25 -> "25+"
        act("a7", "reaction"),
        act("a7", "comment"),
        act("a7", "share"),
        act("a7", "click", 5),  # clicks and views are not history
        act("a7", "view", 10),  # a7: 1 + 1 + 1 = 3 -> "3"
        act("a8", "reaction", 4, at=T2, degree=2),  # 4 -> "4" (warm, the threshold)
        act("a8", "view", at=T1, degree=1),  # earlier event arriving later: degree stays 2
        act("a9", "reaction"),  # 1 -> "1"
        act("a10", "comment", 2),  # 2 -> "2"
        act("a11", "view", 50),  # views only: not in the histogram
        interaction("post", "reaction", T1, count=100),  # no actor_id: no history
    ]


def test_histogram_bucket_edges() -> None:
    r = run(_history(), as_of=AS_OF)
    hist = r.by_dim("actors_by_interaction_count", "bucket")
    # 1: a9 | 2: a10 | 3: a7 | 4: a8 | 5: a1 | 6-9: a2 (6) | 10-24: a3 (10), a4 (10), a5 (24)
    # 25+: a6 (25)
    assert hist == {"1": 1, "2": 1, "3": 1, "4": 1, "5": 1, "6-9": 1, "10-24": 3, "25+": 1}


def test_histogram_edges_5_6_9_10_24_25_one_actor_each() -> None:
    counts = {"e5": 5, "e6": 6, "e9": 9, "e10": 10, "e24": 24, "e25": 25}
    events = [interaction("p", "reaction", T1, count=n, actor=a) for a, n in counts.items()]
    hist = run(events, as_of=AS_OF).by_dim("actors_by_interaction_count", "bucket")
    # all 8 buckets are emitted, zeros included
    assert hist == {"1": 0, "2": 0, "3": 0, "4": 0, "5": 1, "6-9": 2, "10-24": 2, "25+": 1}
    assert sorted(hist) == sorted(BUCKETS)


def test_warm_prospects_count_ge_4_and_degree_rule() -> None:
    r = run(_history(), as_of=AS_OF)
    # warm (>= 4): a1 5, a2 6, a3 10, a4 10, a5 24, a6 25, a8 4 -> 7 (a7 has 3)
    assert r.value("warm_prospects", "total") == 7
    # last seen non-null degree: a1 2, a2 1, a3 1, a4 none, a5 1, a6 3, a8 2
    # not 1st degree -> invite: a1, a4, a6, a8 -> 4
    assert r.value("warm_prospects_to_invite", "total") == 4


def test_warm_prospect_threshold_is_configurable() -> None:
    r = run(_history(), as_of=AS_OF, config=EngineConfig(warm_prospect_min=10))
    # >= 10: a3 10, a4 10, a5 24, a6 25 -> 4; to invite (degree != 1): a4, a6 -> 2
    assert r.value("warm_prospects", "total") == 4
    assert r.value("warm_prospects_to_invite", "total") == 2


def test_no_actor_records_without_history() -> None:
    events = [
        interaction("p", "view", T1, count=5, actor="viewer"),
        interaction("p", "reaction", T1, count=9),
    ]
    r = run(events, as_of=AS_OF)
    assert not {"actors_by_interaction_count", "warm_prospects"} & r.kpis()


def test_history_counts_interactions_within_365_days() -> None:
    events = [
        interaction("p", "reaction", "2025-11-19T10:00:00Z", count=3, actor="old"),  # > 365 d
        interaction("p", "reaction", "2025-11-21T10:00:00Z", count=1, actor="old"),  # < 365 d
    ]
    # 365 days before as_of = 2025-11-20T12:00Z: the 19 Nov 2025 day bucket has expired,
    # the 21 Nov one is kept -> "old" has 1
    r = run(events, as_of=AS_OF)
    assert r.by_dim("actors_by_interaction_count", "bucket")["1"] == 1
    assert r.by_dim("actors_by_interaction_count", "bucket")["4"] == 0


def test_degree_seen_twice_at_the_same_instant_follows_the_documented_tie_rule() -> None:
    # docs/kpis.md: stored values are "latest by event time, larger value on ties": at the same
    # instant degree 2 beats degree 1, so the warm actor is an "invite to connect" suggestion.
    events = [
        interaction("p", "reaction", T1, count=4, actor="tie", degree=1),
        interaction("p", "view", T1, actor="tie", degree=2),
    ]
    for order in (events, events[::-1]):
        r = run(order, as_of=AS_OF)
        assert r.value("warm_prospects", "total") == 1
        assert r.value("warm_prospects_to_invite", "total") == 1
