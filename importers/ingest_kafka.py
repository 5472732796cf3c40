"""Reaching Kafka from `ingest-http`: retried with backoff, one line per failed attempt.

A broker that is down, a wrong bootstrap address or a refused SASL login is an operator's
problem, told in one line (what failed, where, which setting to check); the traceback is
logged at debug level only. The server listens meanwhile and answers 503 (retry later).
"""

from __future__ import annotations

import asyncio
import logging
import ssl

from aiokafka.conn import create_conn
from aiokafka.errors import (
    AuthenticationFailedError,
    AuthenticationMethodNotSupported,
    ClusterAuthorizationFailedError,
    IllegalSaslStateError,
    KafkaConnectionError,
    KafkaError,
    SaslAuthenticationFailed,
    TopicAuthorizationFailedError,
    UnsupportedSaslMechanismError,
)

from importers.writer import EventWriter, KafkaWriter
from streams.settings import WorkerSettings

log = logging.getLogger("socialkpi.ingest")
FIRST_RETRY_S = 0.5
_SASL_ERRORS = (
    AuthenticationFailedError,
    AuthenticationMethodNotSupported,
    IllegalSaslStateError,
    SaslAuthenticationFailed,
    UnsupportedSaslMechanismError,
)
_ACL_ERRORS = (ClusterAuthorizationFailedError, TopicAuthorizationFailedError)


def describe(error: BaseException, settings: WorkerSettings) -> str:
    """One line: what failed, where, and the settings to check (never a secret)."""
    where = settings.kafka_bootstrap
    name = type(error).__name__
    if isinstance(error, _SASL_ERRORS):
        return (
            f"Kafka at {where} refused the SASL login ({name}); check "
            "SOCIALKPI_KAFKA_SASL_MECHANISM, SOCIALKPI_KAFKA_SASL_USERNAME and "
            "SOCIALKPI_KAFKA_SASL_PASSWORD"
        )
    if isinstance(error, _ACL_ERRORS):
        return (
            f"Kafka at {where} denied access ({name}); check the ACLs of "
            "SOCIALKPI_KAFKA_SASL_USERNAME (create/describe/write on the SOCIALKPI_TOPIC_* topics)"
        )
    if isinstance(error, ssl.SSLError):
        return (
            f"TLS with Kafka at {where} failed ({name}); check SOCIALKPI_KAFKA_SSL_CAFILE, "
            "SOCIALKPI_KAFKA_SSL_CERTFILE and SOCIALKPI_KAFKA_SSL_KEYFILE"
        )
    if isinstance(error, KafkaError | OSError | TimeoutError):
        return f"Kafka not reachable at {where} ({name}); check SOCIALKPI_KAFKA_BOOTSTRAP"
    return f"Kafka setup at {where} failed ({name}: {str(error)[:300]})"  # e.g. topic layout


async def connect(
    writer: EventWriter, retry_max_s: float, ready: asyncio.Event, tried: asyncio.Event
) -> None:
    """Start `writer`, retrying a Kafka writer forever with doubling waits; sets `tried`
    after the first attempt and `ready` once started. Another writer (a file) that fails
    to open raises a one-line `ValueError`."""
    delay = FIRST_RETRY_S
    attempt = 0
    while True:
        attempt += 1
        try:
            if isinstance(writer, KafkaWriter):
                await probe(writer.settings)
            await writer.start()
        except Exception as error:
            if not isinstance(writer, KafkaWriter):
                raise ValueError(f"{writer.description}: {error}") from None
            line = describe(error, writer.settings)
            log.error("%s; retrying in %.1f s (attempt %d)", line, delay, attempt)
            log.debug("Kafka start failed", exc_info=True)
            tried.set()
            await close_quietly(writer)
            await asyncio.sleep(delay)
            delay = min(delay * 2, retry_max_s)
            continue
        if attempt > 1:
            log.info("connected to %s after %d attempts", writer.description, attempt)
        ready.set()
        tried.set()
        return


async def probe(settings: WorkerSettings) -> None:
    """Open one connection (with the SASL/TLS handshake) to a bootstrap server, to fail
    with the real cause: the client's own bootstrap turns a refused login into "Unable to
    bootstrap", and the writer's start retries a refused connection for seconds."""
    auth = settings.aiokafka_auth()
    failure: BaseException | None = None
    for server in settings.bootstrap_servers:
        host, _, port = server.rpartition(":") if ":" in server else (server, "", "9092")
        try:
            conn = await create_conn(host.strip("[]"), int(port), request_timeout_ms=10_000, **auth)
        except (OSError, KafkaError, TimeoutError, ValueError) as error:
            failure = error
            continue
        conn.close()
        return
    raise failure or KafkaConnectionError("no bootstrap server")


async def close_quietly(writer: EventWriter) -> None:
    """Drop a half-started producer before the next attempt."""
    try:
        await writer.close()
    except Exception:
        log.debug("closing the half-started writer failed", exc_info=True)
