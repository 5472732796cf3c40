"""Campaign Manager's column names and ad formats.

Columns are matched by any of their aliases (case-insensitive: headers are normalized),
as LinkedIn renames them between report kinds and over the years. A report without a
required column is refused as a whole: importing it with a cost or a count of 0 would
change its numbers silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DATE = ("start date (in utc)", "start date", "date (in utc)", "date", "day")
END_DATE = ("end date (in utc)", "end date")
CAMPAIGN_ID = ("campaign id", "campaign name", "campaign")
CREATIVE_ID = ("creative id", "ad id", "creative name", "ad name")
FORMAT = ("ad format", "creative format", "campaign format", "campaign type", "ad type", "format")
CURRENCY = ("currency", "currency code")
COST = ("total spent", "amount spent", "spend", "cost", "total spent (local currency)")
# `Total Spent (EUR)`, `Amount Spent in USD`, `Spend (€)`: the spend in a named currency.
_SPEND_IN = re.compile(r"^(?:total spent|amount spent|spend|cost)(?:\s*\((.+)\)|\s+in\s+(.+))$")
_SIGNS = {"€": "EUR", "£": "GBP"}  # `$` and `¥` name several currencies
COUNTS = {
    "impressions": ("impressions",),
    "clicks": ("clicks",),
    "video_views": ("video views", "views"),
    "sends": ("sends",),
    "opens": ("opens",),
    "leads": ("leads",),
    "conversions": ("conversions", "total conversions"),
}
# Campaign Manager's campaign types and ad formats -> the contract's ad formats.
FORMATS = {
    "sponsored content": "sponsored_content",
    "single image": "sponsored_content",
    "single image ad": "sponsored_content",
    "sponsored update": "sponsored_content",
    "document": "sponsored_content",
    "event": "sponsored_content",
    "video": "video",
    "video ad": "video",
    "carousel": "carousel",
    "carousel ad": "carousel",
    "text ad": "text",
    "text ads": "text",
    "text": "text",
    "message": "message",
    "message ad": "message",
    "sponsored messaging": "message",
    "sponsored inmail": "message",
    "conversation": "conversation",
    "conversation ad": "conversation",
    "dynamic ad": "dynamic",
    "dynamic ads": "dynamic",
    "dynamic": "dynamic",
    "spotlight": "dynamic",
    "follower": "dynamic",
}


def ad_format(value: str, default: str) -> str | None:
    """The contract format of a type/format cell; `default` when empty, None when unknown."""
    if not value:
        return default
    return FORMATS.get(" ".join(value.lower().split()))


class ColumnError(ValueError):
    """A required column is missing, or the spend column is ambiguous."""


@dataclass(frozen=True, slots=True)
class Columns:
    """The columns of one report, by normalized header name."""

    cost: str
    cost_currency: str | None  # from a `Total Spent (EUR)` header
    counts: dict[str, str]  # event field -> column present

    @property
    def numeric(self) -> tuple[str, ...]:
        return (self.cost, *self.counts.values())


def columns(header: list[str], labels: dict[str, str] | None = None) -> Columns:
    """The report's spend and count columns; `ColumnError` naming what is missing (columns
    shown as `labels` writes them)."""
    names = set(header)
    counts = {
        f: next(n for n in aliases if n in names)
        for f, aliases in COUNTS.items()
        if any(n in names for n in aliases)
    }
    missing = [
        label
        for label, aliases in (("Start Date", DATE), ("Campaign ID", CAMPAIGN_ID))
        if not names.intersection(aliases)
    ]
    missing += [n.title() for n in ("impressions", "clicks") if n not in counts]
    spend = _spend(header, labels or {})
    if spend is None:
        missing.append("Total Spent (or Amount Spent, Spend, Cost, Total Spent (EUR), ...)")
    if missing:
        raise ColumnError(f"required column not found: {'; '.join(missing)}")
    assert spend is not None
    return Columns(spend[0], spend[1], counts)


def _spend(header: list[str], labels: dict[str, str]) -> tuple[str, str | None] | None:
    """(column, its currency): the first plain spend column, else the one in a currency."""
    for name in COST:
        if name in header:
            return name, None
    found = {
        name: _currency_of(m.group(1) or m.group(2))
        for name in header
        if (m := _SPEND_IN.match(name))
    }
    if len(set(found.values())) > 1:
        raise ColumnError(
            "several spend columns in different currencies "
            f"({', '.join(labels.get(n, n) for n in found)}): keep one"
        )
    return next(iter(found.items()), None)


def _currency_of(text: str) -> str | None:
    text = text.strip()
    if re.fullmatch(r"[a-z]{3}", text):
        return text.upper()
    return _SIGNS.get(text)
