"""WorkerSettings from the environment, secrets kept out of reprs, Kafka auth for Faust."""

from __future__ import annotations

import faust
import pytest
from pydantic import ValidationError

from sinks.settings import SinkSettings
from streams.app import KpiWorker
from streams.settings import WorkerSettings


def test_environment_and_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCIALKPI_TOPIC_ADS", "acme.ads")
    monkeypatch.setenv("SOCIALKPI_PARTITIONS", "8")
    monkeypatch.setenv("SOCIALKPI_AS_OF", "2026-11-20T12:00:00+01:00")
    monkeypatch.setenv("SOCIALKPI_REDIS_URL", "redis://:hunter2@redis:6379/0")
    settings = WorkerSettings()
    assert settings.topics["ads"] == "acme.ads"
    assert settings.topics["interactions"] == "linkedin.interactions"
    assert settings.dead_letter_topic == "linkedin.dead-letters"
    assert settings.partitions == 8
    assert settings.as_of_us == 1_795_172_400_000_000  # 11:00Z
    assert "hunter2" not in repr(settings) and "hunter2" not in str(settings.model_dump())
    sinks = SinkSettings()  # the same environment configures the sinks
    assert sinks.redis_url.get_secret_value().endswith("@redis:6379/0")
    assert "hunter2" not in repr(sinks)


@pytest.mark.parametrize(
    "values",
    [
        {"as_of": "2026-11-20T12:00:00"},  # no offset
        {"kafka_sasl_mechanism": "PLAIN"},  # no user / password
        {"kafka_sasl_mechanism": "GSSAPI", "kafka_sasl_username": "u", "kafka_sasl_password": "p"},
        {"kafka_ssl_certfile": "/c.pem"},  # no key
        {"store": "rocksdb://"},
        {"topic_ads": "linkedin.dead-letters"},
        {"heartbeat_interval_s": 5, "session_timeout_s": 10},
    ],
)
def test_invalid_settings_are_refused(values: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        WorkerSettings(**values)  # type: ignore[arg-type]


def test_sasl_credentials_reach_faust_and_aiokafka() -> None:
    settings = WorkerSettings(
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username="worker",
        kafka_sasl_password="s3cret",  # type: ignore[arg-type]
        publish_redis=False,
    )
    auth = settings.aiokafka_auth()
    assert auth["security_protocol"] == "SASL_PLAINTEXT"
    assert auth["sasl_mechanism"] == "SCRAM-SHA-512" and auth["sasl_plain_password"] == "s3cret"
    assert "s3cret" not in repr(settings)
    worker = KpiWorker(settings)
    credentials = worker.app.conf.broker_credentials
    assert isinstance(credentials, faust.SASLCredentials)
    assert credentials.mechanism.value == "SCRAM-SHA-512" and credentials.password == "s3cret"
    assert worker.app.conf.table_standby_replicas == 0
    assert sorted(worker.app.agents) == sorted(
        f"socialkpi.ingest.{short}" for short in settings.topics
    )
