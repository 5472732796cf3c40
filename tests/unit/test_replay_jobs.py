"""`socialkpi replay --jobs N` (issue 14): the same stdout and stderr as `--jobs 1`, byte for
byte, with bad and blank lines, stdin, `.gz`, several files, `--as-of` and lines whose
account id only a validation can read; and `kpis.replay_jobs.account_key` never routes a
valid event anywhere but to its account."""

from __future__ import annotations

import gzip
import io
import json
import sys
from pathlib import Path

import pytest

from cli.main import main
from gen.synthetic import GeneratorConfig, generate_events, write_events
from kpis import replay_jobs
from kpis.replay_jobs import Assignment, ReplayWorkerError, _block_keys, account_key
from models import EventRejected, parse_event

from .helpers import accepted, msg_sent, sent

AS_OF = "2026-03-05T12:00:00Z"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["replay", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _same_for_any_jobs(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[str, str]:
    """Replay with 1, 2 and 3 processes: identical exit code, stdout and stderr."""
    one = _run(capsys, *argv, "--jobs", "1")
    for jobs in ("2", "3"):
        assert _run(capsys, *argv, "--jobs", jobs) == one, f"--jobs {jobs}"
    assert one[1], "no record at all: the comparison would prove nothing"
    return one[1], one[2]


def _misleading_lines() -> list[str]:
    """Valid lines whose first plain `"account_id"` is not their account: for every pair of
    accounts around the ring, so some pair sits in two processes whatever the assignment."""
    lines = []
    for n in range(8):
        mine, other = f"rep-{n}", f"rep-{(n + 1) % 8}"
        at = f"2026-03-03T0{n}:30:00Z"
        # a duplicated key: the last one counts
        body = json.dumps(sent(f"dup{n}", at, account=other))
        lines.append(body[:-1] + f', "account_id": "{mine}"}}')
        # an escaped top-level key and a nested plain one
        escaped = {**sent(f"esc{n}", at, account=mine), "x": {"account_id": other}}
        lines.append(json.dumps(escaped).replace('"account_id"', '"account\\u005fid"', 1))
    return lines


def _tricky_lines() -> list[str]:
    """Lines of several accounts, some of whose account id the cheap scan must not trust."""
    lines = [json.dumps(e) for e in _events()]
    spaced = json.dumps(sent("sp1", "2026-03-03T09:00:00Z", account="rep-x"), indent=None)
    escaped_key = json.dumps(sent("esc1", "2026-03-03T09:05:00Z", account="rep-x")).replace(
        '"account_id"', '"account\\u005fid"'
    )
    # the same account as raw UTF-8 and as an escape: one account, wherever it lands
    unicode_raw = json.dumps(
        sent("u1", "2026-03-03T10:00:00Z", account="rep-é"), ensure_ascii=False
    )
    unicode_escaped = json.dumps(sent("u2", "2026-03-03T10:05:00Z", account="rep-é"))
    quoted = json.dumps(sent("q1", "2026-03-03T11:10:00Z", account='rep-"q"'))
    misleading = _misleading_lines()
    return [
        *lines[:5],
        "",  # blank: neither valid nor rejected
        "{not json",
        spaced,
        escaped_key,
        "   ",
        unicode_raw,
        '{"type": "invitation.sent", "account_id": 7}',
        *lines[5:12],
        *misleading[:8],
        unicode_escaped,
        quoted,
        json.dumps({**_events()[0], "invitation_id": 5, "account_id": "rep-3"}),  # bad field
        '{"event_id": "t1", "account_id": "rep-4", "type": "invitation.sent", "occ',  # cut
        *lines[12:20],
        *misleading[8:],
        *lines[20:],
    ]


def _events() -> list[dict[str, object]]:
    events: list[dict[str, object]] = []
    for n in range(8):
        account = f"rep-{n}"
        events += [
            sent(f"i{n}a", "2026-03-02T09:00:00Z", account=account),
            sent(f"i{n}b", "2026-03-02T10:00:00Z", account=account),
            accepted(f"i{n}a", "2026-03-03T11:00:00Z", account=account),
            msg_sent(f"c{n}", f"2026-03-0{2 + n % 3}T12:00:00Z", account=account),
        ]
    return events


def _write(path: Path, lines: list[str], newline_at_end: bool = True) -> str:
    text = "\n".join(lines) + ("\n" if newline_at_end else "")
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text, encoding="utf-8")
    return str(path)


def test_tricky_log_same_output_and_rejections_for_any_jobs(tmp_path: Path, capsys) -> None:
    path = _write(tmp_path / "tricky.jsonl", _tricky_lines(), newline_at_end=False)
    out, err = _same_for_any_jobs(capsys, path)
    accounts = {json.loads(line)["account_id"] for line in out.splitlines()}
    assert accounts == {"rep-x", "rep-é", 'rep-"q"', *(f"rep-{n}" for n in range(8))}
    assert f"{path}:7: rejected: malformed JSON" in err
    assert f"{path}:6:" not in err and f"{path}:10:" not in err  # blank lines
    assert err.count(": rejected: ") == 4
    assert ", 4 rejected" in err


def test_stdin_gzip_several_files_and_as_of(tmp_path: Path, capsys, monkeypatch) -> None:
    lines = _tricky_lines()
    first = _write(tmp_path / "a.jsonl.gz", lines[:15])
    second = _write(tmp_path / "b.jsonl", lines[15:])
    _same_for_any_jobs(capsys, first, second)
    _same_for_any_jobs(capsys, first, second, "--as-of", AS_OF, "--strict")
    _same_for_any_jobs(capsys, second, "--format", "table")
    data = "".join(line + "\n" for line in lines).encode()

    def stdin() -> io.TextIOWrapper:
        return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")

    results = []
    for jobs in ("1", "2"):
        monkeypatch.setattr(sys, "stdin", stdin())
        results.append(_run(capsys, "-", "--jobs", jobs))
    assert results[0] == results[1]
    assert "-:7: rejected: malformed JSON" in results[0][2]


def test_generated_noisy_log(tmp_path: Path, capsys) -> None:
    """Duplicates, late events, invalid lines and mixed offsets of the generator."""
    config = GeneratorConfig(invalid_rate=0.01, offset_rate=0.5)
    path = str(tmp_path / "noisy.jsonl")
    write_events(path, generate_events(3, 6, 4, config=config))
    _out, err = _same_for_any_jobs(capsys, path)
    assert "rejected (" in err


def test_accounts_first_seen_after_the_sample(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(replay_jobs, "SAMPLE_LINES", 3)
    path = _write(tmp_path / "events.jsonl", _tricky_lines())
    _same_for_any_jobs(capsys, path)


def test_a_failing_worker_is_an_error_not_a_hang(tmp_path: Path, capsys, monkeypatch) -> None:
    from kpis.engine import Engine

    def broken(self: Engine, as_of: int) -> list[object]:
        raise RuntimeError("evaluation broke")

    monkeypatch.setattr(Engine, "evaluate", broken)  # the forked workers inherit it
    path = _write(tmp_path / "events.jsonl", _tricky_lines())
    if replay_jobs.sys.platform != "linux":
        pytest.skip("workers are spawned, not forked, so they do not see the patch")
    with pytest.raises(ReplayWorkerError, match="evaluation broke"):
        replay_jobs.replay_jsonl_sharded([path], io.BytesIO(), 2, errors=io.StringIO())
    code, out, err = _run(capsys, path, "--jobs", "2")
    assert (code, out) == (1, "") and "evaluation broke" in err


def _validated_account(line: str) -> str | None:
    try:
        return parse_event(line).account_id
    except EventRejected:
        return None


def test_account_key_is_the_validated_account_of_every_valid_line() -> None:
    clean = [json.dumps(e).encode() + b"\n" for e in _events()[:6]]
    for line in [*_tricky_lines(), *_misleading_lines()]:
        raw = line.encode()
        key = account_key(raw)
        account = _validated_account(line)
        if not line.strip():
            assert key is None
        elif account is not None:
            assert key == account.encode(), line
        # the block-wise scan agrees, the line alone among clean ones or at either end
        for block in ([*clean[:3], raw + b"\n", *clean[3:]], [raw, *clean], [*clean, raw]):
            assert _block_keys(block) == [account_key(item) for item in block], line


def test_assignment_balances_lines_and_depends_on_the_input_only() -> None:
    from collections import Counter

    counts = Counter({b"a": 50, b"b": 30, b"c": 20, b"d": 10, b"e": 10})
    first, second = Assignment(2), Assignment(2)
    first.plan(counts)
    second.plan(Counter(dict(reversed(counts.items()))))
    assert first.of == second.of == {b"a": 0, b"b": 1, b"c": 1, b"d": 0, b"e": 1}
    first.loads = [5, 3]
    assert first.new(b"f") == 1 and first.of[b"f"] == 1
