"""Direct messages (docs/kpis.md, kpis/messages.py): started, replied, reply rate, time to reply."""

from __future__ import annotations

from .helpers import msg_received, msg_sent, run

AS_OF = "2026-11-20T12:00:00Z"  # rolling_7d = (13 Nov 12:00, 20 Nov 12:00]


def _conversations() -> list[dict]:
    return [
        msg_sent("c1", "2026-11-19T10:00:00Z"),
        msg_received("c1", "2026-11-19T10:01:00Z"),  # reply after 60 s
        msg_sent("c2", "2026-11-18T10:00:00Z"),
        msg_received("c2", "2026-11-18T10:02:00Z"),  # 120 s
        msg_received("c3", "2026-11-17T10:05:00Z"),  # arrives before its first message ...
        msg_sent("c3", "2026-11-17T10:00:00Z"),  # ... which is still the earliest: 300 s
        msg_sent("c3", "2026-11-17T11:00:00Z"),  # follow-up message
        msg_received("c3", "2026-11-17T12:00:00Z"),  # a second reply changes nothing
        msg_sent("c4", "2026-11-16T10:00:00Z"),
        msg_received("c4", "2026-11-16T10:10:00Z"),  # 600 s
        msg_sent("c5", "2026-11-15T10:00:00Z"),
        msg_received("c5", "2026-11-15T11:00:00Z"),  # 3600 s
        msg_sent("c6", "2026-11-14T10:00:00Z"),  # no reply
        msg_received("c7", "2026-11-19T09:00:00Z"),  # inbound first: not started
        msg_sent("c7", "2026-11-19T09:30:00Z"),
        msg_sent("c8", "2026-11-19T08:00:00Z"),  # same instant as the received one:
        msg_received("c8", "2026-11-19T08:00:00Z"),  # not started by the account
        msg_sent("c9", "2026-11-01T10:00:00Z"),  # 30d window only
        msg_received("c9", "2026-11-02T10:00:00Z"),  # 86400 s
        msg_sent("c10", "2026-11-13T12:00:00Z"),  # exactly as_of - 7d: 30d window only
        msg_sent("c11", "2026-11-20T11:00:00Z"),
        msg_received("c11", "2026-11-20T12:30:00Z"),  # after as_of: not applied
    ]


def test_messages_sent_per_day_and_week() -> None:
    r = run(_conversations(), as_of=AS_OF)
    assert r.series("messages_sent") == {
        "day:2026-11-01": 1,  # c9
        "day:2026-11-13": 1,  # c10
        "day:2026-11-14": 1,  # c6
        "day:2026-11-15": 1,  # c5
        "day:2026-11-16": 1,  # c4
        "day:2026-11-17": 2,  # c3 twice
        "day:2026-11-18": 1,  # c2
        "day:2026-11-19": 3,  # c1, c7, c8
        "day:2026-11-20": 1,  # c11
        "week:2026-W44": 1,  # 26 Oct .. 1 Nov
        "week:2026-W46": 3,  # 13, 14, 15 Nov
        "week:2026-W47": 8,  # 1 + 2 + 1 + 3 + 1
    }


def test_conversations_started_by_start_day() -> None:
    r = run(_conversations(), as_of=AS_OF)
    # c7 and c8 were not started by the account; c3 started 17 Nov
    assert r.series("conversations_started") == {
        "day:2026-11-01": 1,
        "day:2026-11-13": 1,
        "day:2026-11-14": 1,
        "day:2026-11-15": 1,
        "day:2026-11-16": 1,
        "day:2026-11-17": 1,
        "day:2026-11-18": 1,
        "day:2026-11-19": 1,
        "day:2026-11-20": 1,
    }


