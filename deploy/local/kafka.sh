#!/usr/bin/env bash
# Local single-node Apache Kafka 3.9.1 (KRaft, broker+controller in one JVM) for
# development and integration tests, run from Maven Central jars (no tarball).
# Listens on 127.0.0.1 only.
#
#   deploy/local/kafka.sh fetch    # download the broker jars (idempotent, quick when present)
#   deploy/local/kafka.sh start    # fetch if needed, format storage the first time, start in
#                                  # the background, wait until the broker has started
#   deploy/local/kafka.sh status   # exit 0 if running, 1 if not
#   deploy/local/kafka.sh stop     # SIGTERM, then SIGKILL after KAFKA_STOP_TIMEOUT seconds
#   deploy/local/kafka.sh wipe     # stop and delete the data directory
#   deploy/local/kafka.sh logs     # tail -f the broker log
#
# Environment (all optional):
#   KAFKA_PORT=19092             client listener (PLAINTEXT://127.0.0.1:PORT)
#   KAFKA_CONTROLLER_PORT=19093  KRaft controller listener
#   KAFKA_DATA=<root>/.local/kafka          data dir: config, kraft logs, pid, server.out
#   KAFKA_LIBS=<root>/.local/kafka-libs     broker jars (survive `wipe`)
#   KAFKA_HEAP_OPTS="-Xms512m -Xmx1G"
#   KAFKA_START_TIMEOUT=90  KAFKA_STOP_TIMEOUT=30   seconds
#   JAVA_HOME                    java from $JAVA_HOME/bin, else from PATH
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"

KAFKA_VERSION="3.9.1"
PORT="${KAFKA_PORT:-19092}"
CPORT="${KAFKA_CONTROLLER_PORT:-19093}"
DATA="${KAFKA_DATA:-$ROOT/.local/kafka}"
LIBS="${KAFKA_LIBS:-$ROOT/.local/kafka-libs}"
HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms512m -Xmx1G}"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"

