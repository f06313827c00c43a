#!/usr/bin/env bash
# Alert ingest of beacon-collector (durable: POST /api/v1/alerts/zabbix, fsync'd SQLite commit
# before each 2xx) vs Debian's Prometheus Alertmanager (POST /api/v2/alerts, in memory), both
# driven by wrk (compiled, so the client is not the limit; bench/alerts_wrk.lua makes every
# request one distinct alert and stops each connection after its share, so a run is a fixed
# number of alerts). Same grouping for both: one group per alert, group_wait 30s, so no
# notification runs during the measurement.
#
# For each connection count, runs alternate between the two servers (beacon first on odd runs,
# Alertmanager first on even ones); every run starts a fresh server with a fresh data directory.
# Per run: alerts/s (alerts / time from the first request to the last reply), p50/p99 of
# the request latencies (timed in the wrk script), server CPU per 1k
# alerts (utime+stime of the whole process from /proc/PID/stat) and bytes written per alert
# (/proc/PID/io write_bytes: WAL, checkpoints into the database file, the log), both counted
# from just before the load until the server is idle again (its CPU stops moving), so work a
# server defers past its replies is billed to it too. Alertmanager writes nothing then: its
# state goes to disk in a periodic snapshot (every 15 min). Afterwards every alert must be held:
# beacon's alerts table (and receipts) count, Alertmanager's GET /api/v2/alerts count.
#
# With --base-bin-dir DIR a second beacon-collector (DIR/collector/beacon-collector, say a build
# of main) joins the rotation as "beacon-base", for before/after numbers from the same runs.
#
# Usage: bench/alerts_vs_alertmanager.sh [--alerts 10000] [--runs 3] [--conns "1 4 16"]
#          [--bin-dir build] [--base-bin-dir DIR] [--keep]
# Prints a markdown table of medians and the per-run rows. Not part of the test suite.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ALERTS=10000
RUNS=3
CONNS="1 4 16"
BIN_DIR="$HERE/../build"
BASE_BIN_DIR=""
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --alerts) ALERTS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --conns) CONNS=$2; shift 2 ;;
    --bin-dir) BIN_DIR=$2; shift 2 ;;
    --base-bin-dir) BASE_BIN_DIR=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

COLLECTOR="$BIN_DIR/collector/beacon-collector"
AM=$(command -v prometheus-alertmanager || command -v alertmanager || true)
for need in wrk curl python3; do
  command -v "$need" >/dev/null || { echo "$need is missing: run scripts/bootstrap" >&2; exit 1; }
done
[ -n "$AM" ] || { echo "prometheus-alertmanager is missing: run scripts/bootstrap" >&2; exit 1; }
[ -x "$COLLECTOR" ] || { echo "no $COLLECTOR: run scripts/build" >&2; exit 1; }
BASE_COLLECTOR=""
if [ -n "$BASE_BIN_DIR" ]; then
  BASE_COLLECTOR="$BASE_BIN_DIR/collector/beacon-collector"
  [ -x "$BASE_COLLECTOR" ] || { echo "no $BASE_COLLECTOR" >&2; exit 1; }
fi

WD=$(mktemp -d /tmp/bench-alerts.XXXXXX)
RESULTS="$WD/results.tsv"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  if [ "$KEEP" = 1 ]; then echo "kept $WD" >&2; else rm -rf "$WD"; fi
}
trap cleanup EXIT
TICKS=$(getconf CLK_TCK)

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# utime+stime (clock ticks) of the whole process, and its write_bytes.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
written() { awk '/^write_bytes/ {print $2}' "/proc/$1/io"; }

wait_http() {  # url, what
  for _ in $(seq 1 300); do
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "$2 exited" >&2; return 1; }
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "$2 not ready at $1" >&2
  return 1
}

# Waits until the server used at most one tick of CPU in 0.5 s (at most 30 s): what it does
# after the last reply (a checkpoint, deferred work) is part of its cost.
wait_idle() {
  local before after
  before=$(cpu_ticks "$1")
  for _ in $(seq 1 60); do
    sleep 0.5
    after=$(cpu_ticks "$1")
    [ $((after - before)) -le 1 ] && return 0
    before=$after
  done
}

