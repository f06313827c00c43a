#!/usr/bin/env bash
# Benchmark: `beacon-agent fim init|check|check --full` against Debian's AIDE with the equivalent
# rule (SHA-256 + type, permissions, uid, gid, size, mtime, ctime, inode, links), on the same
# tree, with the same worker count and a warm page cache, and against the two-core hash limit:
# bytes / (2 x the single-core SHA-256 rate of `openssl speed -elapsed -evp sha256 -bytes
# 1048576`, in memory, no file I/O), measured in every round. `openssl speed -multi 2` (two
# processes at once) is shown as a cross-check of the "2 x" on the machine at that moment.
# Each round runs every measurement once, the order of the two tools alternating round by
# round (this machine's speed drifts); the table shows medians over the rounds: wall time,
# CPU (user + system, GNU time) and peak RSS (GNU time %M). Prints a markdown table, then one
# JSON object.
#
# Usage: bench/fim_vs_aide.sh [--files 20000] [--mib 1024] [--runs 5] [--bin-dir build]
#                             [--workers N (default nproc)] [--keep]
# Needs aide, GNU time and openssl (scripts/bootstrap installs them). Not part of the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

FILES=20000 MIB=1024 BIN_DIR=build KEEP=0 RUNS=5 WORKERS=$(nproc)
while [ $# -gt 0 ]; do
  case $1 in
    --files) FILES=$2; shift 2 ;;
    --mib) MIB=$2; shift 2 ;;
    --bin-dir) BIN_DIR=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --workers) WORKERS=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n 2,14p "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
for tool in aide openssl /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: run scripts/bootstrap" >&2; exit 1; }
done
AGENT=$BIN_DIR/agent/beacon-agent
[ -x "$AGENT" ] || { echo "build first: $AGENT is missing" >&2; exit 1; }
AGENT=$(realpath "$AGENT")
WORK=$(mktemp -d /var/tmp/beacon-fim-bench.XXXXXX)
[ "$KEEP" = 1 ] || trap 'rm -rf "$WORK"' EXIT
TREE=$WORK/tree
RESULTS=$WORK/results.txt
: >"$RESULTS"

echo "generating $FILES files / ${MIB} MiB under $TREE" >&2
python3 tests/integration/treegen.py "$TREE" "$FILES" "$MIB"

cat >"$WORK/agent.yaml" <<EOY
agent:
  name: fim-bench
  data_dir: $WORK/agent
inputs:
  system:
    enabled: false
  fim:
    paths: [$TREE]
    workers: $WORKERS
    baseline: $WORK/fim-baseline.db
EOY
mkdir -p "$WORK/agent"
cat >"$WORK/aide.conf" <<EOA
database_in=file:$WORK/aide.db
database_out=file:$WORK/aide.db.new
num_workers=$WORKERS
report_url=stdout
Beacon = ftype+p+u+g+s+m+c+i+n+sha256
$TREE Beacon
EOA

# measure NAME OK_CODES CMD...: runs CMD once under GNU time, appends "NAME wall cpu rss_kib"
# to $RESULTS; an exit code outside OK_CODES (space separated) aborts the benchmark.
measure() {
  local name=$1 ok=$2; shift 2
  local rc=0 start end
  start=$(date +%s%N)
  /usr/bin/time -f "%U %S %M" -o "$WORK/time.txt" "$@" >"$WORK/out.txt" 2>&1 || rc=$?
  end=$(date +%s%N)
  if [[ " $ok " != *" $rc "* ]]; then
    echo "$name: exit code $rc (expected $ok):" >&2
    tail -20 "$WORK/out.txt" >&2
    exit 1
  fi
  read -r user sys rss < <(tail -1 "$WORK/time.txt")
  echo "$name $(((end - start) / 1000000))e-3 $(awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}') $rss" >>"$RESULTS"
}

# sha_rate NAME ARGS...: the SHA-256 rate (bytes/s) `openssl speed` reports, as "NAME rate".
sha_rate() {
  local name=$1; shift
  local rate
  rate=$(openssl speed -mr -elapsed "$@" -evp sha256 -bytes 1048576 -seconds 1 2>/dev/null |
         awk -F: '/^\+F:/ {r = $4} END {print r}')
  [ -n "$rate" ] || { echo "openssl speed printed no rate" >&2; exit 1; }
  echo "$name $rate" >>"$RESULTS"
}

fim_init() { rm -f "$WORK"/fim-baseline.db*; measure fim_init "0" "$AGENT" fim init -c "$WORK/agent.yaml"; }
aide_init() { rm -f "$WORK/aide.db.new"; measure aide_init "0" aide --init -c "$WORK/aide.conf"; }
fim_check() { measure fim_check "0" "$AGENT" fim check -c "$WORK/agent.yaml"; }
fim_full() { measure fim_full "0" "$AGENT" fim check --full -c "$WORK/agent.yaml"; }
aide_check() { measure aide_check "0" aide --check -c "$WORK/aide.conf"; }

echo "warming the page cache" >&2
find "$TREE" -type f -print0 | xargs -0 cat >/dev/null
# aide --check needs a database; the untimed first init makes one (and warms aide's own code).
aide --init -c "$WORK/aide.conf" >/dev/null
cp "$WORK/aide.db.new" "$WORK/aide.db"

