#!/usr/bin/env bash
# kill -9 of chima-relocate at random points of a relocation, in a bounded loop, on minimal
# deployed with podman and answering. Each round relocates off one rail (s0-s1 and s0-s2 in
# turn) and kills the run after a random delay; the next run of a tool (chima-relocate with
# no violation) finishes or undoes what the killed one left. Checked after every round: no
# intent file and no temporary file left; deployment.json, installed.json and routes.json
# name one deployment; podman runs exactly the containers installed.json records, the
# function namespaces and loaded slots are exactly its own; the chain answers, correctly.
scenario=minimal
source "$(dirname "${BASH_SOURCE[0]}")/lib/deployed.bash"

rounds=${CHIMA_KILL_ROUNDS:-6}
intent=/run/chima/$net/relocation-intent.json
containers() { podman ps -a --format '{{.Names}}' --filter "label=chima.net=$net" | sort; }
namespaces() { ip netns list | awk '{print $1}' | grep "^chima\.$net\.fn-" | sort || true; }
slots() {  # "switch slot" of every loaded function slot
    "$bin/chima-net" status "$ex/topology.yaml" --name "$net" \
        | jq -r '.switches[] | .name as $s | (.slots // [])[] | select(.program_id != 0) | "\($s) \(.slot)"' \
        | sort
}
recorded_containers() { jq -r '.functions[] | select(.type == "container") | .instance' "$state/installed.json" | sort; }
recorded_namespaces() { jq -r --arg n "chima.$net." '.functions[] | select(.type == "container") | $n + .netns' "$state/installed.json" | sort; }
recorded_slots() { jq -r '.functions[] | select(.type == "p4") | "\(.node) \(.slot)"' "$state/installed.json" | sort; }

# chima-relocate on the deployed state, violations on stdin (an array: run in the background,
# $! is chima-relocate itself, not a subshell).
relocate=("$bin/chima-relocate" --topology "$ex/topology.yaml" --deployment "$state/deployment.json"
    --net "$net" --artifacts "$state/artifacts.json" --installed "$state/installed.json"
    --routes "$state/routes.json" -o "$state/deployment.json" --backend podman)

traffic_answering

killed=0 undone=0 finished=0
for ((round = 1; round <= rounds; round++)); do
    # Off the rail the chain uses now: s0-s1 when a function sits behind s1 or s3.
    if jq -e '[.functions[] | select(.node == "s1" or .node == "s3" or .node == "d1" or .node == "d3")] | length > 0' \
        "$state/deployment.json" >/dev/null; then
        l=s0-s1
    else
        l=s0-s2
    fi
    violation="{\"type\":\"violation\",\"chain\":\"minimal\",\"section\":\"end-to-end\",\"metric\":\"latency\",\"worst\":{\"type\":\"link\",\"a\":\"${l%-*}\",\"b\":\"${l#*-}\",\"key\":\"$l\",\"value_ns\":51000000}}"
    # Odd rounds kill early (a relocation takes longer than 400 ms, so these kill one in
    # progress), even rounds anywhere up to 2.5 s (early, late, or after it finished).
    if ((round % 2)); then delay_ms=$((RANDOM % 400)); else delay_ms=$((RANDOM % 2500)); fi
    "${relocate[@]}" --once <<<"$violation" > "$state/round.jsonl" 2> "$state/round.log" &
    pid=$!
    sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
    if kill -9 "$pid" 2>/dev/null; then
        was="killed after ${delay_ms} ms"
        killed=$((killed + 1))
    else
        was="done before ${delay_ms} ms"
    fi
    wait "$pid" 2>/dev/null || true

    # The next run: nothing to relocate, only what the killed one left to finish or undo.
    "${relocate[@]}" </dev/null > "$state/next.jsonl" 2> "$state/next.log" \
        || { cat "$state/round.log" "$state/next.log"; fail "round $round ($was): the next run failed"; }
    action=$(jq -r 'select(.type == "recovery") | .action' "$state/next.jsonl")
    case $action in
        undone) undone=$((undone + 1)) ;;
        finished) finished=$((finished + 1)) ;;
    esac
    echo "round $round: $l, $was, recovery: ${action:-nothing to do}"

    [ ! -e "$intent" ] || fail "round $round: the intent file is left: $(cat "$intent" | head -c 300)"
    temps=$(find "$state" -name '.*.tmp*')
    [ -z "$temps" ] || fail "round $round: temporary files left: $temps"
    ids=$(jq -r .id "$state/deployment.json"; jq -r .deployment "$state/installed.json" "$state/routes.json")
    [ "$(sort -u <<<"$ids" | wc -l)" -eq 1 ] || fail "round $round: the state files name $(tr '\n' ' ' <<<"$ids")"
    [ "$(containers)" = "$(recorded_containers)" ] \
        || fail "round $round: podman has $(containers | tr '\n' ' '), installed.json $(recorded_containers | tr '\n' ' ')"
    [ "$(namespaces)" = "$(recorded_namespaces)" ] \
        || fail "round $round: function netns $(namespaces | tr '\n' ' '), installed.json $(recorded_namespaces | tr '\n' ' ')"
    [ "$(slots)" = "$(recorded_slots)" ] \
        || fail "round $round: loaded slots $(slots | tr '\n' ' '), installed.json $(recorded_slots | tr '\n' ' ')"

    lines=$(wc -l < "$state/traffic.log")
    loop_wait_for_lines "$state/traffic.log" "$lines" 10 30 \
        || fail "round $round: the chain does not answer after the next run"
    answers=$(tail -n +"$((lines + 1))" "$state/traffic.log" | cut -d' ' -f3-)
    wrong=$(without_seq <<<"$answers" | grep -vxF "$expected" || true)
    [ -z "$wrong" ] || fail "round $round: wrong answers (want '$expected'): $(head -2 <<<"$wrong")"
done
[ "$killed" -gt 0 ] || fail "no round killed a relocation in progress"
echo "killed: ok ($rounds rounds, $killed killed mid-run: $undone undone, $finished finished)"
