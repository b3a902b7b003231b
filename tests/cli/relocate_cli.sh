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
set +e
echo "$violation" | "$bin/chima-relocate" -t "$ex/topology.yaml" -d "$tmp/dep.json" --move-cost soon 2>/dev/null
c1=$?
echo "$violation" | "$bin/chima-relocate" -t "$ex/topology.yaml" -d "$tmp/dep.json" 2>/dev/null
c2=$?
set -e
[ "$c1" -eq 2 ] && [ "$c2" -eq 2 ] || { echo "bad flags: exit $c1 / $c2, expected 2"; exit 1; }
echo "relocate cli: ok"
