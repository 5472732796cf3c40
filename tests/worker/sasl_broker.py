"""A second, throw-away Kafka broker whose client listener requires SASL (PLAIN and SCRAM).

Started from the jars `scripts/services.sh` cached, on free loopback ports, with its own
data dir, so the shared broker of the other tests stays as it is. Users and passwords are
random per run: PLAIN users live in the listener's JAAS config, the SCRAM user is added
when the storage is formatted (KRaft keeps SCRAM credentials in the metadata log).
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .helpers import REPO

LIBS = REPO / ".services" / "kafka" / "libs"
LOG4J = REPO / "scripts" / "kafka" / "log4j2.xml"
HOST = "127.0.0.1"


@dataclass(frozen=True)
class SaslBroker:
    bootstrap: str
    users: dict[str, tuple[str, str]]  # mechanism -> (user, password)
    log_path: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _java(*args: str) -> list[str]:
    return [
        "java",
        "-Xms128m",
        "-Xmx384m",
        f"-Dlog4j2.configurationFile=file:{LOG4J}",
        "-cp",
        f"{LIBS}/*",
        *args,
    ]


def write_config(
    data: Path, client: int, internal: int, controller: int, plain: tuple[str, str]
) -> Path:
    user, password = plain
    conf = data / "server.properties"
    conf.write_text(
        "\n".join(
            [
                "process.roles=broker,controller",
                "node.id=1",
                f"controller.quorum.voters=1@{HOST}:{controller}",
                f"listeners=SASL_PLAINTEXT://{HOST}:{client},INTERNAL://{HOST}:{internal},"
                f"CONTROLLER://{HOST}:{controller}",
                f"advertised.listeners=SASL_PLAINTEXT://{HOST}:{client},INTERNAL://{HOST}:{internal}",
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=INTERNAL",
                "listener.security.protocol.map=CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT,"
                "SASL_PLAINTEXT:SASL_PLAINTEXT",
                "sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256",
                "listener.name.sasl_plaintext.plain.sasl.jaas.config="
                "org.apache.kafka.common.security.plain.PlainLoginModule required "
                f'user_{user}="{password}";',
                "listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config="
                "org.apache.kafka.common.security.scram.ScramLoginModule required;",
                f"log.dirs={data / 'log'}",
                "num.partitions=1",
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=1",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                "num.network.threads=2",
                "num.io.threads=2",
                "",
            ]
        )
    )
    return conf


def start(data: Path) -> tuple[SaslBroker, subprocess.Popen[bytes]]:
    """Format and start the broker; returns once the SASL port accepts connections."""
    if not LIBS.is_dir():
        raise RuntimeError(f"{LIBS} missing: run bash scripts/services.sh up first")
    data.mkdir(parents=True, exist_ok=True)
    client, internal, controller = free_port(), free_port(), free_port()
    plain = ("worker", secrets.token_urlsafe(12))
    scram = ("scram-worker", secrets.token_urlsafe(12))
    conf = write_config(data, client, internal, controller, plain)
    log_path = data / "broker.log"
    with open(log_path, "ab") as log:
        cluster = (
            subprocess.run(
                _java("kafka.tools.StorageTool", "random-uuid"),
                capture_output=True,
                text=True,
                check=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        subprocess.run(
            _java(
                "kafka.tools.StorageTool",
                "format",
                "-t",
                cluster,
                "-c",
                str(conf),
                "--add-scram",
                f"SCRAM-SHA-256=[name={scram[0]},password={scram[1]}]",
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
            check=True,
        )
        proc = subprocess.Popen(
            _java("kafka.Kafka", str(conf)),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"SASL broker exited:\n{log_path.read_text()[-3000:]}")
        with socket.socket() as sock:
            if sock.connect_ex((HOST, client)) == 0:
                break
        time.sleep(0.2)
    else:
        stop(proc)
        raise RuntimeError("SASL broker did not open its port in 60 s")
    users = {"PLAIN": plain, "SCRAM-SHA-256": scram}
    return SaslBroker(f"{HOST}:{client}", users, log_path), proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
