#!/usr/bin/env bash
# Benchmark: `beacon-agent fim init|check` against Debian's AIDE with the equivalent rule
# (SHA-256 + type, permissions, uid, gid, size, mtime, ctime, inode, links), on the same tree,
# with the same worker count and a warm page cache; plus the raw hashing rate of
# `openssl dgst -sha256` over the same files. Prints one JSON object with times and ratios.
#
# Usage: bench/fim_vs_aide.sh [--files 20000] [--mib 1024] [--bin-dir build] [--keep]
# Installs aide if missing (apt-get). Not part of the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

FILES=20000 MIB=1024 BIN_DIR=build KEEP=0 RUNS=3
while [ $# -gt 0 ]; do
  case $1 in
    --files) FILES=$2; shift 2 ;;
    --mib) MIB=$2; shift 2 ;;
    --bin-dir) BIN_DIR=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n 2,8p "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
command -v aide >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends aide >/dev/null
AGENT=$BIN_DIR/agent/beacon-agent
[ -x "$AGENT" ] || { echo "build first: $AGENT is missing" >&2; exit 1; }
WORKERS=$(nproc)
WORK=$(mktemp -d /var/tmp/beacon-fim-bench.XXXXXX)
[ "$KEEP" = 1 ] || trap 'rm -rf "$WORK"' EXIT
TREE=$WORK/tree

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

# Median wall time in seconds of running "$@" $RUNS times (prep runs before each).
median() {
  local prep=$1; shift
  local times=()
  for _ in $(seq "$RUNS"); do
    eval "$prep"
    local s e
    s=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || [ $? -le 1 ]   # check commands exit 1 on changes
    e=$(date +%s.%N)
    times+=("$(echo "$e - $s" | bc -l)")
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p"
}

echo "warming the page cache" >&2
find "$TREE" -type f -print0 | xargs -0 cat >/dev/null

echo "fim init / aide --init ($RUNS runs each, $WORKERS workers)" >&2
fim_init=$(median "rm -f $WORK/fim-baseline.db*" "$AGENT" fim init -c "$WORK/agent.yaml")
aide_init=$(median "rm -f $WORK/aide.db.new" aide --init -c "$WORK/aide.conf")
cp "$WORK/aide.db.new" "$WORK/aide.db"

echo "unchanged fim check / aide --check" >&2
fim_check=$(median ":" "$AGENT" fim check -c "$WORK/agent.yaml")
aide_check=$(median ":" aide --check -c "$WORK/aide.conf")

# Both must agree that nothing changed, and both must see a real change.
"$AGENT" fim check -c "$WORK/agent.yaml" >/dev/null || { echo "fim check saw changes in an unchanged tree" >&2; exit 1; }
aide --check -c "$WORK/aide.conf" >/dev/null || { echo "aide --check saw changes in an unchanged tree" >&2; exit 1; }
victim=$(find "$TREE" -type f -print -quit)
touch -r "$victim" "$WORK/ref" && printf 'x' | dd of="$victim" bs=1 seek=0 conv=notrunc 2>/dev/null && touch -r "$WORK/ref" "$victim"
fim_rc=0; "$AGENT" fim check -c "$WORK/agent.yaml" >/dev/null || fim_rc=$?
aide_rc=0; aide --check -c "$WORK/aide.conf" >/dev/null || aide_rc=$?
[ "$fim_rc" = 1 ] && [ "$aide_rc" -ge 1 ] || { echo "a one-byte change was missed (fim rc $fim_rc, aide rc $aide_rc)" >&2; exit 1; }

echo "openssl dgst -sha256 over the same files" >&2
openssl_time=$(median ":" sh -c "find '$TREE' -type f -print0 | xargs -0 -P $WORKERS -n 200 openssl dgst -sha256")
bytes=$(du -sb "$TREE" | cut -f1)

python3 - <<PY
import json
fi, ai, fc, ac, ot = $fim_init, $aide_init, $fim_check, $aide_check, $openssl_time
mib = $bytes / 1048576
print(json.dumps({
  "benchmark": "fim_vs_aide", "files": $FILES, "mib": round(mib), "workers": $WORKERS,
  "aide_version": "$(aide --version 2>&1 | head -1)",
  "fim_init_s": round(fi, 3), "aide_init_s": round(ai, 3), "init_speedup": round(ai / fi, 1),
  "fim_check_s": round(fc, 3), "aide_check_s": round(ac, 3), "check_speedup": round(ac / fc, 1),
  "fim_init_hash_mib_s": round(mib / fi), "openssl_dgst_mib_s": round(mib / ot),
  "fim_init_vs_openssl": round(ot / fi, 2),
}, indent=2))
PY
