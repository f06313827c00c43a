#!/usr/bin/env bash
# beacon-agent's Zabbix passive checks vs Debian's zabbix_agentd 6.0, side by side on loopback
# with the same client (bench/zbx_load.cpp, compiled here with c++ -O2), runs interleaved
# (zabbix_agentd, beacon-agent, zabbix_agentd, ...), medians of --runs:
#   - agent.ping, net.tcp.listen[PORT], vfs.fs.size[/,pfree]: requests/s and the server's CPU
#     per request (utime+stime+cutime+cstime of the server process and all its descendants,
#     /proc/PID/stat before and after) at --conns concurrent connections, one request per
#     connection; the client's own CPU is printed too
#   - vfs.file.cksum[FILE,sha256] on a --file-mb random file (warm cache): time per request,
#     --cksum-reqs sequential requests, with `openssl dgst -sha256` as the reference
#   - idle RSS: beacon-agent with system, ports, fim (small dir), a backup set (small dir,
#     local store) and zabbix.listen, after --idle seconds, vs the sum over zabbix_agentd's
#     processes (RSS double-counts the pages its forked processes share, so PSS too)
# Both agents: Timeout 30 s (zabbix_agentd's maximum; its default 3 s can cut the checksum),
# zabbix_agentd with its default StartAgents=3, beacon-agent with its default workers.
# Usage: bench/zabbix_vs_agentd.sh [--bin-dir build] [--runs 3] [--seconds 5]
#        [--conns "4 16"] [--file-mb 100] [--cksum-reqs 5] [--idle 10] [--keep]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN_DIR=$ROOT/build
RUNS=3
SECONDS_PER_RUN=5
CONNS="4 16"
FILE_MB=100
CKSUM_REQS=5
IDLE=10
KEEP=0
while [ $# -gt 0 ]; do
  case $1 in
    --bin-dir) BIN_DIR=$(cd "$2" && pwd); shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --seconds) SECONDS_PER_RUN=$2; shift 2 ;;
    --conns) CONNS=$2; shift 2 ;;
    --file-mb) FILE_MB=$2; shift 2 ;;
    --cksum-reqs) CKSUM_REQS=$2; shift 2 ;;
    --idle) IDLE=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

AGENT=$BIN_DIR/agent/beacon-agent
ZABBIX_AGENTD=$(command -v zabbix_agentd || echo /usr/sbin/zabbix_agentd)
for b in "$AGENT" "$ZABBIX_AGENTD"; do
  [ -x "$b" ] || { echo "missing $b (scripts/build beacon-agent; apt-get install zabbix-agent)" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/zbxbench.XXXXXX)
