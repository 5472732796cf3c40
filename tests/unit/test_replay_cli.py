"""`socialkpi replay` (SPEC "KPI records"): stdout records only, diagnostics on stderr."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from cli.main import main
from tests.support import unavailable

from .helpers import accepted, ad, msg_sent, sent

VALID = [
    sent("i1", "2026-11-19T09:00:00Z"),
    sent("i2", "2026-11-19T10:00:00Z"),
    accepted("i1", "2026-11-19T11:00:00Z"),
    msg_sent("c1", "2026-11-20T12:00:00Z"),  # the latest event time: the default as_of
]


def _lines(events: list[dict]) -> list[str]:
    return [json.dumps(e) for e in events]


def _write(path: Path, lines: list[str]) -> str:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return str(path)


def _replay(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["replay", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _records(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


def _value(records: list[dict], kpi: str, period: str) -> object:
    found = [r["value"] for r in records if r["kpi"] == kpi and r["period"] == period]
    assert len(found) == 1, (kpi, period, found)
    return found[0]


def test_jsonl_records_on_stdout_only(tmp_path: Path, capsys) -> None:
    path = _write(tmp_path / "events.jsonl", _lines(VALID))
    code, out, err = _replay(capsys, path, "--format", "jsonl")
    assert code == 0
    records = _records(out)  # every stdout line is one JSON record
    assert records
    for record in records:
        assert set(record) == {"account_id", "kpi", "period", "dims", "value", "as_of"}
        assert record["account_id"] == "rep-1"
        assert record["as_of"] == "2026-11-20T12:00:00Z"  # default: latest occurred_at
    # 2 sent on 19 Nov, 1 accepted -> 0.5; 1 message on 20 Nov
    assert _value(records, "invitations_sent", "day:2026-11-19") == 2
    assert _value(records, "invitation_acceptance_rate", "rolling_96h") == 0.5
    assert _value(records, "messages_sent", "day:2026-11-20") == 1
    assert "replay:" in err and "4 valid" in err and "0 rejected" in err
    assert f"{len(records)} records" in err


def test_invalid_lines_reported_with_path_line_and_reason(tmp_path: Path, capsys) -> None:
    lines = _lines(VALID)
    bad_count = json.dumps({**VALID[0], "event_id": "bad", "invitation_id": 5})
    lines[1:1] = ["{not json", "", "   ", bad_count]  # lines 2..5; 3 and 4 are blank
    path = _write(tmp_path / "mixed.jsonl", lines)
    code, out, err = _replay(capsys, path)
    assert code == 0  # rejections do not fail the replay
    assert f"{path}:2: " in err and "malformed JSON" in err
    assert f"{path}:5: " in err and "invitation_id:" in err
    assert f"{path}:3:" not in err and f"{path}:4:" not in err  # blank lines are ignored
    # summary: 4 valid, 2 rejected (blank lines are neither)
    assert "4 valid, 2 rejected" in err
    assert "malformed_json=1" in err and "invalid_field=1" in err
    # stdout holds records only, the same as for the valid lines alone
    records = _records(out)
    assert _value(records, "invitations_sent", "day:2026-11-19") == 2


def test_strict_exits_non_zero_when_a_line_is_rejected(tmp_path: Path, capsys) -> None:
    path = _write(tmp_path / "bad.jsonl", [*_lines(VALID), '{"type": "nope"}'])
    code, out, err = _replay(capsys, path, "--strict")
    assert code != 0
    assert "1 rejected" in err
    assert _records(out)  # the valid records are still printed
    clean = _write(tmp_path / "clean.jsonl", _lines(VALID))
    assert _replay(capsys, clean, "--strict")[0] == 0


def test_invalid_line_with_the_id_of_a_valid_event_neither_counts_nor_blocks(
    tmp_path: Path, capsys
) -> None:
    good = sent("x", "2026-11-20T10:00:00Z", event_id="shared")
    bad = {**good, "invitee_id": 42}
    for order in ([bad, good], [good, bad]):
        path = _write(tmp_path / "shared.jsonl", [json.dumps(e) for e in order])
        code, out, err = _replay(capsys, path, "--as-of", "2026-11-20T12:00:00Z")
        assert code == 0
        assert _value(_records(out), "invitations_sent", "day:2026-11-20") == 1
        assert "1 rejected" in err and "duplicates=0" in err


def test_stdin_dash(capsys, monkeypatch) -> None:
    data = "".join(line + "\n" for line in _lines(VALID)).encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    code, out, _err = _replay(capsys, "-")
    assert code == 0
    assert _value(_records(out), "invitations_sent", "day:2026-11-19") == 2


def test_gzip_input_and_several_files(tmp_path: Path, capsys) -> None:
    gz = tmp_path / "part1.jsonl.gz"
    with gzip.open(gz, "wt", encoding="utf-8") as handle:
        handle.write("".join(line + "\n" for line in _lines(VALID[:2])))
    plain = _write(tmp_path / "part2.jsonl", _lines(VALID[2:]))
    code, out, err = _replay(capsys, str(gz), plain)
    assert code == 0
    records = _records(out)
    assert _value(records, "invitations_sent", "day:2026-11-19") == 2
    assert _value(records, "invitation_acceptance_rate", "rolling_96h") == 0.5
    assert "4 valid, 0 rejected" in err


def test_as_of_limits_the_events_and_labels_the_records(tmp_path: Path, capsys) -> None:
    path = _write(tmp_path / "events.jsonl", _lines(VALID))
    code, out, err = _replay(capsys, path, "--as-of", "2026-11-19T10:30:00Z")
    assert code == 0
    records = _records(out)
    assert {r["as_of"] for r in records} == {"2026-11-19T10:30:00Z"}
    # i1 and i2 sent before as_of, the acceptance (11:00) and the message are after it
    assert _value(records, "invitations_sent", "rolling_24h") == 2
    assert _value(records, "invitation_acceptance_rate", "rolling_96h") == 0.0
    assert not [r for r in records if r["kpi"] == "messages_sent"]
    assert "after_as_of=2" in err


def test_as_of_with_an_offset_is_rendered_in_utc(tmp_path: Path, capsys) -> None:
    path = _write(tmp_path / "events.jsonl", _lines(VALID))
    _code, out, _err = _replay(capsys, path, "--as-of", "2026-11-20T17:30:00+05:30")
    assert {r["as_of"] for r in _records(out)} == {"2026-11-20T12:00:00Z"}


def test_bad_as_of_is_a_message_not_a_traceback(tmp_path: Path, capsys) -> None:
    path = _write(tmp_path / "events.jsonl", _lines(VALID))
    code, out, err = _replay(capsys, path, "--as-of", "2026-11-20T12:00:00")  # no offset
    assert code != 0
    assert out == ""
    assert "socialkpi:" in err and "Traceback" not in err


def test_table_format(tmp_path: Path, capsys) -> None:
    path = _write(tmp_path / "events.jsonl", _lines(VALID))
    code, out, err = _replay(capsys, path, "--format", "table")
    assert code == 0
    rows = out.splitlines()
    assert rows[0].split() == ["ACCOUNT", "KPI", "PERIOD", "DIMS", "VALUE"]
    rate = [row for row in rows if "invitation_acceptance_rate" in row and "rolling_96h" in row]
    assert len(rate) == 1 and rate[0].split()[-1] == "0.5000"
    assert "replay:" in err and "replay:" not in out


def test_money_is_a_decimal_string_in_jsonl(tmp_path: Path, capsys) -> None:
    events = [
        ad("impression", "2026-11-20T09:00:00Z", count=1000, cost="7.5"),
        ad("click", "2026-11-20T10:00:00Z", count=3, cost="2.5"),
    ]
    path = _write(tmp_path / "ads.jsonl", _lines(events))
    _code, out, _err = _replay(capsys, path)
    records = _records(out)
    assert _value(records, "ad_spend", "day:2026-11-20") == "10.0"
    assert _value(records, "ad_cpc", "day:2026-11-20") == "3.333333"
    assert _value(records, "ad_ctr", "day:2026-11-20") == 0.003


def test_empty_input_prints_no_records(tmp_path: Path, capsys) -> None:
    path = _write(tmp_path / "empty.jsonl", ["", "  "])
    code, out, err = _replay(capsys, path)
    assert (code, out) == (0, "")
    assert "0 valid, 0 rejected" in err


def test_installed_console_script_end_to_end(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("socialkpi")
    if not script.exists():
        unavailable("socialkpi console script not installed in this environment")
    data = "\n".join([*_lines(VALID), "garbage"]) + "\n"
    done = subprocess.run(
        [str(script), "replay", "-", "--strict"],
        input=data.encode(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    stderr = done.stderr.decode()
    assert "-:5: rejected:" in stderr
    records = _records(done.stdout.decode())
    assert _value(records, "messages_sent", "day:2026-11-20") == 1


def test_a_line_dated_9999_is_rejected_and_every_other_account_prints(
    tmp_path: Path, capsys
) -> None:
    """Issue 12: one valid-looking line dated 9999 used to end replay with `year 10000 is
    out of range` and no record at all."""
    other = sent("i9", "2026-11-20T09:00:00Z", account="rep-2")
    far = sent("i8", "9999-12-31T23:59:59Z", account="rep-3")
    path = _write(tmp_path / "events.jsonl", _lines([*VALID[:2], far, *VALID[2:], other]))
    code, out, err = _replay(capsys, path)
    assert code == 0
    assert f"{path}:3: rejected: occurred_at: implausible time" in err
    assert "implausible_time=1" in err and "Traceback" not in err
    records = _records(out)
    assert {r["account_id"] for r in records} == {"rep-1", "rep-2"}
    assert {r["as_of"] for r in records} == {"2026-11-20T12:00:00Z"}
    assert _value(records, "invitations_sent", "day:2026-11-19") == 2


def test_a_missing_file_is_one_line_and_exit_2(tmp_path: Path, capsys) -> None:
    present = _write(tmp_path / "events.jsonl", _lines(VALID))
    missing = str(tmp_path / "missing.jsonl")
    for argv in ([missing], [present, missing]):  # refused before any work
        code, out, err = _replay(capsys, *argv)
        assert (code, out) == (2, "")
        assert err == f"socialkpi replay: cannot read {missing}: No such file or directory\n"


def test_a_corrupt_gzip_names_the_file(tmp_path: Path, capsys) -> None:
    path = tmp_path / "events.jsonl.gz"
    path.write_bytes(gzip.compress(b"".join(line.encode() + b"\n" for line in _lines(VALID)))[:30])
    code, out, err = _replay(capsys, str(path))
    assert code == 2 and out == ""
    assert err.startswith(f"socialkpi replay: cannot read {path}: ") and err.count("\n") == 1


def test_warns_when_the_default_as_of_is_after_the_wall_clock(tmp_path: Path) -> None:
    from kpis.replay import replay
    from kpis.timeutil import parse_ts

    path = _write(tmp_path / "events.jsonl", _lines(VALID))
    for now, warned in (("2026-11-20T11:59:59Z", True), ("2026-11-20T12:00:00Z", False)):
        errors = io.StringIO()
        replay([path], errors=errors, clock=lambda now=now: parse_ts(now))
        lines = [line for line in errors.getvalue().splitlines() if "warning" in line]
        assert len(lines) == (1 if warned else 0)
        if warned:
            assert "2026-11-20T12:00:00Z" in lines[0] and "--as-of" in lines[0]
    errors = io.StringIO()
    replay([path], as_of=parse_ts("2026-11-20T12:00:00Z"), errors=errors, clock=lambda: 0)
    assert "warning" not in errors.getvalue()  # an explicit --as-of is the user's choice


def test_as_of_out_of_the_plausible_range_is_a_message(tmp_path: Path, capsys) -> None:
    path = _write(tmp_path / "events.jsonl", _lines(VALID))
    for as_of in ("9999-12-31T23:59:59Z", "1969-12-31T23:59:59Z", "2100-01-01T00:00:00Z"):
        code, out, err = _replay(capsys, path, "--as-of", as_of)
        assert (code, out) == (2, "")
        assert err.startswith("socialkpi: --as-of") and "Traceback" not in err
