"""Throw-away Kafka brokers for tests that must not touch the shared one: a SASL listener
(security tests) or a broker the test stops, kills and restarts (chaos suite).

Started from the jars `scripts/services.sh` cached, on free loopback ports, with its own
data dir (formatted once; a restart keeps the data and the ports).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LIBS = REPO / ".services" / "kafka" / "libs"
LOG4J = REPO / "scripts" / "kafka" / "log4j2.xml"
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def java(*args: str) -> list[str]:
    return [
        "java",
        "-Xms128m",
        "-Xmx384m",
        f"-Dlog4j2.configurationFile=file:{LOG4J}",
        "-cp",
        f"{LIBS}/*",
        *args,
    ]


def base_properties(data: Path, controller: int) -> list[str]:
    """Single-node KRaft settings every test broker shares (listeners are the caller's)."""
    return [
        "process.roles=broker,controller",
        "node.id=1",
        f"controller.quorum.voters=1@{HOST}:{controller}",
        "controller.listener.names=CONTROLLER",
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
    ]


class LocalBroker:
    """One broker process over a data dir; `start()` formats the storage the first time."""

    def __init__(self, data: Path, properties: list[str], port: int, format_args: list[str]):
        if not LIBS.is_dir():
            raise RuntimeError(f"{LIBS} missing: run bash scripts/services.sh up first")
        self.data = data
        self.port = port
        self.bootstrap = f"{HOST}:{port}"
        self.log_path = data / "broker.log"
        self.conf = data / "server.properties"
        self._format_args = format_args
        self.proc: subprocess.Popen[bytes] | None = None
        data.mkdir(parents=True, exist_ok=True)
        self.conf.write_text("\n".join([*properties, ""]))

    @classmethod
    def plaintext(cls, data: Path) -> LocalBroker:
        port, controller = free_port(), free_port()
        properties = [
            *base_properties(data, controller),
            f"listeners=PLAINTEXT://{HOST}:{port},CONTROLLER://{HOST}:{controller}",
            f"advertised.listeners=PLAINTEXT://{HOST}:{port}",
            "inter.broker.listener.name=PLAINTEXT",
            "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        ]
        return cls(data, properties, port, [])

    def start(self, timeout: float = 60.0) -> None:
        """Start (formatting a new data dir first); returns once the port accepts."""
        with open(self.log_path, "ab") as log:
            if not (self.data / "log" / "meta.properties").exists():
                cluster = subprocess.run(
                    java("kafka.tools.StorageTool", "random-uuid"),
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout.split()[-1]
                subprocess.run(
                    java("kafka.tools.StorageTool", "format", "-t", cluster, "-c", str(self.conf))
                    + self._format_args,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    check=True,
                )
            self.proc = subprocess.Popen(
                java("kafka.Kafka", str(self.conf)),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"broker exited:\n{self.log_path.read_text()[-3000:]}")
            with socket.socket() as sock:
                if sock.connect_ex((HOST, self.port)) == 0:
                    return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"broker did not open port {self.port} in {timeout} s")

    def stop(self) -> None:
        """SIGTERM (a clean shutdown), SIGKILL after 30 s."""
        self._signal(signal.SIGTERM, wait=30)

    def kill(self) -> None:
        self._signal(signal.SIGKILL, wait=10)

    def _signal(self, sig: int, wait: float) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
