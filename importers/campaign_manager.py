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
    CREATIVE_ID,
    CURRENCY,
    DATE,
    END_DATE,
    FORMAT,
    ColumnError,
    Columns,
    ad_format,
    columns,
)
from importers.dates import parse_date, parse_datetime, rfc3339
from importers.events import Encoded, ImportSummary, encode, read_input, stable_id
from importers.numbers import NumberError, count, file_decimal_mark, is_blank, money
from importers.tables import Row, Table, TableError, read_table
from models import EventRejected

SOURCE = "campaign-manager-csv"
ALL_CREATIVES = "all"  # creative_id of campaign-level rows
REQUIRED_COUNTS = ("impressions", "clicks")
EXPECTED = "a date column and Impressions, Clicks or Total Spent"

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
    decimal_mark: str | None = None  # when the report's numbers do not show it


SPEND_WORDS = ("total spent", "amount spent", "spend", "cost")


class _RowError(ValueError):
    """Why one row gives no event: `COLUMN: reason`."""


def _is_header(cells: Sequence[str]) -> bool:
    """A date column and one of the number columns: the first such row is the header, and
    `columns` then says which required column it lacks (rather than "no header")."""
    names = set(cells)
    numbers = {"impressions", "clicks"} | {c for c in names if c.startswith(SPEND_WORDS)}
    return bool(names & numbers) and any(name in names for name in DATE)


def import_report(
    path: str | Path,
    options: ReportOptions,
    summary: ImportSummary,
    progress: Progress | None = None,
) -> list[Encoded]:
    """The events of one report file; unmappable rows, and a report that cannot be read
    at all, go to `summary` as problems."""
    name = Path(path).name
    summary.source(name)
    raw = read_input(path)
    try:
        table = read_table(
            name, raw, _is_header, delimiters=",\t;", progress=progress, expected=EXPECTED
        )
        report = _Report.of(table, options, _generated_at(table, options, Path(path)))
    except (TableError, ColumnError, NumberError) as error:
        summary.problem(name, None, str(error))
        return []
    out: list[Encoded] = []
    for row in report.rows:
        summary.read[name] += 1
        result = report.event(row)
        if isinstance(result, str):
            if result.startswith("ignored:"):
                summary.ignored[result.removeprefix("ignored: ")] += 1
            else:
                summary.problem(name, row.line, result)
            continue
        try:
            out.append(encode(result))
        except EventRejected as rejected:
            summary.problem(name, row.line, report.in_columns(rejected.reason))
            continue
        summary.mapped["ad.daily_report"] += 1
        summary.yielded[name] += 1
    return out


def _generated_at(table: Table, options: ReportOptions, path: Path) -> int:
    return options.generated_at or _generated(_block(table)) or _mtime_us(path)


def _block(table: Table) -> list[str]:
    return [", ".join(c.strip().strip('"') for c in cells if c.strip()) for cells in table.preamble]


