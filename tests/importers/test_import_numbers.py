"""The strict number rules of `importers.numbers`: every cell is read as written, or
refused with a reason; never a different number."""

from __future__ import annotations

import pytest

from importers.numbers import NumberError, count, evidence, file_decimal_mark, money
from importers.tables import TableError, decode


@pytest.mark.parametrize(
    ("text", "mark", "expected"),
    [
        ("12", None, 12),
        ("84.0", None, 84),  # pandas / Excel: an integral float
        ("10500.0", None, 10500),  # was 105000
        ("10500.00", ".", 10500),
        ("10,500", ".", 10500),
        ("1,234,567", None, 1234567),
        ("1.234.567", None, 1234567),
        ("10.500", ",", 10500),
        ("84,0", ",", 84),
        ("1 250", None, 1250),
        ("1\u202f250", None, 1250),
        ("1'250", None, 1250),
        ("2.000", ".", 2),  # the file says `.` is its decimal mark
    ],
)
def test_count(text: str, mark: str | None, expected: int) -> None:
    assert count(text, mark) == expected


@pytest.mark.parametrize(
    ("text", "mark", "reason"),
    [
        ("10500.5", ".", "not a whole number"),
        ("1e3", None, "scientific notation"),
        ("1.05E+04", ".", "scientific notation"),
        ("NaN", None, "NaN or Infinity"),
        ("inf", None, "NaN or Infinity"),
        ("abc", None, "not a number"),
        ("n/a", None, "not a number"),
        ("-3", None, "signed"),
        ("2.000", None, "ambiguous"),  # 2 or 2000? the file does not say
        ("10,500", None, "ambiguous"),
        ("12,30", ".", "groups of three"),
        ("1,2345", ".", "groups of three"),
        ("0,500", ".", "groups of three"),
        ("1,234 567", ".", "groups of three"),
        ("1.2.3", ",", "groups of three"),
        ("", ".", "empty"),
        ("12 EUR", ".", "not a number"),  # currency is for money cells only
    ],
)
def test_count_refuses(text: str, mark: str | None, reason: str) -> None:
    with pytest.raises(NumberError, match=reason):
        count(text, mark)


@pytest.mark.parametrize(
    ("text", "mark", "expected"),
    [
        ("123.45", None, "123.45"),
        ("60.00", ".", "60.00"),
        ("1,234.56", None, "1234.56"),
        ("1.234,56", None, "1234.56"),
        ("12,30", ",", "12.30"),
        ("1,234", ".", "1234"),
        ("1.234", ",", "1234"),
        ("€ 9.99", ".", "9.99"),
        ("9,99 €", ",", "9.99"),
        ("EUR 12.30", ".", "12.30"),
        ("12.30 EUR", ".", "12.30"),
        ("1000", None, "1000"),
        ("0.1234567890", ".", "0.123456789"),  # a trailing zero beyond 9 decimals: exact
    ],
)
def test_money(text: str, mark: str | None, expected: str) -> None:
    assert money(text, mark, "EUR") == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("abc", "not a number"),  # was "0"
        ("NaN", "NaN or Infinity"),  # was "0"
        ("1e3", "scientific notation"),  # was "13"
        ("-5", "signed"),
        ("(5.00)", "signed"),
        ("USD 5.00", "amount in USD, but the row's currency is EUR"),
        ("0.1234567891", "more than 9 decimals"),
        ("12.30eur", "not a number"),
        ("1,234", "ambiguous"),
    ],
)
def test_money_refuses(text: str, reason: str) -> None:
    with pytest.raises(NumberError, match=reason):
        money(text, None, "EUR")


def test_evidence_and_file_mark() -> None:
    assert [evidence(t) for t in ("123.45", "84.0", "12,30", "1.234,56", "1,234,567")] == [
        ".",
        ".",
        ",",
        ",",
        ".",
    ]
    assert [evidence(t) for t in ("2.000", "10,500", "1250", "")] == [None, None, None, None]
    assert evidence("10500.000") == "."  # four digits before: not a thousands group
    assert file_decimal_mark([("a", "10,500"), ("b", "123.45")]) == "."
    assert file_decimal_mark([("a", "10,500"), ("b", "120")]) is None
    assert file_decimal_mark([("a", "abc"), ("b", "€ 12,30")]) == ","
    with pytest.raises(NumberError, match=r"both '\.' \(b\) and ',' \(a\)"):
        file_decimal_mark([("a", "12,30"), ("b", "12.30")])


def test_decode_names_the_encoding() -> None:
    text = "Start Date,Impressions\n2026-11-01,1\n"
    assert decode(text.encode("utf-8")) == (text, "UTF-8")
    assert decode(b"\xef\xbb\xbf" + text.encode()) == (text, "UTF-8 (with BOM)")
    assert decode(text.encode("utf-16")) == (text, "UTF-16")
    assert decode(text.encode("utf-16-le")) == (text, "UTF-16LE without BOM")
    assert decode(text.encode("utf-16-be")) == (text, "UTF-16BE without BOM")
    with pytest.raises(TableError, match="not UTF-8 text: invalid bytes near line 2"):
        decode("a\n\xe9\n".encode("latin-1"))
