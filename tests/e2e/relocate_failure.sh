#!/usr/bin/env bash
# A relocation that fails half way: minimal deployed with podman and answering,
# then chima-relocate gets one violation while the image of a function that moves does not
# exist. Checked: exit 1 naming the image; the old path keeps answering; installed.json,
# routes.json and the deployment untouched; podman runs only the old containers; no netns
# of the new placement and no slot of it left loaded; the old containers and slots are the
# very same (ids), not restarted.
scenario=minimal
source "$(dirname "${BASH_SOURCE[0]}")/lib/deployed.bash"

missing=localhost/chima-missing:none
jq --arg i "$missing" '(.functions[] | select(.name == "toupper")).image = $i' \
    "$state/deployment.json" > "$state/deployment.broken.json"
cp "$state/installed.json" "$state/installed.before.json"
cp "$state/routes.json" "$state/routes.before.json"
containers() { podman ps --no-trunc --format '{{.ID}} {{.Names}}' --filter "label=chima.net=$net" | sort; }
namespaces() { ip netns list | awk '{print $1}' | grep "^chima\.$net\.fn-" | sort || true; }
slots() {  # loaded function slots per switch, with their programs
    "$bin/chima-net" status "$ex/topology.yaml" --name "$net" \
        | jq -c '[.switches[] | {name, slots: (.slots // [] | map(select(.program_id != 0)))}]'
}
containers_before=$(containers) namespaces_before=$(namespaces) slots_before=$(slots)

traffic_answering

violation='{"type":"violation","chain":"minimal","section":"toupper","metric":"latency","worst":{"type":"link","a":"s0","b":"s1","key":"s0-s1","value_ns":51000000}}'
status=0
"$bin/chima-relocate" --topology "$ex/topology.yaml" --deployment "$state/deployment.broken.json" \
    --net "$net" --artifacts "$state/artifacts.json" --installed "$state/installed.json" \
    --routes "$state/routes.json" -o "$state/deployment.new.json" --backend podman --once \
    <<<"$violation" > "$state/relocation.jsonl" 2> "$state/relocate.log" || status=$?
cat "$state/relocate.log"
[ "$status" -eq 1 ] || fail "chima-relocate exited $status, not 1"
grep '"plan"' "$state/relocation.jsonl" | jq -e '[.moved[] | select(.function == "toupper")] | length == 1' \
    >/dev/null || fail "the plan does not move toupper: $(cat "$state/relocation.jsonl")"
grep -q "relocation failed.*$missing" "$state/relocate.log" || fail "the error does not name $missing"
grep -q '"timeline"' "$state/relocation.jsonl" && fail "a timeline for a failed relocation"
[ ! -e "$state/deployment.new.json" ] || fail "a new deployment was written"
cmp -s "$state/installed.json" "$state/installed.before.json" || fail "installed.json changed"
cmp -s "$state/routes.json" "$state/routes.before.json" || fail "routes.json changed"
[ "$(containers)" = "$containers_before" ] || fail "podman runs $(containers | tr '\n' ' '), before: $(tr '\n' ' ' <<<"$containers_before")"
[ "$(namespaces)" = "$namespaces_before" ] || fail "function netns now $(namespaces | tr '\n' ' '), before: $(tr '\n' ' ' <<<"$namespaces_before")"
[ "$(slots)" = "$slots_before" ] || fail "slots now $(slots), before: $slots_before"

# The old path still answers, correctly.
lines=$(wc -l < "$state/traffic.log")
loop_wait_for_lines "$state/traffic.log" "$lines" 100 60 \
    || fail "only $(( $(wc -l < "$state/traffic.log") - lines )) of 100 answers after the failed relocation"
answers=$(tail -n +"$((lines + 1))" "$state/traffic.log" | cut -d' ' -f3-)
wrong=$(without_seq <<<"$answers" | grep -vxF "$expected" || true)
[ -z "$wrong" ] || fail "wrong answers after the failed relocation (want '$expected'): $(head -2 <<<"$wrong")"
loop_stop
echo "failure: ok (exit 1: $(grep -o 'relocation failed.*' "$state/relocate.log" | head -1 | cut -c1-160))"
