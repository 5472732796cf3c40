"""Duplicates, late events and orphan acceptances (SPEC "Time and windows", docs/kpis.md)."""

from __future__ import annotations

import random

from kpis import Engine

from .helpers import (
    AD_DIMS,
    Result,
    accepted,
    ad,
    interaction,
    msg_sent,
    outcome,
    parse,
    published,
    run,
    sent,
    shift,
    us,
    withdrawn,
)

AS_OF = "2026-11-20T12:00:00Z"


def _records(engine: Engine, as_of: str) -> list[dict]:
    return [x.to_dict() for x in engine.evaluate(us(as_of))]


def test_duplicate_event_id_is_counted_once() -> None:
    msg = msg_sent("c", "2026-11-20T09:00:00Z", event_id="dup-1")
    adv = ad("impression", "2026-11-20T09:00:00Z", count=10, cost="1.5", event_id="dup-2")
    won = outcome("customer_won", "2026-11-20T09:00:00Z", "p", value="10", event_id="dup-3")
    hit = interaction("p", "reaction", "2026-11-20T09:00:00Z", count=3, actor="a", event_id="d4")
    r = run([msg, msg, adv, adv, adv, won, won, hit, hit], as_of=AS_OF)
    assert r.outcomes.count("duplicate") == 5
    assert r.engine.stats["duplicate"] == 5
    assert r.value("messages_sent", "day:2026-11-20") == 1
    assert r.value("ad_impressions", "day:2026-11-20", **AD_DIMS) == 10
    assert r.find("ad_spend", "day:2026-11-20", **AD_DIMS)[0].to_dict()["value"] == "1.5"
    assert r.value("customers_won", "week:2026-W47") == 1
    assert r.value("post_reactions", "total", post_id="p") == 3
    assert r.value("actors_by_interaction_count", "total", bucket="3") == 1


def test_duplicate_ids_are_per_account() -> None:
    a = msg_sent("c", "2026-11-20T09:00:00Z", event_id="same", account="rep-a")
    b = msg_sent("c", "2026-11-20T09:00:00Z", event_id="same", account="rep-b")
    r = run([a, b], as_of=AS_OF)
    assert r.outcomes == ["applied", "applied"]
    assert r.value("messages_sent", "day:2026-11-20", account="rep-a") == 1
    assert r.value("messages_sent", "day:2026-11-20", account="rep-b") == 1


def test_same_entity_under_two_event_ids_is_one_entity() -> None:
    events = [
        sent("inv", "2026-11-19T09:00:00Z"),
        sent("inv", "2026-11-18T09:00:00Z"),  # the earliest send wins
        accepted("inv", "2026-11-19T10:00:00Z"),
        accepted("inv", "2026-11-19T11:00:00Z"),
    ]
    r = run(events, as_of=AS_OF)
    assert r.series("invitations_sent") == {
        "day:2026-11-18": 1,
        "week:2026-W47": 1,
        "month:2026-11": 1,
        "rolling_24h": 0,
    }
    assert r.value("new_connections", "day:2026-11-19") == 1
    assert r.value("invitation_cohort_accepted", "day:2026-11-18") == 1


def test_late_event_is_counted_late_and_changes_no_record() -> None:
    # watermark moves 402 days past 20 Nov 2026; a message of 20 Nov 2026 is then > 400 days old
    engine = Engine()
    first, later, late = parse(
        [
            msg_sent("c1", "2026-11-20T09:00:00Z"),
            msg_sent("c2", "2027-12-27T09:00:00Z"),
            msg_sent("c3", "2026-11-20T10:00:00Z", to="p-late"),
        ]
    )
    assert engine.apply(first) == "applied"
    assert engine.apply(later) == "applied"
    as_of = "2027-12-27T12:00:00Z"
    before = _records(engine, as_of)
    assert engine.apply(late) == "late"
    assert engine.stats["late"] == 1
    assert _records(engine, as_of) == before


def test_late_interaction_on_a_post_published_more_than_90_days_ago() -> None:
    engine = Engine()
    events = parse(
        [
            published("old", "2026-08-01T09:00:00Z"),
            interaction("old", "view", "2026-08-02T09:00:00Z", count=5),
            msg_sent("c", "2026-11-20T09:00:00Z"),  # watermark: 111 days after publication
            interaction("old", "view", "2026-08-03T09:00:00Z", count=7),  # no actor: late
        ]
    )
    assert [engine.apply(e) for e in events[:3]] == ["applied"] * 3
    before = _records(engine, AS_OF)
    assert engine.apply(events[3]) == "late"
    assert _records(engine, AS_OF) == before


def test_old_acceptance_of_an_unknown_invitation_counts_only_as_a_connection() -> None:
    """111 days old: past the invitation records' 90 days, within the day buckets' 400. It
    counts in `new_connections` of its day; as an orphan of more than 90 days it is not in
    `orphan_acceptances` and changes no cohort."""
    engine = Engine()
    now, old = parse(
        [sent("fresh", "2026-11-20T09:00:00Z"), accepted("ancient", "2026-08-01T09:00:00Z")]
    )
    assert engine.apply(now) == "applied"
    assert engine.apply(old) == "applied"
    r = Result(engine.evaluate(us(AS_OF)), engine, [])
    assert r.value("new_connections", "day:2026-08-01") == 1
    assert r.value("orphan_acceptances", "total") == 0
    assert r.value("invitation_cohort_accepted", "day:2026-11-20") == 0


