#!/usr/bin/env bash
# Local Kafka (single-node KRaft, broker+controller) and Redis on loopback. No Docker.
#
#   bash scripts/services.sh up      # start both (idempotent), wait until really ready
#   bash scripts/services.sh down    # stop what this checkout started, by pid
#   bash scripts/services.sh status  # state of each (exit 0 when both run, 3 otherwise)
#   bash scripts/services.sh env     # export lines for the tests and the engine
#
# Ports (env overrides): SOCIALKPI_KAFKA_PORT (19092), SOCIALKPI_KAFKA_CONTROLLER_PORT (19093),
# SOCIALKPI_REDIS_PORT (16379). Everything else lives in .services/ (git-ignored): Kafka jars
# (from Maven Central via scripts/kafka/pom.xml), data, logs/ and run/ (pid files).
# Needs java 17+ and mvn; redis-server is installed with apt-get when missing.
# A broker that will not start any more (see .services/logs/kafka.log) can be reset with
# `down` then `rm -rf .services/kafka/data`: the next `up` formats a fresh one.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SERVICES_DIR="$ROOT/.services"
RUN_DIR="$SERVICES_DIR/run"
LOG_DIR="$SERVICES_DIR/logs"

HOST=127.0.0.1
KAFKA_PORT=${SOCIALKPI_KAFKA_PORT:-19092}
KAFKA_CONTROLLER_PORT=${SOCIALKPI_KAFKA_CONTROLLER_PORT:-19093}
REDIS_PORT=${SOCIALKPI_REDIS_PORT:-16379}
READY_TIMEOUT=${SOCIALKPI_SERVICES_TIMEOUT:-90} # seconds, per service
STOP_GRACE=${SOCIALKPI_SERVICES_STOP_GRACE:-30} # seconds between TERM and KILL

KAFKA_SRC="$ROOT/scripts/kafka" # pom.xml (jar list) and log4j2.xml
KAFKA_DIR="$SERVICES_DIR/kafka"
KAFKA_LIBS="$KAFKA_DIR/libs"
KAFKA_DATA="$KAFKA_DIR/data"
KAFKA_CONF="$KAFKA_DIR/server.properties"
KAFKA_PID="$RUN_DIR/kafka.pid"
KAFKA_LOG="$LOG_DIR/kafka.log"
MVN_DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1

REDIS_DIR="$SERVICES_DIR/redis"
REDIS_PID="$RUN_DIR/redis.pid"
REDIS_LOG="$LOG_DIR/redis.log"

PYTHON="$ROOT/.venv/bin/python"

# ---------------------------------------------------------------------------------------------
# helpers

