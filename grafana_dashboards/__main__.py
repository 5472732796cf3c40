"""``python -m grafana_dashboards [--check]``: write (or check) the dashboards and their doc."""

from __future__ import annotations

import argparse
import sys

from grafana_dashboards.build import OUT_DIR, ROOT, stale_files, write
from grafana_dashboards.docs import DOCS_PATH, render_docs, write_docs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grafana_dashboards", description=__doc__)
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if the committed JSON or docs/dashboards.md are stale",
    )
    args = parser.parse_args(argv)
    if args.check:
        stale = [str((OUT_DIR / name).relative_to(ROOT)) for name in stale_files()]
        if not DOCS_PATH.is_file() or DOCS_PATH.read_text(encoding="utf-8") != render_docs():
            stale.append(str(DOCS_PATH.relative_to(ROOT)))
        for path in stale:
            print(f"stale: {path}", file=sys.stderr)
        if stale:
            print("regenerate with: .venv/bin/python -m grafana_dashboards", file=sys.stderr)
        return 1 if stale else 0
    for written in [*write(), write_docs()]:
        print(written.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
