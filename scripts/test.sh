#!/usr/bin/env bash
# The test command: installs what is missing, then type-check, lint and the test suite.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh" --with-test-deps --with-docker
cd "$root"
if [ -x .tools/node_modules/node/bin/node ]; then export PATH="$root/.tools/node_modules/node/bin:$PATH"; fi
export DSLAB_TOXIPROXY="${DSLAB_TOXIPROXY:-$root/.tools/bin/toxiproxy-server}"
echo "== every program the code runs is installed by setup"; scripts/fresh-check.sh --static
echo "== type-check"; npx tsc --noEmit -p .
echo "== lint and format"; npx biome ci .
echo "== tests"; npx vitest run "$@"
