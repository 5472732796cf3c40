"""Campaign Manager's column names, ad formats and number formats.

Columns are matched by any of their aliases (case-insensitive: headers are normalized),
as LinkedIn renames them between report kinds and over the years.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

DATE = ("start date (in utc)", "start date", "date (in utc)", "date", "day")
END_DATE = ("end date (in utc)", "end date")
CAMPAIGN_ID = ("campaign id", "campaign name", "campaign")
CREATIVE_ID = ("creative id", "ad id", "creative name", "ad name")
FORMAT = ("ad format", "creative format", "campaign format", "campaign type", "ad type", "format")
CURRENCY = ("currency", "currency code")
COST = ("total spent", "amount spent", "spend", "cost", "total spent (local currency)")
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


def count(text: str) -> int | None:
    """`1,234` / `1 234` / `` / `-` -> int (empty is 0)."""
    cleaned = re.sub(r"[\s,.\u00a0\u202f']", "", text)
    if cleaned in ("", "-"):
        return 0
    return int(cleaned) if cleaned.isdigit() else None


def money(text: str) -> str | None:
    """A spend cell as an exact decimal string: currency signs and codes dropped; with both
    `,` and `.`, the last one is the decimal point; a lone `,` followed by other than three
    digits is one too (`12,30` -> 12.30, `1,234` -> 1234)."""
    cleaned = re.sub(r"[^0-9.,\-]", "", text)
    if cleaned in ("", "-"):
        return "0"
    if "," in cleaned and "." in cleaned:
        decimal_mark = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
    elif "," in cleaned:
        decimal_mark = "," if len(cleaned) - cleaned.rfind(",") - 1 != 3 else ""
    else:
        decimal_mark = "."
    thousands = {",", "."} - {decimal_mark}
    digits = "".join(ch for ch in cleaned if ch not in thousands).replace(",", ".")
    try:
        value = Decimal(digits)
    except InvalidOperation:
        return None
    if value < 0 or not value.is_finite():
        return None
    if value.as_tuple().exponent < -9:  # type: ignore[operator]
        value = value.quantize(Decimal("1e-9"))
    return format(value, "f")
