"""The worker's counters, kept in plain dicts on the hot path and handed to Prometheus per batch.

Per event the worker only bumps a `Counter` keyed by (event type, outcome); `end_batch`
moves those counts into the exporter's labelled counters once per batch, so the
prometheus-client locks are taken per batch, not per event.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sinks.prometheus.worker_metrics import WorkerMetrics

MAX_REASONS = 200  # distinct dead-letter reasons kept in the status (kinds are few)


@dataclass(slots=True)
class WorkerStats:
    """Counters for the Redis status and the Prometheus health metrics."""

    outcomes: Counter[str]  # applied / duplicate / late / after_as_of (the engine's stats)
    metrics: WorkerMetrics | None = None
    messages: int = 0
    batches: int = 0
    dead_letters: Counter[str] = field(default_factory=Counter)  # by kind
    dead_letter_reasons: Counter[str] = field(default_factory=Counter)  # by reason (bounded)
    evaluations: int = 0
    last_evaluation_s: float = 0.0
    last_evaluation_records: int = 0  # records published (upserts and deletes)
    last_evaluation_accounts: int = 0  # accounts evaluated (due, or all after a rebuild)
    last_evaluation_at: str = ""
    batch_outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)
    batch_dead_letters: Counter[str] = field(default_factory=Counter)
    # input records not applied by the offset ledger: skip (re-delivered), discard (resync)
    not_applied: Counter[str] = field(default_factory=Counter)

    def dead_letter(self, kind: str, reason: str) -> None:
        kind = str(kind)  # a RejectKind: its value, in logs and the status alike
        self.dead_letters[kind] += 1
        self.batch_dead_letters[kind] += 1
        if reason in self.dead_letter_reasons or len(self.dead_letter_reasons) < MAX_REASONS:
            self.dead_letter_reasons[reason] += 1
        else:
            self.dead_letter_reasons["(other)"] += 1

    def end_batch(self) -> None:
        """Publish the batch's counts to the Prometheus counters, then reset them."""
        metrics = self.metrics
        if metrics is not None:
            for (event_type, outcome), n in self.batch_outcomes.items():
                metrics.event_processed(event_type, n)
                if outcome == "duplicate":
                    metrics.duplicate_event(event_type, n)
                elif outcome == "late":
                    metrics.late_event(event_type, n)
            for kind, n in self.batch_dead_letters.items():
                metrics.dead_letter(kind, n)
        self.batch_outcomes.clear()
        self.batch_dead_letters.clear()

    def snapshot(self) -> dict[str, Any]:
        return {
            "messages": self.messages,
            "batches": self.batches,
            "outcomes": dict(self.outcomes),
            "dead_letters": dict(self.dead_letters),
            "not_applied": dict(self.not_applied),
            "dead_letter_reasons": dict(self.dead_letter_reasons),
            "evaluations": self.evaluations,
            "last_evaluation_s": round(self.last_evaluation_s, 4),
            "last_evaluation_records": self.last_evaluation_records,
            "last_evaluation_accounts": self.last_evaluation_accounts,
            "last_evaluation_at": self.last_evaluation_at,
        }
