"""SPEC "Time and windows": times before 2000-01-01T00:00:00Z or from 2100-01-01T00:00:00Z are
`implausible_time`, in `occurred_at` and in every payload date, whatever the offset."""

from __future__ import annotations

import json
from typing import Any

import pytest

from models import EventRejected, RejectKind, parse_event

from .helpers import accepted, report

T = "2026-11-20T12:00:00Z"


def _parse(body: dict[str, Any]) -> object:
    return parse_event(json.dumps(body))


def _kind(body: dict[str, Any]) -> RejectKind:
    with pytest.raises(EventRejected) as info:
        _parse(body)
    return info.value.kind


@pytest.mark.parametrize(
    "stamp",
    [
        "2000-01-01T00:00:00Z",  # the first plausible instant
        "1999-12-31T23:30:00-01:00",  # = 2000-01-01T00:30Z
        "2099-12-31T23:59:59.999999Z",  # the last one
        "2100-01-01T00:30:00+01:00",  # = 2099-12-31T23:30Z
    ],
)
def test_occurred_at_at_the_edges_of_the_range_is_valid(stamp: str) -> None:
    _parse(accepted("i1", stamp))


@pytest.mark.parametrize(
    "stamp",
    [
        "1999-12-31T23:59:59.999999Z",  # one microsecond too early
        "2000-01-01T00:30:00+01:00",  # = 1999-12-31T23:30Z
        "2100-01-01T00:00:00Z",  # the end is excluded
        "2099-12-31T23:30:00-01:00",  # = 2100-01-01T00:30Z
        "1969-12-31T23:59:59Z",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59Z",  # the time whose day arithmetic overflowed replay
        "9999-12-31T23:59:59-01:00",
    ],
)
def test_occurred_at_out_of_range_is_implausible_time(stamp: str) -> None:
    with pytest.raises(EventRejected) as info:
        _parse(accepted("i1", stamp))
    assert info.value.kind == RejectKind.IMPLAUSIBLE_TIME
    assert info.value.reason.startswith("occurred_at: ")
    assert "2000-01-01" in info.value.reason and "2100-01-01" in info.value.reason


@pytest.mark.parametrize("day", ["2000-01-01", "2099-12-31"])
def test_report_date_at_the_edges_of_the_range_is_valid(day: str) -> None:
    _parse(report(day, T, 10, 1, "1.00"))


@pytest.mark.parametrize("day", ["1999-12-31", "2100-01-01", "9999-12-31", "0001-01-01"])
def test_report_date_out_of_range_is_implausible_time(day: str) -> None:
    with pytest.raises(EventRejected) as info:
        _parse(report(day, T, 10, 1, "1.00"))
    assert info.value.kind == RejectKind.IMPLAUSIBLE_TIME
    assert info.value.reason.startswith("date: ")


def test_an_invalid_date_is_still_an_invalid_field() -> None:
    assert _kind(report("2026-02-30", T, 10, 1, "1.00")) == RejectKind.INVALID_FIELD
