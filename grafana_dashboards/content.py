"""Dashboard (b): content, with the 48-hour curve per post, weekly totals and warm prospects.

Prometheus has no hourly-curve records (they stay in Redis, ``docs/redis.md``): the exporter
keeps a per-post gauge of the cumulative views and interactions of each recent post, so the
history of ``linkedin_post_views{post_id}`` *is* the post's curve, and its hourly ``delta``
is the views of each hour.
"""

from __future__ import annotations

from alerting.config import Thresholds
from grafana_dashboards.panels import (
    DashboardBuilder,
    Q,
    bars,
    graph,
    grid,
    new_dashboard,
    row,
    sel,
    single,
)

UID = "socialkpi-content"
TITLE = "LinkedIn / Content"
DESCRIPTION = (
    "The 48-hour curve of each recent post (cumulative views and interactions, and what each "
    "hour added), engagement per post, weekly editorial totals and warm prospects (members "
    "with 4+ interactions)."
)
A = "{{account_id}}"
POST = "{{account_id}} {{post_id}}"
POST_COLUMNS = (
    ("Views", "linkedin_post_views"),
    ("Reactions", "linkedin_post_reactions"),
    ("Comments", "linkedin_post_comments"),
    ("Shares", "linkedin_post_shares"),
    ("Clicks", "linkedin_post_clicks"),
    ("Interactions", "linkedin_post_interactions"),
    ("Engagement", "linkedin_post_engagement_ratio"),
    ("Long-lived", "linkedin_post_long_lived"),
)


def build(limits: Thresholds) -> DashboardBuilder:
    del limits  # no alert threshold on content
    return (
        new_dashboard(UID, TITLE, DESCRIPTION, time_from="now-7d")
        .with_row(row("48-hour curve per post (recent posts)"))
        .with_panel(
            graph(
                "Views per post (cumulative)",
                "Running total of each recent post's views: read the first 48 hours after "
                "publication as the post's curve.",
                [Q(sel("linkedin_post_views", period="total"), POST)],
                min_val=0,
                h=9,
            )
        )
        .with_panel(
            graph(
                "Interactions per post (cumulative)",
                "Reactions + comments + shares + clicks of each recent post, running total.",
                [Q(sel("linkedin_post_interactions", period="total"), POST)],
                min_val=0,
                h=9,
            )
        )
        .with_panel(
            graph(
                "Views per hour, per post",
                "Views each post gained over the past hour: the hourly bars of its curve.",
                [Q(f"delta({sel('linkedin_post_views', period='total')}[1h])", POST)],
                min_val=0,
            )
        )
        .with_panel(
            graph(
                "Interactions per hour, per post",
                "Interactions each post gained over the past hour.",
                [Q(f"delta({sel('linkedin_post_interactions', period='total')}[1h])", POST)],
                min_val=0,
            )
        )
        .with_panel(
            graph(
                "Engagement rate per post",
                "Interactions / views of each recent post.",
                [Q(sel("linkedin_post_engagement_ratio", period="total"), POST)],
                unit="percentunit",
                min_val=0,
            )
        )
        .with_panel(
            single(
                "Long-lived posts",
                "Recent posts still gaining interactions after 48 hours (seed: one post lived "
                "a month): topics worth repeating.",
                [
                    Q(
                        f"sum by (account_id) ({sel('linkedin_post_long_lived', period='total')})",
                        A,
                    )
                ],
                w=12,
                h=8,
            )
        )
        .with_panel(
            grid(
                "Recent posts now",
                "Current totals of each recent post (the exporter keeps the most recent 20 "
                "per account).",
                [(name, Q(sel(metric, period="total"))) for name, metric in POST_COLUMNS],
                units={"Engagement": "percentunit"},
            )
        )
        .with_row(row("Weekly totals (ISO week, UTC)"))
        .with_panel(
            graph(
                "Posts published this week",
                "Editorial plan regularity.",
                [Q(sel("linkedin_posts_published", period="week"), A)],
                min_val=0,
                w=8,
            )
        )
        .with_panel(
            graph(
                "Post views and interactions this week",
                "All posts of the account, this ISO week.",
                [
                    Q(sel("linkedin_weekly_post_views", period="week"), A + " views"),
                    Q(sel("linkedin_weekly_post_interactions", period="week"), A + " interactions"),
                ],
                min_val=0,
                w=8,
            )
        )
        .with_panel(
            graph(
                "Weekly engagement rate",
                "This week's interactions / views.",
                [Q(sel("linkedin_weekly_engagement_ratio", period="week"), A)],
                unit="percentunit",
                min_val=0,
                w=8,
            )
        )
        .with_row(row("Warm prospects"))
        .with_panel(
            graph(
                "Warm prospects",
                "Members with 4+ reactions, comments or shares; those not in the 1st degree are "
                "invitation suggestions (`socialkpi show ACCOUNT` ranks them).",
                [
                    Q(sel("linkedin_warm_prospects", period="total"), A + " warm"),
                    Q(sel("linkedin_warm_prospects_to_invite", period="total"), A + " to invite"),
                ],
                min_val=0,
            )
        )
        .with_panel(
            bars(
                "Members by interaction count",
                "How many members reacted, commented or shared 1, 2, ... 25+ times.",
                [Q(sel("linkedin_actors_by_interactions", period="total"), A + " {{bucket}}")],
            )
        )
    )
