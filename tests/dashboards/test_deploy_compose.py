"""docker-compose.yml, checked as far as it can be without a Docker engine: services and
healthchecks, pinned images, mounted paths that exist, no inline secret, the worker's
variables known to its settings classes, and the files of the stack agreeing with each other
(ports, mount points, the Dockerfile's copies)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from alerting.config import CONFIG_ENV
from sinks.settings import SinkSettings
from streams.settings import WorkerSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_TEXT = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
COMPOSE: dict[str, Any] = yaml.safe_load(COMPOSE_TEXT)
SERVICES: dict[str, Any] = COMPOSE["services"]
ENV_EXAMPLE = (ROOT / ".env.example").read_text(encoding="utf-8")
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|_KEY$|_AUTH$", re.IGNORECASE)
REQUIRED_VAR = re.compile(r"^\$\{([A-Z][A-Z0-9_]*):\?[^}]+\}$")
# "--requirepass hunter2", "PASSWORD=hunter2": a secret word, then a value not from $ENV.
INLINE_SECRET = re.compile(
    r"(?i)(?:password|token|secret|requirepass)[\w-]*(?:=|\s+)(?![\"']?\$)\S"
)
INTERPOLATION = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)")


def strings(node: Any) -> Iterator[str]:
    """Every string of the parsed file (comments excluded), keys and values."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield str(key)
            yield from strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)
    elif node is not None:
        yield str(node)


def environment(service: str) -> dict[str, str]:
    env = SERVICES[service].get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def bind_mounts(service: str) -> list[tuple[str, str]]:
    """(host path, container path) of the service's bind mounts (short syntax)."""
    out = []
    for volume in SERVICES[service].get("volumes", []):
        source, target, *_ = str(volume).split(":")
        if source.startswith((".", "/")):
            out.append((source, target))
    return out


def mount_target(service: str, host_path: str) -> str:
    targets = [t for s, t in bind_mounts(service) if s == host_path]
    assert len(targets) == 1, f"{service} does not mount {host_path}"
    return targets[0]


def test_the_whole_stack_is_there() -> None:
    assert set(SERVICES) == {"kafka", "redis", "worker", "prometheus", "alertmanager", "grafana"}
    assert SERVICES["kafka"]["image"] == "apache/kafka:4.1.1"
    assert SERVICES["worker"]["build"]["context"] == "."
    assert (ROOT / SERVICES["worker"]["build"]["dockerfile"]).is_file()


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_service_has_a_healthcheck(service: str) -> None:
    check = SERVICES[service].get("healthcheck")
    assert check and check.get("test") and not check.get("disable"), service
    assert check["test"][0] in {"CMD", "CMD-SHELL"}


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_images_are_pinned_by_tag(service: str) -> None:
    image = SERVICES[service]["image"]
    name, _, tag = image.rpartition(":")
    assert name and tag and tag != "latest" and re.search(r"\d", tag), image


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_mounted_paths_exist_and_volumes_are_named(service: str) -> None:
    declared = set(COMPOSE.get("volumes") or {})
    for volume in SERVICES[service].get("volumes", []):
        source = str(volume).split(":")[0]
        if source.startswith((".", "/")):
            assert (ROOT / source).exists(), f"{service}: {source} is not in the repository"
            assert str(volume).endswith(":ro"), f"{service}: repository files mount read-only"
        else:
            assert source in declared, f"{service}: volume {source} is not a named volume"


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_host_ports_listen_on_loopback(service: str) -> None:
    for port in SERVICES[service].get("ports", []):
        assert str(port).startswith("127.0.0.1:"), f"{service}: {port}"


def test_no_secret_is_inline() -> None:
    """A secret-looking variable is always a required ${VAR:?...} from .env, never a value or
    a default; Redis gets its password from the environment; Alertmanager's from files."""
    for name in SERVICES:
        for key, value in environment(name).items():
            if SECRET_NAME.search(key):
                assert REQUIRED_VAR.match(value), f"{name}: {key} must be ${{VAR:?...}}"
    redis_command = " ".join(SERVICES["redis"]["command"])
    assert '--requirepass "$$REDIS_PASSWORD"' in redis_command
    for secret in COMPOSE["secrets"].values():
        assert set(secret) == {"file"} and secret["file"].startswith("${")
    for text in strings(COMPOSE):
        bare = re.sub(r"\$\{[^}]*\}", "", text)  # ${VAR:?message} interpolations are fine
        assert not INLINE_SECRET.search(bare), text