def test_reply_rate_rolling_7d_and_30d() -> None:
    r = run(_conversations(), as_of=AS_OF)
    # 7d: c1 c2 c3 c4 c5 c6 c11 started (c10 sits on the open bound) = 7; replied c1..c5 = 5
    assert r.value("reply_cohort_started", "rolling_7d") == 7
    assert r.value("reply_cohort_replied", "rolling_7d") == 5
    assert r.value("reply_rate", "rolling_7d") == 5 / 7
    # 30d: + c9 (replied) + c10 (not) -> 6 of 9
    assert r.value("reply_cohort_started", "rolling_30d") == 9
    assert r.value("reply_cohort_replied", "rolling_30d") == 6
    assert r.value("reply_rate", "rolling_30d") == 6 / 9


def test_time_to_first_reply_median_and_p90() -> None:
    r = run(_conversations(), as_of=AS_OF)
    # 7d delays [60, 120, 300, 600, 3600]: median = 300; p90 at rank 4 * 0.9 = 3.6 ->
    # 600 + 0.6 * (3600 - 600) = 2400
    assert r.value("time_to_first_reply_seconds", "rolling_7d", quantile="0.5") == 300.0
    assert r.value("time_to_first_reply_seconds", "rolling_7d", quantile="0.9") == 2400.0
    # 30d delays [60, 120, 300, 600, 3600, 86400]: median at 2.5 -> (300 + 600) / 2 = 450;
    # p90 at 4.5 -> 3600 + 0.5 * (86400 - 3600) = 45000
    assert r.value("time_to_first_reply_seconds", "rolling_30d", quantile="0.5") == 450.0
    assert r.value("time_to_first_reply_seconds", "rolling_30d", quantile="0.9") == 45000.0
    assert isinstance(r.value("time_to_first_reply_seconds", "rolling_7d", quantile="0.5"), float)


def test_no_rate_and_no_quantiles_without_started_or_replied_conversations() -> None:
    events = [
        msg_received("in", "2026-11-19T09:00:00Z"),
        msg_sent("in", "2026-11-19T09:30:00Z"),  # a reply of ours: not started
        msg_sent("quiet", "2026-11-01T09:00:00Z"),  # started 19 days ago, never replied
    ]
    r = run(events, as_of=AS_OF)
    assert r.value("reply_cohort_started", "rolling_7d") == 0
    assert r.value("reply_cohort_replied", "rolling_7d") == 0
    assert r.get("reply_rate", "rolling_7d") is None  # 0 / 0
    assert r.value("reply_rate", "rolling_30d") == 0.0  # 0 / 1
    assert r.find("time_to_first_reply_seconds", "rolling_30d", quantile="0.5") == []
    assert r.value("messages_sent", "day:2026-11-19") == 1


def test_single_reply_quantiles_equal_its_delay() -> None:
    events = [msg_sent("c", "2026-11-20T10:00:00Z"), msg_received("c", "2026-11-20T10:00:01.5Z")]
    r = run(events, as_of=AS_OF)
    assert r.value("time_to_first_reply_seconds", "rolling_7d", quantile="0.5") == 1.5
    assert r.value("time_to_first_reply_seconds", "rolling_7d", quantile="0.9") == 1.5


def test_conversation_kept_while_active_and_new_after_90_silent_days() -> None:
    """A conversation record lives 90 days after its last message: a thread active every
    month is one conversation; one silent for 90 days and then written to starts anew."""
    monthly = [msg_sent("active", f"2026-{m:02d}-01T10:00:00Z") for m in range(4, 12)]
    silent = [
        msg_sent("silent", "2026-05-01T10:00:00Z"),
        msg_sent("silent", "2026-08-15T10:00:00Z"),
    ]
    in_time_order = sorted(monthly + silent, key=lambda event: event["occurred_at"])
    r = run(in_time_order, as_of=AS_OF)
    started = r.series("conversations_started")
    assert started["day:2026-04-01"] == 1  # "active", once
    assert started["day:2026-05-01"] == 1  # "silent"
    assert started["day:2026-08-15"] == 1  # "silent" again, 106 days later
    assert "day:2026-06-01" not in started and "day:2026-11-01" not in started
