"""`socialkpi import campaign-manager` on hand-written reports (tests/fixtures/campaign_manager).

The Nov 4 report is UTF-8, comma separated, with a header block, a bad row and a totals
row; the Nov 6 re-download is UTF-16 with tabs, as Campaign Manager may write it, takes
its currency from the header block, and restates Nov 2 and Nov 3 of the first campaign.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from importer_kit import FIXTURES, read_jsonl, records, values

from cli.main import main

ACCOUNT = "page-demo"
REPORTS = FIXTURES / "campaign_manager"
FIRST = REPORTS / "campaign_performance_report_2026-11-04.csv"
RESTATED = REPORTS / "campaign_performance_report_2026-11-06.csv"
GUIDE, VIDEO = "610000001", "610000002"


def report(
    generated: str,
    day: str,
    campaign: str,
    fmt: str,
    cost: str,
    imp: int,
    clicks: int,
    views: int,
    leads: int,
    conv: int,
) -> dict[str, object]:
    return {
        "type": "ad.daily_report",
        "occurred_at": generated,
        "account_id": ACCOUNT,
        "source": "campaign-manager-csv",
        "date": day,
        "campaign_id": campaign,
        "creative_id": "all",
        "format": fmt,
        "currency": "EUR",
        "cost": cost,
        "impressions": imp,
        "clicks": clicks,
        "video_views": views,
        "leads": leads,
        "conversions": conv,
    }


NOV4, NOV6 = "2026-11-04T09:15:00Z", "2026-11-06T08:00:00Z"
FIRST_EVENTS = [
    report(NOV4, "2026-11-01", GUIDE, "sponsored_content", "123.45", 10500, 84, 0, 3, 1),
    report(NOV4, "2026-11-01", VIDEO, "video", "60.00", 4000, 20, 1250, 0, 0),
    report(NOV4, "2026-11-02", GUIDE, "sponsored_content", "98.10", 9800, 70, 0, 2, 0),
    report(NOV4, "2026-11-02", VIDEO, "video", "55.50", 3700, 18, 1100, 0, 0),
    report(NOV4, "2026-11-03", GUIDE, "sponsored_content", "110.00", 10000, 75, 0, 1, 1),
]
RESTATED_EVENTS = [
    report(NOV6, "2026-11-02", GUIDE, "sponsored_content", "95.00", 9850, 66, 0, 2, 0),
    report(NOV6, "2026-11-03", GUIDE, "sponsored_content", "108.20", 10020, 73, 0, 1, 1),
    report(NOV6, "2026-11-04", GUIDE, "sponsored_content", "101.00", 9900, 80, 0, 2, 0),
    report(NOV6, "2026-11-04", VIDEO, "video", "58.00", 3800, 19, 1180, 0, 0),
]


def run(capsys, report_path: Path, out: Path, *extra: str) -> tuple[int, str]:
    code = main(
        [
            "import",
            "campaign-manager",
            str(report_path),
            "--account",
            ACCOUNT,
            "--output",
            str(out),
            *extra,
        ]
    )
    return code, capsys.readouterr().err


def by_group(events: list[dict]) -> list[dict]:
    """Without ids, in (date, campaign) order."""
    rows = [{k: v for k, v in e.items() if k != "event_id"} for e in events]
    return sorted(rows, key=lambda e: (e["date"], e["campaign_id"]))


def test_first_report_exact_events(tmp_path: Path, capsys) -> None:
    out = tmp_path / "first.jsonl"
    code, err = run(capsys, FIRST, out)
    assert code == 0
    assert by_group(read_jsonl(out)) == FIRST_EVENTS
    lines = err.splitlines()
    assert lines[0] == "campaign_performance_report_2026-11-04.csv:14: Impressions: not a number"
    assert "read 7 rows" in err and "ignored 1 (total row 1)" in err


def test_utf16_tab_report_with_currency_in_header(tmp_path: Path, capsys) -> None:
    out = tmp_path / "restated.jsonl"
    code, err = run(capsys, RESTATED, out)
    assert code == 0, err
    assert by_group(read_jsonl(out)) == RESTATED_EVENTS


def test_restated_download_replaces_the_day(tmp_path: Path, capsys) -> None:
    first, restated = tmp_path / "first.jsonl", tmp_path / "restated.jsonl"
    run(capsys, FIRST, first)
    run(capsys, RESTATED, restated)
    found = records(first, restated, as_of="2026-11-06T12:00:00Z")
    guide = f"campaign_id={GUIDE} creative_id=all format=sponsored_content currency=EUR"
    video = f"campaign_id={VIDEO} creative_id=all format=video currency=EUR"
    kpis = ("ad_impressions", "ad_clicks", "ad_spend", "ad_ctr", "ad_cpm", "ad_cpc")
    got = values(found, *kpis)
    expected = {
        # Nov 1: first report only
        **day_values("2026-11-01", guide, 10500, 84, "123.45", 0.008, "11.757143", "1.469643"),
        **day_values("2026-11-01", video, 4000, 20, "60.00", 0.005, "15.000000", "3.000000"),
        # Nov 2 and 3 of the guide: the restated numbers (latest report), never a sum
        **day_values("2026-11-02", guide, 9850, 66, "95.00", 66 / 9850, "9.644670", "1.439394"),
        **day_values("2026-11-02", video, 3700, 18, "55.50", 18 / 3700, "15.000000", "3.083333"),
        **day_values("2026-11-03", guide, 10020, 73, "108.20", 73 / 10020, "10.798403", "1.482192"),
        # Nov 3 of the video: its row was refused (Impressions "n/a"), no record
        **day_values("2026-11-04", guide, 9900, 80, "101.00", 80 / 9900, "10.202020", "1.262500"),
        **day_values("2026-11-04", video, 3800, 19, "58.00", 0.005, "15.263158", "3.052632"),
    }
    assert got == pytest.approx(expected)
    assert values(found, "ad_video_views") == {
        ("ad_video_views", "day:2026-11-01", video): 1250,
        ("ad_video_views", "day:2026-11-02", video): 1100,
        ("ad_video_views", "day:2026-11-04", video): 1180,
    }
    assert values(found, "ad_leads")[("ad_leads", "day:2026-11-01", guide)] == 3
    assert values(found, "ad_conversions")[("ad_conversions", "day:2026-11-03", guide)] == 1


def day_values(
    day: str, dims: str, imp: int, clicks: int, spend: str, ctr: float, cpm: str, cpc: str
) -> dict[tuple[str, str, str], object]:
    period = f"day:{day}"
    return {
        ("ad_impressions", period, dims): imp,
        ("ad_clicks", period, dims): clicks,
        ("ad_spend", period, dims): spend,
        ("ad_ctr", period, dims): ctr,
        ("ad_cpm", period, dims): cpm,
        ("ad_cpc", period, dims): cpc,
    }


def test_reimport_counts_nothing_twice(tmp_path: Path, capsys) -> None:
    a, b, c = (tmp_path / f"{n}.jsonl" for n in "abc")
    run(capsys, FIRST, a)
    run(capsys, FIRST, b)
    run(capsys, RESTATED, c)
    assert a.read_bytes() == b.read_bytes()
    assert records(a, b) == records(a)
    assert records(a, c, b, c) == records(a, c)


def test_campaign_level_options_and_errors(tmp_path: Path, capsys) -> None:
    report_path = tmp_path / "no_currency.csv"
    report_path.write_text(  # a German-locale export: `,` decimals, `.` thousands
        "Start Date (in UTC);Campaign Name;Total Spent;Impressions;Clicks\n"
        "2026-11-01;Demo Spring;1.234,50;2.000;10\n"
        "2026-11-01;Demo Summer;12,30;100;1\n"
    )
    out = tmp_path / "x.jsonl"
    code, err = run(capsys, report_path, out, "--generated-at", "2026-11-02T06:00:00Z")
    assert code == 1  # no event from the file
    assert err.count("Currency: missing (add --currency)") == 2
    assert "no event from no_currency.csv" in err
    code, err = run(
        capsys,
        report_path,
        out,
        "--currency",
        "usd",
        "--format",
        "video",
        "--generated-at",
        "2026-11-02T06:00:00Z",
    )
    events = read_jsonl(out)
    assert [
        (
            e["campaign_id"],
            e["cost"],
            e["impressions"],
            e["currency"],
            e["format"],
            e["occurred_at"],
        )
        for e in events
    ] == [
        ("Demo Spring", "1234.50", 2000, "USD", "video", "2026-11-02T06:00:00Z"),
        ("Demo Summer", "12.30", 100, "USD", "video", "2026-11-02T06:00:00Z"),
    ]
    monthly = tmp_path / "monthly.csv"
    monthly.write_text(
        "Start Date (in UTC),End Date (in UTC),Campaign ID,Currency,Total Spent,"
        "Impressions,Clicks\n"
        "11/01/2026,11/30/2026,1,EUR,10,100,1\n"
    )
    code, err = run(capsys, monthly, out, "--strict")
    assert code == 1 and "not a daily row" in err
