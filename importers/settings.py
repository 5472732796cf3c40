"""Settings of `socialkpi ingest-http` (prefix `SOCIALKPI_INGEST_`); Kafka itself comes from
the worker's settings (`streams.settings.WorkerSettings`), so both agree on the broker,
SASL/TLS and topic names.
"""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class IngestSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOCIALKPI_INGEST_", extra="ignore", frozen=True)

    token: SecretStr = Field(
        description="Bearer token every request must carry (header `Authorization: Bearer "
        "TOKEN`, or `?token=` for vendors that cannot set headers). Secret: never logged."
    )
    host: str = Field("127.0.0.1", description="Listen address (0.0.0.0 behind a proxy).")
    port: int = Field(8088, ge=0, le=65535, description="Listen port (0 = any free port).")
    max_body_bytes: int = Field(
        1024 * 1024, ge=1024, description="Largest request body; larger ones get 413."
    )
    max_batch_events: int = Field(
        5000, ge=1, description="Most events (or webhook payloads) in one request; more: 413."
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
