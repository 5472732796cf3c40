"""A second, throw-away Kafka broker whose client listener requires SASL (PLAIN and SCRAM).

Started from the jars `scripts/services.sh` cached, on free loopback ports, with its own
data dir, so the shared broker of the other tests stays as it is. Users and passwords are
random per run: PLAIN users live in the listener's JAAS config, the SCRAM user is added
when the storage is formatted (KRaft keeps SCRAM credentials in the metadata log).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from tests.local_broker import HOST, LocalBroker, base_properties, free_port


@dataclass(frozen=True)
class SaslBroker:
    bootstrap: str
    users: dict[str, tuple[str, str]]  # mechanism -> (user, password)
    log_path: Path


def start(data: Path) -> tuple[SaslBroker, LocalBroker]:
    """Format and start the broker; returns once the SASL port accepts connections."""
    client, internal, controller = free_port(), free_port(), free_port()
    plain = ("worker", secrets.token_urlsafe(12))
    scram = ("scram-worker", secrets.token_urlsafe(12))
    user, password = plain
    properties = [
        *base_properties(data, controller),
        f"listeners=SASL_PLAINTEXT://{HOST}:{client},INTERNAL://{HOST}:{internal},"
        f"CONTROLLER://{HOST}:{controller}",
        f"advertised.listeners=SASL_PLAINTEXT://{HOST}:{client},INTERNAL://{HOST}:{internal}",
        "inter.broker.listener.name=INTERNAL",
        "listener.security.protocol.map=CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT,"
        "SASL_PLAINTEXT:SASL_PLAINTEXT",
        "sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256",
        "listener.name.sasl_plaintext.plain.sasl.jaas.config="
        "org.apache.kafka.common.security.plain.PlainLoginModule required "
        f'user_{user}="{password}";',
        "listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config="
        "org.apache.kafka.common.security.scram.ScramLoginModule required;",
    ]
    scram_arg = ["--add-scram", f"SCRAM-SHA-256=[name={scram[0]},password={scram[1]}]"]
    broker = LocalBroker(data, properties, client, scram_arg)
    broker.start()
    users = {"PLAIN": plain, "SCRAM-SHA-256": scram}
    return SaslBroker(broker.bootstrap, users, broker.log_path), broker


def stop(broker: LocalBroker) -> None:
    broker.stop()
