"""Outcomes and business (docs/kpis.md, kpis/outcomes.py): spec formulas, worked by hand.

Weeks: W45 = 2..8 Nov 2026, W46 = 9..15 Nov 2026; both inside month 2026-11.
"""

from __future__ import annotations

from decimal import Decimal

from .helpers import ad, msg_sent, outcome, run, sent

AS_OF = "2026-11-20T12:00:00Z"
W45, W46, NOV = "week:2026-W45", "week:2026-W46", "month:2026-11"


def _scenario() -> list[dict]:
    return [
        # W45: contacted p1 p2 p4 p9 (invitations), p3 p1 (messages); p10 invited us (inbound)
        sent("i1", "2026-11-03T09:00:00Z", invitee="p1"),
        sent("i2", "2026-11-03T09:00:00Z", invitee="p2"),
        msg_sent("m3", "2026-11-04T09:00:00Z", to="p3"),
        msg_sent("m1", "2026-11-05T09:00:00Z", to="p1"),
        sent("i4", "2026-11-06T09:00:00Z", invitee="p4"),
        sent("i9", "2026-11-06T09:00:00Z", invitee="p9"),
        sent("i10", "2026-11-06T09:00:00Z", invitee="p10", inbound=True),
        outcome("lead", "2026-11-03T10:00:00Z", "p1", "organic"),
        outcome("lead", "2026-11-03T11:00:00Z", "p2", "messages"),
        outcome("lead", "2026-11-04T10:00:00Z", "p3", "organic"),
        outcome("meeting", "2026-11-05T10:00:00Z", "p1", "messages"),
        outcome("customer_won", "2026-11-06T10:00:00Z", "p1", "organic", value="1000"),
        outcome("customer_won", "2026-11-06T11:00:00Z", "p2", "ads", value="2000.00"),
        outcome("customer_won", "2026-11-07T10:00:00Z", "p3", "messages", value="3000"),
        outcome("customer_won", "2026-11-07T11:00:00Z", "p4", "messages"),  # no value
        # W46: contacted p5 p6 p7 (messages), p8 (invitation)
        msg_sent("m5", "2026-11-10T09:00:00Z", to="p5"),
        msg_sent("m6", "2026-11-10T09:00:00Z", to="p6"),
        msg_sent("m7", "2026-11-10T09:00:00Z", to="p7"),
        sent("i8", "2026-11-11T09:00:00Z", invitee="p8"),
        outcome("proposal", "2026-11-10T10:00:00Z", "p1", "other"),
        outcome("customer_churned", "2026-11-10T11:00:00Z", "p1", "other"),
        outcome("customer_churned", "2026-11-11T11:00:00Z", "p2", "other"),
        outcome("customer_churned", "2026-11-12T11:00:00Z", "p3", "other"),
        outcome("customer_won", "2026-11-12T12:00:00Z", "p5", "organic", value="600"),
        outcome("customer_won", "2026-11-13T12:00:00Z", "p5", "organic", value="400"),
        # ad spend in W46: 200.00 EUR and 50 USD
        ad("impression", "2026-11-10T08:00:00Z", count=5000, cost="200.00"),
        ad("impression", "2026-11-11T08:00:00Z", count=100, cost="50", currency="USD"),
    ]


def test_outcome_counts_by_channel_and_all_channels() -> None:
    r = run(_scenario(), as_of=AS_OF)
    assert r.value("leads", W45) == 3
    assert r.value("leads", W45, channel="organic") == 2
    assert r.value("leads", W45, channel="messages") == 1
    assert r.value("leads", NOV) == 3
    assert r.value("meetings", W45, channel="messages") == 1
    assert r.value("meetings", NOV) == 1
    assert r.value("proposals", W46, channel="other") == 1
    assert r.value("proposals", W46) == 1
    assert r.get("proposals", W45) is None
    # won: W45 organic 1, ads 1, messages 2 = 4; W46 organic 2; month 6
    assert r.value("customers_won", W45) == 4
    assert r.value("customers_won", W45, channel="organic") == 1
    assert r.value("customers_won", W45, channel="ads") == 1
    assert r.value("customers_won", W45, channel="messages") == 2
    assert r.value("customers_won", W46, channel="organic") == 2
    assert r.value("customers_won", NOV) == 6
    assert r.value("customers_churned", W46) == 3
    assert r.value("customers_churned", W46, channel="other") == 3
    assert r.value("customers_churned", NOV) == 3


def test_prospects_contacted_and_conversion_rate() -> None:
    r = run(_scenario(), as_of=AS_OF)
    # W45 distinct members contacted: p1 p2 p3 p4 p9 = 5 (p10's inbound invitation is not ours)
    assert r.value("prospects_contacted", W45) == 5
    assert r.value("prospects_contacted", W46) == 4  # p5 p6 p7 p8
    assert r.value("prospects_contacted", NOV) == 9
    # 4 won / 5 contacted -> 0.8; 2 / 4 -> 0.5; 6 / 9
    assert r.value("conversion_rate", W45) == 0.8
    assert r.value("conversion_rate", W46) == 0.5
    assert r.value("conversion_rate", NOV) == 6 / 9