@dataclass(frozen=True, slots=True)
class _Report:
    """One report's context: its columns, currency, decimal mark and report time."""

    table: Table
    rows: list[Row]
    cols: Columns
    options: ReportOptions
    generated: int
    currency: str | None  # the file-wide currency (header, header block or --currency)
    mark: str | None

    @classmethod
    def of(cls, table: Table, options: ReportOptions, generated: int) -> _Report:
        """Raises `ColumnError` / `NumberError` for what makes the whole file unusable."""
        cols = columns(table.header, table.labels)
        rows = list(table.rows)
        cells = (
            (f"line {row.line}, {table.label(col)}", row.cells.get(col, ""))
            for row in rows
            for col in cols.numeric
        )
        mark = options.decimal_mark or file_decimal_mark(cells)
        said, where = options.currency, "--currency"
        if said is None:
            said, where = _header_currency(_block(table)), "the header block"
        if said and cols.cost_currency and said.upper() != cols.cost_currency:
            raise ColumnError(
                f"{table.label(cols.cost)} is in {cols.cost_currency}, but {where} says "
                f"{said.upper()}"
            )
        currency = cols.cost_currency or (said.upper() if said else None)
        return cls(table, rows, cols, options, generated, currency, mark)

    def in_columns(self, reason: str) -> str:
        """A contract reason (`impressions: ...`) with the file's column name instead."""
        field, sep, rest = reason.partition(": ")
        columns = {"cost": self.cols.cost, **self.cols.counts}
        if field in columns:
            return f"{self.table.label(columns[field])}{sep}{rest}"
        if field == "date":
            return f"{self.label(*DATE)}{sep}{rest}"
        return reason

    def label(self, *aliases: str) -> str:
        """The column as the file writes it (`Currency` when the file has none)."""
        present = next((a for a in aliases if a in self.table.labels), None)
        return self.table.label(present) if present else aliases[0].title()

    def event(self, row: Row) -> dict[str, Any] | str:
        """The event of one row, or why not (`COLUMN: reason`; `ignored: ...` for totals)."""
        try:
            return self._event(row)
        except _RowError as error:
            return str(error)

    def _event(self, row: Row) -> dict[str, Any] | str:
        day_text = row.get(*DATE)
        if not day_text or day_text.lower().startswith("total") or _is_total(row):
            return "ignored: total row"
        day = parse_date(day_text)
        if day is None:
            return f"{self.label(*DATE)}: not a date"
        end = row.get(*END_DATE)
        if end and parse_date(end) != day:
            return (
                f"{self.label(*END_DATE)}: not a daily row (Start Date != End Date): "
                "export with a daily time breakdown"
            )
        campaign = row.get(*CAMPAIGN_ID)
        if not campaign:
            return f"{self.label(*CAMPAIGN_ID)}: missing"
        currency = self._currency(row)
        fmt = ad_format(row.get(*FORMAT), self.options.format)
        if fmt is None:
            return f"{self.label(*FORMAT)}: unknown ad format (pass --format)"
        numbers = self._numbers(row, currency)
        body = {
            "date": day.isoformat(),
            "campaign_id": campaign,
            "creative_id": row.get(*CREATIVE_ID) or ALL_CREATIVES,
            "format": fmt,
            "currency": currency,
            **numbers,
        }
        return {  # the id covers the numbers too: a restated day is a new report
            "event_id": stable_id(
                "cm", self.options.account, self.generated, *sorted(body.items())
            ),
            "type": "ad.daily_report",
            "occurred_at": rfc3339(self.generated),
            "account_id": self.options.account,
            "source": SOURCE,
            **body,
        }

    def _currency(self, row: Row) -> str:
        own = row.get(*CURRENCY).upper()
        spend_in = self.cols.cost_currency
        if own and spend_in and own != spend_in:
            label = self.table.label(self.cols.cost)
            raise _RowError(f"{self.label(*CURRENCY)}: {own}, but {label} is in {spend_in}")
        currency = own or self.currency
        if not currency:
            raise _RowError(f"{self.label(*CURRENCY)}: missing (add --currency)")
        return currency

    def _numbers(self, row: Row, currency: str) -> dict[str, Any]:
        """`cost` and the counts of a row, exactly as written."""
        out: dict[str, Any] = {}
        cells = [("cost", self.cols.cost), *self.cols.counts.items()]
        for field, column in cells:
            text = row.cells.get(column, "").strip()
            try:
                if is_blank(text):
                    if field == "cost" or field in REQUIRED_COUNTS:
                        raise NumberError("empty (a required column: write 0 when there is none)")
                    out[field] = 0
                elif field == "cost":
                    out[field] = money(text, self.mark, currency)
                else:
                    out[field] = count(text, self.mark)
            except NumberError as error:
                raise _RowError(f"{self.table.label(column)}: {error}") from None
        return out


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
