#!/usr/bin/env bash
# The README's main command: set up, build, and run the demo.
# For now: compose the minimal example and show the deployment.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/build.sh"
build=${CHIMA_BUILD:-$root/build}
export CHIMA_ROOT="$root"
ex="$root/examples/minimal"
echo "demo: composing the minimal example (topology, service, placement)" >&2
"$build/bin/chima-compose" "$ex/topology.yaml" "$ex/service.yaml" "$ex/placement.yaml"
