"""deploy/prometheus/prometheus.yml: valid for ``promtool check config`` (with the committed
rules, and on its own with an empty rules folder), scraping the job the alerts select."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

from alerting.config import DEFAULT_CONFIG_PATH, load_config

PROMETHEUS_DIR = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
CONFIG = PROMETHEUS_DIR / "prometheus.yml"


def check_config(promtool: str, path: Path) -> str:
    result = subprocess.run(
        [promtool, "check", "config", str(path)], capture_output=True, text=True, timeout=60
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return output


def test_config_with_the_committed_rules(promtool: str) -> None:
    """promtool resolves ``rule_files`` relative to the config and checks every rule file."""
    rule_files = sorted((PROMETHEUS_DIR / "rules").glob("*.yml"))
    output = check_config(promtool, CONFIG)
    assert f"SUCCESS: {len(rule_files)} rule files found" in output


def test_config_alone_with_an_empty_rules_folder(promtool: str, tmp_path: Path) -> None:
    shutil.copy(CONFIG, tmp_path / "prometheus.yml")
    (tmp_path / "rules").mkdir()
    output = check_config(promtool, tmp_path / "prometheus.yml")
    assert "is valid prometheus config file syntax" in output
    assert "rule files found" not in output  # the glob matched nothing: no rule checked


def test_scrapes_the_job_the_alerts_select() -> None:
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    jobs = {job["job_name"] for job in config["scrape_configs"]}
    assert load_config(DEFAULT_CONFIG_PATH).worker.job in jobs
    assert config["rule_files"] == ["rules/*.yml"]
