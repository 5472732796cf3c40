"""The one source of alert settings: ``deploy/alerting.yaml`` (documented in docs/alerting.md).

The Prometheus rules (``python -m alerting.rules``) and the worker's own evaluator
(`alerting.evaluator`) both read this model, so a threshold lives in exactly one place.
Per-account thresholds are ``overrides``: same keys as ``thresholds``, any subset.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG_PATH = ROOT / "deploy" / "alerting.yaml"
CONFIG_ENV = "SOCIALKPI_ALERTING_CONFIG"

_DURATION = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
_UNIT_S = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
# Prometheus label values are free text, but an account id must stay a safe PromQL string.
_ACCOUNT_OK = re.compile(r"[^\"\\\n]{1,200}")


def duration_seconds(text: str) -> float:
    """Seconds of a Prometheus duration (``15m``, ``1h30m``, ``0s``); ValueError otherwise."""
    if not text or "".join(m.group(0) for m in _DURATION.finditer(text)) != text:
        raise ValueError(f"not a Prometheus duration: {text!r}")
    return float(sum(int(n) * _UNIT_S[unit] for n, unit in _DURATION.findall(text)))


def _check_duration(text: str) -> str:
    duration_seconds(text)
    return text


Duration = Annotated[str, AfterValidator(_check_duration)]
Ratio = Annotated[float, Field(ge=0.0, le=1.0)]
Count = Annotated[int, Field(ge=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Thresholds(_Strict):
    """Per-account thresholds (the defaults; every key may be overridden per account).

    Each key becomes the recorded series ``socialkpi:<key>{account_id=...}`` that the alert
    expressions join on, so an override is a config edit and a regeneration."""

    acceptance_rate_min: Ratio = 0.30
    acceptance_min_cohort_sent: Count = 20
    baseline_fraction: Ratio = 0.8
    reply_rate_min: Ratio = 0.10
    reply_min_started: Count = 20
    stale_pending_max: Count = 50
    weekly_invitations_max: Count = 80
    ad_ctr_min: Ratio = 0.004
    ad_min_impressions: Count = 1000


class ThresholdOverrides(_Strict):
    """A subset of `Thresholds` for one account (unset keys keep the default)."""

    acceptance_rate_min: Ratio | None = None
    acceptance_min_cohort_sent: Count | None = None
    baseline_fraction: Ratio | None = None
    reply_rate_min: Ratio | None = None
    reply_min_started: Count | None = None
    stale_pending_max: Count | None = None
    weekly_invitations_max: Count | None = None
    ad_ctr_min: Ratio | None = None
    ad_min_impressions: Count | None = None


class WorkerHealth(_Strict):
    """Thresholds of the worker health alerts (one deployment, not per account)."""

    job: str = Field("socialkpi", min_length=1, description="Prometheus job of the worker")
    dead_letters_max: Count = 10
    dead_letters_window: Duration = "15m"
    lag_min: Count = 1000
    lag_window: Duration = "10m"
    events_window: Duration = "5m"
    evaluation_max_age: Duration = "5m"


DEFAULT_SUSTAIN: dict[str, str] = {
    "InvitationAcceptanceRateLow": "15m",
    "InvitationAcceptanceRateBelowBaseline": "1h",
    "ReplyRateLow": "1h",
    "StalePendingInvitationsHigh": "1h",
    "WeeklyInvitationsAboveCap": "5m",
    "AdClickThroughRateLow": "1h",
    "SocialkpiTargetDown": "2m",
    "SocialkpiNoEventsProcessed": "10m",
    "SocialkpiEvaluationStalled": "2m",
    "SocialkpiDeadLettersRising": "5m",
    "SocialkpiConsumerLagGrowing": "15m",
}


class AlertingConfig(_Strict):
    """The whole file. ``sustain`` = the ``for:`` of each alert (missing names: defaults)."""

    version: int = 1
    runbook_base_url: str = "docs/runbook.md"
    evaluation_interval: Duration = "1m"
    thresholds: Thresholds = Thresholds()
    overrides: dict[str, ThresholdOverrides] = {}
    sustain: dict[str, Duration] = {}
    worker: WorkerHealth = WorkerHealth()

    @model_validator(mode="after")
    def _known_names(self) -> AlertingConfig:
        unknown = set(self.sustain) - set(DEFAULT_SUSTAIN)
        if unknown:
            raise ValueError(f"sustain: unknown alert(s) {sorted(unknown)}")
        bad = [a for a in self.overrides if not _ACCOUNT_OK.fullmatch(a)]
        if bad:
            raise ValueError(f"overrides: account ids with quotes/backslashes/newlines: {bad}")
        return self

    def sustain_of(self, alert: str) -> str:
        """The ``for:`` duration of an alert."""
        return self.sustain.get(alert, DEFAULT_SUSTAIN[alert])

    def sustain_seconds(self, alert: str) -> float:
        return duration_seconds(self.sustain_of(alert))

    def thresholds_for(self, account_id: str) -> Thresholds:
        """The effective thresholds of one account (defaults + its overrides)."""
        override = self.overrides.get(account_id)
        if override is None:
            return self.thresholds
        return self.thresholds.model_copy(update=override.model_dump(exclude_none=True))

    def with_sustain(self, duration: str | None = None, **per_alert: str) -> AlertingConfig:
        """A copy where every alert has ``for: duration`` (None: keeps its own), except the
        alerts named in ``per_alert`` (tests: short sustains)."""
        base = {name: duration or self.sustain_of(name) for name in DEFAULT_SUSTAIN}
        return self.model_validate(self.model_dump() | {"sustain": base | per_alert})

    def runbook_url(self, alert: str) -> str:
        return f"{self.runbook_base_url}#{alert.lower()}"


def load_config(path: str | os.PathLike[str] | None = None) -> AlertingConfig:
    """Load and validate the file: `path`, else ``$SOCIALKPI_ALERTING_CONFIG``, else
    ``deploy/alerting.yaml``."""
    chosen = Path(path or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG_PATH)
    data: Any = yaml.safe_load(chosen.read_text(encoding="utf-8")) or {}
    return AlertingConfig.model_validate(data)
