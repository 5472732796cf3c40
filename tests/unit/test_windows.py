"""Time and windows: rolling bounds, events after as_of, ISO weeks, UTC days with offsets."""

from __future__ import annotations

from datetime import date

from kpis import Engine
from kpis.timeutil import day_info, day_of, format_ts

from .helpers import accepted, msg_sent, parse, run, sent, shift, us

AS_OF = "2026-11-20T12:00:00Z"


def test_rolling_24h_excludes_as_of_minus_24h_and_includes_as_of() -> None:
    events = [
        sent("at-start", "2026-11-19T12:00:00Z"),  # as_of - 24h: excluded (open bound)
        sent("just-in", shift("2026-11-19T12:00:00Z", micros=1)),  # as_of - 24h + 1 µs
        sent("at-end", AS_OF),  # exactly as_of: included
    ]
    r = run(events, as_of=AS_OF)
    assert r.value("invitations_sent", "rolling_24h") == 2  # just-in + at-end


def test_rolling_96h_cohort_bounds() -> None:
    events = [
        sent("edge", "2026-11-16T12:00:00Z"),  # as_of - 96h: excluded
        sent("in", "2026-11-16T12:00:00.000001Z"),
        sent("end", AS_OF),
        accepted("end", AS_OF),  # accepted at as_of: counted
    ]
    r = run(events, as_of=AS_OF)
    assert r.value("invitation_cohort_sent", "rolling_96h") == 2  # in + end
    assert r.value("invitation_acceptance_rate", "rolling_96h") == 0.5  # 1 of 2


def test_events_after_as_of_are_not_applied() -> None:
    events = [
        sent("before", "2026-11-20T11:00:00Z"),
        sent("after", "2026-11-20T12:00:00.000001Z"),  # 1 µs after as_of
        accepted("before", "2026-11-20T13:00:00Z"),
        msg_sent("c", "2026-11-21T09:00:00Z"),  # a later day: no day:2026-11-21 record
    ]
    r = run(events, as_of=AS_OF)
    assert r.outcomes == ["applied", "after_as_of", "after_as_of", "after_as_of"]
    assert r.value("invitations_sent", "day:2026-11-20") == 1
    assert r.value("invitations_sent", "rolling_24h") == 1
    assert r.value("invitation_cohort_accepted", "rolling_96h") == 0
    assert r.get("new_connections", "day:2026-11-20") is None
    assert "messages_sent" not in r.kpis()
    assert {x.as_of for x in r.records} == {"2026-11-20T12:00:00Z"}


def test_default_as_of_is_the_latest_event_time() -> None:
    events = [sent("a", "2026-11-20T10:00:00.250000Z"), sent("b", "2026-11-19T10:00:00Z")]
    r = run(events)  # no as_of
    assert {x.as_of for x in r.records} == {"2026-11-20T10:00:00.250000Z"}
    assert r.value("invitations_sent", "rolling_24h") == 1  # (19 Nov 10:00:00.25, ...]: a


def test_iso_week_labels_around_new_year() -> None:
    days = ["2026-12-28", "2026-12-31", "2027-01-01", "2027-01-03", "2027-01-04"]
    for d in days:  # the labels are Python's isocalendar, zero-padded
        iso = date.fromisoformat(d).isocalendar()
        assert day_info(day_of(us(f"{d}T12:00:00Z"))).week_label == (
            f"week:{iso.year}-W{iso.week:02d}"
        )
    events = [sent(f"i-{d}", f"{d}T12:00:00Z") for d in days]
    r = run(events, as_of="2027-01-04T18:00:00Z")
    # 2026 has 53 ISO weeks: Mon 28 Dec 2026 .. Sun 3 Jan 2027 is 2026-W53
    assert r.series("invitations_sent") == {
        "day:2026-12-28": 1,
        "day:2026-12-31": 1,
        "day:2027-01-01": 1,
        "day:2027-01-03": 1,
        "day:2027-01-04": 1,
        "week:2026-W53": 4,
        "week:2027-W01": 1,
        "month:2026-12": 2,
        "month:2027-01": 3,
        "rolling_24h": 1,
    }
    assert date(2026, 12, 31).isocalendar()[:2] == (2026, 53)
    assert date(2027, 1, 1).isocalendar()[:2] == (2026, 53)


def test_iso_week_01_can_start_in_december() -> None:
    # Mon 29 Dec 2025 belongs to 2026-W01 (1 Jan 2026 is a Thursday)
    r = run([sent("x", "2025-12-29T08:00:00Z")], as_of="2025-12-29T09:00:00Z")
    assert r.value("invitations_sent", "week:2026-W01") == 1
    assert r.value("invitations_sent", "month:2025-12") == 1


def test_utc_day_boundaries_with_offsets() -> None:
    events = [
        sent("ist-late", "2026-11-21T05:29:59.999999+05:30"),  # 20 Nov 23:59:59.999999Z
        sent("ist-midnight", "2026-11-21T05:30:00+05:30"),  # 21 Nov 00:00Z
        sent("pst", "2026-11-20T18:00:00-08:00"),  # 21 Nov 02:00Z
        sent("month-edge", "2026-12-01T03:00:00+05:30"),  # 30 Nov 21:30Z: November, W49
    ]
    r = run(events, as_of="2026-12-01T12:00:00Z")
    s = r.series("invitations_sent")
    assert s["day:2026-11-20"] == 1
    assert s["day:2026-11-21"] == 2
    assert s["day:2026-11-30"] == 1
    assert "day:2026-12-01" not in s
    assert s["month:2026-11"] == 4
    assert "month:2026-12" not in s


def test_offsets_are_the_same_instant_for_rolling_windows() -> None:
    # as_of - 24h = 19 Nov 12:00Z = 19 Nov 17:30+05:30: excluded; one µs later: included
    events = [
        sent("a", "2026-11-19T17:30:00+05:30"),
        sent("b", "2026-11-19T17:30:00.000001+05:30"),
    ]
    r = run(events, as_of=AS_OF)
    assert r.value("invitations_sent", "rolling_24h") == 1


def test_engine_apply_until_reports_after_as_of() -> None:
    engine = Engine(apply_until=us(AS_OF))
    (ev,) = parse([sent("late", shift(AS_OF, micros=1))])
    assert engine.apply(ev) == "after_as_of"
    assert engine.stats["after_as_of"] == 1
    assert engine.evaluate(us(AS_OF)) == []
    assert format_ts(us(AS_OF)) == AS_OF
