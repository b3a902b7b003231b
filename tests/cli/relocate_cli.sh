#!/usr/bin/env bash
# chima-relocate --dry-run as a user runs it: a violation in, a plan out, nothing touched;
# bad flags exit 2 with their messages.
source "$(dirname "${BASH_SOURCE[0]}")/lib/expect.bash"
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
    jq -e '(.flows | length > 0) and ([.flows[].path | [., .[1:]] | transpose[] | select(.[1] != null) | select(sort == ["s0", "s1"])] | length == 0)' \
        "$tmp/planned.jsonl" >/dev/null || { echo "--to ($to): a path crosses s0-s1"; exit 1; }
done
echo '{"kind": "chima.routes", "version": 1}' > "$tmp/routes.json"
expect_table chima-relocate <<'ROWS'
# exit | message                                                   | arguments
2      | --topology is required                                    | -d "$tmp/dep.json" --dry-run
2      | --legacy needs --to                                       | -t "$ex/topology.yaml" -d "$tmp/dep.json" --legacy "$legacy/service.yaml"
2      | --move-cost: expected a duration, got 'soon'              | -t "$ex/topology.yaml" -d "$tmp/dep.json" --move-cost soon
2      | --artifacts is needed to apply a relocation               | -t "$ex/topology.yaml" -d "$tmp/dep.json"
2      | --backend: lxc not in                                     | -t "$ex/topology.yaml" -d "$tmp/dep.json" --dry-run --backend lxc
2      | wrong kind 'chima.routes', expected 'chima.deployment'     | -t "$ex/topology.yaml" -d "$tmp/routes.json" --dry-run
2      | unknown key 'chain'                                       | -t "$ex/service.yaml" -d "$tmp/dep.json" --dry-run
2      | cannot read file                                          | -t "$ex/topology.yaml" -d "$tmp/dep.json" --dry-run --to "$tmp/missing.yaml"
2      | network name "../x" is not valid                          | -t "$ex/topology.yaml" -d "$tmp/dep.json" --dry-run --net ../x
2      | --on-exit: expected restart or move, got 'reboot'         | -t "$ex/topology.yaml" -d "$tmp/dep.json" --dry-run --on-exit reboot
ROWS
# Faults in the dry run: a silent link and a missing switch are planned around; an exited
# function is restarted in place by default, moved with --on-exit move.
silence='{"type":"violation","chain":"minimal","section":"toupper","metric":"silence","worst":{"type":"link","key":"s0-s1","a":"s0","b":"s1","value_ns":0},"silent":["s0-s1"]}'
node='{"type":"violation","chain":"minimal","section":"end-to-end","metric":"node","node":"s3","worst":{"type":"link","key":"s1-s3","a":"s1","b":"s3","value_ns":0}}'
exited='{"type":"violation","chain":"minimal","section":"end-to-end","metric":"availability","worst":{"type":"function","key":"fn:echo","function":"echo","value_ns":0}}'
uses() {  # uses FILE A B: some flow of the plan crosses link A-B
    jq -e --arg a "$2" --arg b "$3" '[.flows[].path | [., .[1:]] | transpose[] | select(.[1] != null) | select(sort == ([$a, $b] | sort))] | length > 0' "$1" >/dev/null
}
echo "$silence" | "$bin/chima-relocate" -q -t "$ex/topology.yaml" -d "$tmp/dep.json" --dry-run --once > "$tmp/silence.jsonl"
jq -e '.flows | length > 0' "$tmp/silence.jsonl" >/dev/null || fail "silence: no new flows: $(cat "$tmp/silence.jsonl")"
uses "$tmp/silence.jsonl" s0 s1 && fail "silence: a path still crosses s0-s1"
echo "$node" | "$bin/chima-relocate" -q -t "$ex/topology.yaml" -d "$tmp/dep.json" --dry-run --once > "$tmp/node.jsonl"
jq -e '[.moved[] | select(.to == "s3" or .to == "d3")] | length == 0' "$tmp/node.jsonl" >/dev/null \
    && jq -e '[.moved[] | select(.function == "echo")] | length == 1' "$tmp/node.jsonl" >/dev/null \
    || fail "node s3 missing: $(cat "$tmp/node.jsonl")"
