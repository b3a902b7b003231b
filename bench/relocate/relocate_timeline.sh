#!/usr/bin/env bash
# Relocation timeline (the parts of the paper's Table II) on an emulated network, podman.
#
#   bench/relocate/relocate_timeline.sh [SCENARIO] [RUNS]      (root; defaults: large 10)
#
# Deploys examples/SCENARIO (chima-net up, compose -> compile -> install -> route), adds
# 50 ms to its perturbed link (scenario.yaml), then RUNS times: chima-relocate --once with a
# violation naming that link on stdin (what chima-watch writes; detection is not timed
# here), then chima-install/chima-route of the original deployment put it back for the next
# run. Prints each run's timeline and the median of each part in ms. Needs CHIMA_BUILD (or
# a build dir at ./build) and podman. LOGS=DIR keeps chima-relocate's -v log of each run.
# PODMAN=cli runs podman once per container operation (--podman-cli) instead of through the
# podman API service chima-relocate starts before the violation arrives (the default).
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "needs root" >&2; exit 1; }
scenario=${1:-large} runs=${2:-10}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export CHIMA_ROOT=$root
export CHIMA_BUILD=${CHIMA_BUILD:-$root/build}
bin=$CHIMA_BUILD/bin
ex=$root/examples/$scenario
net=b-$scenario
state=$(mktemp -d)
podman_flags=()
[ "${PODMAN:-service}" = cli ] && podman_flags=(--podman-cli)
source "$root/scripts/lib/cleanup.bash"
cleanup_add '"$bin/chima-net" down --name "$net" >/dev/null 2>&1; rm -rf "$state"'

link=$(sed -n 's/^perturbed_link: *//p' "$ex/scenario.yaml")
a=${link%-*} b=${link#*-}
chain=$(sed -n 's/^chain: *//p' "$ex/service.yaml")
"$bin/chima-net" -q down --name "$net" >/dev/null 2>&1 || true
"$bin/chima-net" -q up "$ex/topology.yaml" --name "$net" -o "$state/net.json"
"$bin/chima-compose" -q "$ex/topology.yaml" "$ex/service.yaml" "$ex/placement.yaml" -o "$state/original.json"
"$bin/chima-compile" -q "$state/original.json" -o "$state/artifacts.json" --build-dir "$state/p4"
"$bin/chima-net" -q perturb "$ex/topology.yaml" "$link" --name "$net" --delay 50ms >/dev/null
section=$(jq -r '[.sections[] | .name][0]' "$state/original.json")
violation=$(jq -nc --arg c "$chain" --arg s "$section" --arg a "$a" --arg b "$b" --arg k "$link" \
    '{type: "violation", chain: $c, section: $s, metric: "latency",
      worst: {type: "link", a: $a, b: $b, key: $k, value_ns: 51000000}}')

: > "$state/timelines.jsonl"
for run in $(seq "$runs"); do
    # The original deployment serving (the run before moved it away).
    "$bin/chima-install" -q "$state/original.json" "$state/artifacts.json" --net "$net" \
        --backend podman -o "$state/installed.json" >/dev/null
    "$bin/chima-route" -q "$state/original.json" --net "$net" -o "$state/routes.json" >/dev/null
    "$bin/chima-relocate" ${RELOCATE_VERBOSITY:--v} --topology "$ex/topology.yaml" --deployment "$state/original.json" \
        --net "$net" --artifacts "$state/artifacts.json" --installed "$state/installed.json" \
        --routes "$state/routes.json" -o "$state/relocated.json" --backend podman --once "${podman_flags[@]}" \
        <<<"$violation" 2> "$state/relocate-$run.log" | grep '"timeline"' | tee -a "$state/timelines.jsonl" \
        | jq -r --arg r "$run" '"run \($r): " + ([("p4", "containers", "prepare", "stage", "paths", "retire", "metadata", "total") as $p
              | "\($p) \(.[$p].ns / 1e6 * 100 | round / 100) ms"] | join(", "))'
    [ -n "${LOGS:-}" ] && mkdir -p "$LOGS" && cp "$state/relocate-$run.log" "$LOGS/"
done

echo "$scenario, $runs runs, podman ${PODMAN:-service}, median (ms):"
jq -s -r '
    def median: sort | if length % 2 == 1 then .[length / 2 | floor]
                       else (.[length / 2 - 1] + .[length / 2]) / 2 end;
    ["p4", "containers", "prepare", "stage", "paths", "retire", "metadata", "total"] as $parts
    | $parts[] as $p | "  \($p): \([.[][$p].ns] | median / 1e6 * 1000 | round / 1000)"' \
    "$state/timelines.jsonl"