log() { printf '[services] %s\n' "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

# Fail with the tail of a service's log.
die_with_log() { # logfile message
  local logfile=$1
  shift
  log "ERROR: $*"
  if [ -f "$logfile" ]; then
    log "---- last lines of $logfile ----"
    tail -n 40 "$logfile" >&2 || true
    log "----"
  fi
  exit 1
}

port_open() { # port
  (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

# Pid (from a pid file) of a live process whose command line contains `pattern`; empty when
# the file is absent, the process is gone or the pid was reused by something else.
live_pid() { # pidfile pattern
  local pidfile=$1 pattern=$2 pid
  [ -f "$pidfile" ] || return 0
  pid=$(tr -dc '0-9' <"$pidfile")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$pattern"; then
    echo "$pid"
  fi
}

port_owner() { # port -> "pid N (name)" when ss can tell, else "unknown process"
  local owner
  owner=$(ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'users:(([^)]*' | head -n 1 || true)
  if [ -n "$owner" ]; then
    echo "$owner" | sed -E 's/users:\(\("([^"]*)",pid=([0-9]+).*/pid \2 (\1)/'
  else
    echo "unknown process"
  fi
}

# The port(s) a managed service was started with, kept beside its pid file: a later call with
# other ports must not take that process for the one it asks for.
started_ports() { # name
  cat "$RUN_DIR/$1.ports" 2>/dev/null || true
}

require_same_ports() { # name pid wanted-ports
  local started
  started=$(started_ports "$1")
  if [ -n "$started" ] && [ "$started" != "$3" ]; then
    die "this checkout's $1 (pid $2) runs with port(s) $started, not $3:" \
      "run 'bash scripts/services.sh down' first"
  fi
}

# Poll `check` until it succeeds; fail (with the log tail) on timeout or when the process dies.
wait_ready() { # name check_fn pidfile pattern logfile
  local name=$1 check=$2 pidfile=$3 pattern=$4 logfile=$5
  local start=$SECONDS
  until "$check"; do
    if [ -f "$pidfile" ] && [ -z "$(live_pid "$pidfile" "$pattern")" ]; then
      die_with_log "$logfile" "$name exited during startup"
    fi
    if [ ! -f "$pidfile" ] && [ $((SECONDS - start)) -ge 10 ]; then
      die_with_log "$logfile" "$name did not write $pidfile: it failed to start"
    fi
    if [ $((SECONDS - start)) -ge "$READY_TIMEOUT" ]; then
      die_with_log "$logfile" "$name not ready after ${READY_TIMEOUT}s"
    fi
    sleep 0.5
  done
  log "$name ready after $((SECONDS - start))s"
}

stop_pid() { # name pid
  local name=$1 pid=$2 waited=0
  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$waited" -ge $((STOP_GRACE * 2)) ]; then
      log "$name (pid $pid) still alive after ${STOP_GRACE}s: KILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.5
    waited=$((waited + 1))
  done
  log "$name stopped"
}

# Serialize concurrent up/down calls of this checkout. Started services must not inherit the
# lock fd (9), or it would stay held for as long as they run: they are launched with 9>&-.
take_lock() {
  mkdir -p "$RUN_DIR" "$LOG_DIR"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$RUN_DIR/services.lock"
    flock -w 300 9 || die "another scripts/services.sh call holds $RUN_DIR/services.lock"
  fi
}

# ---------------------------------------------------------------------------------------------
# Kafka

kafka_fetch_libs() {
  # The jar set is keyed by the pom's checksum, so a version bump downloads again.
  local want stamp="$KAFKA_LIBS/.pom.sha256" tmp="$KAFKA_DIR/libs.partial" start=$SECONDS
  want=$(sha256sum "$KAFKA_SRC/pom.xml" | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  command -v mvn >/dev/null 2>&1 || die "mvn not found: needed once to fetch the Kafka jars"
  log "fetching Kafka jars from Maven Central into $KAFKA_LIBS"
  rm -rf "$tmp"
  mkdir -p "$KAFKA_DIR"
  mvn -q -B -Dstyle.color=never -f "$KAFKA_SRC/pom.xml" \
    "$MVN_DEPENDENCY_PLUGIN:copy-dependencies" -DoutputDirectory="$tmp" \
    >"$LOG_DIR/kafka-fetch.log" 2>&1 9>&- ||
    die_with_log "$LOG_DIR/kafka-fetch.log" "mvn could not fetch the Kafka jars"
  echo "$want" >"$tmp/.pom.sha256"
  rm -rf "$KAFKA_LIBS"
  mv "$tmp" "$KAFKA_LIBS"
  log "Kafka jars: $(find "$KAFKA_LIBS" -name '*.jar' | wc -l) in $((SECONDS - start))s"
}

kafka_write_config() {
  mkdir -p "$KAFKA_DATA"
  cat >"$KAFKA_CONF" <<EOF
# Written by scripts/services.sh on every start: edit the script, not this file.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DATA
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=true
delete.topic.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
log.retention.hours=24
EOF
}

KAFKA_JAVA=(java -Xms256m -Xmx512m -Djava.awt.headless=true
  "-Dlog4j2.configurationFile=file:$KAFKA_SRC/log4j2.xml" -cp "$KAFKA_LIBS/*")

kafka_format_storage() {
  # Formatting again with a new cluster id fails: only when the data dir is blank.
  [ -f "$KAFKA_DATA/meta.properties" ] && return 0
  local cluster_id
  cluster_id=$("${KAFKA_JAVA[@]}" kafka.tools.StorageTool random-uuid 2>>"$KAFKA_LOG" |
    grep -E '^[A-Za-z0-9_-]{22}$' | tail -n 1 || true)
  [ -n "$cluster_id" ] || die_with_log "$KAFKA_LOG" "kafka StorageTool random-uuid failed"
  log "formatting Kafka storage (cluster id $cluster_id)"
  "${KAFKA_JAVA[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_CONF" \
    >>"$KAFKA_LOG" 2>&1 9>&- || die_with_log "$KAFKA_LOG" "Kafka storage format failed"
}

# A real metadata round trip, not only an open port. Asks with the project's aiokafka when
# the venv has it (quick), else with Kafka's own TopicCommand (a JVM start per try).
KAFKA_CHECKER=""
kafka_metadata_ok() {
  port_open "$KAFKA_PORT" || return 1
  if [ -z "$KAFKA_CHECKER" ]; then
    KAFKA_CHECKER=java
    if [ -x "$PYTHON" ] && "$PYTHON" -c 'import aiokafka' 2>/dev/null; then
      KAFKA_CHECKER=python
    fi
  fi
  if [ "$KAFKA_CHECKER" = python ]; then
    timeout 20 "$PYTHON" - "$HOST:$KAFKA_PORT" >/dev/null 2>&1 <<'PY'
import asyncio
import sys

from aiokafka.admin import AIOKafkaAdminClient


async def main(bootstrap: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    await admin.start()
    try:
        cluster = await admin.describe_cluster()
        if not cluster.get("brokers"):
            sys.exit("no broker in the metadata yet")
    finally:
        await admin.close()


asyncio.run(main(sys.argv[1]))
PY
  else
    timeout 30 "${KAFKA_JAVA[@]}" org.apache.kafka.tools.TopicCommand \
      --bootstrap-server "$HOST:$KAFKA_PORT" --list >/dev/null 2>&1
  fi
}

kafka_up() {
  local pid
  pid=$(live_pid "$KAFKA_PID" kafka.Kafka)
  if [ -n "$pid" ]; then
    require_same_ports kafka "$pid" "$KAFKA_PORT $KAFKA_CONTROLLER_PORT"
    if kafka_metadata_ok; then
      log "kafka already running (pid $pid) on $HOST:$KAFKA_PORT"
      return 0
    fi
    log "kafka (pid $pid) is running but not ready yet: waiting"
    wait_ready kafka kafka_metadata_ok "$KAFKA_PID" kafka.Kafka "$KAFKA_LOG"
    return 0
  fi
  rm -f "$KAFKA_PID" "$RUN_DIR/kafka.ports"
  if port_open "$KAFKA_PORT"; then
    # E.g. another checkout's broker on the same machine: usable, but not ours to stop.
    if kafka_metadata_ok; then
      log "kafka: $HOST:$KAFKA_PORT is already served by $(port_owner "$KAFKA_PORT")," \
        "not started by this checkout: reusing it (set SOCIALKPI_KAFKA_PORT for a separate one)"
      return 0
    fi
    die "port $KAFKA_PORT is in use by $(port_owner "$KAFKA_PORT"), which is not a ready" \
      "Kafka broker: set SOCIALKPI_KAFKA_PORT to a free port"
  fi
  if port_open "$KAFKA_CONTROLLER_PORT"; then
    die "controller port $KAFKA_CONTROLLER_PORT is in use by" \
      "$(port_owner "$KAFKA_CONTROLLER_PORT"): set SOCIALKPI_KAFKA_CONTROLLER_PORT"
  fi
  command -v java >/dev/null 2>&1 || die "java not found (Kafka 4.1 needs Java 17+)"

  kafka_fetch_libs
  kafka_write_config
  kafka_format_storage

  log "starting kafka on $HOST:$KAFKA_PORT (controller $KAFKA_CONTROLLER_PORT), log $KAFKA_LOG"
  printf '\n==== %s: kafka start ====\n' "$(date -Is)" >>"$KAFKA_LOG"
  # setsid: its own session, so a Ctrl-C on the caller's terminal does not reach the broker.
  # (No fork here: a background job of a script is no process-group leader, so $! is java.)
  setsid nohup "${KAFKA_JAVA[@]}" kafka.Kafka "$KAFKA_CONF" >>"$KAFKA_LOG" 2>&1 </dev/null 9>&- &
  echo $! >"$KAFKA_PID"
  echo "$KAFKA_PORT $KAFKA_CONTROLLER_PORT" >"$RUN_DIR/kafka.ports"
  wait_ready kafka kafka_metadata_ok "$KAFKA_PID" kafka.Kafka "$KAFKA_LOG"
}

kafka_down() {
  local pid
  pid=$(live_pid "$KAFKA_PID" kafka.Kafka)
  if [ -n "$pid" ]; then
    stop_pid kafka "$pid"
  elif port_open "$KAFKA_PORT"; then
    log "kafka: port $KAFKA_PORT is served by $(port_owner "$KAFKA_PORT"), not started by" \
      "this checkout: left alone"
  else
    log "kafka not running"
  fi
  rm -f "$KAFKA_PID" "$RUN_DIR/kafka.ports"
}

kafka_status() {
  local pid ports
  pid=$(live_pid "$KAFKA_PID" kafka.Kafka)
  ports=$(started_ports kafka)
  ports=${ports:-$KAFKA_PORT $KAFKA_CONTROLLER_PORT}
  if [ -n "$pid" ] && port_open "${ports% *}"; then
    echo "kafka: running (pid $pid) on $HOST:${ports% *}, controller ${ports#* }"
  elif [ -n "$pid" ]; then
    echo "kafka: starting or unhealthy (pid $pid), port ${ports% *} not answering"
    return 1
  elif port_open "$KAFKA_PORT"; then
    echo "kafka: port $KAFKA_PORT served by $(port_owner "$KAFKA_PORT")," \
      "not started by this checkout"
  else
    echo "kafka: stopped"
    return 1
  fi
}

# ---------------------------------------------------------------------------------------------
# Redis

# apt_install PACKAGE BINARY...: install a Debian package unless all its binaries are on PATH.
apt_install() {
  local package=$1
  shift
  local missing=0 binary
  for binary in "$@"; do
    command -v "$binary" >/dev/null 2>&1 || missing=1
  done
  [ "$missing" -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "$package missing and not root: install $package"
    sudo="sudo"
  fi
  command -v apt-get >/dev/null 2>&1 || die "$package missing and no apt-get: install it"
  local apt_log="$LOG_DIR/apt.log" start=$SECONDS
  log "installing $package with apt-get (log $apt_log)"
  if [ ! -f "$RUN_DIR/apt-updated" ]; then
    $sudo apt-get update -q >>"$apt_log" 2>&1 9>&- || die_with_log "$apt_log" "apt-get update failed"
    touch "$RUN_DIR/apt-updated"
  fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "$package" >>"$apt_log" 2>&1 9>&- ||
    die_with_log "$apt_log" "apt-get install $package failed"
  log "$package installed in $((SECONDS - start))s"
  for binary in "$@"; do
    command -v "$binary" >/dev/null 2>&1 || die "$binary still not on PATH after installing $package"
  done
}

redis_install() {
  apt_install redis-server redis-server redis-cli
}

# promtool checks the exported metrics and the alerting rules in the test suite; amtool checks
# the Alertmanager config, and the alerting tests start real prometheus/alertmanager servers.
tools_install() {
  apt_install prometheus promtool prometheus
  apt_install prometheus-alertmanager amtool prometheus-alertmanager
}

redis_ping_ok() {
  [ "$(redis-cli -h "$HOST" -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]
}

redis_up() {
  local pid
  redis_install
  pid=$(live_pid "$REDIS_PID" redis-server)
  if [ -n "$pid" ]; then
    require_same_ports redis "$pid" "$REDIS_PORT"
    if redis_ping_ok; then
      log "redis already running (pid $pid) on $HOST:$REDIS_PORT"
      return 0
    fi
    log "redis (pid $pid) is running but not answering yet: waiting"
    wait_ready redis redis_ping_ok "$REDIS_PID" redis-server "$REDIS_LOG"
    return 0
  fi
  rm -f "$REDIS_PID" "$RUN_DIR/redis.ports"
  if port_open "$REDIS_PORT"; then
    if redis_ping_ok; then
      log "redis: $HOST:$REDIS_PORT is already served by $(port_owner "$REDIS_PORT")," \
        "not started by this checkout: reusing it (set SOCIALKPI_REDIS_PORT for a separate one)"
      return 0
    fi
    die "port $REDIS_PORT is in use by $(port_owner "$REDIS_PORT"), which is not Redis:" \
      "set SOCIALKPI_REDIS_PORT to a free port"
  fi
  mkdir -p "$REDIS_DIR"
  log "starting redis on $HOST:$REDIS_PORT, log $REDIS_LOG"
  echo "$REDIS_PORT" >"$RUN_DIR/redis.ports"
  redis-server --bind "$HOST" --port "$REDIS_PORT" --dir "$REDIS_DIR" \
    --save '' --appendonly no --daemonize yes \
    --pidfile "$REDIS_PID" --logfile "$REDIS_LOG" 9>&- ||
    die_with_log "$REDIS_LOG" "redis-server failed to start"
  wait_ready redis redis_ping_ok "$REDIS_PID" redis-server "$REDIS_LOG"
}

redis_down() {
  local pid
  pid=$(live_pid "$REDIS_PID" redis-server)
  if [ -n "$pid" ]; then
    stop_pid redis "$pid"
  elif port_open "$REDIS_PORT"; then
    log "redis: port $REDIS_PORT is served by $(port_owner "$REDIS_PORT"), not started by" \
      "this checkout: left alone"
  else
    log "redis not running"
  fi
  rm -f "$REDIS_PID" "$RUN_DIR/redis.ports"
}

redis_status() {
  local pid port
  pid=$(live_pid "$REDIS_PID" redis-server)
  port=$(started_ports redis)
  port=${port:-$REDIS_PORT}
  if [ -n "$pid" ] && port_open "$port"; then
    echo "redis: running (pid $pid) on $HOST:$port"
  elif [ -n "$pid" ]; then
    echo "redis: starting or unhealthy (pid $pid), port $port not answering"
    return 1
  elif port_open "$REDIS_PORT"; then
    echo "redis: port $REDIS_PORT served by $(port_owner "$REDIS_PORT")," \
      "not started by this checkout"
  else
    echo "redis: stopped"
    return 1
  fi
}

# ---------------------------------------------------------------------------------------------

usage() {
  echo "usage: $0 up|down|status|env" >&2
  exit 2
}

main() {
  [ $# -eq 1 ] || usage
  case $1 in
  up)
    take_lock
    tools_install
    redis_up
    kafka_up
    ;;
  down)
    take_lock
    kafka_down
    redis_down
    ;;
  status)
    local rc=0
    kafka_status || rc=3
    redis_status || rc=3
    return "$rc"
    ;;
  env)
    echo "export SOCIALKPI_KAFKA_BOOTSTRAP=$HOST:$KAFKA_PORT"
    echo "export SOCIALKPI_REDIS_URL=redis://$HOST:$REDIS_PORT/0"
    ;;
  *) usage ;;
  esac
}

main "$@"
