#!/usr/bin/env bash
# A switch that disappears is a missing node: ip netns del of s3, which carries the chain
# (s1-s3) and the host of echo (d3), while s2-s4 remains. chima-collect reports node-missing,
# chima-watch a node violation naming s3, chima-relocate plans around s3 and d3, the chain
# answers again, and chima-net status reports s3 missing with exit 0 (see lib/faults.bash).
source "$(dirname "${BASH_SOURCE[0]}")/lib/faults.bash"
jq -e '[.flows[].path[]] | index("s3") != null' "$state/deployment.json" >/dev/null \
    || fail "the chain does not cross s3 to begin with"
fault_inject ip netns del "chima.$net.s3"
fault_expect node '.node == "s3"'
fault_relocated
jq -e '([.flows[].path[]] | index("s3") == null) and ([.functions[] | select(.node == "s3" or .node == "d3")] | length == 0)' \
    "$state/deployment.json" >/dev/null || fail "the new deployment still uses s3 or d3"
fault_answering
fault_timed
status=$("$bin/chima-net" status "$ex/topology.yaml" --name "$net") || fail "chima-net status exits $?"
jq -e '.health == "degraded" and (.nodes[] | select(.name == "s3") | .state == "missing")
       and (.switches[] | select(.name == "s3") | .state == "missing")
       and (.links[] | select(.name == "s1-s3") | .state == "missing")
       and (.nodes[] | select(.name == "s1") | .state == "up")' <<<"$status" >/dev/null \
    || fail "chima-net status: $(jq -c '{health, nodes}' <<<"$status")"
echo "fault switch gone: ok"
