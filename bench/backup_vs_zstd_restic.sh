#!/usr/bin/env bash
# Benchmark: `beacon-agent backup once` into the local store against `zstd -3 -T1` and
# `restic backup` (local repository) on the same data, warm page cache, median of --runs:
#   log   one generated Tomcat/Spring-style log (default 400 MB)
#   tree  10,000 small text files (configs and short logs)
# Prints one JSON object: seconds, MB/s, compression ratio and peak RSS per tool, and the
# ratios the issue asks for (beacon vs zstd -3 throughput, beacon vs restic time).
#
# Usage: bench/backup_vs_zstd_restic.sh [--log-mb 400] [--files 10000] [--runs 3] [--bin-dir build] [--keep]
# Installs restic and GNU time if missing (apt-get). Not part of the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

LOG_MB=400 FILES=10000 RUNS=3 BIN_DIR=build KEEP=0
while [ $# -gt 0 ]; do
  case $1 in
    --log-mb) LOG_MB=$2; shift 2 ;;
    --files) FILES=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --bin-dir) BIN_DIR=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n 2,11p "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
for tool in restic:restic /usr/bin/time:time zstd:zstd; do
  command -v "${tool%%:*}" >/dev/null ||
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${tool##*:}" >/dev/null
done
AGENT=$BIN_DIR/agent/beacon-agent
[ -x "$AGENT" ] || { echo "build first: $AGENT is missing" >&2; exit 1; }
WORK=$(mktemp -d /var/tmp/beacon-backup-bench.XXXXXX)
[ "$KEEP" = 1 ] || trap 'rm -rf "$WORK"' EXIT
export RESTIC_PASSWORD=bench-only RESTIC_CACHE_DIR=$WORK/restic-cache

echo "generating a ${LOG_MB} MB log and $FILES small files under $WORK" >&2
python3 bench/gendata.py log "$WORK/data/log/catalina.out" $((LOG_MB * 1000 * 1000))
python3 bench/gendata.py tree "$WORK/data/tree" "$FILES"

# One timed run: prints "<seconds> <peak RSS KiB>".
timed() { /usr/bin/time -f "%e %M" -o "$WORK/time.out" "$@" >/dev/null 2>"$WORK/cmd.err" ||
  { cat "$WORK/cmd.err" >&2; exit 1; }; cat "$WORK/time.out"; }

# median of RUNS runs of "prepare; command": prints "<median seconds> <max peak RSS KiB>
# <directory of the last run>".
# Every run writes into a fresh directory ($RUN_DIR) and nothing is deleted until the end:
# ext4 scans past recently deleted inodes when it allocates new ones, which would slow
# whichever tool runs right after another tool's output was removed.
median() {
  local prep=$1; shift
  local times=() rss=0
  for _ in $(seq "$RUNS"); do
    RUN_DIR=$(mktemp -d "$WORK/run.XXXXXX")
    eval "$prep"
    # Flush what earlier runs and tools left dirty, outside the timed part: the local store's
    # durability barrier is a syncfs, which would otherwise also write out (and bill beacon
    # for) the previous tool's output still in the page cache.
    sync
    read -r t m < <(eval timed "$@")
    times+=("$t"); [ "$m" -gt "$rss" ] && rss=$m
  done
  printf '%s\n' "${times[@]}" | sort -n |
    awk -v r="$rss" -v d="$RUN_DIR" '{a[NR]=$1} END {print a[int((NR+1)/2)], r, d}'
}

agent_config() {  # $1 = set name, $2 = directory, $3 = run directory
  cat >"$3/agent.yaml" <<EOY
agent:
  name: bench-host
  data_dir: $3/agent
inputs:
  system:
    enabled: false
backup:
  stores:
    disk:
      type: local
      path: $3/store
  sets:
    - name: $1
      paths: [$2]
      store: disk
      zstd_level: 3
  concurrency: 2
log:
  level: warn
EOY
}

result() { echo "$1"; }
json=()
for ds in log tree; do
  src=$WORK/data/$ds
  bytes=$(du -sb "$src" | cut -f1)
  files=$(find "$src" -type f | wc -l)
  cat $(find "$src" -type f) >/dev/null  # warm cache for every tool

  if [ "$ds" = log ]; then
    read -r z_s z_rss RUN_DIR < <(median ":" zstd -3 -T1 -q -f "$src/catalina.out" -o '$RUN_DIR/z.zst')
    z_out=$(stat -c %s "$RUN_DIR/z.zst")
  else
    read -r z_s z_rss RUN_DIR < <(median ":" zstd -3 -T1 -q -r "$src" --output-dir-mirror '$RUN_DIR/zout')
    z_out=$(du -sb "$RUN_DIR/zout" | cut -f1)
  fi

  read -r r_s r_rss RUN_DIR < <(median 'restic init -q -r $RUN_DIR/restic >/dev/null' \
    restic -q -r '$RUN_DIR/restic' backup --compression auto "$src")
  r_out=$(du -sb "$RUN_DIR/restic/data" | cut -f1)

  read -r b_s b_rss RUN_DIR < <(median 'agent_config $ds $src $RUN_DIR' \
    "$AGENT" backup once -c '$RUN_DIR/agent.yaml' "$ds")
  b_out=$(du -sb "$RUN_DIR/store/objects" | cut -f1)

  json+=("$(python3 - "$ds" "$bytes" "$files" "$z_s" "$z_rss" "$z_out" "$r_s" "$r_rss" "$r_out" \
    "$b_s" "$b_rss" "$b_out" <<'EOP'
import json, sys
ds, n, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
z_s, z_rss, z_out, r_s, r_rss, r_out, b_s, b_rss, b_out = map(float, sys.argv[4:13])
mb = n / 1e6
tool = lambda s, rss, out: {"seconds": s, "mb_per_s": round(mb / s, 1),
                            "compression_ratio": round(n / out, 2), "peak_rss_mib": round(rss / 1024, 1)}
print(json.dumps({ds: {"bytes": n, "files": files,
    "zstd_-3_T1": tool(z_s, z_rss, z_out), "restic": tool(r_s, r_rss, r_out),
    "beacon_backup_once": tool(b_s, b_rss, b_out),
    "beacon_vs_zstd_throughput": round(z_s / b_s, 2),
    "beacon_vs_restic_speedup": round(r_s / b_s, 2)}}))
EOP
)")
done
python3 -c 'import json,sys; d={}; [d.update(json.loads(x)) for x in sys.argv[1:]]; d["cpus"]=int(sys.argv[0] if False else __import__("os").cpu_count()); print(json.dumps(d, indent=2))' "${json[@]}"
