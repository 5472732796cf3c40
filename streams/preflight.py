"""Before the worker starts: reach Kafka and Redis, or say in one line what to check.

Faust and aiokafka report an unreachable broker as one log line per attempt and then a
traceback; a wrong password as a traceback every evaluation. Here each service is probed
first: unreachable → one line naming the address and the setting, retried with backoff
(a broker that is still starting comes up); refused credentials → one line and exit 2
(waiting will not fix a wrong password). `--log-level debug` keeps the libraries' output.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

from aiokafka.conn import create_conn
from aiokafka.errors import KafkaError, SaslAuthenticationFailed, UnsupportedSaslMechanismError
from redis import exceptions as redis_errors

from sinks.redis.client import async_client
from sinks.settings import SinkSettings
from streams.settings import WorkerSettings

log = logging.getLogger("streams")
EXIT_CONFIG = 2


class Refused(Exception):
    """A service answered and refused us (credentials): retrying will not help."""


@contextmanager
def quiet(*loggers: str, debug: bool) -> Iterator[None]:
    """Mute the libraries' per-attempt logging while we say it once."""
    saved = [(name, logging.getLogger(name).level) for name in loggers]
    if not debug:
        for name in loggers:
            logging.getLogger(name).setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for name, level in saved:
            logging.getLogger(name).setLevel(level)


async def probe_kafka(settings: WorkerSettings) -> None:
    """One connection to a bootstrap server, with the worker's security settings: the
    client's own bootstrap folds a refused login into "unable to bootstrap"."""
    failures = []
    for server in settings.bootstrap_servers:
        host, _, port = server.rpartition(":")
        try:
            conn = await create_conn(
                host, int(port), request_timeout_ms=10_000, **settings.aiokafka_auth()
            )
        except (SaslAuthenticationFailed, UnsupportedSaslMechanismError) as error:
            raise Refused(type(error).__name__) from None
        except (TimeoutError, OSError, KafkaError) as error:
            failures.append(f"{type(error).__name__}: {error}".strip(": "))
            continue
        conn.close()
        return
    raise ConnectionError("; ".join(failures))


async def probe_redis(settings: SinkSettings) -> None:
    client = async_client(settings)
    try:
        await client.ping()
    except (redis_errors.AuthenticationError, redis_errors.AuthorizationError) as error:
        raise Refused(type(error).__name__) from None
    except redis_errors.ResponseError as error:
        if "NOAUTH" in str(error) or "WRONGPASS" in str(error):
            raise Refused("NOAUTH / WRONGPASS") from None
        raise
    except (redis_errors.ConnectionError, OSError) as error:
        raise ConnectionError(type(error).__name__) from None
    finally:
        await client.aclose()


async def wait_for(
    what: str,
    where: str,
    settings_hint: str,
    probe: Callable[[], Awaitable[None]],
    attempts: int | None = None,
) -> None:
    """Probe until it answers, backing off 1 → 30 s; a refusal exits at once."""
    delay, attempt = 1.0, 0
    while True:
        attempt += 1
        try:
            await probe()
            if attempt > 1:
                log.info("%s at %s reachable again", what, where)
            return
        except Refused as refused:
            print(
                f"socialkpi worker: {what} at {where} refused the credentials ({refused}); "
                f"check {settings_hint}",
                file=sys.stderr,
            )
            raise SystemExit(EXIT_CONFIG) from None
        except (TimeoutError, ConnectionError, OSError) as error:
            if attempts is not None and attempt >= attempts:
                print(
                    f"socialkpi worker: {what} unreachable at {where} ({error}); "
                    f"check {settings_hint}",
                    file=sys.stderr,
                )
                raise SystemExit(EXIT_CONFIG) from None
            log.warning(
                "%s unreachable at %s (%s); check %s; retrying in %.0f s",
                what,
                where,
                error,
                settings_hint,
                delay,
            )
            await asyncio.sleep(delay)
            delay = min(30.0, delay * 2)


async def preflight(
    settings: WorkerSettings, sinks: SinkSettings, attempts: int | None = None
) -> None:
    """Kafka, then Redis (when the worker publishes there)."""
    debug = settings.log_level.lower() == "debug"
    with quiet("aiokafka", "kafka", debug=debug):
        await wait_for(
            "Kafka",
            ",".join(settings.bootstrap_servers),
            "SOCIALKPI_KAFKA_BOOTSTRAP and SOCIALKPI_KAFKA_SASL_* / _SSL_*",
            lambda: probe_kafka(settings),
            attempts,
        )
    if settings.publish_redis:
        with quiet("redis", debug=debug):
            await wait_for(
                "Redis",
                sinks.redis_address(),
                "SOCIALKPI_REDIS_URL and SOCIALKPI_REDIS_PASSWORD / _USERNAME / _SSL_*",
                lambda: probe_redis(sinks),
                attempts,
            )
