"""Real Prometheus and Alertmanager servers on loopback for tests, plus two tiny HTTP servers:
a static ``/metrics`` target and a webhook receiver that records what Alertmanager posts.

Everything binds 127.0.0.1 on a free port, keeps its files under a given directory and is
stopped by pid (TERM, then KILL). The pytest fixtures in ``conftest.py`` wrap these.
"""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import yaml

from alerting.config import ROOT, AlertingConfig
from alerting.rules import render_rules

ALERTMANAGER_CONFIG = ROOT / "deploy" / "alertmanager" / "alertmanager.yml"
HOST = "127.0.0.1"
READY_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def http_get(url: str, timeout: float = 5.0) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return bytes(response.read())


def wait_until(check: Callable[[], Any], timeout: float, what: str, step: float = 0.2) -> Any:
    """Poll `check` until it returns something truthy; TimeoutError names `what`."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"not within {timeout:.0f}s: {what}")
        time.sleep(step)


# --------------------------------------------------------------------------- tiny servers


class _Server:
    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self._httpd = ThreadingHTTPServer((HOST, 0), handler)
        self._httpd.daemon_threads = True
        self._httpd.owner = self  # type: ignore[attr-defined]
        self.port = int(self._httpd.server_address[1])
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


class _MetricsHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = self.server.owner.text.encode("utf-8")  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


class MetricsServer(_Server):
    """A scrape target serving whatever `text` currently is (Prometheus text format)."""

    def __init__(self, text: str = "") -> None:
        self.text = text
        super().__init__(_MetricsHandler)

    @property
    def target(self) -> str:
        """``host:port`` for a scrape config."""
        return f"{HOST}:{self.port}"

    def set_text(self, text: str) -> None:
        self.text = text


class _WebhookHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        payload = json.loads(self.rfile.read(length) or b"{}")
        payload["_received_at"] = time.time()
        payload["_path"] = self.path
        self.server.owner._record(payload)  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


class WebhookReceiver(_Server):
    """Records every Alertmanager webhook POST (the JSON payload, plus ``_received_at``, Unix
    time, and ``_path``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._payloads: list[dict[str, Any]] = []
        super().__init__(_WebhookHandler)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/alerts"

    def _record(self, payload: dict[str, Any]) -> None:
        with self._lock:
            self._payloads.append(payload)

    def payloads(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._payloads)

    def alerts(
        self, alertname: str | None = None, status: str | None = None, **labels: str
    ) -> list[dict[str, Any]]:
        """Every alert of every payload, in arrival order, filtered by name, ``status``
        (firing | resolved) and labels; each alert gets the payload's ``receiver`` and
        ``_received_at``."""
        out = []
        for payload in self.payloads():
            for item in payload.get("alerts", []):
                alert_labels = item.get("labels", {})
                if alertname is not None and alert_labels.get("alertname") != alertname:
                    continue
                if status is not None and item.get("status") != status:
                    continue
                if any(alert_labels.get(k) != v for k, v in labels.items()):
                    continue
                receiver = payload.get("receiver")
                out.append({**item, "receiver": receiver, "_received_at": payload["_received_at"]})
        return out

    def wait_for(
        self, alertname: str, status: str = "firing", timeout: float = 60.0, **labels: str
    ) -> dict[str, Any]:
        """The first matching alert, waiting for it up to `timeout` seconds."""
        try:
            found = wait_until(
                lambda: self.alerts(alertname, status, **labels),
                timeout,
                f"{alertname} {status} {labels}",
            )
        except TimeoutError as error:
            raise TimeoutError(f"{error}; received: {self.payloads()}") from None
        return dict(found[0])


# --------------------------------------------------------------------------- real servers


class ManagedProcess:
    """A server binary started by a test, stopped by pid."""

    def __init__(self, name: str, command: Sequence[str], port: int, workdir: Path) -> None:
        self.name, self.port, self.workdir = name, port, workdir
        self.url = f"http://{HOST}:{port}"
        self.log_path = workdir / f"{name}.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            list(command), stdout=self._log, stderr=subprocess.STDOUT, cwd=workdir
        )
        self.pid = self.process.pid

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> None:
        def ready() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log_tail()}")
            try:
                return http_get(f"{self.url}/-/ready", timeout=2) is not None
            except OSError:
                return False

        try:
            wait_until(ready, timeout, f"{self.name} ready on {self.url}")
        except TimeoutError as error:
            raise TimeoutError(f"{error}: {self.log_tail()}") from None

    def log_tail(self, lines: int = 30) -> str:
        self._log.flush()
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def get_json(self, path: str, **params: str) -> Any:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        return json.loads(http_get(f"{self.url}{path}{query}"))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()


