#!/usr/bin/env bash
# chima-relocate --dry-run as a user runs it: a violation in, a plan out, nothing touched;
# bad flags exit 2.
set -euo pipefail
bin=${CHIMA_BIN:?}
ex=${CHIMA_ROOT:?}/examples/minimal
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin/chima-compose" -q "$ex/topology.yaml" "$ex/service.yaml" "$ex/placement.yaml" -o "$tmp/dep.json"
before=$(sha256sum "$tmp/dep.json")
violation='{"type":"violation","chain":"minimal","section":"toupper","metric":"latency","worst":{"type":"link","a":"s0","b":"s1","value_ns":51000000}}'
printf '%s\nnot json\n%s\n' '{"type":"measurement"}' "$violation" \
  | "$bin/chima-relocate" -q -t "$ex/topology.yaml" -d "$tmp/dep.json" --dry-run --once > "$tmp/plan.jsonl"
[ "$(wc -l < "$tmp/plan.jsonl")" -eq 1 ] || { echo "expected one plan line"; exit 1; }
jq -e '.type == "plan" and (.moved | length) == 4 and ([.moved[].to] | index("d1") | not)' "$tmp/plan.jsonl" >/dev/null
jq -e '[.moved[] | select(.function == "toupper")][0].from == "d1"' "$tmp/plan.jsonl" >/dev/null
[ "$(sha256sum "$tmp/dep.json")" = "$before" ] || { echo "--dry-run changed the deployment"; exit 1; }
# A planned target (--to), native or the prototype's redep.yaml (--legacy): the functions go
# exactly there, and the new paths avoid the degraded link.
legacy=${CHIMA_ROOT:?}/tests/data/legacy/minimal
printf 'kind: chima.placement\nplacement: {changettl: s2, toupper: d2, changettl2: s4, echo: d4}\n' > "$tmp/to.yaml"
for to in "--to $tmp/to.yaml" "--to $legacy/redep.yaml --legacy $legacy/service.yaml"; do
    echo "$violation" | "$bin/chima-relocate" -q -t "$ex/topology.yaml" -d "$tmp/dep.json" --dry-run --once $to \
        > "$tmp/planned.jsonl"
    jq -e '[.moved[] | "\(.function)@\(.to)"] | sort == ["changettl2@s4", "changettl@s2", "echo@d4", "toupper@d2"]' \
        "$tmp/planned.jsonl" >/dev/null || { echo "--to ($to): $(cat "$tmp/planned.jsonl")"; exit 1; }
    jq -e '[.flows[].path | [., .[1:]] | transpose[] | select(.[1] != null) | select(sort == ["s0", "s1"])] | length == 0' \
        "$tmp/planned.jsonl" >/dev/null || { echo "--to ($to): a path crosses s0-s1"; exit 1; }
done
set +e
echo "$violation" | "$bin/chima-relocate" -t "$ex/topology.yaml" -d "$tmp/dep.json" --legacy "$legacy/service.yaml" 2>/dev/null
c3=$?
echo "$violation" | "$bin/chima-relocate" -t "$ex/topology.yaml" -d "$tmp/dep.json" --move-cost soon 2>/dev/null
c1=$?
echo "$violation" | "$bin/chima-relocate" -t "$ex/topology.yaml" -d "$tmp/dep.json" 2>/dev/null
c2=$?
set -e
[ "$c1" -eq 2 ] && [ "$c2" -eq 2 ] && [ "$c3" -eq 2 ] || { echo "bad flags: exit $c1 / $c2 / $c3, expected 2"; exit 1; }
echo "relocate cli: ok"
