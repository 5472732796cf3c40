"""Build every dashboard, encode it as Grafana JSON, write it or check the committed copy.

The committed files under ``deploy/grafana/dashboards/`` are exactly `render()` of the
builders (a test compares them), so a change to the dashboards is a change to the code.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alerting.config import Thresholds
from grafana_dashboards import ads, content, messages, network, worker
from grafana_dashboards.limits import alert_defaults
from grafana_dashboards.panels import DashboardBuilder
from grafana_dashboards.sdk import JSONEncoder, dm

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "deploy" / "grafana" / "dashboards"


@dataclass(frozen=True, slots=True)
class Board:
    """One dashboard: its uid (also the JSON file name), title and builder function."""

    uid: str
    title: str
    make: Callable[[Thresholds], DashboardBuilder]

    @property
    def filename(self) -> str:
        return f"{self.uid}.json"


BOARDS: tuple[Board, ...] = tuple(
    Board(module.UID, module.TITLE, module.build)
    for module in (network, content, messages, ads, worker)
)


def build_model(board: Board, limits: Thresholds | None = None) -> dm.Dashboard:
    """The SDK model of `board`, panels numbered 1, 2, ... in layout order (Grafana wants
    unique panel ids; the builders leave them unset)."""
    model = board.make(limits or alert_defaults()).build()
    for number, panel in enumerate(_walk(model.panels or []), start=1):
        panel.id_val = number
    return model


def _walk(panels: list[Any]) -> Iterator[Any]:
    for panel in panels:
        yield panel
        yield from _walk(getattr(panel, "panels", None) or [])


def encode(model: dm.Dashboard) -> str:
    """Canonical JSON text: sorted keys, 2-space indent, final newline."""
    return JSONEncoder(sort_keys=True, indent=2, ensure_ascii=False).encode(model) + "\n"


def render(limits: Thresholds | None = None) -> dict[str, str]:
    """File name -> JSON text of every dashboard."""
    limits = limits or alert_defaults()
    return {board.filename: encode(build_model(board, limits)) for board in BOARDS}


def dashboards_json(limits: Thresholds | None = None) -> list[dict[str, Any]]:
    """Every dashboard as the decoded JSON Grafana receives."""
    return [json.loads(text) for text in render(limits).values()]


def write(out_dir: Path = OUT_DIR) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render().items():
        path = out_dir / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def stale_files(out_dir: Path = OUT_DIR) -> list[str]:
    """Files that differ from the generator's output, are missing, or are left over."""
    expected = render()
    present = {p.name for p in out_dir.glob("*.json")} if out_dir.is_dir() else set()
    stale = [
        name
        for name, text in expected.items()
        if not (out_dir / name).is_file() or (out_dir / name).read_text(encoding="utf-8") != text
    ]
    return sorted(stale + sorted(present - set(expected)))
