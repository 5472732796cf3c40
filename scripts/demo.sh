#!/usr/bin/env bash
# Demo feed for the main job: `socialkpi generate` with its last day today, paced, into the
# worker's input topics. Run beside `make run`; Ctrl-C stops it. Extra arguments go to
# `socialkpi generate` (e.g. --accounts 6 --acceptance 0.2).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
bash scripts/services.sh up >/dev/null
eval "$(bash scripts/services.sh env)"
exec "$VENV/bin/socialkpi" generate --accounts 4 --start today --rate 2000 --kafka "$@"