stop_server() {
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

start_beacon() {  # dir port binary
  local dir=$1 port=$2 binary=$3
  mkdir -p "$dir"
  TOKEN="zbx-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  printf '%s\n' "$TOKEN" >"$dir/zabbix.token"
  printf 'admin-%s\n' "$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$dir/admin.token"
  chmod 600 "$dir/zabbix.token" "$dir/admin.token"
  cat >"$dir/collector.yaml" <<EOF
listen:
  host: 127.0.0.1
  port: $port
store:
  path: $dir/collector.db
api:
  admin_token_file: $dir/admin.token
log:
  level: info
  file: $dir/collector.log
alerts:
  language: en
  zabbix:
    token_file: $dir/zabbix.token
  receivers:
    ops:
      type: console
  routes:
    - name: all
      receivers: [ops]
      group_by: [fingerprint]
      group_wait: 30s
      group_interval: 1s
EOF
  "$binary" run -c "$dir/collector.yaml" >"$dir/stdout.log" 2>&1 &
  SERVER_PID=$!
  wait_http "http://127.0.0.1:$port/healthz" beacon-collector
}

start_alertmanager() {  # dir port
  local dir=$1 port=$2
  mkdir -p "$dir"
  cat >"$dir/alertmanager.yml" <<EOF
route:
  receiver: blackhole
  group_by: ['...']
  group_wait: 30s
receivers:
  - name: blackhole
EOF
  "$AM" --config.file="$dir/alertmanager.yml" --storage.path="$dir/data" \
    --web.listen-address="127.0.0.1:$port" --cluster.listen-address= >"$dir/am.log" 2>&1 &
  SERVER_PID=$!
  wait_http "http://127.0.0.1:$port/-/ready" alertmanager
}

held_beacon() {  # dir -> "alerts receipts"
  python3 - "$1/alerts.db" <<'EOF'
import sqlite3, sys
con = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=30)
print(con.execute("SELECT COUNT(*) FROM alerts").fetchone()[0],
      con.execute("SELECT COUNT(*) FROM receipts").fetchone()[0])
EOF
}

held_alertmanager() {  # port
  curl -fsS "http://127.0.0.1:$1/api/v2/alerts?active=true&silenced=true&inhibited=true" |
    python3 -c 'import json, sys; print(len(json.load(sys.stdin)))'
}

# One run of one server: appends a row to $RESULTS.
run_one() {  # server conns run
  local server=$1 conns=$2 run=$3
  local dir="$WD/$server-c$conns-r$run" port per_thread cpu0 cpu1 w0 w1 held
  port=$(free_port)
  per_thread=$(((ALERTS + conns - 1) / conns))
  local total=$((per_thread * conns))
  case $server in
    beacon) start_beacon "$dir" "$port" "$COLLECTOR" ;;
    beacon-base) start_beacon "$dir" "$port" "$BASE_COLLECTOR" ;;
    *) start_alertmanager "$dir" "$port" ;;
  esac
  sleep 0.5
  cpu0=$(cpu_ticks "$SERVER_PID")
  w0=$(written "$SERVER_PID")
  mkdir -p "$dir/wrk"
  # wrk exits as soon as its last connection got its last reply (see bench/alerts_wrk.lua); -d is
  # only a safety net.
  BENCH_TARGET=${server%-base} BENCH_PER_THREAD=$per_thread BENCH_THREADS=$conns BENCH_OUT="$dir/wrk" \
    BENCH_TOKEN=${TOKEN:-} BENCH_NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ) \
    wrk -t "$conns" -c "$conns" -d 300s --timeout 30s -s "$HERE/alerts_wrk.lua" \
    "http://127.0.0.1:$port" >"$dir/wrk.out" 2>"$dir/wrk.err" || true
  wait_idle "$SERVER_PID"
  cpu1=$(cpu_ticks "$SERVER_PID")
  w1=$(written "$SERVER_PID")
  if [ "$server" != alertmanager ]; then
    held=$(held_beacon "$dir")
  else
    held=$(held_alertmanager "$port")
  fi
  stop_server
  python3 - "$server" "$conns" "$run" "$total" "$dir/wrk" "$((cpu1 - cpu0))" "$TICKS" \
    "$((w1 - w0))" "$held" >>"$RESULTS" <<'EOF'
