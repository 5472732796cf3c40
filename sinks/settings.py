"""Settings of the sinks (Redis view, privacy keys, Prometheus exporter).

Environment variables with the prefix ``SOCIALKPI_`` (one per field, e.g.
``SOCIALKPI_PSEUDONYM_KEY``). The Redis URL, prefix and TTL use the same names as
``streams.settings.WorkerSettings``, so one environment configures both. Secrets (keys,
passwords, a URL that may carry a password) are ``SecretStr``: never in ``repr`` or logs.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class SinkSettings(BaseSettings):
    """Settings of `sinks/` (``SinkSettings()`` reads the environment)."""

    model_config = SettingsConfigDict(
        env_prefix="SOCIALKPI_", extra="ignore", validate_default=True, frozen=True
    )

    # --- privacy --------------------------------------------------------------------------
    pseudonym_key: SecretStr | None = Field(
        None,
        description="Key of the member-id pseudonyms (HMAC-SHA256): 32 random bytes, base64, "
        "base64url or hex (`python -m sinks.privacy`). Required to publish member lists.",
    )
    reveal_key: SecretStr | None = Field(
        None,
        description="AES-256-GCM key that encrypts member ids a person must act on (warm "
        "prospects, stale invitations), same format. Unset = ids are pseudonymized only.",
    )

    # --- Redis ----------------------------------------------------------------------------
    redis_url: SecretStr = Field(
        SecretStr("redis://127.0.0.1:16379/0"),
        description="redis:// or rediss:// (TLS) URL; may carry user and password.",
    )
    redis_username: str | None = Field(
        None, description="ACL user name, used when the URL carries none."
    )
    redis_password: SecretStr | None = Field(
        None, description="Redis password (AUTH), used when the URL carries none."
    )
    redis_ssl_ca_file: str | None = Field(
        None, description="CA bundle that signs the Redis server certificate (rediss:// only)."
    )
    redis_ssl_cert_file: str | None = Field(
        None, description="Client certificate (PEM) for mutual TLS; needs redis_ssl_key_file."
    )
    redis_ssl_key_file: str | None = Field(None, description="Private key of the client cert.")
    redis_prefix: str = Field("socialkpi:", description="Prefix of every Redis key.")
    redis_ttl_s: int = Field(
        3600, ge=1, description="TTL of every Redis key, refreshed by each publication."
    )
    redis_batch_commands: int = Field(
        5000, ge=10, description="Commands sent per pipeline round trip during one flush."
    )

    # --- Prometheus -----------------------------------------------------------------------
    metrics_port: int = Field(9464, ge=0, le=65535, description="Port of /metrics (0 = any).")
    metrics_addr: str = Field(
        "127.0.0.1",
        description="Address /metrics listens on; 0.0.0.0 to be scraped from another host.",
    )
    metrics_recent_posts: int = Field(
        20, ge=0, description="Per-post series are exported for this many most recent posts."
    )

    def redis_address(self) -> str:
        """host:port/db of the Redis URL, without credentials (safe to print)."""
        parts = urlsplit(self.redis_url.get_secret_value())
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{parts.hostname}{port}{parts.path}"

    @model_validator(mode="after")
    def _check_tls(self) -> SinkSettings:
        tls_files = self.redis_ssl_ca_file or self.redis_ssl_cert_file or self.redis_ssl_key_file
        if tls_files and not self.redis_url.get_secret_value().startswith("rediss://"):
            raise ValueError("redis_ssl_* files need a rediss:// redis_url")
        if bool(self.redis_ssl_cert_file) != bool(self.redis_ssl_key_file):
            raise ValueError("redis_ssl_cert_file and redis_ssl_key_file go together")
        return self