for round in $(seq "$RUNS"); do
  echo "round $round of $RUNS ($WORKERS workers)" >&2
  if [ $((round % 2)) = 1 ]; then
    fim_init; aide_init; sha_rate sha1; sha_rate sha2 -multi 2
    fim_check; fim_full; aide_check
  else
    sha_rate sha1; sha_rate sha2 -multi 2; aide_init; fim_init
    aide_check; fim_full; fim_check
  fi
done

# Both must agree that nothing changed, and both must see a real change.
"$AGENT" fim check -c "$WORK/agent.yaml" >/dev/null || { echo "fim check saw changes in an unchanged tree" >&2; exit 1; }
aide --check -c "$WORK/aide.conf" >/dev/null || { echo "aide --check saw changes in an unchanged tree" >&2; exit 1; }
victim=$(find "$TREE" -type f -print -quit)
touch -r "$victim" "$WORK/ref" && printf 'x' | dd of="$victim" bs=1 seek=0 conv=notrunc 2>/dev/null && touch -r "$WORK/ref" "$victim"
fim_rc=0; "$AGENT" fim check -c "$WORK/agent.yaml" >/dev/null || fim_rc=$?
full_rc=0; "$AGENT" fim check --full -c "$WORK/agent.yaml" >/dev/null || full_rc=$?
aide_rc=0; aide --check -c "$WORK/aide.conf" >/dev/null || aide_rc=$?
[ "$fim_rc" = 1 ] && [ "$full_rc" = 1 ] && [ "$aide_rc" -ge 1 ] ||
  { echo "a one-byte change was missed (fim rc $fim_rc, --full rc $full_rc, aide rc $aide_rc)" >&2; exit 1; }

bytes=$(find "$TREE" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
python3 - "$RESULTS" "$bytes" "$FILES" "$WORKERS" "$RUNS" "$(aide --version 2>&1 | head -1)" \
  "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)" <<'PY'
import json, statistics, sys
path, size, files, workers, runs, aide_version, cpu = sys.argv[1:]
size, files, workers, runs = int(size), int(files), int(workers), int(runs)
rows = {}
for line in open(path):
    name, *values = line.split()
    rows.setdefault(name, []).append([float(v) for v in values])
med = lambda name, i: statistics.median(r[i] for r in rows[name])
spread = lambda name: (min(r[0] for r in rows[name]), max(r[0] for r in rows[name]))
sha1, sha2 = med("sha1", 0), med("sha2", 0)
limit = size / (2 * sha1)
mib = size / 1048576
t = {k: (med(k, 0), med(k, 1), med(k, 2) / 1024) for k in
     ("fim_init", "aide_init", "fim_check", "fim_full", "aide_check")}

def cell(k):
    wall, cpu_s, rss = t[k]
    lo, hi = spread(k)
    return f"{wall:.3f} s ({lo:.2f}–{hi:.2f}), CPU {cpu_s:.2f} s, RSS {rss:.1f} MiB"

print(f"\n{files:,} files, {mib:,.0f} MiB, {workers} workers, warm cache, median of {runs} "
      f"interleaved rounds (min–max wall in brackets); {cpu}; {aide_version}\n")
print("| measurement | beacon-agent | AIDE | AIDE / beacon |")
print("|---|---|---|---|")
print(f"| init | `fim init` {cell('fim_init')} | `aide --init` {cell('aide_init')} "
      f"| **{t['aide_init'][0] / t['fim_init'][0]:.1f}×** |")
print(f"| check, unchanged tree | `fim check` {cell('fim_check')} | `aide --check` "
      f"{cell('aide_check')} | **{t['aide_check'][0] / t['fim_check'][0]:.1f}×** |")
print(f"| check, re-hash all | `fim check --full` {cell('fim_full')} | `aide --check` "
      f"{cell('aide_check')} | **{t['aide_check'][0] / t['fim_full'][0]:.1f}×** |")
print(f"| two-core hash limit | {mib:,.0f} MiB / (2 × {sha1 / 1e9:.2f} GB/s, `openssl speed "
      f"-elapsed -evp sha256`, 1 MiB blocks) = {limit:.3f} s; `-multi 2`: "
      f"{sha2 / 1e9:.2f} GB/s ({sha2 / sha1:.2f}× one core) | | `fim init` / limit: "
      f"**{t['fim_init'][0] / limit:.2f}×** (CPU: {t['fim_init'][1] / (size / sha1):.2f}× the "
      f"hashing CPU) |")
print(json.dumps({
    "benchmark": "fim_vs_aide", "files": files, "mib": round(mib), "workers": workers,
    "runs": runs, "aide_version": aide_version,
    **{f"{k}_s": round(v[0], 3) for k, v in t.items()},
    **{f"{k}_cpu_s": round(v[1], 3) for k, v in t.items()},
    **{f"{k}_rss_mib": round(v[2], 1) for k, v in t.items()},
    "sha256_single_core_gb_s": round(sha1 / 1e9, 3), "sha256_two_streams_gb_s": round(sha2 / 1e9, 3),
    "hash_limit_s": round(limit, 3),
    "init_speedup": round(t["aide_init"][0] / t["fim_init"][0], 2),
    "check_speedup": round(t["aide_check"][0] / t["fim_check"][0], 2),
    "full_check_speedup": round(t["aide_check"][0] / t["fim_full"][0], 2),
    "fim_init_vs_hash_limit": round(t["fim_init"][0] / limit, 2),
}, indent=2))
PY
