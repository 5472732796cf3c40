"""Hand-made KPI records and member lists for the sink tests (member ids are fake)."""

from __future__ import annotations

import urllib.request
from decimal import Decimal

from kpis.actors import WarmProspect
from kpis.details import AccountDetails, StaleInvitation
from kpis.timeutil import DAY_US, parse_ts
from models.records import KpiRecord
from sinks.prometheus.exporter import PrometheusExporter

AS_OF = "2026-11-20T12:00:00Z"
MEMBER_IDS = ("mbr-actor-aaaa1111", "mbr-actor-bbbb2222", "mbr-actor-cccc3333")
INVITEE_IDS = ("mbr-invitee-dddd4444", "mbr-invitee-eeee5555")


def rec(
    account: str, kpi: str, period: str, value: int | float | Decimal, **dims: str | int
) -> KpiRecord:
    return KpiRecord(account, kpi, period, value, AS_OF, dict(dims))


def curve_records(account: str, post_id: str, hours: int) -> list[KpiRecord]:
    out: list[KpiRecord] = []
    cum_v = cum_i = 0
    for hour in range(hours):
        views, interactions = 100 - hour, hour % 3
        cum_v += views
        cum_i += interactions
        out += [
            rec(account, "post_hourly_views", "total", views, post_id=post_id, hour=hour),
            rec(
                account,
                "post_hourly_interactions",
                "total",
                interactions,
                post_id=post_id,
                hour=hour,
            ),
            rec(account, "post_cumulative_views", "total", cum_v, post_id=post_id, hour=hour),
            rec(
                account, "post_cumulative_interactions", "total", cum_i, post_id=post_id, hour=hour
            ),
        ]
    out += [
        rec(account, "post_views", "total", cum_v, post_id=post_id),
        rec(account, "post_interactions", "total", cum_i, post_id=post_id),
        rec(account, "post_engagement_rate", "total", cum_i / cum_v, post_id=post_id),
        rec(account, "post_long_lived", "total", 0, post_id=post_id),
    ]
    return out


def full_records(account: str) -> list[KpiRecord]:
    """A record set of every shape: counts, ratios, money, seconds, buckets, curves."""
    ads = {"campaign_id": "cmp-1", "creative_id": "crv-1", "format": "video", "currency": "EUR"}
    records = [
        rec(account, "invitations_sent", "day:2026-11-20", 7),
        rec(account, "invitations_sent", "day:2026-11-19", 11),
        rec(account, "invitations_sent", "week:2026-W47", 18),
        rec(account, "invitations_sent", "week:2026-W46", 30),
        rec(account, "invitations_sent", "month:2026-11", 48),
        rec(account, "invitations_sent", "month:2026-10", 52),
        rec(account, "invitations_sent", "rolling_24h", 9),
        rec(account, "invitation_acceptance_rate", "rolling_96h", 0.25),
        rec(account, "invitation_acceptance_rate", "day:2026-11-18", 0.5),
        rec(account, "stale_pending_invitations", "total", 2),
        rec(account, "connections", "latest", 812),
        rec(account, "ssi_total", "latest", 61.5),
        rec(account, "ssi_industry_rank_pct", "latest", 5.0),
        rec(account, "warm_prospects", "total", 3),
        rec(account, "actors_by_interaction_count", "total", 4, bucket="1"),
        rec(account, "actors_by_interaction_count", "total", 3, bucket="4"),
        rec(account, "reply_rate", "rolling_7d", 0.4),
        rec(account, "time_to_first_reply_seconds", "rolling_7d", 3600.0, quantile="0.5"),
        rec(account, "time_to_first_reply_seconds", "rolling_7d", 7200.0, quantile="0.9"),
        rec(account, "leads", "week:2026-W47", 3),
        rec(account, "leads", "week:2026-W47", 2, channel="ads"),
        rec(account, "ad_impressions", "day:2026-11-20", 1200, **ads),
        rec(account, "ad_clicks", "day:2026-11-20", 18, **ads),
        rec(account, "ad_spend", "day:2026-11-20", Decimal("18.40"), **ads),
        rec(account, "ad_spend", "day:2026-11-19", Decimal("25.00"), **ads),
        rec(account, "ad_ctr", "day:2026-11-20", 0.015, **ads),
        rec(account, "ad_cpc", "day:2026-11-20", Decimal("1.022222"), **ads),
    ]
    records += curve_records(account, "post-1", 48)
    records += curve_records(account, "post-2", 5)
    return sorted(records, key=KpiRecord.sort_key)


def full_details() -> AccountDetails:
    as_of = parse_ts(AS_OF)
    return AccountDetails(
        warm_prospects=[
            WarmProspect(MEMBER_IDS[0], 9, 2),
            WarmProspect(MEMBER_IDS[1], 5, 1),
            WarmProspect(MEMBER_IDS[2], 5, None),
        ],
        stale_invitations=[
            StaleInvitation("inv-old", INVITEE_IDS[0], as_of - 30 * DAY_US),
            StaleInvitation("inv-older", INVITEE_IDS[1], as_of - 40 * DAY_US - 5),
        ],
    )


def scrape(ex: PrometheusExporter) -> str:
    """The exporter's /metrics page, fetched over HTTP like Prometheus does."""
    assert ex._server is not None
    port = ex._server.server_port
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        assert response.status == 200
        return str(response.read().decode("utf-8"))
