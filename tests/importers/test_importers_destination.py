"""The destination rule: --output FILE, else Kafka when --kafka or SOCIALKPI_KAFKA_BOOTSTRAP,
else an error; and an import read back from the real broker."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from importer_kit import FIXTURES, consume, topic_env, worker_settings

from cli.main import main
from importers.writer import DestinationError, JsonlWriter, KafkaWriter, choose_destination


def test_rule() -> None:
    assert isinstance(choose_destination("out.jsonl", False, {}), JsonlWriter)
    env = {"SOCIALKPI_KAFKA_BOOTSTRAP": "127.0.0.1:1"}
    assert isinstance(choose_destination("out.jsonl", False, env), JsonlWriter)  # explicit wins
    assert isinstance(choose_destination(None, False, env), KafkaWriter)
    assert isinstance(choose_destination(None, True, {}), KafkaWriter)
    with pytest.raises(DestinationError, match="no destination"):
        choose_destination(None, False, {})
    with pytest.raises(DestinationError, match="exclude each other"):
        choose_destination("out.jsonl", True, {})


def test_output_and_kafka_flags_exclude_each_other(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["generate", "--output", "x.jsonl", "--kafka"])
    assert "not allowed with argument" in capsys.readouterr().err


@pytest.mark.integration
def test_import_goes_to_kafka_when_a_broker_is_configured(
    kafka_bootstrap: str, unique_name: str, monkeypatch, capsys, tmp_path: Path
) -> None:
    settings = worker_settings(kafka_bootstrap, unique_name)
    for name, value in topic_env(settings).items():
        monkeypatch.setenv(name, value)
    report = FIXTURES / "campaign_manager" / "campaign_performance_report_2026-11-04.csv"
    for _ in range(2):  # a re-import: the same five messages again, same ids
        assert main(["import", "campaign-manager", str(report), "--account", "page-demo"]) == 0
    assert "wrote 5 events to Kafka" in capsys.readouterr().err
    got = asyncio.run(consume(kafka_bootstrap, list(settings.topics.values()), 10))
    assert len(got) == 10
    assert {(topic, key) for topic, key, _v in got} == {(settings.topics["ads"], b"page-demo")}
    ids = [json.loads(value)["event_id"] for _t, _k, value in got]
    assert len(set(ids)) == 5


def test_unreachable_broker_is_a_message(monkeypatch, capsys, unique_name: str) -> None:
    monkeypatch.setenv("SOCIALKPI_KAFKA_BOOTSTRAP", "127.0.0.1:9")  # discard port: refused
    monkeypatch.setenv("SOCIALKPI_CREATE_TOPICS", "false")
    report = FIXTURES / "campaign_manager" / "campaign_performance_report_2026-11-04.csv"
    code = main(["import", "campaign-manager", str(report), "--account", "page-demo"])
    assert code == 2
    assert "socialkpi: Kafka:" in capsys.readouterr().err
