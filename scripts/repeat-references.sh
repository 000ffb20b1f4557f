#!/usr/bin/env bash
# Flakiness check of the harness itself: grades each reference submission of every lab on
# every scenario RUNS times (seeds SEED, SEED+1, ...) and prints runs and passes per scenario.
# A reference must pass every run; anything less is a flaky scenario or checker to fix before
# grading a class. Slow (lab 1: about 15 minutes per reference at time scale 0.5; labs 2 and 3
# run at time scale 1, their timing bounds being real: about 2.5 and 2 minutes per reference
# and seed), so not part of the test run.
#
# Usage: scripts/repeat-references.sh [runs (default 20)] [lab 1 time scale (default 0.5)]
#          [seed (default 1)] [runtime: process (default) or docker]
#          [labs (default "rpc consensus kvr")]
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
runs=${1:-20}
scale=${2:-0.5}
seed=${3:-1}
runtime=${4:-process}
labs=${5:-rpc consensus kvr}
out=$(mktemp -d "${TMPDIR:-/tmp}/dslab-repeat-XXXXXX")
node_bin=node
if [ -x "$here/.tools/node_modules/node/bin/node" ]; then node_bin="$here/.tools/node_modules/node/bin/node"; fi
status=0
for lab in $labs; do
for reference in cpp-reference python-reference; do
  lab_scale=$scale
  [ "$lab" = rpc ] || lab_scale=1
  name="$lab-$reference"
  echo "== $lab $reference ($runtime): every scenario $runs times, time scale $lab_scale, seeds $seed..$((seed + runs - 1))"
  # grade exits 1 when a run failed: report it below and go on with the next reference.
  "$here/bin/dslab" grade "$lab" "$here/fixtures/$lab/$reference" --repeat "$runs" --seed "$seed" \
    --time-scale "$lab_scale" --runtime "$runtime" --view staff --quiet --out "$out/$name" \
    >"$out/$name.log" 2>&1 || true
  "$node_bin" -e '
    const report = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
    let bad = 0;
    console.log("scenario".padEnd(22), "runs".padStart(5), "passes".padStart(7));
    for (const s of report.scenarios) {
      console.log(s.name.padEnd(22), String(s.finished).padStart(5), String(s.passes).padStart(7));
      if (s.passes !== s.planned) bad++;
      for (const r of s.results.filter((r) => r.verdict !== "pass"))
        console.log(`    seed ${r.seed} ${r.verdict}: ${r.harnessError ?? r.problems.join("; ")}`.slice(0, 400));
    }
    console.log(`status ${report.status}; ${bad} scenario(s) short of ${report.scenarios[0]?.planned} passes`);
    process.exitCode = bad === 0 && report.status === "completed" ? 0 : 1;
  ' "$out/$name/grade.json" || status=1
done
done
echo "output kept in $out"
exit $status
