"""Ads (docs/kpis.md, kpis/ads.py): exact money, half-even rounding, restatement, cards."""

from __future__ import annotations

import random
from decimal import Decimal

from .helpers import AD_DIMS, ad, report, run

AS_OF = "2026-11-20T12:00:00Z"
DAY = "day:2026-11-20"


def _dims(**over: str) -> dict[str, str]:
    return {**AD_DIMS, **over}


def _money(r, kpi: str, period: str = DAY, **over: str) -> str:
    """The value as the replay CLI renders it (decimal string)."""
    found = r.find(kpi, period, **_dims(**over))
    assert len(found) == 1, (kpi, period, over, found)
    return found[0].to_dict()["value"]


def test_impressions_clicks_spend_ctr_cpm_cpc() -> None:
    events = [
        ad("impression", "2026-11-20T09:00:00Z", count=1000, cost="7.5"),
        ad("click", "2026-11-20T10:00:00Z", count=3, cost="2.5"),
    ]
    r = run(events, as_of=AS_OF)
    d = _dims()
    assert r.value("ad_impressions", DAY, **d) == 1000
    assert r.value("ad_clicks", DAY, **d) == 3
    # spend = 7.5 + 2.5 = 10.0 (exact decimal)
    assert r.value("ad_spend", DAY, **d) == Decimal("10")
    assert _money(r, "ad_spend") == "10.0"
    # CTR = 3 / 1000 = 0.003
    assert r.value("ad_ctr", DAY, **d) == 0.003
    # CPM = 10 / 1000 x 1000 = 10.000000; CPC = 10 / 3 = 3.333333 (6 dp)
    assert _money(r, "ad_cpm") == "10.000000"
    assert _money(r, "ad_cpc") == "3.333333"
    assert isinstance(r.value("ad_cpc", DAY, **d), Decimal)


def test_count_never_multiplies_cost() -> None:
    # an aggregated impression event: 1200 impressions that cost 18.40 in total
    events = [
        ad("impression", "2026-11-20T09:00:00Z", count=1200, cost="18.40"),
        ad("impression", "2026-11-20T09:30:00Z", count=800, cost="1.60"),
        ad("click", "2026-11-20T09:45:00Z", count=4),  # cost defaults to "0"
    ]
    r = run(events, as_of=AS_OF)
    d = _dims()
    assert r.value("ad_impressions", DAY, **d) == 2000  # 1200 + 800
    assert _money(r, "ad_spend") == "20.00"  # 18.40 + 1.60, not 1200 x 18.40
    assert _money(r, "ad_cpm") == "10.000000"  # 20 / 2000 x 1000
    assert _money(r, "ad_cpc") == "5.000000"  # 20 / 4
    assert r.value("ad_ctr", DAY, **d) == 0.002  # 4 / 2000


def test_derived_money_rounds_half_even_to_6_decimals() -> None:
    events = [
        # camp-a: spend 0.0000125 -> CPM 0.0000125 x 1000 / 1000 and CPC / 1 click: the 7th
        # decimal is an exact tie, half-even keeps the even 2 -> 0.000012 (half-up: 0.000013)
        ad("impression", "2026-11-20T09:00:00Z", count=1000, cost="0.0000125", campaign_id="a"),
        ad("click", "2026-11-20T09:01:00Z", campaign_id="a"),
        # camp-b: 0.0000375 -> the tie rounds up to the even 8 -> 0.000038 (half-down: ...37)
        ad("impression", "2026-11-20T09:00:00Z", count=1000, cost="0.0000375", campaign_id="b"),
        ad("click", "2026-11-20T09:01:00Z", campaign_id="b"),
    ]
    r = run(events, as_of=AS_OF)
    assert _money(r, "ad_cpm", campaign_id="a") == "0.000012"
    assert _money(r, "ad_cpc", campaign_id="a") == "0.000012"
    assert _money(r, "ad_cpm", campaign_id="b") == "0.000038"
    assert _money(r, "ad_cpc", campaign_id="b") == "0.000038"
    assert _money(r, "ad_spend", campaign_id="a") == "0.0000125"  # sums are not rounded


