"""Published contracts stay in sync: the JSON Schema file and the KPI catalog in docs/kpis.md."""

from __future__ import annotations

import json
import re
from pathlib import Path

from models.schema import event_json_schema

from .helpers import (
    accepted,
    ad,
    interaction,
    msg_received,
    msg_sent,
    outcome,
    profile,
    published,
    report,
    run,
    sent,
    snapshot,
    ssi,
)

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "docs" / "schema" / "events.schema.json"
CATALOG = ROOT / "docs" / "kpis.md"
EVENT_TYPES = {
    "post.published",
    "post.interaction",
    "post.snapshot",
    "invitation.sent",
    "invitation.accepted",
    "invitation.withdrawn",
    "message.sent",
    "message.received",
    "ad.impression",
    "ad.click",
    "ad.video_view",
    "ad.send",
    "ad.open",
    "ad.lead",
    "ad.conversion",
    "ad.daily_report",
    "profile.snapshot",
    "outcome.recorded",
}


def test_committed_schema_equals_the_generated_one() -> None:
    generated = json.dumps(event_json_schema(), indent=2, sort_keys=True) + "\n"
    committed = SCHEMA_FILE.read_text(encoding="utf-8")
    assert committed == generated, "docs/schema/events.schema.json is stale: run `make schema`"


def test_schema_covers_every_event_type_of_the_spec() -> None:
    text = json.dumps(event_json_schema())
    for type_ in EVENT_TYPES:
        assert f'"{type_}"' in text, type_
    schema = event_json_schema()
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert schema["discriminator"]["propertyName"] == "type"


def catalog_names() -> set[str]:
    """Every KPI name in the first column of the tables of docs/kpis.md."""
    names: set[str] = set()
    for line in CATALOG.read_text(encoding="utf-8").splitlines():
        if not line.startswith("| `"):
            continue
        first_cell = line.split("|")[1]
        names.update(re.findall(r"`([a-z0-9_]+)`", first_cell))
    return names


def test_every_documented_kpi_has_a_hand_worked_unit_test() -> None:
    names = catalog_names()
    assert len(names) > 60  # sanity: the tables were parsed
    me = Path(__file__)
    tests = [p for p in me.parent.glob("test_*.py") if p.name != me.name]
    text = "".join(p.read_text(encoding="utf-8") for p in tests)
    untested = sorted(n for n in names if f'"{n}"' not in text)
    assert untested == []


def _everything() -> list[dict]:
    """One event of every type, enough to make every family emit."""
    t = "2026-11-19T10:00:00Z"
    return [
        sent("i1", "2026-10-20T10:00:00Z"),
        sent("i2", t, target=True),
        accepted("i2", "2026-11-19T11:00:00Z"),
        accepted("orphan", "2026-11-19T11:00:00Z"),
        profile("2026-11-10T10:00:00Z", connections=10, ssi=ssi(10, 10, 10, 10)),
        profile(
            t,
            connections=12,
            followers=5,
            profile_views_90d=1,
            search_appearances_7d=2,
            target_in_first_degree=3,
            ssi=ssi(11, 11, 11, 11, industry_rank_pct=3, network_rank_pct=4),
        ),
        published("p", "2026-11-17T10:00:00Z"),
        interaction("p", "view", t, count=10),
        interaction("p", "reaction", t, count=5, actor="fan", degree=2),
        snapshot("q", t, views=10, clicks=1),
        msg_sent("c", t),
        msg_received("c", "2026-11-19T10:05:00Z"),
        outcome("customer_won", "2026-11-02T10:00:00Z", "w1", value="100"),
        outcome("customer_won", "2026-11-03T10:00:00Z", "w3"),
        outcome("customer_churned", "2026-11-18T10:00:00Z", "w1"),
        outcome("customer_churned", "2026-11-18T11:00:00Z", "w3"),
        outcome("customer_won", "2026-11-18T10:00:00Z", "w2", value="300"),
        outcome("lead", t, "l"),
        outcome("meeting", t, "l"),
        outcome("proposal", t, "l"),
        ad("impression", t, count=100, cost="5", card_index=0, format="carousel"),
        ad("click", t, count=2, card_index=0, format="carousel"),
        *[ad(k, t, count=2) for k in ("click", "video_view", "send", "open", "lead", "conversion")],
        ad("impression", "2026-11-18T10:00:00Z", count=100, cost="5"),
        report("2026-11-18", t, impressions=100, clicks=2, cost="5"),
    ]


def test_every_emitted_kpi_is_documented() -> None:
    r = run(_everything(), as_of="2026-11-20T12:00:00Z")
    assert r.kpis() - catalog_names() == set()


def test_every_documented_kpi_is_emitted_by_a_full_scenario() -> None:
    r = run(_everything(), as_of="2026-11-20T12:00:00Z")
    assert catalog_names() - r.kpis() == set()
