"""Build and run ``promtool test rules`` files from Python (series per evaluation step).

One value per step: a number, or None for "no sample" (written ``stale`` right after a value,
like the stale marker a real scrape writes when a series disappears, ``_`` afterwards).
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from alerting.catalog import BY_NAME, expected_annotations
from alerting.config import AlertingConfig

JOB, INSTANCE = "socialkpi", "worker-1:9464"
SCRAPE = {"job": JOB, "instance": INSTANCE}


def notation(points: Sequence[float | None]) -> str:
    out: list[str] = []
    previous: float | None = None
    for point in points:
        if point is None:
            out.append("stale" if previous is not None else "_")
        else:
            out.append(repr(float(point)))
        previous = point
    return " ".join(out)


def selector(name: str, labels: Mapping[str, str]) -> str:
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return f"{name}{{{inner}}}"


def series(name: str, points: Sequence[float | None], **labels: str) -> dict[str, str]:
    """An input series with the scrape labels (job, instance) unless given."""
    return {"series": selector(name, {**SCRAPE, **labels}), "values": notation(points)}


def const(name: str, value: float, steps: int, **labels: str) -> dict[str, str]:
    return series(name, [value] * steps, **labels)


def alert(
    config: AlertingConfig,
    name: str,
    labels: Mapping[str, str],
    value: float = 0.0,
    threshold: float | None = None,
    sample: float | None = None,
) -> dict[str, Any]:
    """An expected alert: its labels (plus severity/category) and rendered annotations."""
    spec = BY_NAME[name]
    return {
        "exp_labels": {**labels, "severity": spec.severity, "category": spec.category},
        "exp_annotations": expected_annotations(spec, config, labels, value, threshold, sample),
    }


def check(eval_time: str, name: str, *alerts: dict[str, Any]) -> dict[str, Any]:
    return {"eval_time": eval_time, "alertname": name, "exp_alerts": list(alerts)}


def run_promtool_tests(
    promtool: str,
    rule_file: Path,
    tests: Sequence[Mapping[str, Any]],
    workdir: Path,
    interval: str = "1m",
) -> None:
    """Write the tests next to nothing else and run them; fail with promtool's report."""
    document = {
        "rule_files": [str(rule_file.resolve())],
        "evaluation_interval": interval,
        "tests": [{"interval": interval, **test} for test in tests],
    }
    path = workdir / "socialkpi.test.yml"
    path.write_text(yaml.safe_dump(document, sort_keys=False, width=1000), encoding="utf-8")
    done = subprocess.run(
        [promtool, "test", "rules", str(path)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"promtool test rules {path}:\n{done.stdout}{done.stderr}"
