"""Dashboard (c): direct messages and business outcomes (pipeline, conversion, ROI, CAC,
churn, LTV), as the exporter publishes them (money per ``currency`` label)."""

from __future__ import annotations

from alerting.config import Thresholds
from grafana_dashboards.panels import DashboardBuilder, Line, Q, graph, new_dashboard, row, sel

UID = "socialkpi-messages"
TITLE = "LinkedIn / Messages and outcomes"
DESCRIPTION = (
    "Messages sent, conversations started, reply rate over 7 and 30 days (alert line: the "
    "reply-rate floor of deploy/alerting.yaml), time to first reply, the sales pipeline "
    "(leads, meetings, proposals, customers) and ROI, CAC, churn and LTV per currency."
)
A = "{{account_id}}"
CUR = "{{account_id}} {{currency}}"
WINDOWS = (("rolling_7d", "7 days"), ("rolling_30d", "30 days"))
PERIODS = (("week", "week"), ("month", "month"))


def build(limits: Thresholds) -> DashboardBuilder:
    return (
        new_dashboard(UID, TITLE, DESCRIPTION, time_from="now-7d")
        .with_row(row("Direct messages"))
        .with_panel(
            graph(
                "Messages sent",
                "Direct messages sent today and this ISO week (UTC).",
                [
                    Q(sel("linkedin_messages_sent", period="day"), A + " today"),
                    Q(sel("linkedin_messages_sent", period="week"), A + " this week"),
                ],
                min_val=0,
            )
        )
        .with_panel(
            graph(
                "Conversations started today",
                "Conversations whose first message is the account's, by start day.",
                [Q(sel("linkedin_conversations_started", period="day"), A)],
                min_val=0,
            )
        )
        .with_panel(
            graph(
                "Reply rate",
                "Started conversations with a reply / conversations started, over the last 7 "
                "and 30 days. Dashed: the alert floor (it needs a minimum of conversations).",
                [Q(sel("linkedin_reply_ratio", period=p), f"{A} {label}") for p, label in WINDOWS],
                unit="percentunit",
                min_val=0,
                max_val=1,
                line=Line(limits.reply_rate_min, below="red", above="green"),
            )
        )
        .with_panel(
            graph(
                "Reply cohorts",
                "Conversations started in the window, and those that got a reply.",
                [
                    Q(sel(f"linkedin_reply_cohort_{kind}", period=p), f"{A} {kind}, {label}")
                    for p, label in WINDOWS
                    for kind in ("started", "replied")
                ],
                min_val=0,
            )
        )
        .with_panel(
            graph(
                "Time to first reply",
                "Median and 90th percentile delay between the first outbound message and the "
                "first reply, over the conversations of the window.",
                [
                    Q(
                        sel(f"linkedin_time_to_first_reply_{q}_seconds", period=p),
                        f"{A} {q}, {label}",
                    )
                    for p, label in WINDOWS
                    for q in ("p50", "p90")
                ],
                unit="s",
                min_val=0,
                w=24,
            )
        )
        .with_row(row("Outcomes"))
        .with_panel(
            graph(
                "Pipeline this week",
                "Leads, meetings, proposals, customers won and churned this ISO week, all "
                "channels.",
                [
                    Q(sel(f"linkedin_{kind}", 'channel=""', period="week"), f"{A} {kind}")
                    for kind in (
                        "leads",
                        "meetings",
                        "proposals",
                        "customers_won",
                        "customers_churned",
                    )
                ],
                min_val=0,
            )
        )
        .with_panel(
            graph(
                "Leads and customers by channel, this month",
                "Per channel (organic, messages, ads, other).",
                [
                    Q(
                        sel("linkedin_leads", 'channel!=""', period="month"),
                        A + " leads {{channel}}",
                    ),
                    Q(
                        sel("linkedin_customers_won", 'channel!=""', period="month"),
                        A + " customers {{channel}}",
                    ),
                ],
                min_val=0,
            )
        )
        .with_panel(
            graph(
                "Conversion rate",
                "Customers won / distinct prospects contacted (invited or messaged).",
                [
                    Q(sel("linkedin_conversion_ratio", period=p), f"{A} {label}")
                    for p, label in PERIODS
                ],
                unit="percentunit",
                min_val=0,
            )
        )
        .with_panel(
            graph(
                "Prospects contacted",
                "Distinct members invited or messaged this week and month.",
                [
                    Q(sel("linkedin_prospects_contacted", period=p), f"{A} {label}")
                    for p, label in PERIODS
                ],
                min_val=0,
            )
        )
        .with_row(row("Business (per currency)"))
        .with_panel(
            graph(
                "Return on ad spend (ROI)",
                "(Revenue - ad spend) / ad spend, per currency.",
                [Q(sel("linkedin_roi_ratio", period=p), f"{CUR} {label}") for p, label in PERIODS],
                unit="percentunit",
            )
        )
        .with_panel(
            graph(
                "Revenue",
                "Revenue of the customers won, in the currency of the legend.",
                [Q(sel("linkedin_revenue", period=p), f"{CUR} {label}") for p, label in PERIODS],
                min_val=0,
            )
        )
        .with_panel(
            graph(
                "Customer acquisition cost (CAC)",
                "Ad spend / customers won, in the currency of the legend.",
                [
                    Q(sel("linkedin_customer_acquisition_cost", period=p), f"{CUR} {label}")
                    for p, label in PERIODS
                ],
                min_val=0,
            )
        )
        .with_panel(
            graph(
                "Customer lifetime value (LTV)",
                "Average value x orders per period x retention periods.",
                [
                    Q(sel("linkedin_customer_lifetime_value", period=p), f"{CUR} {label}")
                    for p, label in PERIODS
                ],
                min_val=0,
            )
        )
        .with_panel(
            graph(
                "Churn and retention",
                "Customer churn over the period and retention = 1 - churn.",
                [
                    Q(sel(f"linkedin_{kind}_ratio", period=p), f"{A} {kind}, {label}")
                    for kind in ("churn", "retention")
                    for p, label in PERIODS
                ],
                unit="percentunit",
                min_val=0,
                max_val=1,
                w=24,
            )
        )
    )
