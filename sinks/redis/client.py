"""Redis connections: `connection_options` (AUTH, TLS, timeouts) and clients from settings."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis
import redis.asyncio as aioredis
from pydantic import SecretStr

from sinks.settings import SinkSettings


def redact_url(url: str) -> str:
    """The URL with its password replaced by ``***`` (for messages and logs)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))


def connection_options(
    url: str,
    *,
    username: str | None = None,
    password: SecretStr | str | None = None,
    ca_file: str | None = None,
    cert_file: str | None = None,
    key_file: str | None = None,
) -> dict[str, Any]:
    """Keyword arguments of ``Redis.from_url(url, ...)``: AUTH (the URL's user/password win
    over these) and TLS files (a ``rediss://`` URL turns TLS on)."""
    options: dict[str, Any] = {"socket_connect_timeout": 5, "socket_timeout": 30}
    if username:
        options["username"] = username
    if password is not None:
        secret = password.get_secret_value() if isinstance(password, SecretStr) else password
        options["password"] = secret
    tls_files = ca_file or cert_file or key_file
    if tls_files and not url.startswith("rediss://"):
        raise ValueError("Redis TLS files need a rediss:// URL")
    if ca_file:
        options["ssl_ca_certs"] = ca_file
    if cert_file:
        options["ssl_certfile"] = cert_file
    if key_file:
        options["ssl_keyfile"] = key_file
    return options


def _settings_options(settings: SinkSettings) -> tuple[str, dict[str, Any]]:
    url = settings.redis_url.get_secret_value()
    return url, connection_options(
        url,
        username=settings.redis_username,
        password=settings.redis_password,
        ca_file=settings.redis_ssl_ca_file,
        cert_file=settings.redis_ssl_cert_file,
        key_file=settings.redis_ssl_key_file,
    )


def async_client(settings: SinkSettings) -> aioredis.Redis:
    url, options = _settings_options(settings)
    return aioredis.Redis.from_url(url, **options)


def sync_client(settings: SinkSettings) -> redis.Redis:
    url, options = _settings_options(settings)
    return redis.Redis.from_url(url, decode_responses=True, **options)
