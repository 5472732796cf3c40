"""Settings of `socialkpi ingest-http` (prefix `SOCIALKPI_INGEST_`, one variable per field,
e.g. `SOCIALKPI_INGEST_BODY_TIMEOUT_S`); Kafka itself comes from the worker's settings
(`streams.settings.WorkerSettings`), so both agree on the broker, SASL/TLS and topic names.

`PublishSettings` (prefix `SOCIALKPI_PUBLISH_`) is how every importer that writes to Kafka
(`import`, `generate`, `ingest-http`) packs events into batch messages (`models.batch`).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.batch import DEFAULT_BATCH_BYTES, DEFAULT_BATCH_EVENTS, MAX_BATCH_ITEMS

# A full batch must fit in the body limit with room to spare: contract events are ~270
# bytes (the largest kind ~410, `socialkpi generate`), so 512 bytes per event is the floor.
MIN_BYTES_PER_EVENT = 512


class IngestSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOCIALKPI_INGEST_", extra="ignore", frozen=True)

    token: SecretStr = Field(
        description="Bearer token every request must carry (header `Authorization: Bearer "
        "TOKEN`, or `?token=` for vendors that cannot set headers). Secret: never logged."
    )
    host: str = Field("127.0.0.1", description="Listen address (0.0.0.0 behind a proxy).")
    port: int = Field(8088, ge=0, le=65535, description="Listen port (0 = any free port).")
    max_body_bytes: int = Field(
        4 * 1024 * 1024,
        ge=1024,
        description="Largest request body; larger ones get 413. At least "
        f"{MIN_BYTES_PER_EVENT} x max_batch_events, so a full batch always fits.",
    )
    max_batch_events: int = Field(
        5000, ge=1, description="Most events (or webhook payloads) in one request; more: 413."
    )
    header_timeout_s: float = Field(
        10.0,
        gt=0,
        description="Time a client has to send the request line and headers (from the "
        "connection or the previous answer); slower connections are closed.",
    )
    body_timeout_s: float = Field(
        30.0, gt=0, description="Time a client has to send the body once headers are in; 408."
    )
    kafka_retry_max_s: float = Field(
        30.0,
        gt=0,
        description="Longest wait between two attempts to reach Kafka at start (doubling "
        "from 0.5 s); requests meanwhile get 503.",
    )
    vendor_dir: str | None = Field(
        None, description="Directory of extra vendor mappings (*.json), see docs/importers.md."
    )

    @field_validator("token")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 16:
            raise ValueError("the ingest token needs at least 16 characters")
        return value

    @model_validator(mode="after")
    def _limits_agree(self) -> IngestSettings:
        floor = self.max_batch_events * MIN_BYTES_PER_EVENT
        if self.max_body_bytes < floor:
            raise ValueError(
                f"max_body_bytes {self.max_body_bytes} cannot hold a full batch of "
                f"{self.max_batch_events} events: raise it to at least {floor} or lower "
                "max_batch_events"
            )
        return self


class PublishSettings(BaseSettings):
    """How events are packed into Kafka messages (contract 1.1 batch messages): consecutive
    events of one account and topic share a message up to both limits; a lone event, or
    `batch_events` = 1, is a plain single-event message (what a worker older than 1.1
    reads: upgrade the workers first, or publish with batch_events 1)."""

    model_config = SettingsConfigDict(env_prefix="SOCIALKPI_PUBLISH_", extra="ignore", frozen=True)

    batch_events: int = Field(
        DEFAULT_BATCH_EVENTS,
        ge=1,
        le=MAX_BATCH_ITEMS,
        description="Most events in one Kafka message (1 = one event per message). At most "
        f"{MAX_BATCH_ITEMS}, the most a worker accepts in one batch.",
    )
    batch_bytes: int = Field(
        DEFAULT_BATCH_BYTES,
        ge=1024,
        le=64 * 1024 * 1024,
        description="Most body bytes in one batch message (events plus newlines). Keep it "
        "below the topics' max.message.bytes (broker default 1 MiB) with room for the key "
        "and headers; an event larger than this goes alone.",
    )


def publish_settings(**overrides: Any) -> PublishSettings:
    """`PublishSettings` (overrides over SOCIALKPI_PUBLISH_*), a bad value as one
    `ValueError` line naming its variable."""
    try:
        return PublishSettings(**overrides)
    except ValidationError as error:
        first = error.errors(include_url=False, include_input=False)[0]
        field = ".".join(str(p) for p in first["loc"]) or "settings"
        raise ValueError(f"SOCIALKPI_PUBLISH_{field.upper()}: {first['msg']}") from None
