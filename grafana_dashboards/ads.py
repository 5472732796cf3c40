"""Dashboard (d): LinkedIn Ads, today's figures by campaign, creative, format and carousel card.

Ad gauges are the current UTC day (``period="day"``): they climb during the day and restart
at midnight; LinkedIn's restated daily reports replace the provisional numbers. Campaign
ratios are recomputed from summed counts (never averaged ratios), and a zero denominator
gives no point rather than infinity.
"""

from __future__ import annotations

from alerting.config import Thresholds
from grafana_dashboards.panels import (
    DashboardBuilder,
    Line,
    Q,
    graph,
    grid,
    new_dashboard,
    row,
    sel,
)

UID = "socialkpi-ads"
TITLE = "LinkedIn / Ads"
DESCRIPTION = (
    "Today's impressions, clicks, spend, CTR, CPM and CPC by campaign, creative and format, "
    "carousel card CTR, leads and conversions (alert line: the CTR floor of "
    "deploy/alerting.yaml). Money is per currency label."
)
A = "{{account_id}}"
CAMPAIGN = "{{account_id}} {{campaign_id}}"
CREATIVE = "{{account_id}} {{campaign_id}}/{{creative_id}} ({{format}})"
BY_CAMPAIGN = "account_id, campaign_id"
BY_CAMPAIGN_CUR = "account_id, campaign_id, currency"


def _day(metric: str) -> str:
    return sel(metric, period="day")


def _sum(by: str, metric: str) -> str:
    return f"sum by ({by}) ({_day(metric)})"


def _ratio(by: str, numerator: str, denominator: str, scale: str = "") -> str:
    """sum(num) / sum(den) per group, with no point where the denominator is 0."""
    prefix = f"{scale} * " if scale else ""
    return f"{prefix}{_sum(by, numerator)} / ({_sum(by, denominator)} > 0)"


def build(limits: Thresholds) -> DashboardBuilder:
    ctr_floor = Line(limits.ad_ctr_min, below="red", above="green")
    return (
        new_dashboard(UID, TITLE, DESCRIPTION, time_from="now-2d")
        .with_row(row("Today by campaign"))
        .with_panel(
            graph(
                "Impressions today",
                "Per campaign, current UTC day.",
                [Q(_sum(BY_CAMPAIGN, "linkedin_ad_impressions"), CAMPAIGN)],
                min_val=0,
                w=8,
            )
        )
        .with_panel(
            graph(
                "Clicks today",
                "Per campaign, current UTC day.",
                [Q(_sum(BY_CAMPAIGN, "linkedin_ad_clicks"), CAMPAIGN)],
                min_val=0,
                w=8,
            )
        )
        .with_panel(
            graph(
                "Spend today",
                "Per campaign and currency, current UTC day.",
                [Q(_sum(BY_CAMPAIGN_CUR, "linkedin_ad_spend"), CAMPAIGN + " {{currency}}")],
                min_val=0,
                w=8,
            )
        )
        .with_panel(
            graph(
                "CTR by campaign",
                "Clicks / impressions of the campaign today. Dashed: the alert's CTR floor "
                "(it applies per creative, past a minimum of impressions).",
                [Q(_ratio(BY_CAMPAIGN, "linkedin_ad_clicks", "linkedin_ad_impressions"), CAMPAIGN)],
                unit="percentunit",
                min_val=0,
                line=ctr_floor,
            )
        )
        .with_panel(
            graph(
                "CPM and CPC by campaign",
                "Spend per 1000 impressions and per click today, in the legend's currency.",
                [
                    Q(
                        _ratio(
                            BY_CAMPAIGN_CUR, "linkedin_ad_spend", "linkedin_ad_impressions", "1000"
                        ),
                        CAMPAIGN + " CPM {{currency}}",
                    ),
                    Q(
                        _ratio(BY_CAMPAIGN_CUR, "linkedin_ad_spend", "linkedin_ad_clicks"),
                        CAMPAIGN + " CPC {{currency}}",
                    ),
                ],
                min_val=0,
            )
        )
        .with_row(row("By creative and format"))
        .with_panel(
            graph(
                "CTR by creative",
                "Clicks / impressions of each creative today.",
                [Q(_day("linkedin_ad_click_through_ratio"), CREATIVE)],
                unit="percentunit",
                min_val=0,
                line=ctr_floor,
            )
        )
        .with_panel(
            graph(
                "Impressions and clicks by format",
                "Sponsored content, video, carousel, message ads, ... today.",
                [
                    Q(
                        _sum("account_id, format", "linkedin_ad_impressions"),
                        A + " {{format}} impressions",
                    ),
                    Q(_sum("account_id, format", "linkedin_ad_clicks"), A + " {{format}} clicks"),
                ],
                min_val=0,
            )
        )
        .with_panel(
            graph(
                "CPM by creative",
                "Spend per 1000 impressions today, in the legend's currency.",
                [Q(_day("linkedin_ad_cost_per_mille"), CREATIVE + " {{currency}}")],
                min_val=0,
            )
        )
        .with_panel(
            graph(
                "CPC by creative",
                "Spend per click today, in the legend's currency.",
                [Q(_day("linkedin_ad_cost_per_click"), CREATIVE + " {{currency}}")],
                min_val=0,
            )
        )
        .with_panel(
            grid(
                "Creatives today",
                "Today's figures of every creative (money in the row's currency).",
                [
                    ("Impressions", Q(_day("linkedin_ad_impressions"))),
                    ("Clicks", Q(_day("linkedin_ad_clicks"))),
                    ("Spend", Q(_day("linkedin_ad_spend"))),
                    ("CTR", Q(_day("linkedin_ad_click_through_ratio"))),
                    ("CPM", Q(_day("linkedin_ad_cost_per_mille"))),
                    ("CPC", Q(_day("linkedin_ad_cost_per_click"))),
                ],
                units={"CTR": "percentunit"},
            )
        )
        .with_row(row("Carousel, leads and conversions"))
        .with_panel(
            graph(
                "Carousel card CTR",
                "Clicks / impressions of each card of the carousel creatives today.",
                [
                    Q(
                        _day("linkedin_ad_card_click_through_ratio"),
                        "{{account_id}} {{creative_id}} card {{card_index}}",
                    )
                ],
                unit="percentunit",
                min_val=0,
            )
        )
        .with_panel(
            graph(
                "Leads and conversions today",
                "Per campaign, current UTC day.",
                [
                    Q(_sum(BY_CAMPAIGN, "linkedin_ad_leads"), CAMPAIGN + " leads"),
                    Q(_sum(BY_CAMPAIGN, "linkedin_ad_conversions"), CAMPAIGN + " conversions"),
                ],
                min_val=0,
            )
        )
        .with_panel(
            graph(
                "Cost per lead and per acquisition",
                "Per creative today, in the legend's currency.",
                [
                    Q(_day("linkedin_ad_cost_per_lead"), CREATIVE + " CPL {{currency}}"),
                    Q(_day("linkedin_ad_cost_per_acquisition"), CREATIVE + " CPA {{currency}}"),
                ],
                min_val=0,
            )
        )
        .with_panel(
            graph(
                "Video views and sponsored messages",
                "Video views, sponsored messages sent and opened today, per campaign.",
                [
                    Q(_sum(BY_CAMPAIGN, "linkedin_ad_video_views"), CAMPAIGN + " video views"),
                    Q(_sum(BY_CAMPAIGN, "linkedin_ad_sends"), CAMPAIGN + " sends"),
                    Q(_sum(BY_CAMPAIGN, "linkedin_ad_opens"), CAMPAIGN + " opens"),
                ],
                min_val=0,
            )
        )
    )