# Relative paths from the environment are taken relative to the caller's directory.
[[ "$DATA" == /* ]] || DATA="$PWD/$DATA"
[[ "$LIBS" == /* ]] || LIBS="$PWD/$LIBS"

CONF="$DATA/server.properties"
LOG_DIRS="$DATA/kraft-combined-logs"
PIDFILE="$DATA/kafka.pid"
OUT="$DATA/logs/server.out"
STAMP="$LIBS/.fetched"
STARTED_LINE="Kafka Server started"

die() { echo "kafka.sh: $*" >&2; exit 1; }
log() { echo "kafka.sh: $*"; }

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
  exit "${1:-0}"
}

# The JVM options of bin/kafka-run-class.sh, minus GC logging and JMX.
java_args() {
  local -a heap
  read -r -a heap <<<"$HEAP_OPTS"
  JAVA_ARGS=("${heap[@]}"
    -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35
    -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true
    "-Dlog4j.configuration=file:$HERE/log4j.properties"
    "-Dkafka.logs.dir=$DATA/logs"
    -cp "$LIBS/*")
}

# kill -0 also succeeds on a zombie (exited, not yet reaped by its parent), so
# zombies count as dead: a container's PID 1 may reap late or never.
alive() {
  local stat
  kill -0 "$1" 2>/dev/null || return 1
  stat="$(ps -p "$1" -o stat= 2>/dev/null || true)"
  [[ "${stat}" != Z* ]]
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# PID of our broker if it is running, else nothing (exit 1). The command line is
# checked so that a stale pid file whose PID was reused is not mistaken for Kafka.
broker_pid() {
  local pid args
  [[ -f "$PIDFILE" ]] || return 1
  pid="$(<"$PIDFILE")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  alive "$pid" || return 1
  args="$(ps -p "$pid" -o args= 2>/dev/null || true)"
  [[ "$args" == *kafka.Kafka*"$CONF"* ]] || return 1
  echo "$pid"
}

pom_hash() { cksum <"$HERE/pom.xml" | cut -d' ' -f1; }

cmd_fetch() {
  if [[ -f "$STAMP" && "$(<"$STAMP")" == "$(pom_hash)" && -f "$LIBS/kafka_2.13-$KAFKA_VERSION.jar" ]]; then
    log "jars already present in $LIBS ($(find "$LIBS" -maxdepth 1 -name '*.jar' | wc -l) jars)"
    return 0
  fi
  command -v mvn >/dev/null || die "mvn (Maven) is needed to fetch the Kafka jars"
  log "fetching Kafka $KAFKA_VERSION jars from Maven Central into $LIBS"
  # Copy into a fresh directory and swap it in, so a changed pom.xml never leaves
  # two versions of a jar on the classpath and an interrupted fetch leaves nothing.
  local tmp="$LIBS.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$(dirname "$LIBS")"
  # Maven's output goes to a file and is shown only on failure (-q still prints
  # colour escapes with Maven 3.8).
  if ! mvn -B -q -f "$HERE/pom.xml" dependency:copy-dependencies "-Dkafka.libs.dir=$tmp" >"$tmp.mvn.log" 2>&1; then
    cat "$tmp.mvn.log" >&2
    rm -rf "$tmp" "$tmp.mvn.log"
    die "mvn dependency:copy-dependencies failed"
  fi
  rm -f "$tmp.mvn.log"
  [[ -f "$tmp/kafka_2.13-$KAFKA_VERSION.jar" ]] || { rm -rf "$tmp"; die "kafka_2.13-$KAFKA_VERSION.jar missing after fetch"; }
  pom_hash >"$tmp/.fetched"
  rm -rf "$LIBS"
  mv "$tmp" "$LIBS"
  log "fetched $(find "$LIBS" -maxdepth 1 -name '*.jar' | wc -l) jars"
}

render_config() {
  local tpl
  tpl="$(<"$HERE/server.properties.template")"
  # Quoted replacements: no '&' expansion (bash 5.2 patsub_replacement).
  tpl="${tpl//@DATA@/"$DATA"}"
  tpl="${tpl//@PORT@/"$PORT"}"
  tpl="${tpl//@CPORT@/"$CPORT"}"
  printf '%s\n' "$tpl" >"$CONF.tmp"
  mv "$CONF.tmp" "$CONF"
}

# Wait until the broker (pid $1) has logged STARTED_LINE and the client port accepts
# connections. An open port alone is not enough: the socket server binds before the
# broker has registered with the controller and been unfenced; KafkaRaftServer logs
# "[KafkaRaftServer nodeId=1] Kafka Server started" once startup has completed.
wait_ready() {
  local pid="$1" t0=$SECONDS
  while (( SECONDS - t0 < START_TIMEOUT )); do
    if grep -q "$STARTED_LINE" "$OUT" 2>/dev/null && port_open "$PORT"; then
      log "Kafka $KAFKA_VERSION up on 127.0.0.1:$PORT (pid $pid, waited $((SECONDS - t0))s, log $OUT)"
      return 0
    fi
    if ! alive "$pid"; then
      rm -f "$PIDFILE"
      tail -n 40 "$OUT" >&2 || true
      die "broker exited during startup (log: $OUT)"
    fi
    sleep 0.5
  done
  tail -n 40 "$OUT" >&2 || true
  die "broker did not log '$STARTED_LINE' within ${START_TIMEOUT}s (still running as pid $pid; '$0 stop' to stop it)"
}

# Serialise start/stop/wipe of one data dir (e.g. parallel test workers), where
# flock(1) exists. The lock file sits next to the data dir so that wipe keeps it.
take_lock() {
  command -v flock >/dev/null || return 0
  mkdir -p "$(dirname "$DATA")"
  exec 9>"$DATA.lock"
  flock 9
}

cmd_start() {
  local pid
  if pid="$(broker_pid)"; then
    log "already running (pid $pid)"
    wait_ready "$pid"
    return 0
  fi
  local p
  for p in "$PORT" "$CPORT"; do
    port_open "$p" && die "port 127.0.0.1:$p is already in use by another process"
  done
  cmd_fetch
  mkdir -p "$DATA/logs"
  rm -f "$PIDFILE"
  render_config
  java_args

  if [[ ! -f "$LOG_DIRS/meta.properties" ]]; then
    local cluster_id
    cluster_id="$("$JAVA" "${JAVA_ARGS[@]}" kafka.tools.StorageTool random-uuid | grep -E '^[A-Za-z0-9_-]{22}$' | tail -n1)"
    [[ -n "$cluster_id" ]] || die "could not generate a cluster id"
    log "formatting $LOG_DIRS (cluster id $cluster_id)"
    "$JAVA" "${JAVA_ARGS[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$CONF" >"$DATA/logs/format.out" 2>&1 \
      || { cat "$DATA/logs/format.out" >&2; die "storage format failed"; }
  fi

  [[ -f "$OUT" ]] && mv -f "$OUT" "$OUT.1"
  # setsid (when available) detaches the broker from the caller's process group,
  # so Ctrl-C in the calling terminal does not reach it.
  local -a detach=()
  command -v setsid >/dev/null && detach=(setsid)
  # 9>&-: the broker must not inherit (and so keep holding) the take_lock fd.
  nohup "${detach[@]}" "$JAVA" "${JAVA_ARGS[@]}" kafka.Kafka "$CONF" >"$OUT" 2>&1 </dev/null 9>&- &
  pid=$!
  echo "$pid" >"$PIDFILE"
  wait_ready "$pid"
}

cmd_stop() {
  local pid
  if ! pid="$(broker_pid)"; then
    rm -f "$PIDFILE"
    log "not running"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true   # controlled shutdown
  local t0=$SECONDS
  while alive "$pid" && (( SECONDS - t0 < STOP_TIMEOUT )); do
    sleep 0.5
  done
  if alive "$pid"; then
    log "still running after ${STOP_TIMEOUT}s, sending SIGKILL to $pid"
    kill -KILL "$pid" 2>/dev/null || true
    local t1=$SECONDS
    while alive "$pid"; do
      (( SECONDS - t1 < 10 )) || die "pid $pid survived SIGKILL for 10s"
      sleep 0.2
    done
  fi
  rm -f "$PIDFILE"
  log "stopped (pid $pid, $((SECONDS - t0))s)"
}

cmd_status() {
  local pid
  if ! pid="$(broker_pid)"; then
    echo "not running"
    return 1
  fi
  if ! port_open "$PORT"; then
    echo "pid $pid is alive but 127.0.0.1:$PORT does not accept connections (starting or stopping?)"
    return 1
  fi
  echo "running: pid $pid, 127.0.0.1:$PORT, data $DATA"
}

cmd_wipe() {
  cmd_stop
  if [[ -d "$DATA" ]]; then
    # Only delete something that looks like this launcher's data dir.
    [[ -e "$DATA/server.properties" || -d "$LOG_DIRS" || -z "$(ls -A "$DATA")" ]] \
      || die "$DATA does not look like a kafka.sh data dir; not deleting it"
    rm -rf "$DATA"
    log "deleted $DATA"
  else
    log "nothing to delete at $DATA"
  fi
}

cmd_logs() {
  [[ -f "$OUT" ]] || die "no log at $OUT"
  tail -n 100 -F "$OUT"
}

case "${1:-}" in
  fetch) cmd_fetch ;;
  start) take_lock; cmd_start ;;
  stop) take_lock; cmd_stop ;;
  status) cmd_status ;;
  wipe) take_lock; cmd_wipe ;;
  logs) cmd_logs ;;
  -h|--help|help) usage 0 ;;
  *) usage 2 >&2 ;;
esac
