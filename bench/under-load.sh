#!/usr/bin/env bash
# A dslab run must end by its own wall-clock limit whatever the load: keeps every core busy
# with a busy loop (plus EXTRA more), runs one dslab command RUNS times and prints, per run,
# its wall time, exit code and verdict line, then the slowest. Anyone can rerun it:
#   bench/under-load.sh [RUNS] [-- dslab args...]
# Default command: lab 2's bug-decides-own-input, docker runtime, scenario clean, seed 11.
# EXTRA=2 adds two more busy loops than cores; OUT=dir keeps the runs' output there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-10}
shift || true
[ "${1:-}" = "--" ] && shift
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(test consensus fixtures/consensus/bug-decides-own-input --runtime docker --scenario clean --seed 11)
out=${OUT:-$(mktemp -d /tmp/dslab-under-load.XXXXXX)}
mkdir -p "$out"
if [ -x "$root/.tools/node_modules/node/bin/node" ]; then export PATH="$root/.tools/node_modules/node/bin:$PATH"; fi
export DSLAB_TOXIPROXY="${DSLAB_TOXIPROXY:-$root/.tools/bin/toxiproxy-server}"

loops=()
stop_loops() { [ ${#loops[@]} -eq 0 ] || kill "${loops[@]}" 2>/dev/null || true; }
trap stop_loops EXIT
for _ in $(seq $(( $(nproc) + ${EXTRA:-0} ))); do
  ( while :; do :; done ) &
  loops+=($!)
done
echo "load: ${#loops[@]} busy loops on $(nproc) cores; command: bin/dslab ${args[*]}; output under $out"

slowest=0
cd "$root"
for i in $(seq "$runs"); do
  start=$(date +%s%N)
  code=0
  # The outer timeout only guards this script: dslab must end on its own well before it.
  timeout -s KILL 1800 bin/dslab "${args[@]}" --out "$out/run$i" >"$out/run$i.log" 2>&1 || code=$?
  secs=$(awk -v a="$start" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
  verdict=$(grep -E '^\s+(PASS|FAIL|ERROR|UNKNOWN|INTERRUPTED)' "$out/run$i.log" | head -n 1 | sed 's/^ *//')
  printf 'run %2d: %6.1f s  exit %3d  %s\n' "$i" "$secs" "$code" "${verdict:-no verdict line (see $out/run$i.log)}"
  slowest=$(awk -v a="$secs" -v b="$slowest" 'BEGIN { print (a > b ? a : b) }')
done
printf 'slowest: %.1f s\n' "$slowest"
