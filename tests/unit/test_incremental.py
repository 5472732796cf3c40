"""Incremental evaluation (kpis/incremental.py): change points with no event, deltas, and what
is not recomputed. A live engine, as the worker runs it: `advance(now)`, `due_accounts(now)`,
`evaluate_account(account, now)`."""

from __future__ import annotations

from typing import Any

import pytest

from kpis import Engine, EngineConfig, content
from kpis.incremental import AccountEvaluation
from kpis.timeutil import DAY_US, HOUR_US, format_ts
from models.records import KpiRecord, RecordKey, record_key

from .helpers import (
    ACCOUNT,
    ad,
    interaction,
    msg_sent,
    outcome,
    parse,
    published,
    sent,
    shift,
    us,
)

T0 = "2026-11-20T10:30:00Z"


class Live:
    """A live engine, its clock and the view the deltas build."""

    def __init__(self, start: str, config: EngineConfig | None = None) -> None:
        self.now = us(start)
        self.engine = Engine.live(self.now, config)
        self.view: dict[tuple[str, str], Any] = {}

    def feed(self, *events: dict[str, Any]) -> None:
        for parsed in parse(list(events)):
            self.engine.apply(parsed)

    def tick(self, at: int | str) -> dict[str, AccountEvaluation]:
        """Move the clock, evaluate the due accounts, apply their deltas; check the view."""
        self.now = us(at) if isinstance(at, str) else at
        self.engine.advance(self.now)
        out = {}
        for account in self.engine.due_accounts(self.now):
            evaluation = out[account] = self.engine.evaluate_account(account, self.now)
            if evaluation.full:
                self.view = {k: v for k, v in self.view.items() if k[0] != account}
            for record in evaluation.upserts:
                self.view[(account, record_key(record))] = record.value
            for key in evaluation.deletes:
                del self.view[(account, record_key(key))]
        full = {(r.account_id, record_key(r)): r.value for r in self.engine.evaluate(self.now)}
        assert self.view == full
        return out

    def due(self, at: int) -> list[str]:
        return self.engine.due_accounts(at)


def changes(evaluation: AccountEvaluation) -> dict[tuple[str, str, str], Any]:
    """(kpi, period, dims) -> new value, or None for a delete."""
    out: dict[tuple[str, str, str], Any] = {}
    for record in evaluation.upserts:
        out[(record.kpi, record.period, _dims(record.dims))] = record.value
    for key in evaluation.deletes:
        out[(key.kpi, key.period, _dims(key.dims))] = None
    return out


def _dims(dims: dict[str, str | int]) -> str:
    return ",".join(f"{k}={v}" for k, v in dims.items())


def test_first_evaluation_is_full_and_equals_evaluate() -> None:
    live = Live(T0)
    live.feed(sent("i1", T0), published("p1", T0), interaction("p1", "view", T0, count=3))
    evaluation = live.tick(T0)[ACCOUNT]
    assert evaluation.full and not evaluation.deletes
    assert evaluation.upserts == live.engine.evaluate(us(T0))  # same records, same order
    assert evaluation.details is not None and set(evaluation.posts) == {"p1"}
    # nothing happened since: nothing due, and an evaluation finds nothing
    assert live.due(us(T0) + 1) == []
    assert not live.engine.evaluate_account(ACCOUNT, us(T0) + 1).changed


def test_rolling_window_slides_with_no_event() -> None:
    """invitations_sent rolling_24h drops when the send is 24 h old: at sent + 24 h exactly
    ((as_of - 24h, as_of] no longer holds it), not a microsecond before."""
    live = Live(T0)
    live.feed(sent("i1", T0))
    live.tick(T0)
    edge = us(T0) + 24 * HOUR_US
    assert live.engine.next_change() == edge
    assert live.due(edge - 1) == []
    assert live.tick(edge - 1) == {}
    evaluation = live.tick(edge)[ACCOUNT]
    assert changes(evaluation) == {("invitations_sent", "rolling_24h", ""): 0}
    assert not evaluation.full and evaluation.details is None
    # the 96-hour acceptance cohort is the next change point
    assert live.engine.next_change() == us(T0) + 96 * HOUR_US
    evaluation = live.tick(us(T0) + 96 * HOUR_US)[ACCOUNT]
    assert changes(evaluation) == {
        ("invitation_cohort_sent", "rolling_96h", ""): 0,
        ("invitation_cohort_pending", "rolling_96h", ""): 0,
        ("invitation_acceptance_rate", "rolling_96h", ""): None,  # 0 sent: no ratio
    }


