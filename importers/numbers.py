"""Strict numbers of exported reports: a cell is read exactly as written, or refused.

Why: report cells are money and counts, and a guess changes them silently (letters
dropped, `1e3` read as 13, `10500.0` as 105000). The rules (docs/importers.md, "Numbers"):

- one decimal mark per file, `.` or `,`, as the file's own numbers show it (`123.45`,
  `84.0`, `12,30`, `1.234,56`, `1,234,567`); a file that shows both is refused;
- thousands separators (the other mark, a space, an apostrophe) only between groups of
  three digits; a lone separator before three digits (`2.000`: 2 or 2000?) is refused
  while the file shows no decimal mark (`--decimal-mark` settles it);
- no exponent (`1e3`: Excel writes rounded values that way), no NaN or Infinity, no sign;
- a count is a whole number (`84`, `84.0`); money keeps its digits (at most 9 decimals).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from decimal import Decimal

MARKS = ".,"
_GROUP_CHARS = " \u00a0\u202f'\u2019"  # spaces (also no-break) and apostrophes
_NOT_NUMBERS = {"nan", "inf", "+inf", "-inf", "infinity", "-infinity", "null", "none"}
_EXPONENT = re.compile(r"\d[eE][+-]?\d")
_CODE = re.compile(r"^([A-Z]{3})\s*(.*)$|^(.*?)\s*([A-Z]{3})$")


class NumberError(ValueError):
    """Why a cell is not a number of this file (short, never the cell's text)."""


def is_blank(text: str) -> bool:
    return text.strip() in ("", "-")


def evidence(text: str) -> str | None:
    """The decimal mark this cell proves, if any (`12,30` -> `,`; `2.000` -> None)."""
    digits = "".join(ch for ch in text if ch.isdigit() or ch in MARKS)
    marks = [ch for ch in digits if ch in MARKS]
    if not marks:
        return None
    last = marks[-1]
    if len(set(marks)) == 2:
        return last  # `1,234.56`: the last one is the decimal mark
    if len(marks) > 1:
        return _other(last)  # `1,234,567`: grouping, so the other one is the mark
    whole, fraction = digits.split(last)
    grouping_possible = len(fraction) == 3 and 1 <= len(whole) <= 3 and whole[:1] != "0"
    return None if grouping_possible else last


def file_decimal_mark(cells: Iterable[tuple[str, str]]) -> str | None:
    """The decimal mark the file's (where, text) cells show; `NumberError` when both."""
    seen: dict[str, str] = {}
    for where, text in cells:
        number = _strip_currency(text.strip())[0]
        mark = evidence(number)
        if mark is None or mark in seen:
            continue
        try:
            _decimal(number, mark)  # a cell that is no number with it proves nothing
        except NumberError:
            continue
        seen[mark] = where
    if len(seen) == 2:
        raise NumberError(
            f"numbers use both '.' ({seen['.']}) and ',' ({seen[',']}) as the decimal mark"
        )
    return next(iter(seen), None)


def count(text: str, mark: str | None) -> int:
    """A whole number (`10,500`, `84.0`); `NumberError` otherwise."""
    value = _decimal(text.strip(), mark)
    if value != value.to_integral_value():
        raise NumberError("not a whole number")
    return int(value)


def money(text: str, mark: str | None, currency: str | None = None) -> str:
    """An amount >= 0 as an exact decimal string (`1.234,50` -> `1234.50`); a currency sign
    or code may stand before or after it (a code must be `currency` when that is known)."""
    number, code = _strip_currency(text.strip())
    if code is not None and currency is not None and code.upper() != currency:
        raise NumberError(f"amount in {code.upper()}, but the row's currency is {currency}")
    value = _decimal(number, mark)
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # finite: _decimal refuses NaN and Infinity
    if exponent < -9:
        exact = value.quantize(Decimal("1e-9"))
        if exact != value:
            raise NumberError("more than 9 decimals")
        value = exact
    return format(value, "f")


def _strip_currency(text: str) -> tuple[str, str | None]:
    if text[:1] and unicodedata.category(text[0]) == "Sc":
        text = text[1:].strip()
    elif text[-1:] and unicodedata.category(text[-1]) == "Sc":
        text = text[:-1].strip()
    match = _CODE.match(text)
    if match and text.lower() not in _NOT_NUMBERS:
        code = match.group(1) or match.group(4)
        number = match.group(2) if match.group(1) else match.group(3)
        if number:
            return number, code
    return text, None


def _decimal(text: str, mark: str | None) -> Decimal:
    if not text:
        raise NumberError("empty")
    if text.lower() in _NOT_NUMBERS:
        raise NumberError("not a number (NaN or Infinity)")
    if text[0] in "+-(" or text[-1] == ")":
        raise NumberError("signed: amounts and counts are >= 0")
    if _EXPONENT.search(text):
        raise NumberError("scientific notation (1e3) may be rounded: export plain numbers")
    if any(not (ch.isdigit() or ch in MARKS or ch in _GROUP_CHARS) for ch in text):
        raise NumberError("not a number")
    mark = mark or evidence(text)
    if mark is None:
        if any(ch in MARKS for ch in text):
            raise NumberError(
                "ambiguous: thousands separator or decimal mark? (pass --decimal-mark)"
            )
        mark = "."
    whole, _, fraction = text.partition(mark)
    groups = re.split(f"[{re.escape(_other(mark) + _GROUP_CHARS)}]", whole)
    grouped = len(groups) > 1
    separators = {ch for ch in whole if not ch.isdigit()}
    if not whole or not fraction.isascii() or (fraction and not fraction.isdigit()):
        raise NumberError(f"not a number (decimal mark '{mark}')")
    if grouped and (
        len(separators) > 1
        or not 1 <= len(groups[0]) <= 3
        or groups[0].startswith("0")
        or any(len(g) != 3 or not g.isdigit() for g in groups[1:])
    ):
        raise NumberError(f"not a number (thousands in groups of three, decimal mark '{mark}')")
    if not all(g.isdigit() and g.isascii() for g in groups):
        raise NumberError("not a number")
    return Decimal("".join(groups) + ("." + fraction if fraction else ""))


def _other(mark: str) -> str:
    return "," if mark == "." else "."