def test_backfilled_invitations_older_than_90_days_count_in_their_days() -> None:
    """An import of last spring's sent invitations after months of live events: the sends are
    older than the invitation records' retention but not than the day buckets'."""
    live = [sent("live", "2026-11-20T09:00:00Z")]
    backfill = [
        sent("spring-1", "2026-04-01T09:00:00Z"),
        sent("spring-2", "2026-04-01T10:00:00Z"),
        accepted("spring-1", "2026-04-03T09:00:00Z"),
    ]
    for events in (live + backfill, backfill + live):
        r = run(events, as_of=AS_OF)
        assert r.outcomes == ["applied"] * 4
        assert r.value("invitations_sent", "month:2026-04") == 2
        assert r.value("invitation_cohort_sent", "day:2026-04-01") == 2
        assert r.value("invitation_cohort_accepted", "day:2026-04-01") == 1
        assert r.value("new_connections", "day:2026-04-03") == 1


def test_event_older_than_the_day_buckets_is_late() -> None:
    r = run([sent("now", "2026-11-20T09:00:00Z"), sent("old", "2025-10-01T09:00:00Z")], AS_OF)
    assert r.outcomes == ["applied", "late"]
    assert "day:2025-10-01" not in r.series("invitations_sent")


def test_old_but_not_late_event_still_counts_in_its_closed_day() -> None:
    # 30 days old is within the 400-day bucket retention: applied, its day bucket updated
    r = run(
        [msg_sent("now", "2026-11-20T09:00:00Z"), msg_sent("old", "2026-10-21T09:00:00Z")],
        as_of=AS_OF,
    )
    assert r.outcomes == ["applied", "applied"]
    assert r.value("messages_sent", "day:2026-10-21") == 1


def test_orphan_acceptance_then_its_invitation_arrives() -> None:
    in_time_order = [
        sent("inv", "2026-11-19T09:00:00Z", target=True),
        accepted("inv", "2026-11-19T10:00:00Z"),
        withdrawn("w", "2026-11-19T11:00:00Z"),  # orphan withdrawal: no cohort, no orphan count
    ]
    acceptance_first = [in_time_order[1], in_time_order[2], in_time_order[0]]
    expected = [x.to_dict() for x in run(in_time_order, as_of=AS_OF).records]
    # before the invitation.sent arrives it is an orphan ...
    only_acceptance = run([in_time_order[1]], as_of=AS_OF)
    assert only_acceptance.value("orphan_acceptances", "total") == 1
    assert only_acceptance.value("new_connections", "day:2026-11-19") == 1
    assert only_acceptance.get("invitation_cohort_sent", "day:2026-11-19") is None
    # ... afterwards it joins its cohort, as if it had arrived in time order
    r = run(acceptance_first, as_of=AS_OF)
    assert [x.to_dict() for x in r.records] == expected
    assert r.value("orphan_acceptances", "total") == 0
    assert r.value("invitation_acceptance_rate", "day:2026-11-19") == 1.0
    assert r.value("target_share_of_new_connections", "day:2026-11-19") == 1.0


def test_shuffled_arrival_gives_identical_records() -> None:
    events = [
        sent("i1", "2026-11-18T09:00:00Z"),
        accepted("i1", "2026-11-19T09:00:00Z"),
        sent("i2", "2026-11-18T10:00:00Z"),
        withdrawn("i2", "2026-11-19T10:00:00Z"),
        msg_sent("c", "2026-11-19T09:00:00Z"),
        published("p", "2026-11-19T08:00:00Z"),
        interaction("p", "comment", "2026-11-19T09:30:00Z", actor="a", degree=2),
        interaction("p", "view", "2026-11-19T08:30:00Z", count=40),
        ad("click", "2026-11-19T08:30:00Z", count=2, cost="0.40"),
        outcome("lead", "2026-11-19T08:30:00Z", "x"),
    ]
    expected = [x.to_dict() for x in run(events, as_of=AS_OF).records]
    for seed in range(5):
        shuffled = list(events)
        random.Random(seed).shuffle(shuffled)
        assert [x.to_dict() for x in run(shuffled, as_of=AS_OF).records] == expected


def test_duplicate_memory_outlives_7_days_of_processing_time() -> None:
    clock = [0]
    engine = Engine(processing_clock=lambda: clock[0])
    (ev,) = parse([msg_sent("c", "2026-11-20T09:00:00Z", event_id="kept")])
    assert engine.apply(ev) == "applied"
    clock[0] = us(shift("1970-01-01T00:00:00Z", days=7))  # 7 days of processing time later
    engine.prune()
    assert engine.apply(ev) == "duplicate"
    messages = [x for x in engine.evaluate(us(AS_OF)) if x.kpi == "messages_sent"]
    assert {x.period: x.value for x in messages}["day:2026-11-20"] == 1


def test_conflicting_sends_at_the_same_instant_do_not_depend_on_arrival_order() -> None:
    # Two collectors report the same invitation at the same instant with different details.
    # SPEC: "Records never depend on arrival order"; docs/kpis.md: every stored value is a sum,
    # a minimum or "latest by event time, larger value on ties".
    t = "2026-11-19T09:00:00Z"
    target, plain = sent("i", t, target=True), sent("i", t, target=False)
    acceptance = accepted("i", "2026-11-19T10:00:00Z")
    first = run([target, plain, acceptance], as_of=AS_OF)
    second = run([plain, target, acceptance], as_of=AS_OF)
    assert [x.to_dict() for x in first.records] == [x.to_dict() for x in second.records]
    outbound, inbound = sent("j", t), sent("j", t, inbound=True)
    first = run([outbound, inbound], as_of=AS_OF)
    second = run([inbound, outbound], as_of=AS_OF)
    assert [x.to_dict() for x in first.records] == [x.to_dict() for x in second.records]
