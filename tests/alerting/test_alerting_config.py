"""deploy/alerting.yaml: schema, validation, overrides, sustains."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from alerting.catalog import ALERTS
from alerting.config import (
    CONFIG_ENV,
    DEFAULT_CONFIG_PATH,
    DEFAULT_SUSTAIN,
    AlertingConfig,
    Thresholds,
    duration_seconds,
    load_config,
)


def test_committed_file_is_explicit_and_complete() -> None:
    raw = yaml.safe_load(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))
    assert set(raw["thresholds"]) == set(Thresholds.model_fields)  # every default written out
    assert set(raw["sustain"]) == set(DEFAULT_SUSTAIN) == {spec.name for spec in ALERTS}
    config = load_config()
    assert config.thresholds.acceptance_rate_min == 0.30  # the spec's line
    assert config.thresholds.acceptance_min_cohort_sent == 20
    assert config.thresholds.baseline_fraction == 0.8
    assert config.sustain_of("InvitationAcceptanceRateLow") == "15m"


def test_load_from_env_and_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "alerting.yaml"
    path.write_text("thresholds:\n  acceptance_rate_min: 0.25\n", encoding="utf-8")
    assert load_config(path).thresholds.acceptance_rate_min == 0.25
    assert load_config(path).thresholds.acceptance_min_cohort_sent == 20  # default kept
    monkeypatch.setenv(CONFIG_ENV, str(path))
    assert load_config().thresholds.acceptance_rate_min == 0.25


def test_overrides_merge_with_defaults() -> None:
    config = AlertingConfig.model_validate(
        {"overrides": {"rep-9": {"acceptance_rate_min": 0.2, "weekly_invitations_max": 150}}}
    )
    rep9 = config.thresholds_for("rep-9")
    assert (rep9.acceptance_rate_min, rep9.weekly_invitations_max) == (0.2, 150)
    assert rep9.acceptance_min_cohort_sent == 20
    assert config.thresholds_for("rep-1") == Thresholds()


@pytest.mark.parametrize(
    "bad",
    [
        {"thresholds": {"acceptance_rate_minimum": 0.3}},  # typo: unknown key
        {"thresholds": {"acceptance_rate_min": 30}},  # a percentage, not a fraction
        {"thresholds": {"acceptance_min_cohort_sent": -1}},
        {"overrides": {"rep-1": {"acceptance_rate": 0.2}}},
        {"overrides": {'rep"1': {"acceptance_rate_min": 0.2}}},
        {"sustain": {"InvitationAcceptanceRateLow": "15 minutes"}},
        {"sustain": {"NoSuchAlert": "5m"}},
        {"evaluation_interval": "1"},
    ],
)
def test_invalid_configs_are_rejected(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        AlertingConfig.model_validate(bad)


def test_durations_and_sustain_override() -> None:
    assert duration_seconds("15m") == 900
    assert duration_seconds("1h30m") == 5400
    assert duration_seconds("0s") == 0
    assert duration_seconds("500ms") == 0.5
    for bad in ("", "15", "m", "1.5h", "15m "):
        with pytest.raises(ValueError):
            duration_seconds(bad)
    fast = AlertingConfig().with_sustain("0s", InvitationAcceptanceRateLow="2s")
    assert fast.sustain_of("InvitationAcceptanceRateLow") == "2s"
    assert fast.sustain_seconds("SocialkpiTargetDown") == 0
    kept = fast.with_sustain(ReplyRateLow="5m")
    assert (kept.sustain_of("ReplyRateLow"), kept.sustain_of("SocialkpiTargetDown")) == ("5m", "0s")
    assert kept.sustain_of("InvitationAcceptanceRateLow") == "2s"
    assert AlertingConfig().runbook_url("ReplyRateLow") == "docs/runbook.md#replyratelow"
