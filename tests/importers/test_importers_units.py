"""The small pieces: member ids, date formats, CSV reading, archive entries, vendor rules."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from importers.dates import parse_date, parse_datetime, parse_instant, rfc3339
from importers.events import member_id
from importers.linkedin_archive import Archive, ArchiveError
from importers.tables import TableError, read_table
from importers.webhooks import load_mappings, redact


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.linkedin.com/in/Jane-Doe-0a1b2c/", "jane-doe-0a1b2c"),
        ("http://linkedin.com/in/jane-doe-0a1b2c?trk=people", "jane-doe-0a1b2c"),
        ("www.linkedin.com/in/jos%C3%A9-garc%C3%ADa", "josé-garcía"),
        ("https://fr.linkedin.com/in/jane-doe-0a1b2c", "jane-doe-0a1b2c"),
        ("https://www.linkedin.com/in/ACoAABcdEfG", "ACoAABcdEfG"),
        ("https://www.linkedin.com/sales/lead/ACwAAAx1,NAME_SEARCH,ab12", "sales:ACwAAAx1"),
        ("https://www.linkedin.com/company/Acme-Demo/", "company:acme-demo"),
        ("https://www.linkedin.com/pub/jane-doe/12/345/678", "jane-doe/12/345/678"),
        ("https://example.com/in/jane", None),
        ("https://www.linkedin.com/feed/", None),
        ("", None),
        (None, None),
    ],
)
def test_member_id(url: str | None, expected: str | None) -> None:
    assert member_id(url) == expected


def test_date_formats() -> None:
    assert str(parse_date("01 Jan 2024")) == "2024-01-01"
    assert str(parse_date("11/01/2026")) == "2026-11-01"
    assert parse_date("31 Nov 2026") is None
    cases = {
        "2024-01-15 14:30:00 UTC": "2024-01-15T14:30:00Z",
        "2024-01-15 10:23:45": "2024-01-15T10:23:45Z",
        "1/15/24, 3:04 PM": "2024-01-15T15:04:00Z",
        "Nov 4, 2026, 9:15 AM": "2026-11-04T09:15:00Z",
        "2026-11-04T09:15:00+01:00": "2026-11-04T08:15:00Z",
    }
    for text, expected in cases.items():
        parsed = parse_datetime(text)
        assert parsed is not None and rfc3339(parsed) == expected, text
    assert parse_datetime("yesterday") is None
    instants = {
        "2026-03-17 17:29:48.635563+00:00": "2026-03-17T17:29:48.635563Z",
        "2026-03-16T15:41:17": "2026-03-16T15:41:17Z",
        1795500000: "2026-11-24T06:00:00Z",
        1795500000123: "2026-11-24T06:00:00.123000Z",
        1795500000.5: "2026-11-24T06:00:00.500000Z",
        "1795500000": "2026-11-24T06:00:00Z",
    }
    for value, expected in instants.items():
        parsed = parse_instant(value)
        assert parsed is not None and rfc3339(parsed) == expected, value
    assert parse_instant(True) is None and parse_instant({"a": 1}) is None


def test_table_preamble_bom_utf16_and_line_numbers() -> None:
    text = 'Notes:\n"a note, with a comma"\n\nA,B\n1,"two\nlines"\n\n3,x\n'
    for raw in (b"\xef\xbb\xbf" + text.encode(), text.encode("utf-16")):
        table = read_table("t.csv", raw, lambda h: {"a", "b"} <= set(h))
        rows = list(table.rows)
        assert [(r.line, r.get("a"), r.get("b")) for r in rows] == [
            (5, "1", "two\nlines"),
            (8, "3", "x"),
        ]
        assert table.preamble[0] == ["Notes:"]
    tabbed = read_table("t.tsv", b"A\tB\n1,5\t2\n", lambda h: "a" in h, delimiters=",\t")
    assert [r.cells for r in tabbed.rows] == [{"a": "1,5", "b": "2"}]
    with pytest.raises(TableError, match="no header row"):
        read_table("t.csv", b"x,y\n1,2\n", lambda h: "a" in h)
    with pytest.raises(TableError, match="not UTF-8"):
        read_table("t.csv", b"\xff\x00\xfe", lambda h: True)


def test_archive_entries(tmp_path: Path) -> None:
    target = tmp_path / "Basic_LinkedInDataExport_02-29-2024.zip"
    with zipfile.ZipFile(target, "w") as archive:
        for name in (
            "Export/CONNECTIONS.csv",
            "Connections_123.csv",
            "Guide_Messages.csv",
            "messages.csv",
            "learning_coach_messages.csv",
        ):
            archive.writestr(name, "x")
    found = Archive(target)
    assert [f.name for f in found.files("connections")] == [
        f"{target.name}:Connections_123.csv",
        f"{target.name}:Export/CONNECTIONS.csv",
    ]
    assert [f.name for f in found.files("messages")] == [f"{target.name}:messages.csv"]
    assert str(found.exported_on) == "2024-02-29"
    (tmp_path / "plain.txt").write_text("x")
    with pytest.raises(ArchiveError, match="neither a zip"):
        Archive(tmp_path / "plain.txt")


def test_vendor_rules_match_full_or_short_names() -> None:
    expandi = load_mappings()["expandi"]
    assert expandi.rule("linked_in_messenger.campaign_connected").type == "invitation.accepted"  # type: ignore[union-attr]
    assert expandi.rule("CAMPAIGN_CONNECTED").type == "invitation.accepted"  # type: ignore[union-attr]
    assert expandi.rule("campaign_post_liked") == "ignore"
    assert expandi.rule("campaign_teleported") is None
    heyreach = load_mappings()["heyreach"]
    assert heyreach.rule("message_reply_received").type == "message.received"  # type: ignore[union-attr]


def test_redaction_is_deep() -> None:
    payload = {
        "message": "secret",
        "lead": {"Email_Address": "a@b.c", "profile_url": "u"},
        "recent_messages": [{"message": "x"}],
        "items": [{"text": "y", "id": 1}],
    }
    assert redact(payload, ["profile_url"]) == {
        "message": "[redacted]",
        "lead": {"Email_Address": "[redacted]", "profile_url": "[redacted]"},
        "recent_messages": "[redacted]",
        "items": [{"text": "[redacted]", "id": 1}],
    }


def test_docs_cover_every_flag_and_variable() -> None:
    """docs/importers.md names every option of the four commands and every ingest setting."""
    import argparse

    from cli.main import build_parser
    from importers.settings import IngestSettings

    doc = (Path(__file__).resolve().parents[2] / "docs" / "importers.md").read_text()
    for name in IngestSettings.model_fields:
        assert f"SOCIALKPI_INGEST_{name.upper()}" in doc, name
    commands = next(
        a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)
    ).choices
    parsers = [commands["ingest-http"], commands["generate"]]
    imports = next(
        a for a in commands["import"]._actions if isinstance(a, argparse._SubParsersAction)
    )
    parsers += list(imports.choices.values())
    for parser in parsers:
        for action in parser._actions:
            for flag in action.option_strings:
                assert flag in doc or flag in ("-h", "--help"), (parser.prog, flag)
