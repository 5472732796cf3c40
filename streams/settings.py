"""Worker settings: environment variables with the prefix ``SOCIALKPI_`` (one per field).

Every field is documented below; ``WorkerSettings()`` reads the environment, tests pass
values directly. Secrets (Kafka SASL password, a Redis URL that may carry a password) are
``SecretStr``: they never show in ``repr`` or logs.
"""

from __future__ import annotations

import ssl
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from kpis.timeutil import parse_ts

# Default input topics of the spec, by short name (the event family).
DEFAULT_TOPICS = {
    "interactions": "linkedin.interactions",
    "invitations": "linkedin.invitations",
    "messages": "linkedin.messages",
    "ads": "linkedin.ads",
    "profile": "linkedin.profile",
    "outcomes": "linkedin.outcomes",
}

# The input topic (short name) of each event family, the part of `type` before the dot.
FAMILY_TOPICS = {
    "post": "interactions",
    "invitation": "invitations",
    "message": "messages",
    "ad": "ads",
    "profile": "profile",
    "outcome": "outcomes",
}


def topic_for_type(event_type: object) -> str:
    """Short name of the input topic for an event type (anything unknown: interactions, where
    the worker dead-letters it with its reason)."""
    family = event_type.split(".", 1)[0] if isinstance(event_type, str) else ""
    return FAMILY_TOPICS.get(family, "interactions")


SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]