ZPID=""
BPID=""
cleanup() {
  for p in $ZPID $BPID; do
    kill "$p" 2>/dev/null || true
  done
  for p in $ZPID $BPID; do
    wait "$p" 2>/dev/null || true
  done
  if [ "$KEEP" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

c++ -std=c++20 -O2 -pthread "$ROOT/bench/zbx_load.cpp" -o "$WORK/zbx_load"
LOAD=$WORK/zbx_load

free_port() {  # below the ephemeral range: zabbix_agentd's ListenPort stops at 32767
  python3 -c "import sys; sys.path.insert(0, '$ROOT/tests/integration')
from harness import free_low_port; print(free_low_port())"
}

wait_port() {  # port: until agent.ping answers 1
  for _ in $(seq 100); do
    if "$LOAD" once 127.0.0.1 "$1" agent.ping 2>/dev/null | grep -q 'value=1$'; then return 0; fi
    sleep 0.1
  done
  echo "nothing answers on port $1" >&2
  return 1
}

start_zabbix() {  # dir
  ZPORT=$(free_port)
  mkdir -p "$1"
  cat >"$1/zabbix_agentd.conf" <<EOF
LogType=file
LogFile=$1/zabbix_agentd.log
PidFile=$1/zabbix_agentd.pid
Server=127.0.0.1
ListenIP=127.0.0.1
ListenPort=$ZPORT
Hostname=benchhost
AllowRoot=1
Timeout=30
EOF
  "$ZABBIX_AGENTD" -f -c "$1/zabbix_agentd.conf" >/dev/null 2>&1 &
  ZPID=$!
  wait_port "$ZPORT"
}

start_beacon() {  # dir, extra yaml (inputs:, backup:)
  BPORT=$(free_port)
  mkdir -p "$1"
  echo unused >"$1/token"
  cat >"$1/agent.yaml" <<EOF
agent:
  name: benchhost
  data_dir: $1/data
collector:
  url: http://127.0.0.1:9
  token_file: $1/token
zabbix:
  listen: 127.0.0.1:$BPORT
  allow: [127.0.0.1]
  timeout: 30s
log:
  file: $1/beacon-agent.log
$2
EOF
  "$AGENT" run -c "$1/agent.yaml" >/dev/null 2>&1 &
  BPID=$!
  wait_port "$BPORT"
}

stop_pid() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
field() { tr ' ' '\n' | sed -n "s/^$1=//p"; }

echo "machine: $(nproc) CPUs, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(free -g | awk '/Mem:/{print $2}') GiB"
echo "zabbix_agentd: $("$ZABBIX_AGENTD" -V | head -1)"
echo "beacon-agent: $AGENT ($(grep -s CMAKE_BUILD_TYPE: "$BIN_DIR/CMakeCache.txt" | cut -d= -f2))"
echo "load: $RUNS runs each, interleaved, ${SECONDS_PER_RUN}s per run, medians; Timeout=30 on both"
echo

start_zabbix "$WORK/zabbix"
start_beacon "$WORK/beacon" "inputs:
  system:
    enabled: false"

RESULTS=$WORK/results.txt
: >"$RESULTS"

for key_t in 'agent.ping' 'net.tcp.listen[PORT]' 'vfs.fs.size[/,pfree]'; do
  for c in $CONNS; do
    for run in $(seq "$RUNS"); do
      for side in zabbix beacon; do
        if [ $side = zabbix ]; then port=$ZPORT; pid=$ZPID; else port=$BPORT; pid=$BPID; fi
        key=${key_t//PORT/$port}
        out=$("$LOAD" load 127.0.0.1 "$port" "$key" "$c" "$SECONDS_PER_RUN" "$pid")
        echo "$key_t c=$c run=$run $side: $out"
        echo "$key_t $c $side $out" >>"$RESULTS"
      done
    done
  done
done

FILE=$WORK/random.bin
head -c "$((FILE_MB * 1024 * 1024))" /dev/urandom >"$FILE"
cat "$FILE" >/dev/null
CK=$WORK/cksum.txt
: >"$CK"
for run in $(seq "$CKSUM_REQS"); do
  t0=$(date +%s.%N)
  ref=$(openssl dgst -sha256 -r "$FILE" | cut -d' ' -f1)
  t1=$(date +%s.%N)
  echo "openssl $(echo "($t1 - $t0) * 1000" | bc -l)" >>"$CK"
  for side in zabbix beacon; do
    if [ $side = zabbix ]; then port=$ZPORT; else port=$BPORT; fi
    out=$("$LOAD" once 127.0.0.1 "$port" "vfs.file.cksum[$FILE,sha256]")
    echo "cksum run=$run $side: $out"
    [ "$(echo "$out" | field value)" = "$ref" ] || { echo "$side: checksum differs from openssl's $ref" >&2; exit 1; }
    echo "$side $(echo "$out" | field ms)" >>"$CK"
  done
done

stop_pid "$BPID"
stop_pid "$ZPID"
ZPID=""
BPID=""

# Idle RSS: fresh processes of both; beacon-agent with every input that runs here.
mkdir -p "$WORK/fimdir" "$WORK/setdir"
for i in $(seq 50); do echo "file $i" >"$WORK/fimdir/f$i"; echo "data $i" >"$WORK/setdir/d$i"; done
start_zabbix "$WORK/zabbix-idle"
start_beacon "$WORK/beacon-idle" "inputs:
  system:
    enabled: true
    interval: 10s
  ports:
    enabled: true
    interval: 10s
    allowed: [22]
  fim:
    enabled: true
    interval: 1m
    paths: [$WORK/fimdir]
backup:
  stores:
    disk:
      type: local
      path: $WORK/store
  sets:
    - name: app
      paths: [$WORK/setdir]
      store: disk
  restore_roots: [$WORK/restore]"
sleep "$IDLE"
tree_pids() {  # root pid and its descendants
  local todo=$1 out=""
  while [ -n "$todo" ]; do
    set -- $todo
    out="$out $1"
    todo="${*:2} $(ps -o pid= --ppid "$1" | tr '\n' ' ')"
    todo=$(echo $todo)
  done
  echo $out
}
mem_sum() {  # field (Rss/Pss) over pids, KiB
  local f=$1 total=0 v
  shift
  for p in "$@"; do
    v=$(awk -v f="$f:" '$1 == f {print $2}' "/proc/$p/smaps_rollup")
    total=$((total + v))
  done
  echo $total
}
zpids=$(tree_pids "$ZPID")
bpids=$(tree_pids "$BPID")
Z_RSS=$(mem_sum Rss $zpids)
Z_PSS=$(mem_sum Pss $zpids)
B_RSS=$(mem_sum Rss $bpids)
B_PSS=$(mem_sum Pss $bpids)

echo
printf '%-44s %14s %14s %9s\n' "measure" "zabbix_agentd" "beacon-agent" "ratio"
ratio_row() {  # label, zabbix value, beacon value, higher-is-better(1/0), format
  local r
  if [ "$4" = 1 ]; then r=$(echo "$3 / $2" | bc -l); else r=$(echo "$2 / $3" | bc -l); fi
  printf "%-44s %14$5 %14$5 %8.2fx\n" "$1" "$2" "$3" "$r"
}
for key_t in 'agent.ping' 'net.tcp.listen[PORT]' 'vfs.fs.size[/,pfree]'; do
  for c in $CONNS; do
    for side in zabbix beacon; do
      rows=$(awk -v k="$key_t" -v c="$c" -v s="$side" '$1 == k && $2 == c && $3 == s' "$RESULTS")
      errs=$(echo "$rows" | tr ' ' '\n' | sed -n 's/^errors=//p' | awk '{s+=$1} END {print s}')
      [ "$errs" = 0 ] || echo "WARNING: $side $key_t c=$c had $errs errors" >&2
      rps=$(echo "$rows" | while read -r line; do echo "$line" | field rps; done | median)
      # server CPU per request in microseconds, per run, then the median
      us=$(echo "$rows" | while read -r line; do
        echo "$(echo "$line" | field server_cpu) * 1000000 / $(echo "$line" | field requests)" | bc -l
      done | median)
      cl=$(echo "$rows" | while read -r line; do
        echo "$(echo "$line" | field client_cpu) * 1000000 / $(echo "$line" | field requests)" | bc -l
      done | median)
      eval "${side}_rps=\$rps ${side}_us=\$us ${side}_cl=\$cl"
    done
    ratio_row "$key_t c=$c requests/s" "$zabbix_rps" "$beacon_rps" 1 .0f
    ratio_row "$key_t c=$c server CPU us/request" "$zabbix_us" "$beacon_us" 0 .1f
    ratio_row "$key_t c=$c client CPU us/request" "$zabbix_cl" "$beacon_cl" 0 .1f
  done
done
z_ck=$(awk '$1 == "zabbix" {print $2}' "$CK" | median)
b_ck=$(awk '$1 == "beacon" {print $2}' "$CK" | median)
o_ck=$(awk '$1 == "openssl" {print $2}' "$CK" | median)
ratio_row "vfs.file.cksum sha256 ${FILE_MB} MB, ms" "$z_ck" "$b_ck" 0 .1f
printf '%-44s %14.1f %14s %8.2fx (zabbix_agentd/openssl), %.2fx (beacon/openssl)\n' \
  "openssl dgst -sha256, ms" "$o_ck" "" "$(echo "$z_ck / $o_ck" | bc -l)" "$(echo "$b_ck / $o_ck" | bc -l)"
ratio_row "idle RSS KiB (zabbix: $(echo $zpids | wc -w) processes)" "$Z_RSS" "$B_RSS" 0 d
ratio_row "idle PSS KiB" "$Z_PSS" "$B_PSS" 0 d
