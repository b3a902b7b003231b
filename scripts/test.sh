#!/usr/bin/env bash
# The README's test command: set up, build, run the whole suite through ctest.
# Tiers are ctest labels (unit, bpf, net, e2e); extra arguments go to ctest, e.g. -L unit.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/build.sh"
build=${CHIMA_BUILD:-$root/build}
cd "$build"
exec ctest --output-on-failure --timeout 900 "$@"
