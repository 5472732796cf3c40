"""Network and invitations (docs/kpis.md, kpis/invitations.py): hand-worked expectations."""

from __future__ import annotations

from kpis import Engine

from .helpers import Result, accepted, parse, profile, run, sent, us, withdrawn

AS_OF = "2026-11-20T12:00:00Z"  # a Friday, ISO week 2026-W47 (Mon 16 .. Sun 22 Nov)


def test_invitations_sent_per_day_week_month_and_rolling_24h() -> None:
    events = [
        sent("i1", "2026-11-16T09:00:00Z"),  # Mon W47
        sent("i2", "2026-11-19T13:00:00Z"),  # in (19 Nov 12:00, 20 Nov 12:00]
        sent("i3", "2026-11-20T08:00:00Z"),
        sent("i3", "2026-11-20T10:00:00Z"),  # same invitation re-sent: still one
        sent("i4", "2026-11-01T10:00:00Z"),  # Sun, ISO W44 (26 Oct .. 1 Nov), November
        sent("i5", "2026-10-31T10:00:00Z"),  # Sat, ISO W44, October
        sent("i6", "2026-11-20T09:00:00Z", inbound=True),  # received: not "sent"
        sent("i7", "2026-11-19T12:00:00Z"),  # exactly as_of - 24h: outside the rolling window
    ]
    r = run(events, as_of=AS_OF)
    assert r.series("invitations_sent") == {
        "day:2026-10-31": 1,
        "day:2026-11-01": 1,
        "day:2026-11-16": 1,
        "day:2026-11-19": 2,  # i2, i7
        "day:2026-11-20": 1,  # i3 once
        "week:2026-W44": 2,  # i4 + i5
        "week:2026-W47": 4,  # i1 + i2 + i3 + i7
        "month:2026-10": 1,
        "month:2026-11": 5,  # i1 i2 i3 i4 i7
        "rolling_24h": 2,  # i2 (13:00 on 19th) + i3; i7 at exactly as_of-24h is excluded
    }


def _cohort_events() -> list[dict]:
    return [
        # day cohort 2026-11-17: 4 sent
        sent("a1", "2026-11-17T09:00:00Z"),
        sent("a2", "2026-11-17T09:05:00Z"),
        sent("a3", "2026-11-17T09:10:00Z"),
        sent("a4", "2026-11-17T09:15:00Z"),
        accepted("a1", "2026-11-17T15:00:00Z"),
        accepted("a2", "2026-11-19T08:00:00Z"),
        accepted("a3", "2026-11-18T08:00:00Z"),
        withdrawn("a3", "2026-11-19T08:00:00Z"),  # accepted first: stays accepted
        withdrawn("a4", "2026-11-19T09:00:00Z"),
        # day cohort 2026-11-18: 6 sent
        *[sent(f"a{n}", f"2026-11-18T1{n - 5}:00:00Z") for n in range(5, 11)],
        withdrawn("a5", "2026-11-20T11:00:00Z"),
        accepted("a6", "2026-11-20T12:00:01Z"),  # after as_of: not applied
        # day cohort 2026-11-16: sent at exactly as_of - 96h -> outside the rolling cohort
        sent("b1", "2026-11-16T12:00:00Z"),
        accepted("b1", "2026-11-17T12:00:00Z"),
        # day cohort 2026-11-10, still pending
        sent("b2", "2026-11-10T12:00:00Z"),
        # inbound invitations are in no cohort
        sent("in1", "2026-11-18T12:00:00Z", inbound=True),
        accepted("in1", "2026-11-18T13:00:00Z"),
    ]


def test_rolling_96h_cohort_sent_accepted_withdrawn_pending_rate() -> None:
    r = run(_cohort_events(), as_of=AS_OF)
    # window (16 Nov 12:00, 20 Nov 12:00]: a1..a10 = 10 sent (b1 at the open bound excluded)
    assert r.value("invitation_cohort_sent", "rolling_96h") == 10
    # a1, a2, a3 accepted (a6's acceptance is after as_of)
    assert r.value("invitation_cohort_accepted", "rolling_96h") == 3
    # a4, a5 withdrawn; a3 withdrawn after being accepted counts as accepted only
    assert r.value("invitation_cohort_withdrawn", "rolling_96h") == 2
    # 10 - 3 - 2 = 5
    assert r.value("invitation_cohort_pending", "rolling_96h") == 5
    # 3 accepted of 10 sent -> 0.3
    assert r.value("invitation_acceptance_rate", "rolling_96h") == 0.3


