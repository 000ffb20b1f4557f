#!/usr/bin/env bash
# Benchmarks (figures, not pass/fail): checker throughput and the latency Toxiproxy adds.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
if [ -x "$root/.tools/node_modules/node/bin/node" ]; then export PATH="$root/.tools/node_modules/node/bin:$PATH"; fi
cd "$root"
echo "== at-most-once checker throughput"; node bench/checker-throughput.ts "${OPS:-100000}"
echo; echo "== round-trip latency added by Toxiproxy"; node bench/proxy-latency.ts "${CALLS:-5000}"
echo; echo "== reading a 100,000-event trace (every line validated)"; node bench/trace-read.ts
echo; echo "== HTML view of a 100,000-event trace"; node bench/html-trace.ts
echo; echo "== lab 2 checkers on a generated 1,000,000-event trace"; node bench/consensus-checker.ts
echo; echo "== lab 2 reference: time from the final heal to every slot decided"; node bench/consensus-termination.ts
echo; echo "== Docker runtime start-up (needs scripts/setup.sh --with-docker)"; node bench/docker-startup.ts || echo "(docker start-up bench failed: see above; it needs the Docker engine and images)"
