"""The bundled demo log `cli/sample/events.jsonl`, rebuilt with `python -m gen.sample`.

Two reps over 8 days from a Wednesday, fixed seed: every KPI family has data; `rep-02`
accepts few invitations (its rolling 96 h cohort is under 0.30 with well over 20 sent, the
alert demo) while `rep-01` stays healthy. About 1 % exact duplicates, a share of late
deliveries, and three invalid lines (malformed JSON, a mistyped field, a timestamp without
offset), each carrying the `event_id` of a valid event, which replay must skip without
losing that event.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

from gen.synthetic import Event, GeneratorConfig, generate_events, make_invalid, write_events

SAMPLE_PATH = Path(__file__).resolve().parent.parent / "cli" / "sample" / "events.jsonl"
SAMPLE_SEED = 20260304
SAMPLE_START = "2026-03-04"  # a Wednesday: the log spans two ISO weeks and ends on a weekday
SAMPLE_DAYS = 8
SAMPLE_ACCOUNTS = ("rep-01", "rep-02")
SAMPLE_CONFIG = GeneratorConfig(
    duplicate_rate=0.01,
    late_rate=0.02,
    snapshot_post_share=0.4,
    personas={
        "rep-01": {
            "invitations_per_day": 35,
            "acceptance": 0.46,
            "posts_per_week": 4,
            "post_reach": 1000,
            "messages_per_day": 8,
            "reply_rate": 0.26,
            "outcomes_per_day": 3,
            "ssi": 66,
            "ad_campaigns": 1,
            "ad_formats": "carousel",
            "currency": "EUR",
        },
        "rep-02": {
            "invitations_per_day": 30,
            "acceptance": 0.25,
            "posts_per_week": 3,
            "post_reach": 900,
            "messages_per_day": 6,
            "reply_rate": 0.22,
            "outcomes_per_day": 2,
            "ssi": 47,
            "ad_campaigns": 1,
            "ad_formats": "video",
            "currency": "EUR",
        },
    },
)
INVALID_SAMPLE_KINDS = ("malformed_json", "wrong_type", "no_offset")


def sample_events() -> list[Event]:
    events = list(
        generate_events(
            SAMPLE_SEED, SAMPLE_ACCOUNTS, SAMPLE_DAYS, SAMPLE_START, config=SAMPLE_CONFIG
        )
    )
    rng = random.Random(SAMPLE_SEED)
    # Spread the invalid lines over the file; each copies a valid event of a type that has
    # the field the breakage needs, and lands just before or after it.
    for i, kind in enumerate(INVALID_SAMPLE_KINDS):
        position = len(events) * (i + 1) // (len(INVALID_SAMPLE_KINDS) + 1)
        while kind == "wrong_type" and "count" not in events[position]:
            position += 1
        bad = make_invalid(events[position], kind)
        events.insert(position + rng.randint(0, 1), bad)
    return events


# One KPI per family of docs/kpis.md that the demo must show for some account.
FAMILY_KPIS = (
    "invitation_acceptance_rate",
    "stale_pending_invitations",
    "new_connections",
    "connections",
    "ssi_total",
    "posts_published",
    "post_hourly_views",
    "post_engagement_rate",
    "warm_prospects",
    "reply_rate",
    "customers_won",
    "conversion_rate",
    "ad_ctr",
    "ad_card_ctr",
)


def check_sample(path: str) -> list[str]:
    """Problems of a sample log for the demo (empty when fine), by replaying it."""
    import io

    from kpis.replay import replay

    records, summary, _engine = replay([path], errors=io.StringIO())
    problems: list[str] = []
    if not 2 <= summary.rejected <= 3:
        problems.append(f"{summary.rejected} rejected lines, expected 2-3")
    kpis = {record.kpi for record in records}
    problems += [f"no {kpi} record" for kpi in FAMILY_KPIS if kpi not in kpis]
    rolling = {
        (r.account_id, r.kpi): r.value
        for r in records
        if r.period == "rolling_96h"
        and r.kpi in ("invitation_acceptance_rate", "invitation_cohort_sent")
    }
    low = rolling.get(("rep-02", "invitation_acceptance_rate"))
    if low is None or low >= 0.30 or rolling.get(("rep-02", "invitation_cohort_sent"), 0) < 20:
        problems.append(f"rep-02 rolling_96h acceptance {low} is not an alert (< 0.30, >= 20)")
    high = rolling.get(("rep-01", "invitation_acceptance_rate"))
    if high is None or high < 0.30:
        problems.append(f"rep-01 rolling_96h acceptance {high} should stay >= 0.30")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gen.sample", description=__doc__)
    parser.add_argument("--out", default=str(SAMPLE_PATH))
    parser.add_argument("--check", action="store_true", help="replay it and check the demo")
    args = parser.parse_args(argv)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    count = write_events(args.out, sample_events())
    size = Path(args.out).stat().st_size
    print(f"gen.sample: {count} lines, {size} bytes -> {args.out}", file=sys.stderr)
    if args.check:
        problems = check_sample(args.out)
        for problem in problems:
            print(f"gen.sample: {problem}", file=sys.stderr)
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
