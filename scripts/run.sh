#!/usr/bin/env bash
# The main job: real Kafka and Redis on loopback (started if needed), then the live worker in
# the foreground. Ctrl-C stops the worker cleanly (the services keep running: `make
# services-down` stops them). DEMO=1 also feeds the demo event generator into Kafka.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}

bash scripts/services.sh up
eval "$(bash scripts/services.sh env)"

# Member ids are pseudonymized with a key; keep a local pair of keys for the demo setup
# unless the environment provides them (never commit .services/, it holds these keys).
KEYS=.services/keys.env
if [[ -z "${SOCIALKPI_PSEUDONYM_KEY:-}" ]]; then
  if [[ ! -f $KEYS ]]; then
    umask 077
    {
      echo "export SOCIALKPI_PSEUDONYM_KEY=$("$VENV/bin/python" -m sinks.privacy)"
      echo "export SOCIALKPI_REVEAL_KEY=$("$VENV/bin/python" -m sinks.privacy)"
    } >"$KEYS"
    echo "[run] generated pseudonym and reveal keys in $KEYS"
  fi
  # shellcheck disable=SC1090
  source "$KEYS"
fi
export SOCIALKPI_METRICS_PORT=${SOCIALKPI_METRICS_PORT:-9464}

cat <<INFO
[run] worker starting (Ctrl-C stops it)
[run]   Kafka    $SOCIALKPI_KAFKA_BOOTSTRAP  (input topics linkedin.*, dead letters linkedin.dead-letters)
[run]   Redis    ${SOCIALKPI_REDIS_URL}  (keys socialkpi:*, see docs/redis.md)
[run]   metrics  http://127.0.0.1:${SOCIALKPI_METRICS_PORT}/metrics
[run]   read     source $KEYS && $VENV/bin/socialkpi show [ACCOUNT]  (no ACCOUNT: list them)
[run]   feed     make demo   (in another terminal), or run with DEMO=1
INFO

demo_pid=""
stop_demo() { [[ -n $demo_pid ]] && kill "$demo_pid" 2>/dev/null && wait "$demo_pid" 2>/dev/null; true; }
trap stop_demo EXIT
if [[ "${DEMO:-0}" == 1 ]]; then
  bash scripts/demo.sh &
  demo_pid=$!
fi
"$VENV/bin/socialkpi" worker || status=$?
status=${status:-0}
# 130 = interrupted by Ctrl-C: that is how the worker is meant to stop.
[[ $status == 130 ]] && status=0
exit "$status"
