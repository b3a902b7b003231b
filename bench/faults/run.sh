#!/usr/bin/env bash
# Time from a fault to its violation and to the chain answering again, on minimal with a
# request every 20 ms and the whole loop running (tests/e2e/lib/faults.bash).
#
#   bench/faults/run.sh [RUNS] [SCENARIO...]     (root; defaults: 3, all three)
#
# SCENARIO is link_down (chima-net perturb s0-s1 --down), container_killed (podman kill of
# echo) or switch_gone (ip netns del of s3). Each run is the e2e test tests/e2e/fault_*.sh
# (a fresh deployment each time). The fault's command takes 5-600 ms (inject) and the fault
# takes effect somewhere inside it, so the fault time is read from the traffic: 10 ms after
# the last request answered right before the command returned (+-10 ms at a request every
# 20 ms). detect = to the violation's detected_at, answer = to the arrival of the first
# right answer to a request sent after it. Prints each run and the medians. Needs
# CHIMA_BUILD (or ./build) and podman.
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "needs root" >&2; exit 1; }
runs=${1:-3}
shift || true
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(link_down container_killed switch_gone)
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export CHIMA_ROOT=$root
export CHIMA_BUILD=${CHIMA_BUILD:-$root/build}
export CHIMA_BIN=$CHIMA_BUILD/bin

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

printf '%-17s %4s %9s %9s %9s %s\n' scenario run inject_ms detect_ms answer_ms "violation"
for s in "${scenarios[@]}"; do
    detect=() answer=() inject=()
    for ((r = 1; r <= runs; r++)); do
        out=$(bash "$root/tests/e2e/fault_$s.sh" 2>&1) || { echo "$s run $r failed:"; echo "$out" | tail -5; continue; }
        i=$(sed -n 's/^fault injected .* in \(-\?[0-9]*\) ms$/\1/p' <<<"$out")
        d=$(sed -n 's/^timed: violation \(-\?[0-9]*\) ms, .*/\1/p' <<<"$out")
        a=$(sed -n 's/^timed: .* answering again \(-\?[0-9]*\) ms .*/\1/p' <<<"$out")
        v=$(sed -n 's/^violation: \(.*\)$/\1/p' <<<"$out" | jq -c '{metric, worst}')
        printf '%-17s %4d %9s %9s %9s %s\n' "$s" "$r" "$i" "$d" "$a" "$v"
        inject+=("$i") detect+=("$d") answer+=("$a")
    done
    printf '%-17s %4s %9s %9s %9s\n' "$s" median "$(printf '%s\n' "${inject[@]}" | median)" \
        "$(printf '%s\n' "${detect[@]}" | median)" "$(printf '%s\n' "${answer[@]}" | median)"
done