def test_invitation_turns_stale_strictly_after_21_days() -> None:
    live = Live(T0)
    live.feed(sent("i1", T0, invitee="m-1"))
    live.tick(T0)
    threshold = us(T0) + 21 * DAY_US
    live.tick(threshold - 1)
    assert live.tick(threshold) == {}  # pending for exactly 21 days is not "more than"
    evaluation = live.tick(threshold + 1)[ACCOUNT]
    assert changes(evaluation) == {("stale_pending_invitations", "total", ""): 1}
    assert evaluation.details is not None
    assert [s.invitation_id for s in evaluation.details.stale_invitations] == ["i1"]
    assert evaluation.details.warm_prospects == []


def test_cohort_day_leaves_retention_at_a_midnight() -> None:
    """Day buckets leave retention at the end of their day plus the retention (11 days)."""
    live = Live(T0, EngineConfig(bucket_retention_us=11 * DAY_US))
    live.feed(msg_sent("c1", T0, to="m-1"))
    live.tick(T0)
    midnight = (us(T0) // DAY_US + 1) * DAY_US + 11 * DAY_US
    live.tick(midnight - 1)
    assert ("messages_sent", "day:2026-11-20", "") not in changes(
        live.engine.evaluate_account(ACCOUNT, midnight - 1)
    )
    evaluation = live.tick(midnight)[ACCOUNT]
    found = changes(evaluation)
    assert found[("messages_sent", "day:2026-11-20", "")] is None
    assert found[("messages_sent", "week:2026-W47", "")] is None
    assert found[("prospects_contacted", "week:2026-W47", "")] is None


def test_day_rollover_changes_only_what_depends_on_the_day() -> None:
    """Crossing midnight, a day-bucket record of today does not change: nothing is due."""
    late = "2026-11-20T23:59:59Z"
    live = Live(late)
    live.feed(msg_sent("c1", late, to="m-1"), ad("impression", late, count=10, cost="1.5"))
    live.tick(late)
    assert live.tick("2026-11-21T00:00:00Z") == {}
    live.feed(msg_sent("c2", "2026-11-21T00:00:01Z", to="m-2"))
    evaluation = live.tick("2026-11-21T00:00:01Z")[ACCOUNT]
    found = changes(evaluation)
    assert found[("messages_sent", "day:2026-11-21", "")] == 1
    assert found[("messages_sent", "week:2026-W47", "")] == 2
    assert not any(key[0].startswith("ad_") for key in found)  # the ad group was not touched


def test_curve_grows_an_hour_at_a_time_until_hour_48() -> None:
    pub = T0
    live = Live(pub)
    live.feed(published("p1", pub), interaction("p1", "view", pub, count=5))
    first = live.tick(pub)[ACCOUNT]
    assert {r.dims.get("hour") for r in first.upserts if r.kpi == "post_hourly_views"} == {0}
    for hour in range(1, 48):
        at = us(pub) + hour * HOUR_US
        assert live.due(at - 1) == []
        evaluation = live.tick(at)[ACCOUNT]
        assert changes(evaluation) == {
            ("post_hourly_views", "total", f"post_id=p1,hour={hour}"): 0,
            ("post_hourly_interactions", "total", f"post_id=p1,hour={hour}"): 0,
            ("post_cumulative_views", "total", f"post_id=p1,hour={hour}"): 5,
            ("post_cumulative_interactions", "total", f"post_id=p1,hour={hour}"): 0,
        }
        assert set(evaluation.posts) == {"p1"}
    # hour 48 adds nothing: the next change is the end of the post's retention (90 days)
    assert live.tick(us(pub) + 48 * HOUR_US) == {}
    assert live.engine.next_change() == us(pub) + 90 * DAY_US
    # an interaction after hour 48 flags the post long-lived and changes its totals only
    live.feed(interaction("p1", "reaction", shift(pub, hours=50), actor="a-1"))
    evaluation = live.tick(us(pub) + 50 * HOUR_US)[ACCOUNT]
    found = changes(evaluation)
    assert found[("post_long_lived", "total", "post_id=p1")] == 1
    assert found[("post_reactions", "total", "post_id=p1")] == 1
    assert not any("hour=" in key[2] for key in found)
    assert found[("actors_by_interaction_count", "total", "bucket=1")] == 1
    # the curve's records go when the post leaves retention
    evaluation = live.tick(us(pub) + 90 * DAY_US)[ACCOUNT]
    gone = [key for key, value in changes(evaluation).items() if value is None]
    assert len([key for key in gone if "post_id=p1" in key[2]]) == 8 + 4 * 48  # totals, rate,
    # long-lived and 48 hours of 4 records; and the week's post totals (views, interactions,
    # engagement rate)
    assert len(gone) == 8 + 4 * 48 + 3
    assert evaluation.posts == {"p1": None}


def test_untouched_posts_are_not_recomputed(monkeypatch: pytest.MonkeyPatch) -> None:
    live = Live(T0)
    live.feed(*[published(f"p{n}", T0) for n in range(5)])
    live.tick(shift(T0, days=3))  # every curve complete: no hourly change point left
    computed: list[str] = []
    numbers = content.post_numbers

    def counting(post: Any, as_of: int, cfg: EngineConfig) -> Any:
        computed.append(post)
        return numbers(post, as_of, cfg)

    monkeypatch.setattr("kpis.incremental.post_numbers", counting)
    live.feed(interaction("p3", "view", shift(T0, days=3), count=7))
    evaluation = live.tick(shift(T0, days=3, minutes=1))[ACCOUNT]
    assert computed == [live.engine.store.get(ACCOUNT).posts["p3"]]
    assert changes(evaluation) == {
        ("post_views", "total", "post_id=p3"): 7,
        ("post_engagement_rate", "total", "post_id=p3"): 0.0,
        ("weekly_post_views", "week:2026-W48", ""): 7,
        ("weekly_post_interactions", "week:2026-W48", ""): 0,
        ("weekly_engagement_rate", "week:2026-W48", ""): 0.0,
    }


def test_ad_spend_leaving_retention_changes_roi() -> None:
    """ROI of a month follows the ad spend of its days as they leave retention."""
    cfg = EngineConfig(bucket_retention_us=11 * DAY_US)
    live = Live("2026-11-02T10:00:00Z", cfg)
    live.feed(ad("impression", "2026-11-02T10:00:00Z", count=100, cost="10", currency="EUR"))
    live.tick("2026-11-09T10:00:00Z")
    live.feed(ad("impression", "2026-11-09T10:00:00Z", count=100, cost="30", currency="EUR"))
    live.feed(outcome("customer_won", "2026-11-09T10:00:00Z", "m-1", value="80", currency="EUR"))
    live.tick("2026-11-09T10:00:00Z")
    expiry = (us("2026-11-02T00:00:00Z") // DAY_US + 1) * DAY_US + 11 * DAY_US
    evaluation = live.tick(expiry)[ACCOUNT]
    found = changes(evaluation)
    assert found[("roi", "month:2026-11", "currency=EUR")] == pytest.approx((80 - 30) / 30)
    assert found[("ad_spend", "day:2026-11-02", _dims(_ad_dims()))] is None


def _ad_dims() -> dict[str, str | int]:
    return {
        "campaign_id": "camp-1",
        "creative_id": "cr-1",
        "format": "sponsored_content",
        "currency": "EUR",
    }


def test_posts_published_leave_with_their_day() -> None:
    cfg = EngineConfig(bucket_retention_us=11 * DAY_US, post_retention_us=4 * DAY_US)
    live = Live(T0, cfg)
    live.feed(published("p1", T0))
    live.tick(T0)
    live.tick(us(T0) + 4 * DAY_US)  # the post's records end with its retention
    expiry = (us(T0) // DAY_US + 1) * DAY_US + 11 * DAY_US
    evaluation = live.tick(expiry)[ACCOUNT]
    assert changes(evaluation) == {("posts_published", "week:2026-W47", ""): None}


def test_deletes_name_the_redis_field() -> None:
    key = RecordKey("post_hourly_views", "total", {"post_id": "p1", "hour": 3})
    record = KpiRecord(ACCOUNT, "post_hourly_views", "total", 5, format_ts(0), key.dims)
    assert (
        record_key(key) == record_key(record) == 'post_hourly_views|total|{"hour":3,"post_id":"p1"}'
    )


def test_a_rebuilt_state_or_an_earlier_time_recomputes_everything() -> None:
    live = Live(T0)
    live.feed(sent("i1", T0), published("p1", T0))
    live.tick(shift(T0, hours=1))
    store = live.engine.store
    # an earlier as_of: still a correct delta against the previous evaluation
    earlier = live.engine.evaluate_account(ACCOUNT, us(T0))
    found = changes(earlier)
    assert found[("post_hourly_views", "total", "post_id=p1,hour=1")] is None
    assert ("invitations_sent", "rolling_24h", "") not in found  # unchanged: 1
    # a replaced state object (a store rebuild) is noticed without an event
    import copy

    store._accounts[ACCOUNT] = copy.deepcopy(store.get(ACCOUNT))  # type: ignore[attr-defined]
    rebuilt = live.engine.evaluate_account(ACCOUNT, us(T0) + 2 * HOUR_US)
    assert not rebuilt.full and rebuilt.upserts  # hours 1 and 2 come back


def test_forget_makes_the_next_evaluation_full() -> None:
    live = Live(T0)
    live.feed(sent("i1", T0))
    live.tick(T0)
    live.engine.forget_accounts(ACCOUNT)
    assert live.engine.evaluate_account(ACCOUNT, us(T0) + 1).full
    live.engine.forget_accounts()
    assert live.engine.due_accounts(us(T0) + DAY_US) == []
