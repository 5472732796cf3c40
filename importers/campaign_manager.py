"""Campaign Manager CSV performance exports -> `ad.daily_report` events.

A report starts with a header block (report name, dates, "Date Generated: ...") before
its column header row, then one row per day and campaign (or creative), maybe totals at
the end. Each daily row becomes the absolute totals of its (date, campaign, creative,
format, currency) group, dated by the report's generation time: the contract makes the
report with the latest `occurred_at` authoritative, so a re-download that LinkedIn
restated replaces the day instead of adding to it, and the same file imported twice
yields the same event ids.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cli.progress import Progress
from importers.campaign_columns import (
    CAMPAIGN_ID,
    COST,
    COUNTS,
    CREATIVE_ID,
    CURRENCY,
    DATE,
    END_DATE,
    FORMAT,
    ad_format,
    count,
    money,
)
from importers.dates import parse_date, parse_datetime, rfc3339
from importers.events import Encoded, ImportSummary, encode, stable_id
from importers.tables import Row, TableError, read_table
from models import EventRejected

SOURCE = "campaign-manager-csv"
ALL_CREATIVES = "all"  # creative_id of campaign-level rows

GENERATED = re.compile(
    r"^(?:date generated|report generated(?: on)?|generated(?: on)?)\s*:?[\s,]*(.+)$", re.I
)
_HEADER_CURRENCY = re.compile(r"^currency(?: code)?\s*:?[\s,]*([a-z]{3})\b", re.I)


@dataclass(frozen=True, slots=True)
class ReportOptions:
    account: str
    currency: str | None = None  # when neither a column nor the header block has one
    format: str = "sponsored_content"  # when the report has no format or type column
    generated_at: int | None = None  # overrides the header block's "Date Generated"


def _is_header(cells: Sequence[str]) -> bool:
    names = set(cells)
    return "impressions" in names and any(name in names for name in DATE)


def import_report(
    path: str | Path,
    options: ReportOptions,
    summary: ImportSummary,
    progress: Progress | None = None,
) -> list[Encoded]:
    """The events of one report file; unmappable rows go to `summary` as problems."""
    name = Path(path).name
    raw = Path(path).read_bytes()
    try:
        table = read_table(name, raw, _is_header, delimiters=",\t;", progress=progress)
    except TableError as error:
        summary.problem(name, None, str(error))
        return []
    block = [
        ", ".join(c.strip().strip('"') for c in cells if c.strip()) for cells in table.preamble
    ]
    generated = options.generated_at or _generated(block) or _mtime_us(Path(path))
    currency = options.currency or _header_currency(block)
    out: list[Encoded] = []
    for row in table.rows:
        summary.read[name] += 1
        result = _report(row, options, generated, currency)
        if isinstance(result, str):
            if result.startswith("ignored:"):
                summary.ignored[result.removeprefix("ignored: ")] += 1
            else:
                summary.problem(name, row.line, result)
            continue
        try:
            out.append(encode(result))
        except EventRejected as rejected:
            summary.problem(name, row.line, rejected.reason)
            continue
        summary.mapped["ad.daily_report"] += 1
    return out


def _report(
    row: Row, options: ReportOptions, generated: int, currency: str | None
) -> dict[str, Any] | str:
    """The event of one row, or why not (`ignored: ...` for total rows)."""
    day_text = row.get(*DATE)
    if not day_text or day_text.lower().startswith("total") or _is_total(row):
        return "ignored: total row"
    day = parse_date(day_text)
    if day is None:
        return "Start Date: not a date"
    end = row.get(*END_DATE)
    if end and parse_date(end) != day:
        return "not a daily row (Start Date != End Date): export with a daily time breakdown"
    campaign = row.get(*CAMPAIGN_ID)
    if not campaign:
        return "Campaign ID: missing"
    row_currency = (row.get(*CURRENCY) or currency or "").upper()
    if not row_currency:
        return "Currency: missing (add --currency)"
    fmt = ad_format(row.get(*FORMAT), options.format)
    if fmt is None:
        return "Campaign Type / Ad Format: unknown (pass --format)"
    cost = money(row.get(*COST))
    if cost is None:
        return "Total Spent: not an amount"
    payload: dict[str, Any] = {}
    for field, names in COUNTS.items():
        if not row.has(*names):
            continue
        value = count(row.get(*names))
        if value is None:
            return f"{names[0].title()}: not a whole number"
        payload[field] = value
    if "impressions" not in payload or "clicks" not in payload:
        return "Impressions and Clicks columns are required"
    body = {
        "date": day.isoformat(),
        "campaign_id": campaign,
        "creative_id": row.get(*CREATIVE_ID) or ALL_CREATIVES,
        "format": fmt,
        "currency": row_currency,
        "cost": cost,
        **payload,
    }
    return {  # the id covers the numbers too: a restated day is a new report
        "event_id": stable_id("cm", options.account, generated, *sorted(body.items())),
        "type": "ad.daily_report",
        "occurred_at": rfc3339(generated),
        "account_id": options.account,
        "source": SOURCE,
        **body,
    }


def _is_total(row: Row) -> bool:
    return row.get(*CAMPAIGN_ID).lower() in ("total", "totals", "grand total")


def _generated(block: list[str]) -> int | None:
    for line in block:
        match = GENERATED.match(line)
        if match:
            return parse_datetime(match.group(1))
    return None


def _header_currency(block: list[str]) -> str | None:
    for line in block:
        match = _HEADER_CURRENCY.match(line)
        if match:
            return match.group(1).upper()
    return None


def _mtime_us(path: Path) -> int:
    """Without a generation time, the file's modification time: a re-download is newer."""
    return path.stat().st_mtime_ns // 1000
