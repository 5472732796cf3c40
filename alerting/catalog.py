"""Every alert: name, labels and annotation text, rendered two ways from one template.

Annotation templates use ``[[token]]`` placeholders. `go_annotations` turns them into
Prometheus Go templates (what the generated rules carry); `expected_annotations` fills them
with known numbers the way Prometheus would print them (what the promtool tests expect), so
the text is written once. Static tokens (``[[for]]``, worker settings) are filled from the
config in both.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from alerting.config import AlertingConfig

KPI, WORKER = "kpi", "worker"
THRESHOLD_PREFIX = "socialkpi:"


@dataclass(frozen=True, slots=True)
class AlertSpec:
    name: str
    severity: str  # critical | warning
    category: str  # kpi (per account, inhibited while the worker is down) | worker
    summary: str
    description: str
    threshold_series: str | None = None  # recorded per-account threshold shown in the text
    sample_query: str | None = None  # printf format, %q <- account_id


ACCEPTANCE_LOW = AlertSpec(
    "InvitationAcceptanceRateLow",
    "warning",
    KPI,
    "[[account]]: invitation acceptance rate [[value_pct]] is under [[threshold_pct]]",
    "Of the [[sample]] invitations [[account]] sent in the last 96 hours, [[value_pct]] are "
    "accepted, under the [[threshold_pct]] threshold, for at least [[for]]. Withdraw the "
    "invitations pending for over three weeks and rework the targeting and the message.",
    "socialkpi:acceptance_rate_min",
    'linkedin_invitation_cohort_sent{period="rolling_96h",account_id=%q}',
)
ACCEPTANCE_BELOW_BASELINE = AlertSpec(
    "InvitationAcceptanceRateBelowBaseline",
    "warning",
    KPI,
    "[[account]]: invitation acceptance rate [[value_pct]] is under its own 28-day baseline",
    "The 96-hour acceptance rate of [[account]] ([[value_pct]] of [[sample]] invitations) is "
    "under [[threshold_pct]], the configured fraction of its own 28-day rate, for at least "
    "[[for]]. Find what changed: audience, invitation message, sending volume.",
    "socialkpi:acceptance_baseline_min",
    'linkedin_invitation_cohort_sent{period="rolling_96h",account_id=%q}',
)
REPLY_LOW = AlertSpec(
    "ReplyRateLow",
    "warning",
    KPI,
    "[[account]]: 7-day reply rate [[value_pct]] is under [[threshold_pct]]",
    "Of the [[sample]] conversations [[account]] started in the last 7 days, [[value_pct]] got "
    "a reply (floor [[threshold_pct]]), for at least [[for]]. Rework the opening messages.",
    "socialkpi:reply_rate_min",
    'linkedin_reply_cohort_started{period="rolling_7d",account_id=%q}',
)
STALE_PENDING = AlertSpec(
    "StalePendingInvitationsHigh",
    "warning",
    KPI,
    "[[account]]: [[value]] invitations pending for over three weeks",
    "[[account]] has [[value]] outbound invitations pending for more than 21 days (limit "
    "[[threshold]]). Withdraw them: LinkedIn restricts accounts with many ignored invitations.",
    "socialkpi:stale_pending_max",
)
WEEKLY_CAP = AlertSpec(
    "WeeklyInvitationsAboveCap",
    "warning",
    KPI,
    "[[account]]: [[value]] invitations sent this week, over the cap of [[threshold]]",
    "[[account]] sent [[value]] invitations this ISO week (cap [[threshold]]). LinkedIn "
    "restricts accounts that send too many invitations (about 100 a week): slow down.",
    "socialkpi:weekly_invitations_max",
)
AD_CTR_LOW = AlertSpec(
    "AdClickThroughRateLow",
    "warning",
    KPI,
    "[[account]]: ad CTR [[value_pct]] under [[threshold_pct]] "
    "(campaign [[campaign_id]], creative [[creative_id]])",
    "Creative [[creative_id]] of campaign [[campaign_id]] ([[format]]) has a click-through "
    "rate of [[value_pct]] today, under the [[threshold_pct]] floor, for at least [[for]]. "
    "Rework the creative or its audience.",
    "socialkpi:ad_ctr_min",
)
TARGET_DOWN = AlertSpec(
    "SocialkpiTargetDown",
    "critical",
    WORKER,
    "socialkpi worker [[instance]] is down",
    "Prometheus has not scraped [[instance]] (job [[job]]) for [[for]]. KPI alerts are "
    "inhibited while it is down.",
)
NO_EVENTS = AlertSpec(
    "SocialkpiNoEventsProcessed",
    "critical",
    WORKER,
    "socialkpi worker [[instance]] processes no events while input is waiting",
    "[[instance]] processed no event in [[events_window]] while its consumer lag is "
    "positive, for [[for]]. KPI alerts are inhibited meanwhile.",
)
EVALUATION_STALLED = AlertSpec(
    "SocialkpiEvaluationStalled",
    "critical",
    WORKER,
    "socialkpi worker [[instance]] publishes no evaluation",
    "[[instance]] published no KPI evaluation for over [[evaluation_max_age]]: every KPI "
    "gauge is frozen. KPI alerts are inhibited meanwhile.",
)
DEAD_LETTERS = AlertSpec(
    "SocialkpiDeadLettersRising",
    "warning",
    WORKER,
    "socialkpi worker [[instance]] sends events to the dead-letter topic",
    "[[instance]] rejected more than [[dead_letters_max]] messages in [[dead_letters_window]] "
    "(socialkpi_dead_letters_total by reason). A collector sends bad input.",
)
LAG_GROWING = AlertSpec(
    "SocialkpiConsumerLagGrowing",
    "warning",
    WORKER,
    "socialkpi consumer lag of [[topic]] keeps growing on [[instance]]",
    "The lag of [[topic]] is over [[lag_min]] messages and grew over [[lag_window]], for "
    "[[for]]: the worker cannot keep up. Add partitions and workers, or find the slow step.",
)

ALERTS: tuple[AlertSpec, ...] = (
    ACCEPTANCE_LOW,
    ACCEPTANCE_BELOW_BASELINE,
    REPLY_LOW,
    STALE_PENDING,
    WEEKLY_CAP,
    AD_CTR_LOW,
    TARGET_DOWN,
    NO_EVENTS,
    EVALUATION_STALLED,
    DEAD_LETTERS,
    LAG_GROWING,
)
BY_NAME = {spec.name: spec for spec in ALERTS}
LABEL_TOKENS = ("account", "campaign_id", "creative_id", "format", "instance", "job", "topic")


def _static(spec: AlertSpec, config: AlertingConfig) -> dict[str, str]:
    w = config.worker
    return {
        "for": config.sustain_of(spec.name),
        "events_window": w.events_window,
        "evaluation_max_age": w.evaluation_max_age,
        "dead_letters_max": str(w.dead_letters_max),
        "dead_letters_window": w.dead_letters_window,
        "lag_min": str(w.lag_min),
        "lag_window": w.lag_window,
    }


def _fill(text: str, values: Mapping[str, str]) -> str:
    for token, value in values.items():
        text = text.replace(f"[[{token}]]", value)
    if "[[" in text:
        raise ValueError(f"unfilled token in {text!r}")
    return text


def _go_query(query: str, fmt: str) -> str:
    return f"{{{{ with printf `{query}` $labels.account_id | query }}}}" + (
        f"{{{{ . | first | value | {fmt} }}}}{{{{ end }}}}"
    )


def go_annotations(spec: AlertSpec, config: AlertingConfig) -> dict[str, str]:
    """summary, description and runbook_url as Prometheus templates."""
    values = _static(spec, config)
    for label in LABEL_TOKENS:
        values[label] = f"{{{{ $labels.{'account_id' if label == 'account' else label} }}}}"
    values["value"] = "{{ $value | humanize }}"
    values["value_pct"] = "{{ $value | humanizePercentage }}"
    if spec.threshold_series:
        query = spec.threshold_series + "{account_id=%q}"
        values["threshold"] = _go_query(query, "humanize")
        values["threshold_pct"] = _go_query(query, "humanizePercentage")
    if spec.sample_query:
        values["sample"] = _go_query(spec.sample_query, "humanize")
    return {
        "summary": _fill(spec.summary, values),
        "description": _fill(spec.description, values),
        "runbook_url": config.runbook_url(spec.name),
    }


def expected_annotations(
    spec: AlertSpec,
    config: AlertingConfig,
    labels: Mapping[str, str],
    value: float,
    threshold: float | None = None,
    sample: float | None = None,
) -> dict[str, str]:
    """The annotations Prometheus renders for an alert with these labels and numbers."""
    values = _static(spec, config)
    for label in LABEL_TOKENS:
        key = "account_id" if label == "account" else label
        values[label] = labels.get(key, "")
    values["value"] = humanize(value)
    values["value_pct"] = humanize_percentage(value)
    if threshold is not None:
        values["threshold"] = humanize(threshold)
        values["threshold_pct"] = humanize_percentage(threshold)
    if sample is not None:
        values["sample"] = humanize(sample)
    return {
        "summary": _fill(spec.summary, values),
        "description": _fill(spec.description, values),
        "runbook_url": config.runbook_url(spec.name),
    }


def _go_g4(v: float) -> str:
    """Go's ``%.4g`` (same as Python's for finite numbers)."""
    return format(v, ".4g")


def humanize(v: float) -> str:
    """Prometheus' ``humanize`` template function (SI prefixes, 4 significant digits)."""
    if v == 0 or math.isnan(v) or math.isinf(v):
        return _go_g4(v)
    prefix = ""
    if abs(v) >= 1:
        for p in ("k", "M", "G", "T", "P", "E", "Z", "Y"):
            if abs(v) < 1000:
                break
            prefix, v = p, v / 1000
    else:
        for p in ("m", "u", "n", "p", "f", "a", "z", "y"):
            if abs(v) >= 1:
                break
            prefix, v = p, v * 1000
    return _go_g4(v) + prefix


def humanize_percentage(v: float) -> str:
    """Prometheus' ``humanizePercentage``."""
    return _go_g4(v * 100) + "%"
