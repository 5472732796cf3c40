"""The KPI metric catalog: the `MetricSpec` of each KPI (`KPI_METRICS`) and `spec_of`.

Naming (Prometheus conventions): KPI metrics start with ``linkedin_``, worker metrics with
``socialkpi_``. KPI windowed counts are gauges (they go down when a window moves), so they
carry no ``_total``; ratios end in ``_ratio`` (fractions), durations in ``_seconds``, money
is a gauge in the record's currency (``currency`` label). Every metric is documented in
``docs/metrics.md``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """How one KPI is exported: metric name, unit, help text, and a scale factor."""

    name: str
    unit: str  # count, ratio, money, seconds, score, flag
    help: str
    scale: float = 1.0


def _m(name: str, unit: str, help_text: str, scale: float = 1.0) -> MetricSpec:
    return MetricSpec("linkedin_" + name, unit, help_text, scale)


# Every KPI of docs/kpis.md. A KPI missing here is exported by `fallback_spec`.
KPI_METRICS: dict[str, MetricSpec] = {
    # invitations
    "invitations_sent": _m("invitations_sent", "count", "Outbound invitations sent."),
    "invitation_cohort_sent": _m(
        "invitation_cohort_sent", "count", "Outbound invitations sent in the cohort."
    ),
    "invitation_cohort_accepted": _m(
        "invitation_cohort_accepted", "count", "Invitations of the cohort accepted so far."
    ),
    "invitation_cohort_withdrawn": _m(
        "invitation_cohort_withdrawn", "count", "Invitations of the cohort withdrawn."
    ),
    "invitation_cohort_pending": _m(
        "invitation_cohort_pending", "count", "Invitations of the cohort still pending."
    ),
    "invitation_acceptance_rate": _m(
        "invitation_acceptance_ratio", "ratio", "Accepted / sent of the invitation cohort."
    ),
    "stale_pending_invitations": _m(
        "stale_pending_invitations", "count", "Outbound invitations pending over 21 days."
    ),
    "orphan_acceptances": _m(
        "orphan_acceptances", "count", "Acceptances whose invitation.sent is unknown."
    ),
    "new_connections": _m("new_connections", "count", "Accepted invitations, both directions."),
    "target_share_of_new_connections": _m(
        "new_connections_target_share_ratio", "ratio", "Share of new connections that are targets."
    ),
    # profile
    "connections": _m("connections", "count", "1st-degree connections (latest snapshot)."),
    "followers": _m("followers", "count", "Followers (latest snapshot)."),
    "profile_views_90d": _m("profile_views_90d", "count", "Profile views over 90 days."),
    "search_appearances_7d": _m(
        "search_appearances_7d", "count", "Search appearances over 7 days."
    ),
    "target_in_first_degree": _m(
        "targets_in_first_degree", "count", "Target accounts in the 1st degree."
    ),
    "connections_growth": _m("connections_growth", "count", "Change of connections in period."),
    "followers_growth": _m("followers_growth", "count", "Change of followers in the period."),
    "ssi_total": _m("ssi_score", "score", "Social Selling Index, 0-100 (60+ is good)."),
    "ssi_brand": _m("ssi_brand_score", "score", "SSI component: professional brand, 0-25."),
    "ssi_people": _m("ssi_people_score", "score", "SSI component: find the right people, 0-25."),
    "ssi_insights": _m("ssi_insights_score", "score", "SSI component: engage with insights."),
    "ssi_relationships": _m(
        "ssi_relationships_score", "score", "SSI component: build relationships, 0-25."
    ),
    "ssi_industry_rank_pct": _m(
        "ssi_industry_rank_ratio", "ratio", "SSI industry rank (top fraction).", 0.01
    ),
    "ssi_network_rank_pct": _m(
        "ssi_network_rank_ratio", "ratio", "SSI network rank (top fraction).", 0.01
    ),
    "ssi_total_weekly": _m("ssi_weekly_score", "score", "Last SSI total of the week."),
    "ssi_total_change": _m("ssi_score_change", "score", "SSI total change over the window."),
    # content
    "posts_published": _m("posts_published", "count", "Posts published in the week."),
    "post_views": _m("post_views", "count", "Views of the post."),
    "post_reactions": _m("post_reactions", "count", "Reactions to the post."),
    "post_comments": _m("post_comments", "count", "Comments on the post."),
    "post_shares": _m("post_shares", "count", "Shares of the post."),
    "post_clicks": _m("post_clicks", "count", "Clicks on the post."),
    "post_interactions": _m(
        "post_interactions", "count", "Reactions + comments + shares + clicks of the post."
    ),
    "post_engagement_rate": _m(
        "post_engagement_ratio", "ratio", "Interactions / views of the post."
    ),
    "post_long_lived": _m(
        "post_long_lived", "flag", "1 when the post still got interactions after 48 hours."
    ),
    "weekly_post_views": _m("weekly_post_views", "count", "Post views in the week."),
    "weekly_post_interactions": _m(
        "weekly_post_interactions", "count", "Post interactions in the week."
    ),
    "weekly_engagement_rate": _m(
        "weekly_engagement_ratio", "ratio", "Weekly interactions / weekly views."
    ),
    # interaction history
    "actors_by_interaction_count": _m(
        "actors_by_interactions", "count", "Members whose interaction count is in the bucket."
    ),
    "warm_prospects": _m("warm_prospects", "count", "Members with 4+ interactions."),
    "warm_prospects_to_invite": _m(
        "warm_prospects_to_invite", "count", "Warm prospects not in the 1st degree."
    ),
    # messages
    "messages_sent": _m("messages_sent", "count", "Direct messages sent."),
    "conversations_started": _m(
        "conversations_started", "count", "Conversations started by the account."
    ),
    "reply_cohort_started": _m(
        "reply_cohort_started", "count", "Conversations started in the window."
    ),
    "reply_cohort_replied": _m(
        "reply_cohort_replied", "count", "Of those, conversations with a reply."
    ),
    "reply_rate": _m("reply_ratio", "ratio", "Replied / started conversations."),
    "time_to_first_reply_seconds": _m(
        "time_to_first_reply_seconds", "seconds", "Time to the first reply in the window."
    ),
    # outcomes
    "leads": _m("leads", "count", "Leads recorded (channel empty = all channels)."),
    "meetings": _m("meetings", "count", "Meetings recorded (channel empty = all)."),
    "proposals": _m("proposals", "count", "Proposals recorded (channel empty = all)."),
    "customers_won": _m("customers_won", "count", "Customers won (channel empty = all)."),
    "customers_churned": _m(
        "customers_churned", "count", "Customers churned (channel empty = all)."
    ),
    "prospects_contacted": _m(
        "prospects_contacted", "count", "Distinct members invited or messaged."
    ),
    "conversion_rate": _m("conversion_ratio", "ratio", "Customers won / prospects contacted."),
    "revenue": _m("revenue", "money", "Revenue of customers won."),
    "roi": _m("roi_ratio", "ratio", "(Revenue - ad spend) / ad spend."),
    "cac": _m("customer_acquisition_cost", "money", "Ad spend / customers won."),
    "churn_rate": _m("churn_ratio", "ratio", "Customer churn over the period."),
    "retention_rate": _m("retention_ratio", "ratio", "1 - churn."),
    "ltv": _m("customer_lifetime_value", "money", "Customer lifetime value."),
    # ads
    "ad_impressions": _m("ad_impressions", "count", "Ad impressions today."),
    "ad_clicks": _m("ad_clicks", "count", "Ad clicks today."),
    "ad_spend": _m("ad_spend", "money", "Ad spend today."),
    "ad_ctr": _m("ad_click_through_ratio", "ratio", "Ad clicks / impressions."),
    "ad_cpm": _m("ad_cost_per_mille", "money", "Ad spend per 1000 impressions."),
    "ad_cpc": _m("ad_cost_per_click", "money", "Ad spend per click."),
    "ad_video_views": _m("ad_video_views", "count", "Ad video views today."),
    "ad_sends": _m("ad_sends", "count", "Sponsored messages sent today."),
    "ad_opens": _m("ad_opens", "count", "Sponsored messages opened today."),
    "ad_leads": _m("ad_leads", "count", "Ad leads today."),
    "ad_conversions": _m("ad_conversions", "count", "Ad conversions today."),
    "ad_cpv": _m("ad_cost_per_video_view", "money", "Ad spend per video view."),
    "ad_cps": _m("ad_cost_per_send", "money", "Ad spend per sponsored message sent."),
    "ad_cpl": _m("ad_cost_per_lead", "money", "Ad spend per lead."),
    "ad_cpa": _m("ad_cost_per_acquisition", "money", "Ad spend per conversion."),
    "ad_open_rate": _m("ad_open_ratio", "ratio", "Sponsored message opens / sends."),
    "ad_conversion_rate": _m("ad_conversion_ratio", "ratio", "Ad conversions / clicks."),
    "ad_card_impressions": _m("ad_card_impressions", "count", "Carousel card impressions today."),
    "ad_card_clicks": _m("ad_card_clicks", "count", "Carousel card clicks today."),
    "ad_card_ctr": _m(
        "ad_card_click_through_ratio", "ratio", "Carousel card clicks / impressions."
    ),
}
# Not exported: the hourly curves live in Redis (`sinks.redis`).
NOT_EXPORTED = frozenset(
    {
        "post_hourly_views",
        "post_hourly_interactions",
        "post_cumulative_views",
        "post_cumulative_interactions",
    }
)

_NAME_OK = re.compile(r"[^a-zA-Z0-9_]")


def fallback_spec(kpi: str, value: Any) -> MetricSpec:
    """A KPI not in `KPI_METRICS` (added to the engine later): ``linkedin_<kpi>``, with
    ``_rate`` turned into ``_ratio``, a trailing ``_total``/``_count`` avoided."""
    name = _NAME_OK.sub("_", kpi.lower())
    unit = "count"
    if name.endswith("_rate"):
        name, unit = name[: -len("_rate")] + "_ratio", "ratio"
    elif name.endswith(("_total", "_count", "_sum", "_bucket")):
        name = name + "_value"
    if isinstance(value, Decimal):
        unit = "money"
    elif name.endswith("_seconds"):
        unit = "seconds"
    return MetricSpec("linkedin_" + name, unit, f"KPI {kpi} (see docs/kpis.md).")


def spec_of(kpi: str, value: Any) -> MetricSpec | None:
    if kpi in NOT_EXPORTED:
        return None
    return KPI_METRICS.get(kpi) or fallback_spec(kpi, value)
