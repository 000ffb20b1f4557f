#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image. The autograder zip
# holds this file and run_autograder at its top level, dslab's repository as dslab/, and
# optionally a course file course.json (see docs/autograder.md). Ubuntu images have no Node
# recent enough: the distribution's npm is only used to fetch Node 24 into dslab/.tools.
set -euo pipefail
source_dir="${AUTOGRADER_ROOT:-/autograder}/source"
if ! command -v npm >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
# Node 24, the npm packages, toxiproxy-server and the C/C++ toolchain submissions build with.
"$source_dir/dslab/scripts/setup.sh"
chmod +x "$source_dir/run_autograder"