def test_optional_counters_and_their_ratios() -> None:
    t = "2026-11-20T09:00:00Z"
    kw = {"campaign_id": "msg", "format": "message"}
    events = [
        ad("send", t, count=5, cost="10", **kw),
        ad("open", t, count=2, **kw),
        ad("video_view", t, count=4, **kw),
        ad("lead", t, count=2, **kw),
        ad("conversion", t, count=1, **kw),
        ad("click", t, count=4, **kw),
    ]
    r = run(events, as_of=AS_OF)
    d = _dims(**kw)
    assert r.value("ad_impressions", DAY, **d) == 0  # always emitted
    assert r.value("ad_sends", DAY, **d) == 5
    assert r.value("ad_opens", DAY, **d) == 2
    assert r.value("ad_video_views", DAY, **d) == 4
    assert r.value("ad_leads", DAY, **d) == 2
    assert r.value("ad_conversions", DAY, **d) == 1
    assert _money(r, "ad_cpv", **kw) == "2.500000"  # 10 / 4
    assert _money(r, "ad_cps", **kw) == "2.000000"  # 10 / 5
    assert _money(r, "ad_cpl", **kw) == "5.000000"  # 10 / 2
    assert _money(r, "ad_cpa", **kw) == "10.000000"  # 10 / 1
    assert _money(r, "ad_cpc", **kw) == "2.500000"  # 10 / 4
    assert r.value("ad_open_rate", DAY, **d) == 0.4  # 2 / 5
    assert r.value("ad_conversion_rate", DAY, **d) == 0.25  # 1 / 4
    # 0 impressions: CTR and CPM are undefined -> no record
    assert r.get("ad_ctr", DAY, **d) is None
    assert r.get("ad_cpm", DAY, **d) is None


def test_zero_denominator_ratios_are_absent() -> None:
    events = [ad("impression", "2026-11-20T09:00:00Z", count=100, cost="1")]
    r = run(events, as_of=AS_OF)
    d = _dims()
    assert r.value("ad_ctr", DAY, **d) == 0.0  # 0 / 100 is defined
    assert _money(r, "ad_cpm") == "10.000000"  # 1 / 100 x 1000
    for kpi in ("ad_cpc", "ad_cpv", "ad_cps", "ad_cpl", "ad_cpa", "ad_open_rate"):
        assert r.get(kpi, DAY, **d) is None, kpi
    assert r.get("ad_conversion_rate", DAY, **d) is None  # 0 conversions / 0 clicks
    for kpi in ("ad_video_views", "ad_sends", "ad_opens", "ad_leads", "ad_conversions"):
        assert r.get(kpi, DAY, **d) is None, kpi  # zero optional counters: no record


def test_groups_split_by_day_campaign_creative_format_currency() -> None:
    events = [
        ad("impression", "2026-11-19T23:59:59.999999Z", count=10, cost="1"),
        ad("impression", "2026-11-20T00:00:00Z", count=20, cost="2"),
        ad("impression", "2026-11-20T01:00:00Z", count=30, cost="3", currency="USD"),
        ad("impression", "2026-11-20T01:00:00Z", count=40, cost="4", creative_id="cr-2"),
        ad("impression", "2026-11-20T01:00:00Z", count=50, cost="5", format="video"),
    ]
    r = run(events, as_of=AS_OF)
    assert r.value("ad_impressions", "day:2026-11-19", **_dims()) == 10
    assert r.value("ad_impressions", DAY, **_dims()) == 20
    assert r.value("ad_impressions", DAY, **_dims(currency="USD")) == 30
    assert _money(r, "ad_spend", currency="USD") == "3"
    assert r.value("ad_impressions", DAY, **_dims(creative_id="cr-2")) == 40
    assert r.value("ad_impressions", DAY, **_dims(format="video")) == 50
    assert len(r.find("ad_impressions")) == 0  # every record carries the 4 dims
    assert len([x for x in r.records if x.kpi == "ad_impressions"]) == 5


def _restatement_events() -> list[dict]:
    day = "2026-11-18"
    return [
        ad("impression", f"{day}T09:00:00Z", count=500, cost="5.00"),
        ad("click", f"{day}T10:00:00Z", count=10, cost="1.00"),
        ad("lead", f"{day}T11:00:00Z", count=7),
        report(day, "2026-11-19T06:00:00Z", impressions=1000, clicks=20, cost="12.00"),
        report(day, "2026-11-20T06:00:00Z", impressions=1100, clicks=22, cost="13.20", leads=2),
        ad("click", f"{day}T23:00:00Z", count=99, cost="9"),  # incremental after the reports
        report(day, "2026-11-19T03:00:00Z", impressions=1, clicks=1, cost="1"),  # older report
    ]


def test_latest_report_replaces_earlier_reports_and_incremental_events() -> None:
    r = run(_restatement_events(), as_of=AS_OF)
    p, d = "day:2026-11-18", _dims()
    # the report of 20 Nov 06:00 is authoritative: 1100 impressions, 22 clicks, 13.20
    assert r.value("ad_impressions", p, **d) == 1100
    assert r.value("ad_clicks", p, **d) == 22
    assert _money(r, "ad_spend", p) == "13.20"
    assert r.value("ad_ctr", p, **d) == 0.02  # 22 / 1100
    assert _money(r, "ad_cpm", p) == "12.000000"  # 13.20 / 1100 x 1000
    assert _money(r, "ad_cpc", p) == "0.600000"  # 13.20 / 22
    assert r.value("ad_leads", p, **d) == 2  # the report's, not the 7 incremental ones
    assert _money(r, "ad_cpl", p) == "6.600000"  # 13.20 / 2


