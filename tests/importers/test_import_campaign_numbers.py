"""Campaign Manager imports never change a number silently (issue 12): pandas/Excel floats,
a spend column in a named currency, bad cells as `FILE:LINE: column: reason`, a missing
required column, UTF-16LE without a byte-order mark, a file with no valid row, a missing
file. Fixtures: tests/fixtures/campaign_manager/*_2026-11-08.csv (hand-written)."""

from __future__ import annotations

from pathlib import Path

from importer_kit import FIXTURES, read_jsonl

from cli.main import main

REPORTS = FIXTURES / "campaign_manager"


def run(capsys, tmp_path: Path, *reports: Path | str, extra: tuple[str, ...] = ()) -> tuple:
    out = tmp_path / "out.jsonl"
    argv = ["import", "campaign-manager", *map(str, reports), "--account", "page-demo"]
    code = main([*argv, "--output", str(out), *extra])
    captured = capsys.readouterr()
    assert captured.out == ""
    events = read_jsonl(out) if out.exists() else []
    events.sort(key=lambda e: (e["date"], e["campaign_id"]))  # written in event-time order
    return code, captured.err, events


def numbers(events: list[dict]) -> list[tuple]:
    return [(e["date"], e["cost"], e["impressions"], e["clicks"]) for e in events]


def test_pandas_integral_floats_are_the_integers(tmp_path: Path, capsys) -> None:
    """`10500.0` / `84.0` (what pandas or Excel write) are 10500 / 84, not 105000 / 840."""
    code, err, events = run(capsys, tmp_path, REPORTS / "pandas_floats_2026-11-08.csv")
    assert code == 0, err
    assert [(e["impressions"], e["clicks"], e["video_views"], e["leads"]) for e in events] == [
        (10500, 84, 0, 3),
        (4000, 20, 1250, 0),
    ]
    assert [e["cost"] for e in events] == ["123.45", "60.0"]


def test_spend_column_in_a_named_currency(tmp_path: Path, capsys) -> None:
    """`Total Spent (EUR)` is the spend, in EUR (before: cost 0 and no warning)."""
    report = REPORTS / "spend_in_eur_2026-11-08.csv"
    code, err, events = run(capsys, tmp_path, report)
    assert code == 0, err
    assert numbers(events) == [
        ("2026-11-01", "123.45", 10500, 84),
        ("2026-11-02", "98.10", 9800, 70),
    ]
    assert {e["currency"] for e in events} == {"EUR"}
    code, err, _events = run(capsys, tmp_path, report, extra=("--currency", "USD"))
    assert code == 1
    assert "Total Spent (EUR) is in EUR, but --currency says USD" in err


def test_row_currency_must_match_the_spend_column(tmp_path: Path, capsys) -> None:
    report = tmp_path / "r.csv"
    report.write_text(
        "Start Date,Campaign ID,Currency,Amount Spent in USD,Impressions,Clicks\n"
        "2026-11-01,1,EUR,10.00,100,1\n"
        "2026-11-02,1,USD,12.00,100,1\n"
    )
    code, err, events = run(capsys, tmp_path, report, extra=("--generated-at", "2026-11-03"))
    assert code == 0
    assert "r.csv:2: Currency: EUR, but Amount Spent in USD is in USD" in err
    assert [(e["currency"], e["cost"]) for e in events] == [("USD", "12.00")]


def test_bad_cells_are_row_errors_naming_file_line_and_column(tmp_path: Path, capsys) -> None:
    """`abc` and `NaN` were "0", `1e3` was "13": now each is `FILE:LINE: column: reason`."""
    code, err, events = run(capsys, tmp_path, REPORTS / "bad_numbers_2026-11-08.csv")
    assert code == 0  # one valid row: its event is written
    assert numbers(events) == [("2026-11-01", "123.45", 10500, 84)]
    name = "bad_numbers_2026-11-08.csv"
    assert err.splitlines()[:6] == [
        f"{name}:4: Total Spent: not a number",
        f"{name}:5: Total Spent: not a number (NaN or Infinity)",
        f"{name}:6: Total Spent: scientific notation (1e3) may be rounded: export plain numbers",
        f"{name}:7: Impressions: not a whole number",
        f"{name}:8: Impressions: empty (a required column: write 0 when there is none)",
        f"{name}:9: Total Spent: signed: amounts and counts are >= 0",
    ]
    code, _err, _events = run(
        capsys, tmp_path, REPORTS / "bad_numbers_2026-11-08.csv", extra=("--strict",)
    )
    assert code == 1


