#!/usr/bin/env bash
# Demo feed for the main job: generated events (history up to now, then live) into the
# worker's input topics. Run beside `make run`; Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
bash scripts/services.sh up >/dev/null
eval "$(bash scripts/services.sh env)"
"$VENV/bin/python" -m streams.topics >/dev/null  # the topics, if the worker has not made them yet
exec "$VENV/bin/python" scripts/demo_feed.py "$@"
