"""The generated dashboards: committed JSON and docs equal the generator's output, the JSON
round-trips through the SDK's models, and the layout, variables and threshold lines hold."""

from __future__ import annotations

import json
from typing import Any

import pytest

from grafana_dashboards.__main__ import main
from grafana_dashboards.build import BOARDS, OUT_DIR, build_model, encode, render
from grafana_dashboards.docs import DOCS_PATH, render_docs
from grafana_dashboards.limits import SSI_GOOD, alert_defaults
from grafana_dashboards.queries import iter_panels
from grafana_dashboards.sdk import dm, prom_models, register_default_plugins

REGENERATE = "stale: regenerate with .venv/bin/python -m grafana_dashboards"
RENDERED = render()
BY_UID = {name.removesuffix(".json"): json.loads(text) for name, text in RENDERED.items()}


def panel(uid: str, title: str) -> dict[str, Any]:
    found = [p for _, p in iter_panels(BY_UID[uid]) if p["title"] == title]
    assert len(found) == 1, f"{uid}: {len(found)} panels titled {title!r}"
    return found[0]


def threshold_steps(p: dict[str, Any]) -> list[tuple[float | None, str]]:
    steps = p["fieldConfig"]["defaults"]["thresholds"]["steps"]
    return [(s["value"], s["color"]) for s in steps]


# --------------------------------------------------------------------------- drift


@pytest.mark.parametrize("name", sorted(RENDERED))
def test_committed_json_is_the_generator_output(name: str) -> None:
    path = OUT_DIR / name
    assert path.is_file(), f"{path} missing; {REGENERATE}"
    assert path.read_text(encoding="utf-8") == RENDERED[name], f"{path} {REGENERATE}"


def test_no_stray_dashboard_files() -> None:
    assert {p.name for p in OUT_DIR.glob("*.json")} == set(RENDERED)


def test_docs_are_rendered_from_the_dashboards() -> None:
    docs = render_docs()
    assert DOCS_PATH.read_text(encoding="utf-8") == docs, f"{DOCS_PATH} {REGENERATE}"
    for dashboard in BY_UID.values():
        for _, p in iter_panels(dashboard):
            assert f"| {p['title']} |" in docs


def test_check_mode_passes_on_the_committed_tree(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--check"]) == 0, capsys.readouterr().err


# --------------------------------------------------------------------------- SDK round trip


@pytest.mark.parametrize("name", sorted(RENDERED))
def test_json_round_trips_through_the_sdk_models(name: str) -> None:
    """Decoding with the SDK's models (plugins registered, so panels and Prometheus targets
    get their typed classes) and encoding again gives the same text, byte for byte."""
    register_default_plugins()
    decoded = dm.Dashboard.from_json(json.loads(RENDERED[name]))
    assert encode(decoded) == RENDERED[name]
    targets = [t for p in decoded.panels or [] if isinstance(p, dm.Panel) for t in p.targets or []]
    assert targets
    assert all(isinstance(t, prom_models.Dataquery) for t in targets)


def test_builders_are_deterministic() -> None:
    limits = alert_defaults()
    for board in BOARDS:
        assert encode(build_model(board, limits)) == encode(build_model(board, limits))


# --------------------------------------------------------------------------- structure


def test_four_kpi_dashboards_and_worker_health() -> None:
    assert set(BY_UID) == {
        "socialkpi-network",
        "socialkpi-content",
        "socialkpi-messages",
        "socialkpi-ads",
        "socialkpi-worker",
    }
    titles = [d["title"] for d in BY_UID.values()]
    assert len(set(titles)) == len(titles)


@pytest.mark.parametrize("uid", sorted(BY_UID))
def test_variables_datasource_and_ids(uid: str) -> None:
    dashboard = BY_UID[uid]
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    account = variables["account_id"]
    assert account["type"] == "query"
    assert account["query"].startswith("label_values(")
    assert account["datasource"]["uid"] == "${datasource}"
    assert dashboard["uid"] == uid and "socialkpi" in dashboard["tags"]
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids)) and 0 not in ids
    for _, p in iter_panels(dashboard):
        assert p["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        assert p["targets"], p["title"]
        refs = [t["refId"] for t in p["targets"]]
        assert len(refs) == len(set(refs))
        assert p.get("description"), f"{p['title']}: every panel says what it shows"


@pytest.mark.parametrize("uid", sorted(BY_UID))
def test_grid_has_no_overlap(uid: str) -> None:
    taken: set[tuple[int, int]] = set()
    for p in BY_UID[uid]["panels"]:
        pos = p["gridPos"]
        assert pos["x"] >= 0 and pos["x"] + pos["w"] <= 24, p["title"]
        cells = {
            (x, y)
            for x in range(pos["x"], pos["x"] + pos["w"])
            for y in range(pos["y"], pos["y"] + pos["h"])
        }
        assert not cells & taken, f"{uid}: {p['title']} overlaps"
        taken |= cells


def test_acceptance_panel_has_the_alert_floor_line() -> None:
    p = panel("socialkpi-network", "Acceptance rate, 96 h cohort")
    floor = alert_defaults().acceptance_rate_min
    assert floor == pytest.approx(0.30)
    assert threshold_steps(p) == [(None, "red"), (floor, "green")]
    assert p["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"]["mode"] == "dashed"
    assert p["fieldConfig"]["defaults"]["unit"] == "percentunit"
    assert 'period="rolling_96h"' in p["targets"][0]["expr"]


def test_ssi_panel_has_the_60_line() -> None:
    p = panel("socialkpi-network", "Social Selling Index")
    assert threshold_steps(p) == [(None, "orange"), (SSI_GOOD, "green")]
    assert SSI_GOOD == 60
    assert p["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"]["mode"] == "dashed"


def test_weekly_cap_line_comes_from_the_alert_config() -> None:
    p = panel("socialkpi-network", "Invitations sent vs weekly cap")
    assert threshold_steps(p) == [(None, "green"), (alert_defaults().weekly_invitations_max, "red")]
