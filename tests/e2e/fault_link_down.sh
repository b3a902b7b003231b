#!/usr/bin/env bash
# A cut link is silence: chima-net perturb s0-s1 --down with a request every 20 ms. The
# collector reports the chain's segments silent, chima-watch a silence violation naming
# s0-s1 (the first silent segment of the journey), chima-relocate moves the chain off it,
# and the chain answers again (see lib/faults.bash).
source "$(dirname "${BASH_SOURCE[0]}")/lib/faults.bash"
fault_inject "$bin/chima-net" -q perturb "$ex/topology.yaml" s0-s1 --name "$net" --down
fault_expect silence '.worst.key == "s0-s1" and (.silent | index("s0-s1")) != null'
# Measurements of a silent segment stop: none of s0-s1 stamped after the fault.
late=$(jq -c --argjson t "$fault_at" 'select(.type == "measurement" and .segment == "s0-s1" and .ts_ns > $t)' \
    "$state/measurements.jsonl" | head -1)
[ -z "$late" ] || fail "a measurement of the cut link stamped after the fault: $late"
fault_relocated
jq -e '[.flows[].path | [., .[1:]] | transpose[] | select(.[1] != null) | select(sort == ["s0", "s1"])] | length == 0' \
    "$state/deployment.json" >/dev/null || fail "the new paths still cross s0-s1"
fault_answering
fault_timed
echo "fault link down: ok"
