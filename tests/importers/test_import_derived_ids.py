"""Ids the LinkedIn export importer derives from people are keyed (issue 12): trying 100
candidate profile slugs against a published invitation id recovers nobody without the
pseudonym key; without a key the importer refuses, in one line, and writes nothing."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from importer_kit import FIXTURES, TEST_KEY, TEST_KEY_TEXT, read_jsonl, zip_dir

from cli.main import main
from importers.derived_ids import conversation_id, invitation_id
from importers.events import stable_id
from kpis.replay import replay
from kpis.timeutil import parse_ts

ACCOUNT = "rep-ana"
EXPORTS = FIXTURES / "linkedin_export"
EARLIER = EXPORTS / "Basic_LinkedInDataExport_11-10-2026"
HUGO = "hugo-dummy-demo-06"  # invited 2026-10-20, still pending on Nov 20: stale
CANDIDATES = [f"candidate-{n:02d}-demo" for n in range(99)] + [HUGO]


def import_archives(tmp_path: Path, capsys, key: str | None, monkeypatch) -> tuple[int, str]:
    if key is None:
        monkeypatch.delenv("SOCIALKPI_PSEUDONYM_KEY", raising=False)
    else:
        monkeypatch.setenv("SOCIALKPI_PSEUDONYM_KEY", key)
    later = zip_dir(
        EXPORTS / "Complete_LinkedInDataExport_11-20-2026",
        tmp_path / "Complete_LinkedInDataExport_11-20-2026.zip",
    )
    argv = ["import", "linkedin-export", str(later), "--previous", str(EARLIER)]
    code = main([*argv, "--with-previous", "--account", ACCOUNT, "-o", str(tmp_path / "e.jsonl")])
    return code, capsys.readouterr().err


def test_candidate_slugs_recover_nobody_without_the_key(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    code, err = import_archives(tmp_path, capsys, TEST_KEY_TEXT, monkeypatch)
    assert code == 0, err
    out = tmp_path / "e.jsonl"
    _records, _summary, engine = replay(
        [str(out)], as_of=parse_ts("2026-11-20T12:00:00Z"), errors=io.StringIO()
    )
    stale = engine.details(ACCOUNT, parse_ts("2026-11-20T12:00:00Z")).stale_invitations
    published = {s.invitation_id for s in stale}  # what Redis shows beside the pseudonym
    assert len(published) == 1
    wrong_keys = [b"\0" * 32, bytes(range(1, 33)), b"socialkpi" * 4]
    guesses = set()
    for slug in CANDIDATES:
        guesses.add(stable_id("inv", ACCOUNT, slug))  # the former unkeyed SHA-256 scheme
        guesses |= {invitation_id(ACCOUNT, slug, key=k) for k in wrong_keys}
    assert not published & guesses
    # the id is stable: with the key, the same search finds the invitee
    found = [s for s in CANDIDATES if invitation_id(ACCOUNT, s, key=TEST_KEY) in published]
    assert found == [HUGO]


def test_every_id_built_from_a_member_is_keyed(tmp_path: Path, capsys, monkeypatch) -> None:
    """Invitation, conversation and message ids change with the key; nothing else does."""
    ids = {}
    for name, key in (("a", TEST_KEY_TEXT), ("b", bytes(range(1, 33)).hex())):
        (tmp_path / name).mkdir()
        code, err = import_archives(tmp_path / name, capsys, key, monkeypatch)
        assert code == 0, err
        ids[name] = read_jsonl(tmp_path / name / "e.jsonl")
    a, b = ids["a"], ids["b"]
    assert len(a) == len(b) > 20
    for first, second in zip(a, b, strict=True):
        for field in ("invitation_id", "conversation_id", "message_id"):
            if field in first:
                assert first[field] != second[field], field
        same = {"type", "occurred_at", "account_id", "invitee_id", "recipient_id", "sender_id"}
        assert {k: first.get(k) for k in same} == {k: second.get(k) for k in same}
    messages = [e for e in a if "message_id" in e]
    members = {e.get("recipient_id") or e.get("sender_id") for e in messages}
    unkeyed = {stable_id("conv", ACCOUNT, m) for m in members}
    keyed = {conversation_id(ACCOUNT, m, key=TEST_KEY) for m in members}
    assert {e["conversation_id"] for e in messages} <= keyed  # all 1:1 threads here
    assert not {e["conversation_id"] for e in messages} & unkeyed


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (None, "socialkpi: SOCIALKPI_PSEUDONYM_KEY is not set: ids derived from people"),
        ("not-a-key", "socialkpi: SOCIALKPI_PSEUDONYM_KEY is not base64, base64url or hex"),
        ("abcd", "socialkpi: SOCIALKPI_PSEUDONYM_KEY must be 32 bytes"),
    ],
)
def test_no_key_refuses_in_one_line_and_writes_nothing(
    tmp_path: Path, capsys, monkeypatch, key: str | None, message: str
) -> None:
    code, err = import_archives(tmp_path, capsys, key, monkeypatch)
    assert code == 2
    assert err.startswith(message) and err.count("\n") == 1, err
    assert not (tmp_path / "e.jsonl").exists()


def test_campaign_manager_needs_no_key(tmp_path: Path, capsys, monkeypatch) -> None:
    """Reports derive no id from a person: no key is asked for."""
    monkeypatch.delenv("SOCIALKPI_PSEUDONYM_KEY", raising=False)
    report = FIXTURES / "campaign_manager" / "campaign_performance_report_2026-11-04.csv"
    argv = ["import", "campaign-manager", str(report), "--account", "page-demo"]
    assert main([*argv, "-o", str(tmp_path / "r.jsonl")]) == 0