def test_daily_cohorts_group_by_send_day() -> None:
    r = run(_cohort_events(), as_of=AS_OF)
    # 17 Nov: 4 sent, a1 a2 a3 accepted (3), a4 withdrawn (1), pending 4-3-1 = 0, rate 3/4
    assert r.value("invitation_cohort_sent", "day:2026-11-17") == 4
    assert r.value("invitation_cohort_accepted", "day:2026-11-17") == 3
    assert r.value("invitation_cohort_withdrawn", "day:2026-11-17") == 1
    assert r.value("invitation_cohort_pending", "day:2026-11-17") == 0
    assert r.value("invitation_acceptance_rate", "day:2026-11-17") == 0.75
    # 18 Nov: 6 sent, none accepted by as_of, a5 withdrawn -> pending 5, rate 0/6 = 0.0
    assert r.value("invitation_cohort_sent", "day:2026-11-18") == 6
    assert r.value("invitation_cohort_accepted", "day:2026-11-18") == 0
    assert r.value("invitation_cohort_withdrawn", "day:2026-11-18") == 1
    assert r.value("invitation_cohort_pending", "day:2026-11-18") == 5
    assert r.value("invitation_acceptance_rate", "day:2026-11-18") == 0.0
    # 16 Nov: b1 sent and accepted the next day -> 1/1
    assert r.value("invitation_acceptance_rate", "day:2026-11-16") == 1.0
    # 10 Nov: b2 pending
    assert r.value("invitation_cohort_pending", "day:2026-11-10") == 1
    assert r.value("invitation_acceptance_rate", "day:2026-11-10") == 0.0
    # no cohort on a day without outbound sends (in1 is inbound, acceptances carry no cohort)
    assert r.find("invitation_cohort_sent", "day:2026-11-19") == []
    assert set(r.series("invitation_cohort_sent")) == {
        "day:2026-11-10",
        "day:2026-11-16",
        "day:2026-11-17",
        "day:2026-11-18",
        "rolling_96h",
    }


def test_empty_rolling_cohort_emits_zero_counts_but_no_rate() -> None:
    # everything older than 96h (and than 24h): rolling counts are 0, the rate is undefined
    events = [sent("i1", "2026-11-01T10:00:00Z"), accepted("i1", "2026-11-02T10:00:00Z")]
    r = run(events, as_of=AS_OF)
    assert r.value("invitations_sent", "rolling_24h") == 0
    assert r.value("invitation_cohort_sent", "rolling_96h") == 0
    assert r.value("invitation_cohort_accepted", "rolling_96h") == 0
    assert r.value("invitation_cohort_withdrawn", "rolling_96h") == 0
    assert r.value("invitation_cohort_pending", "rolling_96h") == 0
    assert r.get("invitation_acceptance_rate", "rolling_96h") is None  # 0/0: no record
    assert r.value("invitation_acceptance_rate", "day:2026-11-01") == 1.0


def test_stale_pending_invitations_more_than_21_days() -> None:
    # as_of - 21 days = 2026-10-30T12:00:00Z
    events = [
        sent("s1", "2026-10-25T10:00:00Z"),  # pending 26 days -> stale
        sent("s2", "2026-10-25T10:00:00Z"),
        accepted("s2", "2026-11-01T10:00:00Z"),  # resolved
        sent("s3", "2026-10-25T10:00:00Z"),
        withdrawn("s3", "2026-11-19T10:00:00Z"),  # resolved (withdrawn, as seed 004 advises)
        sent("s4", "2026-10-30T12:00:00Z"),  # pending exactly 21 days: not *more than* 21
        sent("s5", "2026-10-30T11:59:59.999999Z"),  # 21 days + 1 µs -> stale
        sent("s6", "2026-10-20T10:00:00Z", inbound=True),  # inbound: never "stale"
        sent("s7", "2026-11-10T10:00:00Z"),  # 10 days
    ]
    r = run(events, as_of=AS_OF)
    # s1 + s5 -> 2
    assert r.value("stale_pending_invitations", "total") == 2


