"""Exit codes of the file importers: a missing input is one line naming it, exit 2, nothing
written, no traceback; an input that yields no event exits 1 (issue 12)."""

from __future__ import annotations

from pathlib import Path

import pytest
from importer_kit import FIXTURES, TEST_KEY_TEXT

from cli.main import main

EARLIER = FIXTURES / "linkedin_export" / "Basic_LinkedInDataExport_11-10-2026"
REPORT = FIXTURES / "campaign_manager" / "campaign_performance_report_2026-11-04.csv"


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (
            ["campaign-manager", "/missing/file.csv"],
            "socialkpi: /missing/file.csv: no such file",
        ),
        (
            ["campaign-manager", str(REPORT), "/missing/a.csv", "/missing/b.csv"],
            "socialkpi: /missing/a.csv: no such file; /missing/b.csv: no such file",
        ),
        (
            ["campaign-manager", str(FIXTURES)],
            f"socialkpi: {FIXTURES}: a directory, not a file",
        ),
        (
            ["linkedin-export", "/missing/file"],
            "socialkpi: /missing/file: no such file or directory",
        ),
        (
            ["linkedin-export", str(EARLIER), "--previous", "/missing/older.zip"],
            "socialkpi: /missing/older.zip: no such file or directory",
        ),
    ],
)
def test_missing_input_is_one_line(
    tmp_path: Path, capsys, monkeypatch, argv: list[str], line: str
) -> None:
    monkeypatch.setenv("SOCIALKPI_PSEUDONYM_KEY", TEST_KEY_TEXT)
    out = tmp_path / "out.jsonl"
    code = main(["import", *argv, "--account", "a", "--output", str(out)])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err == line + "\n"
    assert captured.out == "" and not out.exists()


def test_an_archive_that_yields_no_event_exits_1(tmp_path: Path, capsys, monkeypatch) -> None:
    """Before: exit 0 for an archive whose every row failed. UTF-16LE without a BOM is read."""
    monkeypatch.setenv("SOCIALKPI_PSEUDONYM_KEY", TEST_KEY_TEXT)
    archive = tmp_path / "Basic_LinkedInDataExport_11-10-2026"
    archive.mkdir()
    (archive / "Connections.csv").write_bytes(
        "First Name,URL,Connected On\r\nBruno,https://example.com/x,01 Nov 2026\r\n".encode(
            "utf-16-le"
        )
    )
    out = tmp_path / "out.jsonl"
    code = main(["import", "linkedin-export", str(archive), "--account", "a", "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert f"{archive.name}/Connections.csv:2: URL: missing or not a profile URL" in err
    assert f"no event from {archive.name}" in err
    (archive / "Connections.csv").write_bytes(
        "URL,Connected On\r\nhttps://www.linkedin.com/in/bruno-x,01 Nov 2026\r\n".encode(
            "utf-16-le"
        )
    )
    assert main(["import", "linkedin-export", str(archive), "--account", "a", "-o", str(out)]) == 0
