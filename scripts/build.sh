#!/usr/bin/env bash
# Installs what is missing (scripts/setup.sh) and builds CHIMA into build/.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/setup.sh"
build=${CHIMA_BUILD:-$root/build}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)" 2>&1 | grep -vE '^\[ *[0-9]+%\]|^(Consolidate|Scanning)' >&2 || true
# The build's own status, not grep's.
cmake --build "$build" -j "$(nproc)" >/dev/null
