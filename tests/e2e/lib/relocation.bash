# The whole loop on one of the paper's scenarios (issue #7), sourced by tests/e2e/*.sh after
# they set `scenario` (a directory under examples/): chima-net up, compose -> compile ->
# install (podman) -> route, traffic through the chain, chima-collect | chima-watch |
# chima-relocate, then the scenario's perturbed link gets +50 ms. Checked: exactly one
# violation, naming that link; a relocation whose paths avoid it; the functions running
# where the new deployment puts them (installed.json, podman, their netns); traffic leaving
# the perturbed rail for the new one (switch counters); every answer still correct.
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "skipped: needs root"; exit 77; }
command -v podman >/dev/null || { echo "skipped: podman not installed"; exit 77; }
bin=${CHIMA_BIN:?}
root=${CHIMA_ROOT:?}
export CHIMA_BUILD=${CHIMA_BUILD:-$(dirname "$bin")}
ex=$root/examples/$scenario
net=e-$scenario
state=${KEEP:-$(mktemp -d)}
mkdir -p "$state"
source "$root/scripts/lib/loop.bash"
fail() { echo "FAIL: $*"; exit 1; }
cleanup() {
    loop_stop
    [ -n "${KEEP:-}" ] && return
    "$bin/chima-net" down --name "$net" >/dev/null 2>&1 || true
    rm -rf "$state"
}
trap cleanup EXIT

link=$(sed -n 's/^perturbed_link: *//p' "$ex/scenario.yaml")
a=${link%-*} b=${link#*-}
"$bin/chima-net" -q down --name "$net" >/dev/null 2>&1 || true
"$bin/chima-net" -q up "$ex/topology.yaml" --name "$net" -o "$state/net.json"
"$bin/chima-compose" -q "$ex/topology.yaml" "$ex/service.yaml" "$ex/placement.yaml" -o "$state/deployment.json"
"$bin/chima-compile" -q "$state/deployment.json" -o "$state/artifacts.json" --build-dir "$state/p4"
"$bin/chima-install" -q "$state/deployment.json" "$state/artifacts.json" --net "$net" \
    --backend podman -o "$state/installed.json"
"$bin/chima-route" -q "$state/deployment.json" --net "$net" -o "$state/routes.json"
cp "$state/deployment.json" "$state/deployment.before.json"

# The port of switch $1 toward switch $2, and its transmitted packets.
port_toward() { jq -r --arg s "$1" --arg t "$2" '.next_port[$s][$t]' "$state/deployment.before.json"; }
tx() {
    "$bin/chima-net" status "$ex/topology.yaml" --name "$net" \
        | jq -r --arg s "$1" --argjson p "$2" '.switches[] | select(.name == $s) | .ports[] | select(.port == $p) | .tx_packets'
}
without_seq() { sed 's/ [0-9]*$//'; }

first=$(jq -r '[.functions[] | select(.type == "container")][0] | "\(.ip) \(.port)"' "$state/deployment.json")
loop_traffic_start ${first% *} ${first#* } 0.02
loop_wait_for "$state/traffic.log" " [0-9][0-9]*$" 10 || fail "no answer from the chain"
expected=$(head -1 "$state/traffic.log" | cut -d' ' -f3- | without_seq)
echo "answer before: $expected"

loop_start "$ex/topology.yaml" --events
loop_wait_for "$state/measurements.jsonl" "\"segment\":\"$link\"" 10 \
    || fail "no measurement of $link: $(tail -3 "$state/collect.log")"
grep -q violation "$state/violations.jsonl" && fail "a violation before the perturbation: $(cat "$state/violations.jsonl")"

"$bin/chima-net" -q perturb "$ex/topology.yaml" "$link" --name "$net" --delay 50ms >/dev/null
perturbed_at=$(date +%s%N)
loop_wait_for "$state/violations.jsonl" violation 10 || fail "no violation: $(tail -3 "$state/watch.log")"
loop_wait_for "$state/relocation.jsonl" '"timeline"' 60 || fail "no relocation: $(cat "$state/relocate.log")"
sleep 3  # a storm of violations would show up here
[ "$(grep -c violation "$state/violations.jsonl")" -eq 1 ] || fail "violations: $(cat "$state/violations.jsonl")"
violation=$(grep violation "$state/violations.jsonl")
jq -e --arg l "$link" '.worst.key == $l' <<<"$violation" >/dev/null || fail "violation names $(jq -c .worst <<<"$violation")"
detect_ms=$(( ($(jq .detected_at <<<"$violation") - perturbed_at) / 1000000 ))

# The new deployment avoids the link in both directions, on every flow.
jq -e --arg a "$a" --arg b "$b" '[.flows[].path | [., .[1:]] | transpose[] | select(.[1] != null)
        | select((.[0] == $a and .[1] == $b) or (.[0] == $b and .[1] == $a))] | length == 0' \
    "$state/deployment.json" >/dev/null || fail "new paths still cross $link"
# Functions run where the new deployment puts them.
jq -e --slurpfile d "$state/deployment.json" '
    [.functions[] | {name, node, state}] as $i
    | [$d[0].functions[] | .name as $n | .node as $node
       | ($i[] | select(.name == $n) | .node == $node and (.state == "running" or .state == "installed"))]
    | all and length > 0' "$state/installed.json" >/dev/null \
    || fail "installed.json does not match the new deployment: $(jq -c '[.functions[] | {name, node, state}]' "$state/installed.json")"
[ "$(podman ps -q --filter "label=chima.net=$net" | wc -l)" -eq \
  "$(jq '[.functions[] | select(.type == "container")] | length' "$state/deployment.json")" ] \
    || fail "podman runs $(podman ps -q --filter "label=chima.net=$net" | wc -l) containers"
for fn in $(jq -r '.functions[] | select(.type == "container") | .name' "$state/deployment.json"); do
    ns=$(jq -r --arg f "$fn" '.functions[] | select(.name == $f) | .netns' "$state/installed.json")
    ip netns list | awk '{print $1}' | grep -qx "chima.$net.$ns" || fail "no netns $ns for $fn"
done

# Traffic left the perturbed rail: nothing more from $a toward $b, the new first hop busy.
new_first=$(jq -r '[.flows[] | select(.src == "client")][0].path[1]' "$state/deployment.json")
old_port=$(port_toward "$a" "$b")
new_port=$(port_toward "$a" "$new_first")
sleep 1
before_old=$(tx "$a" "$old_port") before_new=$(tx "$a" "$new_port") lines=$(wc -l < "$state/traffic.log")
sleep 2
moved_old=$(( $(tx "$a" "$old_port") - before_old )) moved_new=$(( $(tx "$a" "$new_port") - before_new ))
[ "$moved_old" -eq 0 ] || fail "$moved_old packets still sent from $a toward $b"
[ "$moved_new" -ge 50 ] || fail "only $moved_new packets from $a toward $new_first"
answers=$(tail -n +"$((lines + 1))" "$state/traffic.log" | cut -d' ' -f3-)
[ "$(grep -c . <<<"$answers")" -ge 50 ] || fail "only $(grep -c . <<<"$answers") answers in 2 s after the relocation"
wrong=$(without_seq <<<"$answers" | grep -vxF "$expected" || true)
[ -z "$wrong" ] || fail "wrong answers after the relocation: $(head -2 <<<"$wrong")"
loop_stop
echo "$scenario: ok (violation $detect_ms ms after the perturbation; moved $(jq -r '[.moved[] | "\(.function) \(.from)->\(.to)"] | join(", ")' <(grep '"plan"' "$state/relocation.jsonl")); $moved_new packets on the new rail in 2 s)"