def test_revenue_roi_and_cac() -> None:
    r = run(_scenario(), as_of=AS_OF)
    # revenue: W45 1000 + 2000.00 + 3000 = 6000; W46 600 + 400 = 1000; month 7000 (exact)
    assert r.value("revenue", W45, currency="EUR") == Decimal("6000")
    assert r.value("revenue", W46, currency="EUR") == Decimal("1000")
    assert r.value("revenue", NOV, currency="EUR") == Decimal("7000")
    # ROI W46 = (1000 - 200) / 200 = 4.0; month = (7000 - 200) / 200 = 34.0
    assert r.value("roi", W46, currency="EUR") == 4.0
    assert r.value("roi", NOV, currency="EUR") == 34.0
    assert isinstance(r.value("roi", W46, currency="EUR"), float)
    # no ad spend in W45, no USD revenue anywhere: no ROI there
    assert r.get("roi", W45, currency="EUR") is None
    assert r.get("roi", W46, currency="USD") is None
    # CAC W46 = 200 / 2 won = 100.000000; month = 200 / 6 = 33.333333 (half-even, 6 dp)
    assert r.value("cac", W46, currency="EUR") == Decimal("100.000000")
    assert r.value("cac", NOV, currency="EUR") == Decimal("33.333333")
    assert r.value("cac", W46, currency="USD") == Decimal("25.000000")  # 50 / 2
    assert r.get("cac", W45, currency="EUR") is None  # no spend
    rendered = {(x.kpi, x.period, x.dims.get("currency")): x.to_dict()["value"] for x in r.records}
    assert rendered[("cac", NOV, "EUR")] == "33.333333"
    assert rendered[("revenue", W46, "EUR")] == "1000"


def test_churn_and_retention() -> None:
    r = run(_scenario(), as_of=AS_OF)
    # customers at start of W46 = 4 won; at end = 4 - 3 churned + 2 won = 3
    # churn = (4 - 3) / 4 = 0.25, retention = 0.75
    assert r.value("churn_rate", W46) == 0.25
    assert r.value("retention_rate", W46) == 0.75
    # no customers before W45 nor before November: undefined
    assert r.get("churn_rate", W45) is None
    assert r.get("retention_rate", W45) is None
    assert r.get("churn_rate", NOV) is None


def test_ltv() -> None:
    r = run(_scenario(), as_of=AS_OF)
    # W46: average order value 1000 / 2 orders = 500; orders per customer won = 2 won / 1
    # distinct customer (p5) = 2; retention periods = 1 / churn = 1 / 0.25 = 4
    # LTV = 500 x 2 x 4 = 4000
    assert r.value("ltv", W46, currency="EUR") == Decimal("4000.000000")
    assert r.get("ltv", W45, currency="EUR") is None  # churn undefined
    assert r.get("ltv", NOV, currency="EUR") is None


def _churn_events() -> list[dict]:
    return [
        *[
            outcome("customer_won", f"2026-10-0{d}T10:00:00Z", f"c{d}", value="100")
            for d in range(1, 6)
        ],  # October: 5 customers
        outcome("customer_churned", "2026-11-03T10:00:00Z", "c1"),  # W45
        outcome("customer_churned", "2026-11-04T10:00:00Z", "c2"),  # W45
        outcome("customer_won", "2026-11-10T10:00:00Z", "c6", value="100"),  # W46
        outcome("customer_won", "2026-11-11T10:00:00Z", "c7", value="300"),  # W46
        outcome("customer_churned", "2026-11-12T10:00:00Z", "c3"),  # W46
    ]


def test_monthly_churn_and_negative_churn_applied_literally() -> None:
    r = run(_churn_events(), as_of=AS_OF)
    # November: start 5, end 5 - 2 + 2 - 1 = 4 -> churn (5 - 4) / 5 = 0.2, retention 0.8
    assert r.value("churn_rate", NOV) == 0.2
    assert r.value("retention_rate", NOV) == 0.8
    # W45: start 5, end 3 -> 0.4 / 0.6
    assert r.value("churn_rate", W45) == 0.4
    assert r.value("retention_rate", W45) == 0.6
    # W46: start 3, end 3 + 2 - 1 = 4 -> (3 - 4) / 3 = -1/3 (literal formula), retention 4/3
    assert r.value("churn_rate", W46) == -1 / 3
    assert r.value("retention_rate", W46) == 1 + 1 / 3
    # LTV: November avg 400 / 2 = 200 x (2 won / 2 customers) x 1 / 0.2 = 1000
    assert r.value("ltv", NOV, currency="EUR") == Decimal("1000.000000")


def test_no_ltv_when_churn_is_not_positive() -> None:
    # docs/kpis.md, ltv: "... x 1 / churn (money; only when churn > 0)"
    r = run(_churn_events(), as_of=AS_OF)
    assert r.value("churn_rate", W46) == -1 / 3
    # a negative churn would give 200 x 1 x (1 / -1/3) = -600: no record instead
    assert r.get("ltv", W46, currency="EUR") is None