import glob, sys
server, conns, run, total, out, ticks, hz, wbytes, held = sys.argv[1:]
conns, total = int(conns), int(total)
starts, ends, lat, answered, bad = [], [], [], 0, 0
for path in glob.glob(out + "/thread-*"):
    with open(path) as f:
        head = f.readline().split()
        starts.append(int(head[0])); ends.append(int(head[1]))
        answered += int(head[2]); bad += int(head[3])
        lat += [int(x) for x in f if x.strip()]
held_counts = [int(x) for x in held.split()]
problems = []
if len(starts) != conns or answered != total or bad:
    problems.append(f"{len(starts)} of {conns} connections finished, {answered} of {total} "
                    f"answered, {bad} non-2xx (see {out}/../wrk.err)")
if any(h != total for h in held_counts):
    problems.append(f"held {held} of {total}")
if problems:
    sys.exit(f"{server} c={conns} run {run}: " + "; ".join(problems))
lat.sort()
pct = lambda p: lat[min(len(lat) - 1, int(len(lat) * p))] / 1000
secs = (max(ends) - min(starts)) / 1e6
cpu_ms = int(ticks) * 1000 / int(hz)
print("\t".join(str(x) for x in (
    server, conns, run, total, round(total / secs, 1), round(pct(0.50), 2), round(pct(0.99), 2),
    round(cpu_ms * 1000 / total, 1), round(int(wbytes) / total, 1), held_counts[0])))
EOF
  tail -n 1 "$RESULTS" >&2
}

echo "beacon: $COLLECTOR${BASE_COLLECTOR:+; beacon-base: $BASE_COLLECTOR}; alertmanager: $("$AM" --version 2>&1 | head -n 1)" >&2
echo "$(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%M:%SZ), $ALERTS alerts per run, $RUNS runs" >&2
for conns in $CONNS; do
  for run in $(seq 1 "$RUNS"); do
    order="beacon alertmanager${BASE_COLLECTOR:+ beacon-base}"
    # Each server goes first in turn, so a drift of the machine's speed hits them alike.
    for _ in $(seq 2 "$run"); do order="${order#* } ${order%% *}"; done
    for server in $order; do run_one "$server" "$conns" "$run"; done
  done
done

python3 - "$RESULTS" <<'EOF'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
by = {}
for r in rows:
    by.setdefault((r[0], int(r[1])), []).append(r)
def med(rs, i):
    return statistics.median(float(r[i]) for r in rs)
has_base = any(k[0] == "beacon-base" for k in by)
print("| connections | Alertmanager (in memory) | beacon-collector (durable) | alerts/s ratio | CPU ratio |"
      + (" beacon-base (durable, before) |" if has_base else ""))
print("|---|---|---|---|---|" + ("---|" if has_base else ""))
for conns in sorted({k[1] for k in by}):
    am, bc = by.get(("alertmanager", conns), []), by.get(("beacon", conns), [])
    if not am or not bc:
        continue
    def cell(rs):
        return (f"{med(rs, 4):,.0f} alerts/s, p50 {med(rs, 5):.2f} ms, p99 {med(rs, 6):.2f} ms, "
                f"{med(rs, 7):.0f} ms CPU per 1k, {med(rs, 8) / 1024:.1f} KiB written per alert")
    base = by.get(("beacon-base", conns), [])
    print(f"| {conns} | {cell(am)} | {cell(bc)} | "
          f"{med(bc, 4) / med(am, 4):.2f}x | {med(bc, 7) / med(am, 7):.2f}x |"
          + (f" {cell(base)} ({med(base, 4) / med(am, 4):.2f}x) |" if base else ""))
print()
print(f"Medians of {max(len(v) for v in by.values())} interleaved runs per cell; every alert "
      "acknowledged and held by each server (beacon: alerts and receipts rows; Alertmanager: "
      "GET /api/v2/alerts). CPU and bytes written count the whole server process from just "
      "before the load until it is idle again.")
print()
print("| server | conns | run | alerts | alerts/s | p50 ms | p99 ms | CPU ms per 1k | bytes written per alert |")
print("|---|---|---|---|---|---|---|---|---|")
for r in rows:
    print("| " + " | ".join(r[:9]) + " |")
EOF