class WorkerSettings(BaseSettings):
    """Settings of ``socialkpi worker`` (``python -m streams``)."""

    model_config = SettingsConfigDict(
        env_prefix="SOCIALKPI_", extra="ignore", validate_default=True, frozen=True
    )

    # --- Kafka connection -----------------------------------------------------------------
    kafka_bootstrap: str = Field(
        "127.0.0.1:19092", description="Kafka bootstrap servers, comma separated host:port."
    )
    kafka_sasl_mechanism: SaslMechanism | None = Field(
        None, description="SASL mechanism (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512); unset = no SASL."
    )
    kafka_sasl_username: str | None = Field(None, description="SASL user name.")
    kafka_sasl_password: SecretStr | None = Field(None, description="SASL password (secret).")
    kafka_ssl_cafile: str | None = Field(
        None, description="CA bundle that signs the brokers' certificates; enables TLS."
    )
    kafka_ssl_certfile: str | None = Field(
        None, description="Client certificate (PEM) for mutual TLS; needs kafka_ssl_keyfile."
    )
    kafka_ssl_keyfile: str | None = Field(None, description="Private key (PEM) of the client cert.")
    kafka_ssl: bool = Field(
        False, description="Use TLS with the system CAs even without kafka_ssl_cafile."
    )

    # --- Topics ---------------------------------------------------------------------------
    topic_interactions: str = Field(DEFAULT_TOPICS["interactions"], description="post.* events.")
    topic_invitations: str = Field(DEFAULT_TOPICS["invitations"], description="invitation.*")
    topic_messages: str = Field(DEFAULT_TOPICS["messages"], description="message.* events.")
    topic_ads: str = Field(DEFAULT_TOPICS["ads"], description="ad.* events.")
    topic_profile: str = Field(DEFAULT_TOPICS["profile"], description="profile.snapshot events.")
    topic_outcomes: str = Field(DEFAULT_TOPICS["outcomes"], description="outcome.recorded events.")
    dead_letter_topic: str = Field(
        "linkedin.dead-letters",
        description="Where rejected messages go (JSON, see streams/dead_letters.py).",
    )
    alert_topic: str = Field(
        "linkedin.alerts",
        description="Alert transitions (compacted, key account_id:rule; see streams/alerts.py).",
    )
    alerts_enabled: bool = Field(
        True,
        description="Evaluate the acceptance-rate alerts in the worker (thresholds: "
        "SOCIALKPI_ALERTING_CONFIG, default deploy/alerting.yaml).",
    )
    partitions: int = Field(
        4,
        ge=1,
        description="Partitions of every input topic and of the state changelog. All input "
        "topics must have this count (co-partitioning: an account's events and state share "
        "one partition number).",
    )
    replication_factor: int = Field(
        1, ge=1, description="Replication factor of the topics the worker creates."
    )
    create_topics: bool = Field(
        True,
        description="Create missing input and dead-letter topics before the worker starts "
        "(Faust ignores a source topic that is missing at start, for good).",
    )

    # --- Faust app ------------------------------------------------------------------------
    app_id: str = Field(
        "socialkpi-worker",
        description="Faust app id: consumer group and prefix of the changelog topic.",
    )
    store: str = Field(
        "memory://",
        description="Faust table store URL. Only memory:// is supported: state is rebuilt "
        "from the changelog on every assignment (see streams.store).",
    )
    state_journal: bool = Field(
        True,
        description="Write each batch's state changes as one journal record per partition "
        "before the individual keys, so a crash never leaves half a batch (off: faster, "
        "but a kill mid-batch may lose or double-count events).",
    )
    data_dir: str = Field(
        ".socialkpi-worker", description="Faust data directory (rocksdb files, app state)."
    )
    batch_size: int = Field(500, ge=1, description="Max events per processed batch (per agent).")
    batch_within_s: float = Field(
        0.5, gt=0, description="Max seconds to wait to fill a batch before processing it."
    )
    session_timeout_s: float = Field(
        30.0,
        ge=6.0,
        description="Kafka group session timeout: how long a dead worker keeps its partitions.",
    )
    group_instance_id: str | None = Field(
        None,
        description="Static group membership (Kafka group.instance.id): a name unique to this "
        "worker and stable across its restarts (e.g. the pod or host name plus a slot). A "
        "restarted worker with the same name takes its partitions back at once instead of "
        "waiting session_timeout_s for the dead one to be expelled. Unset: dynamic membership.",
    )
    heartbeat_interval_s: float = Field(3.0, gt=0, description="Kafka group heartbeat interval.")
    recovery_delay_s: float = Field(
        3.0, ge=0, description="Wait after a rebalance before table recovery (Faust setting)."
    )
    commit_interval_s: float = Field(2.8, gt=0, description="How often consumed offsets commit.")
    producer_linger_s: float = Field(
        0.02,
        ge=0,
        description="How long the producer waits to fill a request (state changelog, dead "
        "letters); larger = fewer, bigger requests.",
    )
    producer_max_batch_bytes: int = Field(
        256 * 1024, ge=16 * 1024, description="Producer batch size per partition, in bytes."
    )
    max_message_bytes: int = Field(
        64 * 1024,
        ge=1024,
        description="Largest accepted input message; larger ones are dead-lettered (oversize).",
    )
    changelog_batch_bytes: int = Field(
        900 * 1024,
        ge=64 * 1024,
        description="Largest state write of one batch and partition sent as ONE record batch "
        "(appended atomically); larger ones go through the journal (see streams.store). Keep "
        "it below the consumers' fetch size (1 MiB by default).",
    )
    changelog_max_message_bytes: int = Field(
        8 * 1024 * 1024,
        ge=1024 * 1024,
        description="Max size of one state changelog message (topic config and producer limit).",
    )

    # --- Evaluation -----------------------------------------------------------------------
    evaluation_interval_s: float = Field(
        15.0, gt=0, description="Seconds between two evaluations of all local accounts."
    )
    as_of: str | None = Field(
        None,
        description="Pin the evaluation clock to this RFC 3339 time (tests, backfills); events "
        "after it are not applied, as in replay. Unset = wall clock.",
    )
    max_future_s: float = Field(
        24 * 3600.0,
        ge=0,
        description="Live: an event up to this far ahead of the wall clock waits in the "
        "worker's state (changelog-backed) until the clock reaches it; further ahead it is "
        "dead-lettered as future_time. Ignored when as_of is pinned (replay's rules).",
    )
    prune_interval_s: float = Field(
        600.0, gt=0, description="Seconds between two prunes of expired state."
    )

    # --- Sinks (Redis, privacy keys and /metrics are `sinks.settings.SinkSettings`) ------
    publish_redis: bool = Field(
        True, description="Publish records to Redis (off = evaluate and drop, for benchmarks)."
    )
    serve_metrics: bool = Field(
        True, description="Serve Prometheus /metrics (port: SOCIALKPI_METRICS_PORT)."
    )
    lag_interval_s: float = Field(
        10.0, gt=0, description="Seconds between two reads of the input consumer lag."
    )

    event_loop: Literal["uvloop", "asyncio"] = Field(
        "uvloop",
        description="Event loop implementation; uvloop cuts Faust's per-event overhead "
        "(bench/worker_bench.py measures both).",
    )
    view_refresh_s: float = Field(
        300.0,
        gt=0,
        description="Evaluations publish only what changed; every account is also published "
        "whole once per this many seconds, spread over the evaluations, to repair keys lost "
        "one by one from Redis (eviction, deletion). A wiped Redis is noticed at once.",
    )
    log_level: str = Field("info", description="Worker log level (debug, info, warning, error).")
    repeated_log_window_s: float = Field(
        60.0,
        gt=0,
        description="A library message that repeats (Kafka retries, timer lag) is logged "
        "once per this many seconds, with its count (all of them at debug level).",
    )
    stop_timeout_s: float = Field(
        30.0,
        gt=0,
        description="SIGTERM/Ctrl-C: exit (status 1) if the clean stop takes longer, e.g. "
        "with Kafka away; uncommitted events are read again at the next start.",
    )

    @field_validator("as_of")
    @classmethod
    def _check_as_of(cls, value: str | None) -> str | None:
        if value is not None:
            parse_ts(value)  # raises ValueError: reported as a settings error
        return value

    @field_validator("store")
    @classmethod
    def _check_store(cls, value: str) -> str:
        if not value.startswith("memory://"):
            raise ValueError("store must be memory:// (state is rebuilt from the changelog)")
        return value

    @model_validator(mode="after")
    def _check_auth(self) -> WorkerSettings:
        if self.kafka_sasl_mechanism and not (
            self.kafka_sasl_username and self.kafka_sasl_password
        ):
            raise ValueError("kafka_sasl_mechanism needs kafka_sasl_username and password")
        if bool(self.kafka_ssl_certfile) != bool(self.kafka_ssl_keyfile):
            raise ValueError("kafka_ssl_certfile and kafka_ssl_keyfile go together")
        if self.heartbeat_interval_s * 3 > self.session_timeout_s:
            raise ValueError("heartbeat_interval_s must be at most a third of session_timeout_s")
        names = list(self.topics.values())
        outputs = {self.dead_letter_topic, self.alert_topic}
        if len(set(names)) != len(names) or outputs & set(names) or len(outputs) != 2:
            raise ValueError("input, dead-letter and alert topic names must be distinct")
        return self

    # --- Derived --------------------------------------------------------------------------
    @property
    def topics(self) -> dict[str, str]:
        """Input topics by short name."""
        return {short: getattr(self, f"topic_{short}") for short in DEFAULT_TOPICS}

    @property
    def as_of_us(self) -> int | None:
        return None if self.as_of is None else parse_ts(self.as_of)

    @property
    def bootstrap_servers(self) -> list[str]:
        return [part.strip() for part in self.kafka_bootstrap.split(",") if part.strip()]

    @property
    def uses_tls(self) -> bool:
        return bool(self.kafka_ssl or self.kafka_ssl_cafile or self.kafka_ssl_certfile)

    def ssl_context(self) -> ssl.SSLContext | None:
        """TLS context for the brokers, or None for plaintext."""
        if not self.uses_tls:
            return None
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=self.kafka_ssl_cafile)
        if self.kafka_ssl_certfile and self.kafka_ssl_keyfile:
            context.load_cert_chain(self.kafka_ssl_certfile, self.kafka_ssl_keyfile)
        return context

    def aiokafka_auth(self) -> dict[str, object]:
        """security_protocol / sasl_* / ssl_context keyword arguments for aiokafka clients."""
        context = self.ssl_context()
        if self.kafka_sasl_mechanism:
            password = self.kafka_sasl_password
            return {
                "security_protocol": "SASL_SSL" if context else "SASL_PLAINTEXT",
                "sasl_mechanism": self.kafka_sasl_mechanism,
                "sasl_plain_username": self.kafka_sasl_username,
                "sasl_plain_password": password.get_secret_value() if password else None,
                "ssl_context": context,
            }
        if context is not None:
            return {"security_protocol": "SSL", "ssl_context": context}
        return {"security_protocol": "PLAINTEXT"}