def test_every_interpolated_variable_is_documented_in_env_example() -> None:
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE, re.MULTILINE))
    used = {name for text in strings(COMPOSE) for name in INTERPOLATION.findall(text)}
    assert used and used <= documented, sorted(used - documented)
    for line in ENV_EXAMPLE.splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.startswith("#") and SECRET_NAME.search(key) and "FILE" not in key:
            assert value == "", f".env.example must not carry a value for {key}"


def test_worker_variables_exist_in_the_settings_classes() -> None:
    known = {f"SOCIALKPI_{field.upper()}" for field in WorkerSettings.model_fields}
    known |= {f"SOCIALKPI_{field.upper()}" for field in SinkSettings.model_fields}
    known.add(CONFIG_ENV)
    env = environment("worker")
    assert set(env) <= known, sorted(set(env) - known)
    assert env["SOCIALKPI_KAFKA_BOOTSTRAP"] == "kafka:9092"
    assert env["SOCIALKPI_REDIS_URL"].startswith("redis://redis:6379/")
    assert env["SOCIALKPI_METRICS_ADDR"] == "0.0.0.0"
    for name in ("SOCIALKPI_PSEUDONYM_KEY", "SOCIALKPI_REVEAL_KEY", "SOCIALKPI_REDIS_PASSWORD"):
        assert REQUIRED_VAR.match(env[name]), name
    assert env[CONFIG_ENV] == mount_target("worker", "./deploy/alerting.yaml")
    assert env["SOCIALKPI_DATA_DIR"] in {
        str(v).split(":")[1] for v in SERVICES["worker"]["volumes"]
    }


def test_prometheus_scrapes_the_worker_port_and_mounts_its_config() -> None:
    prometheus_yml = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    job = next(j for j in prometheus_yml["scrape_configs"] if j["job_name"] == "socialkpi")
    (sd,) = job["dns_sd_configs"]
    assert sd["names"] == ["worker"]
    assert str(sd["port"]) == environment("worker")["SOCIALKPI_METRICS_PORT"]
    target = mount_target("prometheus", "./deploy/prometheus")
    assert f"--config.file={target}/prometheus.yml" in SERVICES["prometheus"]["command"]
    (am,) = prometheus_yml["alerting"]["alertmanagers"]
    assert am["static_configs"][0]["targets"] == ["alertmanager:9093"]


def test_alertmanager_config_and_secret_files_line_up() -> None:
    target = mount_target("alertmanager", "./deploy/alertmanager")
    assert f"--config.file={target}/alertmanager.yml" in SERVICES["alertmanager"]["command"]
    text = (ROOT / "deploy/alertmanager/alertmanager.yml").read_text()
    wanted = set(re.findall(r"_file:\s*(\S+)", text))
    mounted = {s["target"] for s in SERVICES["alertmanager"]["secrets"]}
    assert wanted <= mounted, sorted(wanted - mounted)
    assert all(not m.startswith(target + "/") for m in mounted), "secrets in a read-only mount"


def test_grafana_provisioning_points_at_the_mounted_dashboards_and_prometheus() -> None:
    provisioning = mount_target("grafana", "./deploy/grafana/provisioning")
    assert provisioning == "/etc/grafana/provisioning"
    dashboards = mount_target("grafana", "./deploy/grafana/dashboards")
    provider = yaml.safe_load(
        (ROOT / "deploy/grafana/provisioning/dashboards/socialkpi.yml").read_text()
    )
    assert provider["providers"][0]["options"]["path"] == dashboards
    home = environment("grafana")["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home.startswith(dashboards + "/")
    assert (ROOT / "deploy/grafana/dashboards" / home.rsplit("/", 1)[1]).is_file()
    sources = yaml.safe_load(
        (ROOT / "deploy/grafana/provisioning/datasources/prometheus.yml").read_text()
    )["datasources"]
    prometheus = next(s for s in sources if s["type"] == "prometheus")
    assert prometheus["url"] == "http://prometheus:9090" and prometheus["isDefault"]
    scrape = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    assert prometheus["jsonData"]["timeInterval"] == scrape["global"]["scrape_interval"]


def test_dockerfile_copies_every_runtime_package() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.startswith("#") and "FROM python:3.11-slim" in dockerfile
    copied = set(re.findall(r"^COPY (\S+) ", dockerfile, re.MULTILINE))
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = {
        p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    }
    runtime = packages - {"grafana_dashboards"}  # dev tool: Grafana reads the generated JSON
    assert runtime <= copied, sorted(runtime - copied)
    assert "deploy/alerting.yaml" in copied
    assert 'CMD ["socialkpi", "worker"]' in dockerfile
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert not {"pyproject.toml", "README.md", "deploy", *runtime} & set(ignored)
    assert {".env", ".venv", ".git", "secrets"} <= set(ignored)