class PrometheusServer(ManagedProcess):
    def query(self, expr: str) -> list[dict[str, Any]]:
        """Instant query: the ``result`` list of /api/v1/query."""
        data = self.get_json("/api/v1/query", query=expr)
        return list(data["data"]["result"])

    def alerts(self) -> list[dict[str, Any]]:
        """Pending and firing alerts (/api/v1/alerts)."""
        return list(self.get_json("/api/v1/alerts")["data"]["alerts"])


def alertmanager_test_config(
    source: Path,
    webhook_url: str,
    *,
    group_wait: str = "1s",
    group_interval: str = "1s",
    repeat_interval: str = "1h",
) -> dict[str, Any]:
    """The project's Alertmanager config with the same routes and inhibitions, every
    receiver replaced by the test webhook (``receiver`` in each payload tells which route
    matched), no SMTP, and short timings on every route that sets them."""
    config: dict[str, Any] = yaml.safe_load(source.read_text(encoding="utf-8"))
    config["global"] = {"resolve_timeout": "5m"}
    hook = {"url": webhook_url, "send_resolved": True}
    config["receivers"] = [
        {"name": r["name"], "webhook_configs": [dict(hook)]} for r in config["receivers"]
    ]
    timings = {
        "group_wait": group_wait,
        "group_interval": group_interval,
        "repeat_interval": repeat_interval,
    }

    def shorten(route: dict[str, Any], root: bool) -> None:
        for key, value in timings.items():
            if root or key in route:
                route[key] = value
        for child in route.get("routes", []):
            shorten(child, False)

    shorten(config["route"], True)
    return config


def start_alertmanager(
    binary: str,
    workdir: Path,
    webhook_url: str,
    config_path: Path = ALERTMANAGER_CONFIG,
    **timings: str,
) -> ManagedProcess:
    """A real Alertmanager with the project's routing (`alertmanager_test_config`)."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = alertmanager_test_config(config_path, webhook_url, **timings)
    return _launch(
        ManagedProcess,
        "alertmanager",
        binary,
        workdir,
        config,
        f"--storage.path={workdir / 'data'}",
        "--cluster.listen-address=",  # no gossip port: a single instance
    )


ServerT = TypeVar("ServerT", bound=ManagedProcess)


def _launch(
    server_class: type[ServerT],
    name: str,
    binary: str,
    workdir: Path,
    config: Mapping[str, Any],
    *flags: str,
) -> ServerT:
    """Write `config` as `{name}.yml`, start `binary` on a free port, wait until ready."""
    config_file = workdir / f"{name}.yml"
    config_file.write_text(yaml.safe_dump(dict(config), sort_keys=False), encoding="utf-8")
    port = free_port()
    command = [
        binary,
        f"--config.file={config_file}",
        f"--web.listen-address={HOST}:{port}",
        *flags,
        "--log.level=info",
    ]
    server = server_class(name, command, port, workdir)
    try:
        server.wait_ready()
    except BaseException:
        server.stop()
        raise
    return server


def start_prometheus(
    binary: str,
    workdir: Path,
    targets: Sequence[str],
    rule_files: Sequence[Path] = (),
    *,
    alertmanager_url: str | None = None,
    job: str = "socialkpi",
    interval: str = "1s",
    extra_scrape_configs: Sequence[Mapping[str, Any]] = (),
) -> PrometheusServer:
    """A real Prometheus scraping `targets` under `job` every `interval`, evaluating the
    rule files every `interval`, and sending alerts to `alertmanager_url` (resent every 1 s)."""
    workdir.mkdir(parents=True, exist_ok=True)
    config: dict[str, Any] = {
        "global": {
            "scrape_interval": interval,
            "scrape_timeout": interval,
            "evaluation_interval": interval,
        },
        "rule_files": [str(Path(f).resolve()) for f in rule_files],
        "scrape_configs": [
            {"job_name": job, "static_configs": [{"targets": list(targets)}]},
            *[dict(c) for c in extra_scrape_configs],
        ],
    }
    if alertmanager_url is not None:
        am = urllib.parse.urlparse(alertmanager_url)
        config["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": [am.netloc]}]}]}
    return _launch(
        PrometheusServer,
        "prometheus",
        binary,
        workdir,
        config,
        f"--storage.tsdb.path={workdir / 'data'}",
        "--rules.alert.resend-delay=1s",
    )


# `prometheus_factory` fixture: start(targets, config, alertmanager=None, interval="1s").
PrometheusFactory = Callable[..., PrometheusServer]


def write_rules(config: AlertingConfig, path: Path) -> Path:
    """The rules generated from `config` (e.g. with short ``for:``), written to `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_rules(config), encoding="utf-8")
    return path
