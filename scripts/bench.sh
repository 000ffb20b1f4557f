#!/usr/bin/env bash
# Benchmarks (figures, not pass/fail): checker throughput and the latency Toxiproxy adds.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
if [ -x "$root/.tools/node_modules/node/bin/node" ]; then export PATH="$root/.tools/node_modules/node/bin:$PATH"; fi
cd "$root"
echo "== at-most-once checker throughput"; node bench/checker-throughput.ts "${OPS:-100000}"
echo; echo "== round-trip latency added by Toxiproxy"; node bench/proxy-latency.ts "${CALLS:-5000}"
echo; echo "== HTML view of a 100,000-event trace"; node bench/html-trace.ts