def test_new_connections_both_directions_target_share_and_orphans() -> None:
    events = [
        sent("o1", "2026-11-18T09:00:00Z", target=True),
        accepted("o1", "2026-11-19T10:00:00Z"),
        sent("o2", "2026-11-18T09:00:00Z"),
        accepted("o2", "2026-11-19T11:00:00Z"),
        sent("n1", "2026-11-19T09:00:00Z", inbound=True, target=True),
        accepted("n1", "2026-11-19T09:30:00Z"),
        accepted("x1", "2026-11-19T12:00:00Z"),  # orphan: sent before tracking began
        sent("o3", "2026-11-10T09:00:00Z"),
        accepted("o3", "2026-11-20T08:00:00Z"),
        sent("o4", "2026-11-15T09:00:00Z"),
        accepted("o4", "2026-11-16T10:00:00Z"),
        accepted("o4", "2026-11-20T09:00:00Z"),  # same invitation again: counted once
        sent("o5", "2026-11-19T09:00:00Z"),  # pending: no connection
    ]
    r = run(events, as_of=AS_OF)
    assert r.series("new_connections") == {
        "day:2026-11-16": 1,  # o4 (its earliest acceptance)
        "day:2026-11-19": 4,  # o1 o2 n1 x1
        "day:2026-11-20": 1,  # o3
        "week:2026-W47": 6,
        "month:2026-11": 6,
    }
    # target invitees among accepted: o1 and n1
    share = r.series("target_share_of_new_connections")
    assert share["day:2026-11-19"] == 0.5  # 2 of 4
    assert share["day:2026-11-20"] == 0.0  # 0 of 1
    assert share["day:2026-11-16"] == 0.0
    assert share["week:2026-W47"] == 2 / 6
    assert share["month:2026-11"] == 2 / 6
    assert r.value("orphan_acceptances", "total") == 1  # x1


def test_orphan_acceptance_changes_no_cohort() -> None:
    events = [sent("a", "2026-11-19T09:00:00Z"), accepted("ghost", "2026-11-19T10:00:00Z")]
    r = run(events, as_of=AS_OF)
    # cohort: 1 sent (a), 0 accepted -> 0/1; the orphan is only a new connection
    assert r.value("invitation_cohort_accepted", "rolling_96h") == 0
    assert r.value("invitation_acceptance_rate", "rolling_96h") == 0.0
    assert r.value("orphan_acceptances", "total") == 1
    assert r.value("new_connections", "day:2026-11-19") == 1


def test_no_invitation_records_for_an_account_without_invitation_data() -> None:
    r = run([profile("2026-11-20T10:00:00Z", connections=5)], as_of=AS_OF)
    family = {
        "invitations_sent",
        "invitation_cohort_sent",
        "invitation_acceptance_rate",
        "stale_pending_invitations",
        "orphan_acceptances",
    }
    assert family & r.kpis() == set()


def test_acceptance_after_invitation_retention_is_an_orphan_whether_or_not_pruned() -> None:
    """Invitations are kept "until resolved or 90 days": an acceptance 95 days after the send
    no longer finds it, whether prune ran in between (worker) or not (a short replay)."""
    events = [sent("late", "2026-08-01T09:00:00Z"), accepted("late", "2026-11-04T09:00:00Z")]
    for prune_between in (False, True):
        engine = Engine()
        first, second = parse(events)
        engine.apply(first)
        if prune_between:
            engine.apply(parse([sent("other", "2026-11-01T00:00:00Z")])[0])
            engine.prune()
        engine.apply(second)
        records = Result(engine.evaluate(us("2026-11-20T12:00:00Z")), engine, [])
        assert records.value("invitation_cohort_accepted", "day:2026-08-01") == 0
        assert records.value("invitation_cohort_pending", "day:2026-08-01") == 1
        assert records.value("new_connections", "day:2026-11-04") == 1
        assert records.value("orphan_acceptances", "total") == 1


def test_orphan_acceptances_cover_the_last_90_days() -> None:
    events = [
        accepted("ghost-old", "2026-08-20T12:00:00Z"),  # 92 days before as_of: expired
        accepted("ghost-new", "2026-08-23T12:00:00Z"),  # 89 days before as_of
    ]
    r = run(events, as_of=AS_OF)
    assert r.value("orphan_acceptances", "total") == 1
    assert r.value("new_connections", "month:2026-08") == 2
