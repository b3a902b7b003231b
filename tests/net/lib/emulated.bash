# Shared set-up of the net-tier tests: sourced (not run) by tests/net/*.sh after they set
# `net`, the name of their throw-away emulated network.
#   - skips (exit 77) without root; needs PROGRAM... skips without a program (fails under CI)
#   - bin, bpf, ex: the tools, the BPF objects, the minimal example
#   - tmp: a scratch directory (KEEP=DIR keeps it and the network for debugging)
#   - on exit: background jobs killed, the network taken down, tmp removed, each step run
#     to its end whatever fails; the test's status is kept (scripts/lib/cleanup.bash);
#     more steps with cleanup_add
#   - ns NODE: the node's netns name; fail MSG: print and exit 1
#   - capture NODE IFACE FILTER FILE, wait_captured FILE FILTER N, stop_captures: tshark
#   - prepare_minimal: chima-net up the minimal example, compose it, write its artifacts
#   - deploy_minimal BACKEND [install options]: prepare_minimal, then install it (P4 functions: the hand-written test objects, changettl sets the TTL
#     to 42, changettl2 passes) and route it; state files in $tmp
[ "$(id -u)" -eq 0 ] || { echo "skipped: needs root"; exit 77; }
source "${CHIMA_ROOT:?}/tests/lib/needs.bash"
needs jq tshark python3
bin=${CHIMA_BIN:?}
bpf=${CHIMA_BPF_DIR:?}
ex=${CHIMA_ROOT:?}/examples/minimal
tmp=${KEEP:-$(mktemp -d)}
mkdir -p "$tmp"
source "${CHIMA_ROOT:?}/scripts/lib/cleanup.bash"
cleanup_add '[ -n "${KEEP:-}" ] || { "$bin/chima-net" down --name "$net" >/dev/null 2>&1; rm -rf "$tmp"; }'
ns() { echo "chima.$net.$1"; }
fail() { echo "FAIL: $*"; exit 1; }

# capture NODE IFACE FILTER FILE: tshark on the node's interface into FILE, in the
# background; returns once the capture is open (dumpcap writes the file's header then).
capture() {
    local node=$1 iface=$2 filter=$3 file=$4 i
    ip netns exec "$(ns "$node")" tshark -q -i "$iface" -f "$filter" -w "$file" 2> "$file.log" &
    _capture_pids+=("$!")
    for ((i = 0; i < 300; i++)); do
        [ -s "$file" ] && return 0
        sleep 0.1
    done
    fail "no capture on $node:$iface after 30 s: $(cat "$file.log")"
}
# captured FILE DISPLAY_FILTER: how many packets in FILE match (the capture may still run).
captured() { tshark -r "$1" -Y "$2" 2>/dev/null | wc -l; }
# wait_captured FILE DISPLAY_FILTER COUNT: until FILE holds COUNT such packets (at most
# 10 s; the checks after it say what is missing).
wait_captured() {
    local i
    for ((i = 0; i < 100; i++)); do
        [ "$(captured "$1" "$2")" -ge "$3" ] && return 0
        sleep 0.1
    done
    return 0
}
# stop_captures: SIGINT to the captures (tshark completes its file), then waits for them
# (only for them: other background jobs ignore SIGINT and would be waited for forever).
_capture_pids=()
stop_captures() {
    [ ${#_capture_pids[@]} -eq 0 ] && return 0
    kill -INT "${_capture_pids[@]}" 2>/dev/null
    wait "${_capture_pids[@]}" 2>/dev/null
    _capture_pids=()
    return 0
}

# The network up, the deployment composed ($tmp/dep.json) and its P4 functions given test
# objects ($tmp/artifacts.json): changettl sets TTL 42, changettl2 passes packets through.
prepare_minimal() {
    "$bin/chima-net" -q up "$ex/topology.yaml" --name "$net" -o "$tmp/net.json"
    "$bin/chima-compose" -q "$ex/topology.yaml" "$ex/service.yaml" "$ex/placement.yaml" -o "$tmp/dep.json"
    cat > "$tmp/artifacts.json" <<JSON
{"kind": "chima.artifacts", "version": 1, "functions": [
  {"chain": "minimal", "name": "changettl", "object": "$bpf/testfn_set_ttl.bpf.o"},
  {"chain": "minimal", "name": "changettl2", "object": "$bpf/testfn_passthrough.bpf.o"}]}
JSON
}

deploy_minimal() {
    local backend=$1
    shift
    prepare_minimal
    "$bin/chima-install" -q "$tmp/dep.json" "$tmp/artifacts.json" --net "$net" --backend "$backend" \
        -o "$tmp/installed.json" "$@"
    "$bin/chima-route" -q "$tmp/dep.json" --net "$net" -o "$tmp/routes.json"
}
