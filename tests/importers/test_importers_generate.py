"""`socialkpi generate`: gen's stream, to a file and to the real broker at a given rate."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import Counter
from pathlib import Path

import pytest
from importer_kit import consume, read_jsonl, records, topic_env, worker_settings

from cli.main import main
from gen.synthetic import GeneratorConfig, generate_events, write_events
from streams.settings import topic_for_type


def generate(capsys, *argv: str) -> str:
    assert main(["generate", *argv]) == 0
    return capsys.readouterr().err


def test_file_is_the_project_generator_stream(tmp_path: Path, capsys) -> None:
    out, reference = tmp_path / "gen.jsonl", tmp_path / "ref.jsonl"
    err = generate(capsys, "--accounts", "4", "--days", "5", "--seed", "3", "--output", str(out))
    write_events(str(reference), generate_events(3, 4, 5, "2026-03-02", None, GeneratorConfig()))
    assert out.read_bytes() == reference.read_bytes()
    assert f"to {out}" in err
    events = read_jsonl(out)
    types = Counter(e["type"] for e in events)
    assert {e["account_id"] for e in events} == {"rep-01", "rep-02", "rep-03", "page-acme"}
    # posts seen as events and as snapshots, invitations, replies, ads with daily reports
    for kind in (
        "post.published",
        "post.interaction",
        "post.snapshot",
        "invitation.sent",
        "invitation.accepted",
        "message.sent",
        "message.received",
        "ad.impression",
        "ad.daily_report",
        "profile.snapshot",
    ):
        assert types[kind] > 0, kind
    ids = Counter((e["account_id"], e["event_id"]) for e in events)
    assert any(n > 1 for n in ids.values())  # re-sent duplicates
    times = [e["occurred_at"] for e in events if e["occurred_at"].endswith("Z")]
    assert times != sorted(times)  # late deliveries
    reports = Counter(
        (e["account_id"], e["date"], e["campaign_id"], e["creative_id"])
        for e in events
        if e["type"] == "ad.daily_report"
    )
    assert max(reports.values()) > 1  # restated days
    assert "post_hourly_views" in {r.kpi for r in records(out)}  # 48-hour curves


def test_acceptance_rate_is_configurable(tmp_path: Path, capsys) -> None:
    def cohort_rate(acceptance: str) -> float:
        out = tmp_path / f"a{acceptance}.jsonl"
        generate(
            capsys,
            "--accounts",
            "2",
            "--days",
            "10",
            "--acceptance",
            acceptance,
            "--output",
            str(out),
        )
        found = [r for r in records(out) if r.period.startswith("day:2026-03")]
        sent = sum(int(r.value) for r in found if r.kpi == "invitation_cohort_sent")
        accepted = sum(int(r.value) for r in found if r.kpi == "invitation_cohort_accepted")
        return accepted / sent

    assert cohort_rate("0.9") > 0.75
    assert cohort_rate("0.1") < 0.2


@pytest.mark.integration
def test_kafka_at_a_rate(kafka_bootstrap: str, unique_name: str, capsys, monkeypatch) -> None:
    settings = worker_settings(kafka_bootstrap, unique_name)
    for name, value in topic_env(settings).items():
        monkeypatch.setenv(name, value)
    started = time.monotonic()
    err = generate(capsys, "--events", "300", "--rate", "600", "--accounts", "2")  # env: Kafka
    elapsed = time.monotonic() - started
    assert "generate: 300 events to Kafka" in err
    assert elapsed >= 0.45  # 300 events at 600/s
    got = asyncio.run(consume(kafka_bootstrap, list(settings.topics.values()), 300))
    assert len(got) == 300
    for topic, key, value in got:
        event = json.loads(value)
        assert key == event["account_id"].encode()
        assert topic == settings.topics[topic_for_type(event["type"])]
    started = time.monotonic()
    err = generate(capsys, "--duration", "1", "--rate", "150", "--kafka", "--seed", "9")
    assert 0.9 <= time.monotonic() - started < 10
    sent = int(re.search(r"generate: (\d+) events", err).group(1))  # type: ignore[union-attr]
    assert 140 <= sent <= 150  # about rate x duration; the clock may stop the last chunk
