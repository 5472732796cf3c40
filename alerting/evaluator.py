"""The worker's own evaluation of the two acceptance-rate alerts (no Kafka, Redis or Faust).

Same semantics as the generated Prometheus rules, on the same records the exporter turns into
gauges: a rule's condition is checked at each evaluation; it becomes *pending* when it first
holds, *fires* once it has held for the rule's ``for:`` (measured in evaluation time, i.e.
the records' ``as_of``, ``at - active_since >= for``; ``for: 0s`` fires at once) and
*resolves* at the first evaluation where it no longer holds (a missing KPI = not holding,
like an absent series). A pending condition that stops holding leaves no trace. State is one
small entry per (account, rule) that is pending or firing.

Known difference: Prometheus measures ``for:`` on its own evaluation clock and starts over
when an account's series move to another scrape target; this evaluator measures it on the
records' ``as_of`` and keeps its state where the worker keeps it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from alerting.baseline import acceptance_baseline
from alerting.catalog import ACCEPTANCE_BELOW_BASELINE, ACCEPTANCE_LOW
from alerting.config import AlertingConfig, load_config
from kpis.timeutil import US, format_ts, parse_ts
from models.records import KpiRecord

RULES = (ACCEPTANCE_LOW.name, ACCEPTANCE_BELOW_BASELINE.name)
SEVERITY = {spec.name: spec.severity for spec in (ACCEPTANCE_LOW, ACCEPTANCE_BELOW_BASELINE)}


class AlertTransition(BaseModel):
    """One firing/resolved transition, as published to Kafka and Redis (JSON).

    ``value`` is the 96 h acceptance rate, ``threshold`` what it was compared with (the
    account's threshold, or fraction x its 28-day baseline), ``sample`` the invitations of
    the 96 h cohort; all three are the evaluation's numbers (None when absent, e.g. a
    resolution because the cohort emptied). ``at`` is the evaluation time, ``active_since``
    when the condition started to hold (Prometheus' ``activeAt``)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    version: Literal[1] = 1
    account_id: str
    rule: str
    state: Literal["firing", "resolved"]
    at: str
    active_since: str
    value: float | None
    threshold: float | None
    sample: int | None
    severity: str = "warning"

    def to_json(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_json(cls, text: str | bytes) -> AlertTransition:
        return cls.model_validate_json(text)

    @property
    def key(self) -> str:
        """``account_id:rule``: one alert's identity (a Redis hash field, a Kafka key)."""
        return f"{self.account_id}:{self.rule}"


@dataclass(frozen=True, slots=True)
class RuleCheck:
    """A rule's condition at one evaluation, with the numbers it compared."""

    rule: str
    holds: bool
    value: float | None
    threshold: float | None
    sample: int | None


def _lookup(records: Iterable[KpiRecord]) -> dict[tuple[str, str], KpiRecord]:
    wanted = {"invitation_acceptance_rate", "invitation_cohort_sent"}
    return {
        (r.kpi, r.period): r
        for r in records
        if r.kpi in wanted and r.period == "rolling_96h" and not r.dims
    }


def check_rules(
    config: AlertingConfig, account_id: str, records: Sequence[KpiRecord]
) -> list[RuleCheck]:
    """The two acceptance conditions for one account's records (pure, no sustain)."""
    t = config.thresholds_for(account_id)
    found = _lookup(records)
    rate_record = found.get(("invitation_acceptance_rate", "rolling_96h"))
    sent_record = found.get(("invitation_cohort_sent", "rolling_96h"))
    rate = float(rate_record.value) if rate_record is not None else None
    sent = int(sent_record.value) if sent_record is not None else None
    enough = sent is not None and sent >= t.acceptance_min_cohort_sent
    low = rate is not None and enough and rate < t.acceptance_rate_min
    checks = [RuleCheck(ACCEPTANCE_LOW.name, low, rate, t.acceptance_rate_min, sent)]

    baseline = acceptance_baseline(records)
    base_ratio = baseline.ratio if baseline is not None else None
    floor = base_ratio * t.baseline_fraction if base_ratio is not None else None
    below = (
        rate is not None
        and floor is not None
        and enough
        and baseline is not None
        and baseline.sent >= t.acceptance_min_cohort_sent
        and rate < floor
    )
    checks.append(RuleCheck(ACCEPTANCE_BELOW_BASELINE.name, below, rate, floor, sent))
    return checks


@dataclass(slots=True)
class RuleState:
    """A pending (``firing`` False) or firing alert of one (account, rule)."""

    active_since_us: int
    firing: bool = False


class AlertEvaluator:
    """Turns successive evaluations of each account into firing/resolved transitions."""

    def __init__(self, config: AlertingConfig | None = None) -> None:
        self.config = config or load_config()
        self._sustain_us = {r: round(self.config.sustain_seconds(r) * US) for r in RULES}
        self._state: dict[tuple[str, str], RuleState] = {}

    def evaluate(
        self, account_id: str, records: Sequence[KpiRecord], at: str | None = None
    ) -> list[AlertTransition]:
        """Check one account's records of one evaluation (``at`` defaults to their
        ``as_of``) and return the transitions it causes."""
        if at is None:
            if not records:
                raise ValueError("no records: pass the evaluation time as `at`")
            at = records[0].as_of
        now = parse_ts(at)
        out: list[AlertTransition] = []
        for check in check_rules(self.config, account_id, records):
            key = (account_id, check.rule)
            state = self._state.get(key)
            if not check.holds:
                if state is not None:
                    del self._state[key]
                    if state.firing:
                        out.append(self._transition("resolved", account_id, check, at, state))
                continue
            if state is None:
                state = self._state[key] = RuleState(now)
            if not state.firing and now - state.active_since_us >= self._sustain_us[check.rule]:
                state.firing = True
                out.append(self._transition("firing", account_id, check, at, state))
        return out

    def _transition(
        self,
        kind: Literal["firing", "resolved"],
        account: str,
        check: RuleCheck,
        at: str,
        state: RuleState,
    ) -> AlertTransition:
        return AlertTransition(
            account_id=account,
            rule=check.rule,
            state=kind,
            at=at,
            active_since=format_ts(state.active_since_us),
            value=check.value,
            threshold=check.threshold,
            sample=check.sample,
            severity=SEVERITY[check.rule],
        )

    def firing(self) -> set[tuple[str, str]]:
        """(account, rule) of every firing alert."""
        return {key for key, state in self._state.items() if state.firing}

    def accounts(self) -> set[str]:
        """Accounts with a pending or firing alert (evaluated every time: a pending one
        fires with time alone)."""
        return {account for account, _rule in self._state}

    def forget(self, account_id: str) -> None:
        """Drop an account's state (it moved to another worker), without transitions."""
        for key in [k for k in self._state if k[0] == account_id]:
            del self._state[key]

    def export_state(self, account_id: str) -> dict[str, Any]:
        """An account's state as JSON-able data (to keep it next to the account's state)."""
        return {
            rule: {"active_since_us": s.active_since_us, "firing": s.firing}
            for (account, rule), s in self._state.items()
            if account == account_id
        }

    def load_state(self, account_id: str, data: Mapping[str, Mapping[str, Any]]) -> None:
        """Restore what `export_state` returned (unknown rules are ignored)."""
        self.forget(account_id)
        for rule, item in data.items():
            if rule in RULES:
                state = RuleState(int(item["active_since_us"]), bool(item["firing"]))
                self._state[(account_id, rule)] = state