uses "$tmp/node.jsonl" s1 s3 && fail "node s3 missing: a path still crosses s1-s3"
echo "$exited" | "$bin/chima-relocate" -q -t "$ex/topology.yaml" -d "$tmp/dep.json" --dry-run --once > "$tmp/restart.jsonl"
jq -e '.restart == "echo" and (.moved | length == 0)' "$tmp/restart.jsonl" >/dev/null \
    || fail "exit, restart: $(cat "$tmp/restart.jsonl")"
echo "$exited" | "$bin/chima-relocate" -q -t "$ex/topology.yaml" -d "$tmp/dep.json" --dry-run --once --on-exit move > "$tmp/move.jsonl"
jq -e '[.moved[] | select(.function == "echo" and .to != "d3")] | length == 1' "$tmp/move.jsonl" >/dev/null \
    || fail "exit, move: $(cat "$tmp/move.jsonl")"
# gone PID: no such process, or a zombie nobody has reaped yet.
gone() { [ ! -e "/proc/$1" ] || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]; }
# Applying (no --dry-run) with podman: a podman API service runs for exactly as long as
# chima-relocate, even when chima-relocate is killed with SIGKILL.
# As root only; CI (CI=true) installs podman and curl (scripts/setup.sh), so there they must be.
if [ "$(id -u)" -eq 0 ] && [ "${CI:-}" = true ]; then
    command -v podman >/dev/null && command -v curl >/dev/null || fail "podman or curl missing under CI"
fi
if command -v podman >/dev/null && command -v curl >/dev/null && [ "$(id -u)" -eq 0 ]; then
    # Artifacts it checks at start and never loads (no violation comes): BPF object headers.
    printf '\177ELF\002\001\001\000\000\000\000\000\000\000\000\000\001\000\367\000' > "$tmp/f.bpf.o"
    jq -n '{kind: "chima.artifacts", version: 1, functions: [
        {chain: "minimal", name: "changettl", object: "f.bpf.o"},
        {chain: "minimal", name: "changettl2", object: "f.bpf.o"}]}' > "$tmp/artifacts.json"
    mkfifo "$tmp/stdin"
    "$bin/chima-relocate" -v -t "$ex/topology.yaml" -d "$tmp/dep.json" --artifacts "$tmp/artifacts.json" \
        --backend podman < "$tmp/stdin" 2> "$tmp/relocate.log" &
    relocate=$!
    exec 3> "$tmp/stdin"  # stdin open: chima-relocate waits for violations
    service=
    for _ in $(seq 200); do
        service=$(sed -n 's/.*podman API service \([0-9]*\) on .*/\1/p' "$tmp/relocate.log")
        [ -n "$service" ] && break
        sleep 0.05
    done
    [ -n "$service" ] || { echo "no podman API service started: $(cat "$tmp/relocate.log")"; exit 1; }
    socket=$(sed -n 's/.*podman API service [0-9]* on \(.*\)/\1/p' "$tmp/relocate.log")
    curl -sf --unix-socket "$socket" http://d/v4.0.0/libpod/_ping >/dev/null \
        || { echo "the service does not answer on $socket"; exit 1; }
    kill -KILL "$relocate"
    wait "$relocate" 2>/dev/null || true
    exec 3>&-
    for _ in $(seq 100); do gone "$service" && break; sleep 0.05; done
    if ! gone "$service"; then
        kill "$service"
        echo "the podman API service outlived chima-relocate (SIGKILL)"; exit 1
    fi
    # Nothing of the killed one's service is left (podman removes its socket on SIGTERM, the
    # log has no name); the next service would remove leftovers anyway; a clean end leaves
    # nothing: no file of a tool that is not running.
    left=$(ls "$(dirname "$socket")" | grep "^podman-$relocate-" || true)
    [ -z "$left" ] || { echo "left by the killed chima-relocate: $left"; exit 1; }
    echo | "$bin/chima-relocate" -q -t "$ex/topology.yaml" -d "$tmp/dep.json" --artifacts "$tmp/artifacts.json" \
        --backend podman
    for file in "$(dirname "$socket")"/podman-*; do
        [ -e "$file" ] || continue
        owner=$(basename "$file" | cut -d- -f2)
        gone "$owner" && { echo "left behind: $file"; exit 1; }
    done
    # --podman-cli: none started.
    echo | "$bin/chima-relocate" -v -t "$ex/topology.yaml" -d "$tmp/dep.json" --artifacts "$tmp/artifacts.json" \
        --backend podman --podman-cli 2> "$tmp/cli.log"
    ! grep -q "podman API service" "$tmp/cli.log" || { echo "--podman-cli started a service"; exit 1; }
fi
echo "relocate cli: ok"
