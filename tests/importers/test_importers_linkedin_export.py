"""`socialkpi import linkedin-export` on hand-written archives (tests/fixtures/linkedin_export).

The earlier archive (Nov 10) is a directory with a BOM and a "Notes:" preamble in
Connections.csv, a multi-line invitation note, a draft and multi-line messages; the later
one (Nov 20) is zipped at test time, with a member-number suffix on Invitations and
lower-case headers in Shares. Between them: Felix accepted, Gina's invitation vanished
without a connection (withdrawn), Hugo's is still pending, Ivy (inbound) was accepted.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from importer_kit import (
    FIXTURES,
    TEST_KEY,
    TEST_KEY_TEXT,
    read_jsonl,
    readable,
    records,
    values,
    zip_dir,
)

from cli.main import main
from importers.derived_ids import invitation_id

ACCOUNT = "rep-ana"
EXPORTS = FIXTURES / "linkedin_export"
EARLIER = EXPORTS / "Basic_LinkedInDataExport_11-10-2026"
LATER_DIR = EXPORTS / "Complete_LinkedInDataExport_11-20-2026"
MEMBERS = [
    "bruno-example-demo-01",
    "chloe-sample-demo-02",
    "felix-fictive-demo-04",
    "gina-mock-demo-05",
    "hugo-dummy-demo-06",
    "ivy-stub-demo-07",
    "lea-void-demo-08",
    "jon-fake-demo-09",
    "kim-phantom-demo-10",
]
CONTENTS = [  # message, note and post texts, an e-mail: none may leave the importer
    "Tuesday works",
    "Q1",
    "Draft I never sent",
    "quick question",
    "Hi Felix",
    "call",
    "Three lessons",
    "Our new guide",
    "Hello Ana",
    "chloe@example.invalid",
    "Sponsored",
]


def sent(at: str, member: str, direction: str = "outbound") -> tuple:
    payload = {"invitation_id": f"inv:{member}", "invitee_id": member, "direction": direction}
    return ("invitation.sent", at, payload)


def accepted(at: str, member: str) -> tuple:
    return ("invitation.accepted", at, {"invitation_id": f"inv:{member}"})


def message(kind: str, at: str, member: str) -> tuple:
    who = "recipient_id" if kind == "message.sent" else "sender_id"
    return (kind, at, {"conversation_id": f"conv:{member}", who: member})


def post(at: str, post_id: str, fmt: str) -> tuple:
    return ("post.published", at, {"post_id": post_id, "format": fmt})


EARLIER_EVENTS = [
    sent("2026-10-20T14:05:00Z", "hugo-dummy-demo-06"),
    accepted("2026-11-02T00:00:00Z", "bruno-example-demo-01"),
    post("2026-11-02T08:30:00Z", "urn:li:share:7390000000000000001", "text"),
    sent("2026-11-03T09:15:00Z", "felix-fictive-demo-04"),
    message("message.sent", "2026-11-03T10:00:00Z", "bruno-example-demo-01"),
    message("message.received", "2026-11-03T15:30:00Z", "bruno-example-demo-01"),
    sent("2026-11-04T10:30:00Z", "gina-mock-demo-05"),
    accepted("2026-11-05T00:00:00Z", "chloe-sample-demo-02"),
    post("2026-11-05T12:00:00Z", "urn:li:ugcPost:7390000000000000002", "document"),
    message("message.sent", "2026-11-06T09:05:00Z", "chloe-sample-demo-02"),
    sent("2026-11-08T16:40:00Z", "ivy-stub-demo-07", "inbound"),
]
NEW_EVENTS = [  # what the later archive adds to the earlier one
    accepted("2026-11-12T00:00:00Z", "felix-fictive-demo-04"),
    message("message.sent", "2026-11-13T14:00:00Z", "felix-fictive-demo-04"),
    message("message.received", "2026-11-14T11:00:00Z", "felix-fictive-demo-04"),
    accepted("2026-11-15T00:00:00Z", "ivy-stub-demo-07"),
    post("2026-11-16T07:45:00Z", "urn:li:activity:7390000000000000003", "video"),
    accepted("2026-11-17T00:00:00Z", "lea-void-demo-08"),
    sent("2026-11-18T11:00:00Z", "jon-fake-demo-09"),
    message("message.received", "2026-11-18T12:00:00Z", "lea-void-demo-08"),
    sent("2026-11-19T09:45:00Z", "kim-phantom-demo-10"),
    # inferred: pending on Nov 10, gone on Nov 20, no connection; dated by the later export
    ("invitation.withdrawn", "2026-11-20T00:00:00Z", {"invitation_id": "inv:gina-mock-demo-05"}),
]
LATER_EVENTS = sorted([*EARLIER_EVENTS, *NEW_EVENTS], key=lambda e: e[1])
LATER_PROBLEMS = [
    "Complete_LinkedInDataExport_11-20-2026.zip:Invitations_5550123.csv:5: Sent At: not a date "
    "and time",
    "Complete_LinkedInDataExport_11-20-2026.zip:Connections.csv:10: Connected On: not a date",
    "Complete_LinkedInDataExport_11-20-2026.zip:Shares.csv:6: ShareLink: empty",
    "Complete_LinkedInDataExport_11-20-2026.zip:messages.csv:12: SENDER PROFILE URL: missing or "
    "not a profile URL",
    "Basic_LinkedInDataExport_11-10-2026/Connections.csv:7: URL: missing or not a profile URL",
]


@pytest.fixture(autouse=True)
def pseudonym_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCIALKPI_PSEUDONYM_KEY", TEST_KEY_TEXT)


@pytest.fixture
def later(tmp_path: Path) -> Path:
    return zip_dir(LATER_DIR, tmp_path / "Complete_LinkedInDataExport_11-20-2026.zip")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(["import", "linkedin-export", *argv, "--account", ACCOUNT])
    out, err = capsys.readouterr()
    assert out == ""  # events go to the file, diagnostics to stderr
    return code, err


def test_earlier_archive_exact_events(tmp_path: Path, capsys) -> None:
    out = tmp_path / "earlier.jsonl"
    code, err = run(capsys, str(EARLIER), "--output", str(out))
    assert code == 0
    events = read_jsonl(out)
    assert readable(events, ACCOUNT, MEMBERS) == EARLIER_EVENTS
    assert {e["account_id"] for e in events} == {ACCOUNT}
    assert {e["source"] for e in events} == {"linkedin-export"}
    assert err.splitlines()[0] == (
        "Basic_LinkedInDataExport_11-10-2026/Connections.csv:7: URL: missing or not a profile URL"
    )
    assert "read 13 rows" in err and "mapped 11 events" in err
    assert "skipped 1 unmappable rows, ignored 1 (draft message 1)" in err


def test_later_archive_against_earlier_infers_acceptance_and_withdrawal(
    tmp_path: Path, later: Path, capsys
) -> None:
    """Only what the later archive adds is written: the earlier one was imported before."""
    out = tmp_path / "later.jsonl"
    code, err = run(capsys, str(later), "--previous", str(EARLIER), "--output", str(out))
    assert code == 0
    events = read_jsonl(out)
    assert readable(events, ACCOUNT, MEMBERS) == NEW_EVENTS
    assert err.splitlines()[:5] == LATER_PROBLEMS
    assert "inferred: accepted 2, withdrawn 1" in err
    assert "events of the previous archive 11" in err
    assert "skipped 5 unmappable rows" in err and "wrote 10 events" in err
    # every message has its own id; the two sides of a conversation share the conversation
    message_ids = [e["message_id"] for e in events if e["type"].startswith("message.")]
    assert len(set(message_ids)) == len(message_ids) == 3
    assert len({e["event_id"] for e in events}) == len(events)


def test_with_previous_writes_both_archives(tmp_path: Path, later: Path, capsys) -> None:
    out = tmp_path / "both.jsonl"
    run(capsys, str(later), "--previous", str(EARLIER), "--with-previous", "--output", str(out))
    assert readable(read_jsonl(out), ACCOUNT, MEMBERS) == LATER_EVENTS


def test_kpi_records_of_the_import(tmp_path: Path, later: Path, capsys) -> None:
    """Import the Nov 10 archive, then the Nov 20 one against it: the monthly workflow."""
    first, out = tmp_path / "earlier.jsonl", tmp_path / "later.jsonl"
    run(capsys, str(EARLIER), "--output", str(first))
    run(capsys, str(later), "--previous", str(EARLIER), "--output", str(out))
    found = records(first, out, as_of="2026-11-20T12:00:00Z")
    cohort = (
        "invitation_cohort_sent",
        "invitation_cohort_accepted",
        "invitation_cohort_withdrawn",
        "invitation_cohort_pending",
        "invitation_acceptance_rate",
    )
    day = {  # cohort by sending day: sent, accepted, withdrawn, pending, rate
        "2026-10-20": (1, 0, 0, 1, 0.0),  # Hugo: still pending
        "2026-11-03": (1, 1, 0, 0, 1.0),  # Felix: accepted Nov 12
        "2026-11-04": (1, 0, 1, 0, 0.0),  # Gina: inferred withdrawn
        "2026-11-18": (1, 0, 0, 1, 0.0),  # Jon
        "2026-11-19": (1, 0, 0, 1, 0.0),  # Kim
        # Ivy's invitation was inbound: it is in no outbound cohort
    }
    expected: dict[tuple[str, str, str], object] = {
        (kpi, f"day:{d}", ""): v
        for d, row in day.items()
        for kpi, v in zip(cohort, row, strict=True)
    }
    # rolling 96 h at Nov 20 12:00 holds Jon and Kim
    expected |= {(k, "rolling_96h", ""): v for k, v in zip(cohort, (2, 0, 0, 2, 0.0), strict=True)}
    expected |= {("invitations_sent", f"day:{d}", ""): 1 for d in day}
    expected |= {
        ("invitations_sent", "week:2026-W43", ""): 1,
        ("invitations_sent", "week:2026-W45", ""): 2,
        ("invitations_sent", "week:2026-W47", ""): 2,
        ("invitations_sent", "month:2026-10", ""): 1,
        ("invitations_sent", "month:2026-11", ""): 4,
        ("invitations_sent", "rolling_24h", ""): 0,
        # Bruno, Chloe, Felix, Ivy (inbound), Lea: one per Connected On day
        **{("new_connections", f"day:2026-11-{d}", ""): 1 for d in ("02", "05", "12", "15", "17")},
        ("new_connections", "week:2026-W45", ""): 2,
        ("new_connections", "week:2026-W46", ""): 2,
        ("new_connections", "week:2026-W47", ""): 1,
        ("new_connections", "month:2026-11", ""): 5,
        ("orphan_acceptances", "total", ""): 3,  # Bruno, Chloe, Lea: no invitation known
        ("stale_pending_invitations", "total", ""): 1,  # Hugo: 31 days
        ("messages_sent", "day:2026-11-03", ""): 1,
        ("messages_sent", "day:2026-11-06", ""): 1,  # the draft before it is not counted
        ("messages_sent", "day:2026-11-13", ""): 1,
        ("messages_sent", "week:2026-W45", ""): 2,
        ("messages_sent", "week:2026-W46", ""): 1,
        ("conversations_started", "day:2026-11-03", ""): 1,
        ("conversations_started", "day:2026-11-06", ""): 1,
        ("conversations_started", "day:2026-11-13", ""): 1,  # Lea's thread started inbound
        ("reply_rate", "rolling_30d", ""): 2 / 3,  # Bruno and Felix replied, Chloe not
        ("reply_rate", "rolling_7d", ""): 1.0,  # Felix only
        ("posts_published", "week:2026-W45", ""): 2,
        ("posts_published", "week:2026-W47", ""): 1,
    }
    got = values(found, *{k for k, _p, _d in expected})
    assert got == pytest.approx(expected)


def test_reimport_counts_nothing_twice(tmp_path: Path, later: Path, capsys) -> None:
    first, second, alone, both = (tmp_path / f"{n}.jsonl" for n in ("a", "b", "earlier", "all"))
    run(capsys, str(later), "--previous", str(EARLIER), "--output", str(first))
    run(capsys, str(later), "--previous", str(EARLIER), "--output", str(second))
    run(capsys, str(EARLIER), "--output", str(alone))
    run(capsys, str(later), "--previous", str(EARLIER), "--with-previous", "--output", str(both))
    assert first.read_bytes() == second.read_bytes()  # same ids, same order
    once = records(alone, first, as_of="2026-11-20T12:00:00Z")
    assert records(both, as_of="2026-11-20T12:00:00Z") == once
    assert records(alone, first, second, both, alone, as_of="2026-11-20T12:00:00Z") == once


def test_message_contents_never_leave_the_importer(tmp_path: Path, later: Path, capsys) -> None:
    out = tmp_path / "later.jsonl"
    _code, err = run(capsys, str(later), "--previous", str(EARLIER), "--output", str(out))
    written = out.read_text(encoding="utf-8") + err
    for text in CONTENTS:
        assert text not in written


def test_strict_exits_1_when_a_row_was_skipped(tmp_path: Path, later: Path, capsys) -> None:
    code, _err = run(capsys, str(later), "--output", str(tmp_path / "x.jsonl"), "--strict")
    assert code == 1
    clean = tmp_path / "clean"
    shutil.copytree(EARLIER, clean)
    (clean / "Connections.csv").unlink()
    code, err = run(capsys, str(clean), "--output", str(tmp_path / "y.jsonl"), "--strict")
    assert code == 0, err


def test_owner_from_messages_alone_or_from_profile_url(tmp_path: Path, capsys) -> None:
    """Without Invitations.csv the owner is the member present in every thread; a single
    thread cannot tell, and --profile-url settles it."""
    only = tmp_path / "only_messages"
    only.mkdir()
    shutil.copy(LATER_DIR / "messages.csv", only / "messages.csv")
    out = tmp_path / "m.jsonl"
    run(capsys, str(only), "--output", str(out))
    kinds = [(e["type"], e.get("recipient_id") or e.get("sender_id")) for e in read_jsonl(out)]
    assert kinds[:2] == [
        ("message.sent", "bruno-example-demo-01"),
        ("message.received", "bruno-example-demo-01"),
    ]
    single = tmp_path / "single"
    single.mkdir()
    lines = (LATER_DIR / "messages.csv").read_text().splitlines(keepends=True)
    (single / "messages.csv").write_text("".join(lines[:4]))  # header + Bruno's thread
    _code, err = run(capsys, str(single), "--output", str(out))
    assert "owner's profile URL is unknown" in err and read_jsonl(out) == []
    owner = "https://www.linkedin.com/in/ana-perez-demo-001/"
    run(capsys, str(single), "--output", str(out), "--profile-url", owner)
    assert [e["type"] for e in read_jsonl(out)] == ["message.sent", "message.received"]


def test_ids_are_pinned() -> None:
    """A derivation change would make a re-import after an upgrade count everything twice."""
    assert (
        invitation_id("rep-ana", "felix-fictive-demo-04", key=TEST_KEY)
        == "inv-195542f1330ba57a7fad2f31"
    )


def test_bad_paths_are_messages(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("SOCIALKPI_KAFKA_BOOTSTRAP", raising=False)
    code = main(
        [
            "import",
            "linkedin-export",
            str(tmp_path / "nope.zip"),
            "--account",
            "a",
            "--output",
            str(tmp_path / "x.jsonl"),
        ]
    )
    assert code == 2
    assert "no such file or directory" in capsys.readouterr().err
    code = main(["import", "linkedin-export", str(EARLIER), "--account", "a"])
    assert code == 2
    assert "no destination" in capsys.readouterr().err