def test_restatement_is_independent_of_arrival_order() -> None:
    events = _restatement_events()
    expected = [x.to_dict() for x in run(events, as_of=AS_OF).records]
    for seed in range(3):
        shuffled = list(events)
        random.Random(seed).shuffle(shuffled)
        assert [x.to_dict() for x in run(shuffled, as_of=AS_OF).records] == expected


def test_report_ties_on_occurred_at_break_on_the_greater_event_id() -> None:
    t = "2026-11-19T06:00:00Z"
    a = report("2026-11-18", t, impressions=100, clicks=1, cost="1", event_id="rep-a")
    b = report("2026-11-18", t, impressions=200, clicks=2, cost="2", event_id="rep-b")
    for order in ([a, b], [b, a]):
        r = run(order, as_of=AS_OF)
        assert r.value("ad_impressions", "day:2026-11-18", **_dims()) == 200


def test_groups_without_a_report_are_provisional_sums() -> None:
    events = [
        *_restatement_events(),
        ad("impression", "2026-11-19T09:00:00Z", count=300, cost="3.30"),
        ad("impression", "2026-11-19T10:00:00Z", count=200, cost="2.20"),
        ad("click", "2026-11-19T11:00:00Z", count=5),
    ]
    r = run(events, as_of=AS_OF)
    p = "day:2026-11-19"
    assert r.value("ad_impressions", p, **_dims()) == 500  # 300 + 200
    assert r.value("ad_clicks", p, **_dims()) == 5
    assert _money(r, "ad_spend", p) == "5.50"  # 3.30 + 2.20
    assert _money(r, "ad_cpc", p) == "1.100000"  # 5.50 / 5


def test_report_for_a_day_without_incremental_events() -> None:
    events = [
        report(
            "2026-11-17",
            "2026-11-18T05:00:00Z",
            impressions=0,
            clicks=0,
            cost="0",
            sends=10,
            opens=3,
            currency="USD",
            format="message",
        )
    ]
    r = run(events, as_of=AS_OF)
    d = _dims(currency="USD", format="message")
    p = "day:2026-11-17"
    assert r.value("ad_impressions", p, **d) == 0
    assert r.value("ad_sends", p, **d) == 10
    assert r.value("ad_open_rate", p, **d) == 0.3  # 3 / 10
    assert r.get("ad_ctr", p, **d) is None  # 0 / 0
    assert r.get("ad_cps", p, **d) == Decimal("0.000000")  # 0 / 10


def test_carousel_card_impressions_clicks_ctr() -> None:
    t = "2026-11-20T09:00:00Z"
    kw = {"format": "carousel"}
    events = [
        ad("impression", t, count=100, card_index=0, cost="1", **kw),
        ad("impression", t, count=50, card_index=1, cost="1", **kw),
        ad("impression", t, count=10, **kw),  # no card: group only
        ad("click", t, count=5, card_index=0, **kw),
        ad("click", t, count=2, card_index=2, **kw),  # clicks on a card never shown
        ad("lead", t, count=1, card_index=0, **kw),  # only impressions/clicks per card
        # a report restates the group but carries no card breakdown
        report("2026-11-20", "2026-11-20T11:00:00Z", impressions=170, clicks=8, cost="2.5", **kw),
    ]
    r = run(events, as_of=AS_OF)
    d = _dims(**kw)
    assert r.by_dim("ad_card_impressions", "card_index", period=DAY, **d) == {0: 100, 1: 50, 2: 0}
    assert r.by_dim("ad_card_clicks", "card_index", period=DAY, **d) == {0: 5, 1: 0, 2: 2}
    # CTR per card: 5 / 100 = 0.05; 0 / 50 = 0.0; card 2 has 0 impressions -> no record
    assert r.by_dim("ad_card_ctr", "card_index", period=DAY, **d) == {0: 0.05, 1: 0.0}
    # the group itself is the report's
    assert r.value("ad_impressions", DAY, **d) == 170
    assert r.value("ad_clicks", DAY, **d) == 8


def test_report_after_as_of_is_not_applied() -> None:
    events = [
        ad("impression", "2026-11-20T09:00:00Z", count=10, cost="1"),
        report("2026-11-20", "2026-11-21T06:00:00Z", impressions=999, clicks=9, cost="99"),
    ]
    r = run(events, as_of=AS_OF)
    assert r.value("ad_impressions", DAY, **_dims()) == 10
    assert _money(r, "ad_spend") == "1"
