"""Dashboard (a): network and invitations, profile and Social Selling Index."""

from __future__ import annotations

from alerting.config import Thresholds
from grafana_dashboards.limits import SSI_GOOD
from grafana_dashboards.panels import (
    DashboardBuilder,
    Line,
    Q,
    graph,
    new_dashboard,
    row,
    sel,
    single,
)

UID = "socialkpi-network"
TITLE = "LinkedIn / Network and invitations"
DESCRIPTION = (
    "Invitation cohorts and acceptance rate (alert line: the acceptance floor of "
    "deploy/alerting.yaml, 30 % by default), invitations sent against the weekly cap, stale "
    "invitations to withdraw, new connections, network size and the Social Selling Index "
    "(60+ is good)."
)
A = "{{account_id}}"


def build(limits: Thresholds) -> DashboardBuilder:
    acceptance = Line(limits.acceptance_rate_min, below="red", above="green")
    return (
        new_dashboard(UID, TITLE, DESCRIPTION, time_from="now-7d")
        .with_row(row("Invitations"))
        .with_panel(
            graph(
                "Acceptance rate, 96 h cohort",
                "Accepted / sent of the invitations sent in the last 96 hours, and the "
                "account's own 28-day rate (the baseline alert compares them). The dashed line "
                "is the alert floor; it only fires with enough invitations in the cohort.",
                [
                    Q(
                        sel("linkedin_invitation_acceptance_ratio", period="rolling_96h"),
                        A + " 96 h",
                    ),
                    Q(sel("linkedin_invitation_acceptance_baseline_ratio"), A + " 28-day baseline"),
                ],
                unit="percentunit",
                min_val=0,
                max_val=1,
                line=acceptance,
            )
        )
        .with_panel(
            graph(
                "Invitation cohort, 96 h",
                "Outbound invitations sent in the last 96 hours and what became of them so far.",
                [
                    Q(
                        sel(f"linkedin_invitation_cohort_{kind}", period="rolling_96h"),
                        f"{A} {kind}",
                    )
                    for kind in ("sent", "accepted", "pending", "withdrawn")
                ],
                min_val=0,
            )
        )
        .with_panel(
            graph(
                "Invitations sent vs weekly cap",
                "Outbound invitations today, in the last 24 hours and this ISO week (UTC). The "
                "dashed line is the weekly cap of the alert: LinkedIn restricts accounts that "
                "invite too much.",
                [
                    Q(sel("linkedin_invitations_sent", period="day"), A + " today"),
                    Q(sel("linkedin_invitations_sent", period="rolling_24h"), A + " last 24 h"),
                    Q(sel("linkedin_invitations_sent", period="week"), A + " this week"),
                ],
                min_val=0,
                line=Line(limits.weekly_invitations_max, below="green", above="red"),
            )
        )
        .with_panel(
            graph(
                "Stale pending invitations (over 21 days)",
                "Outbound invitations pending for more than three weeks: withdraw them "
                "(`socialkpi show ACCOUNT` lists them). Dashed: the alert's pile-up limit.",
                [Q(sel("linkedin_stale_pending_invitations", period="total"), A)],
                min_val=0,
                line=Line(limits.stale_pending_max, below="green", above="red"),
            )
        )
        .with_panel(
            graph(
                "New connections",
                "Accepted invitations, both directions, today / this week / this month (UTC).",
                [
                    Q(sel("linkedin_new_connections", period=p), f"{A} {label}")
                    for p, label in (
                        ("day", "today"),
                        ("week", "this week"),
                        ("month", "this month"),
                    )
                ],
                min_val=0,
            )
        )
        .with_panel(
            graph(
                "Target share of new connections",
                "Share of this week's and month's new connections that are target accounts.",
                [
                    Q(
                        sel("linkedin_new_connections_target_share_ratio", period="week"),
                        A + " week",
                    ),
                    Q(
                        sel("linkedin_new_connections_target_share_ratio", period="month"),
                        A + " month",
                    ),
                ],
                unit="percentunit",
                min_val=0,
                max_val=1,
            )
        )
        .with_row(row("Network"))
        .with_panel(
            graph(
                "Connections and followers",
                "Latest profile snapshot values.",
                [
                    Q(sel("linkedin_connections", period="latest"), A + " connections"),
                    Q(sel("linkedin_followers", period="latest"), A + " followers"),
                ],
            )
        )
        .with_panel(
            graph(
                "Network growth",
                "Change of connections and followers in the current ISO week and month.",
                [
                    Q(sel("linkedin_connections_growth", period="week"), A + " connections, week"),
                    Q(
                        sel("linkedin_connections_growth", period="month"),
                        A + " connections, month",
                    ),
                    Q(sel("linkedin_followers_growth", period="week"), A + " followers, week"),
                    Q(sel("linkedin_followers_growth", period="month"), A + " followers, month"),
                ],
            )
        )
        .with_panel(
            single(
                "Profile views (90 days)",
                "Latest profile snapshot.",
                [Q(sel("linkedin_profile_views_90d", period="latest"), A)],
            )
        )
        .with_panel(
            single(
                "Search appearances (7 days)",
                "Latest profile snapshot.",
                [Q(sel("linkedin_search_appearances_7d", period="latest"), A)],
            )
        )
        .with_panel(
            single(
                "Target accounts in 1st degree",
                "Latest profile snapshot.",
                [Q(sel("linkedin_targets_in_first_degree", period="latest"), A)],
            )
        )
        .with_row(row("Social Selling Index"))
        .with_panel(
            graph(
                "Social Selling Index",
                "Latest SSI total (0-100) and the last total of each ISO week. 60+ is "
                "considered good (dashed line).",
                [
                    Q(sel("linkedin_ssi_score", period="latest"), A),
                    Q(sel("linkedin_ssi_weekly_score", period="week"), A + " week's last"),
                ],
                min_val=0,
                max_val=100,
                line=Line(SSI_GOOD, below="orange", above="green"),
            )
        )
        .with_panel(
            graph(
                "SSI components",
                "The four components (0-25 each), stacked: their sum is the SSI.",
                [
                    Q(sel(f"linkedin_ssi_{part}_score", period="latest"), f"{A} {label}")
                    for part, label in (
                        ("brand", "professional brand"),
                        ("people", "find the right people"),
                        ("insights", "engage with insights"),
                        ("relationships", "build relationships"),
                    )
                ],
                min_val=0,
                max_val=100,
                stacked=True,
            )
        )
        .with_panel(
            graph(
                "SSI rank (top fraction)",
                "Industry and network rank: 5 % = top 5 %.",
                [
                    Q(sel("linkedin_ssi_industry_rank_ratio", period="latest"), A + " industry"),
                    Q(sel("linkedin_ssi_network_rank_ratio", period="latest"), A + " network"),
                ],
                unit="percentunit",
                min_val=0,
                max_val=1,
            )
        )
        .with_panel(
            graph(
                "SSI change",
                "Change of the SSI total over the last 7 and 30 days.",
                [
                    Q(sel("linkedin_ssi_score_change", period="rolling_7d"), A + " 7 days"),
                    Q(sel("linkedin_ssi_score_change", period="rolling_30d"), A + " 30 days"),
                ],
            )
        )
    )