def test_missing_required_column_fails_the_file(tmp_path: Path, capsys) -> None:
    code, err, events = run(capsys, tmp_path, REPORTS / "no_spend_column_2026-11-08.csv")
    assert code == 1 and events == []
    assert err.splitlines()[0] == (
        "no_spend_column_2026-11-08.csv: required column not found: Total Spent (or Amount "
        "Spent, Spend, Cost, Total Spent (EUR), ...)"
    )
    assert "no event from no_spend_column_2026-11-08.csv" in err
    report = tmp_path / "no_clicks.csv"
    report.write_text("Date,Campaign ID,Currency,Spend,Impressions\n2026-11-01,1,EUR,1,10\n")
    code, err, _events = run(capsys, tmp_path, report)
    assert code == 1 and "no_clicks.csv: required column not found: Clicks" in err


def test_utf16le_without_bom_is_read(tmp_path: Path, capsys) -> None:
    """Before: "no header row with the expected columns", hiding the encoding."""
    code, err, events = run(capsys, tmp_path, REPORTS / "utf16le_no_bom_2026-11-08.csv")
    assert code == 0, err
    assert numbers(events) == [
        ("2026-11-01", "123.45", 10500, 84),
        ("2026-11-02", "98.10", 9800, 70),
    ]
    assert {e["currency"] for e in events} == {"EUR"}
    assert {e["occurred_at"] for e in events} == {"2026-11-08T07:30:00Z"}


def test_errors_name_the_encoding(tmp_path: Path, capsys) -> None:
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes(
        "Start Date,Campaign,Spend,Impressions,Clicks\n2026-11-01,Caf\xe9,1,1,1\n".encode("latin-1")
    )
    code, err, _events = run(capsys, tmp_path, latin1)
    assert code == 1
    assert err.splitlines()[0] == (
        "latin1.csv: not UTF-8 text: invalid bytes near line 2, and no UTF-16 byte-order mark "
        "or NUL bytes; save it as UTF-8, e.g. Excel's 'CSV UTF-8'"
    )
    other = tmp_path / "other.csv"
    other.write_bytes("Name,Value\nx,1\n".encode("utf-16-le"))
    code, err, _events = run(capsys, tmp_path, other)
    assert code == 1
    assert err.splitlines()[0] == (
        "other.csv: no header row with a date column and Impressions, Clicks or Total Spent "
        "(read as UTF-16LE without BOM)"
    )


def test_a_file_with_no_valid_row_exits_non_zero(tmp_path: Path, capsys) -> None:
    """Before: exit 0. The other files of the run are still written."""
    empty = REPORTS / "no_valid_row_2026-11-08.csv"
    code, err, events = run(capsys, tmp_path, empty)
    assert code == 1 and events == []
    assert "no event from no_valid_row_2026-11-08.csv" in err
    code, err, events = run(capsys, tmp_path, empty, REPORTS / "pandas_floats_2026-11-08.csv")
    assert code == 1 and len(events) == 2


def test_one_decimal_mark_per_file(tmp_path: Path, capsys) -> None:
    mixed = tmp_path / "mixed.csv"
    mixed.write_text(
        "Start Date;Campaign ID;Currency;Spend;Impressions;Clicks\n"
        "2026-11-01;1;EUR;1.234,50;2.000;10\n"
        "2026-11-02;1;EUR;12.30;100;1\n"
    )
    code, err, _events = run(capsys, tmp_path, mixed)
    assert code == 1
    assert (
        "mixed.csv: numbers use both '.' (line 3, Spend) and ',' (line 2, Spend) as the "
        "decimal mark" in err
    )
    unclear = tmp_path / "unclear.csv"
    unclear.write_text(
        "Start Date,Campaign ID,Currency,Spend,Impressions,Clicks\n"
        '2026-11-01,1,EUR,120,"2,000",10\n'
    )
    code, err, _events = run(capsys, tmp_path, unclear, extra=("--generated-at", "2026-11-02"))
    assert code == 1
    assert "unclear.csv:2: Impressions: ambiguous: thousands separator or decimal mark?" in err
    code, err, events = run(
        capsys, tmp_path, unclear, extra=("--generated-at", "2026-11-02", "--decimal-mark", ".")
    )
    assert code == 0 and [e["impressions"] for e in events] == [2000]


def test_missing_file_is_one_line(tmp_path: Path, capsys) -> None:
    code, err, events = run(capsys, tmp_path, "/missing/file.csv")
    assert code == 2 and events == []
    assert err == "socialkpi: /missing/file.csv: no such file\n"


def test_contract_refusals_name_the_file_column(tmp_path: Path, capsys) -> None:
    """What the contract refuses (implausible date, out-of-range count) names the column
    as the file writes it, like every other row error."""
    report = tmp_path / "r.csv"
    report.write_text(
        "Start Date,Campaign ID,Currency,Spend,Impressions,Clicks\n"
        "1999-11-01,1,EUR,1.00,10,1\n"
        "2026-11-01,1,EUR,1.00,99999999999999999999,1\n"
    )
    code, err, _events = run(capsys, tmp_path, report, extra=("--generated-at", "2026-11-02"))
    assert code == 1
    lines = err.splitlines()
    assert lines[0].startswith("r.csv:2: Start Date: implausible date")
    assert lines[1].startswith("r.csv:3: Impressions: ")
