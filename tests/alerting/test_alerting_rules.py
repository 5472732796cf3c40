"""The generated rules file: no drift from the config, promtool-valid, annotated, runbook
anchors that exist, overrides as a config edit."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

from alerting.catalog import ALERTS
from alerting.config import ROOT, AlertingConfig, Thresholds, load_config
from alerting.rules import main, render_rules

RUNBOOK = ROOT / "docs" / "runbook.md"
METRICS_DOC = ROOT / "docs" / "metrics.md"


def test_committed_rules_match_the_generator(rules_file: Path) -> None:
    expected = render_rules(load_config())
    assert rules_file.read_text(encoding="utf-8") == expected, (
        "deploy/prometheus/rules/socialkpi.rules.yml drifted from deploy/alerting.yaml: "
        "run .venv/bin/python -m alerting.rules"
    )
    assert main(["--check"]) == 0


def test_check_flag_reports_drift(tmp_path: Path) -> None:
    out = tmp_path / "rules.yml"
    assert main(["--check", "--out", str(out)]) == 1  # missing
    assert main(["--out", str(out)]) == 0
    assert main(["--check", "--out", str(out)]) == 0
    out.write_text(out.read_text(encoding="utf-8").replace("0.3", "0.31"), encoding="utf-8")
    assert main(["--check", "--out", str(out)]) == 1


def test_promtool_check_rules(promtool: str, rules_file: Path) -> None:
    done = subprocess.run(
        [promtool, "check", "rules", str(rules_file)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def _anchors(markdown: str) -> set[str]:
    """GitHub heading anchors: lower case, punctuation dropped, spaces to dashes."""
    out = set()
    for line in markdown.splitlines():
        match = re.match(r"#{1,6}\s+(.*)", line)
        if match:
            text = re.sub(r"[^\w\- ]", "", match.group(1).strip().lower())
            out.add(text.replace(" ", "-"))
    return out


def test_every_alert_is_annotated_with_an_existing_runbook_anchor(rules_file: Path) -> None:
    groups = yaml.safe_load(rules_file.read_text(encoding="utf-8"))["groups"]
    alerts = {r["alert"]: r for g in groups for r in g["rules"] if "alert" in r}
    assert set(alerts) == {spec.name for spec in ALERTS}
    anchors = _anchors(RUNBOOK.read_text(encoding="utf-8"))
    for name, rule in alerts.items():
        annotations = rule["annotations"]
        assert annotations["summary"] and annotations["description"], name
        url = annotations["runbook_url"]
        assert url.startswith("docs/runbook.md#"), url
        assert url.partition("#")[2] in anchors, f"{name}: no heading for {url} in runbook.md"
        assert set(rule["labels"]) == {"severity", "category"}
        assert "for" in rule


def test_recorded_thresholds_cover_every_key(rules_file: Path) -> None:
    groups = yaml.safe_load(rules_file.read_text(encoding="utf-8"))["groups"]
    records = [r["record"] for g in groups for r in g["rules"] if "record" in r]
    for key in Thresholds.model_fields:
        assert records.count(f"socialkpi:{key}") == 1, key


def test_an_override_is_a_config_edit(promtool: str, tmp_path: Path) -> None:
    config = load_config()
    edited = AlertingConfig.model_validate(
        config.model_dump()
        | {"overrides": {"rep-42": {"acceptance_rate_min": 0.15, "reply_min_started": 8}}}
    )
    text = render_rules(edited)
    rules = yaml.safe_load(text)["groups"][0]["rules"]
    threshold = next(r for r in rules if r.get("record") == "socialkpi:acceptance_rate_min")
    assert threshold["expr"].splitlines()[0].endswith('{account_id="rep-42"}) * 0.15')
    default = "(socialkpi_snapshot_as_of_timestamp_seconds) * 0.3"
    assert threshold["expr"].splitlines()[-1].endswith(default)
    before = yaml.safe_load(render_rules(config))["groups"][0]["rules"]
    alerts_before = [r for r in before if "alert" in r]
    alerts_after = [r for r in rules if "alert" in r]
    assert alerts_before == alerts_after  # no new alert rule per account
    path = tmp_path / "rules.yml"
    path.write_text(text, encoding="utf-8")
    done = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_rules_name_only_documented_metrics(rules_file: Path) -> None:
    documented = set(re.findall(r"`((?:linkedin|socialkpi)_[a-z0-9_]+)`", METRICS_DOC.read_text()))
    groups = yaml.safe_load(rules_file.read_text(encoding="utf-8"))["groups"]
    used: set[str] = set()
    for group in groups:
        for rule in group["rules"]:
            text = rule["expr"] + " ".join(rule.get("annotations", {}).values())
            used |= set(re.findall(r"\b((?:linkedin|socialkpi)_[a-z0-9_]+)", text))
    assert used and used <= documented, sorted(used - documented)
