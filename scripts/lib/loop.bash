# Traffic through a deployed chain and CHIMA's control loop, for scripts: sourced by
# scripts/demo.sh, tests/e2e/*.sh and examples/paper/*.sh.
#
# The caller sets:
#   bin    directory of the chima-* tools
#   net    name of the emulated network (chima-net up --name)
#   state  a directory with deployment.json, artifacts.json, installed.json, routes.json
#          (as chima-compose/compile/install/route wrote them); logs are written there too
#
#   loop_deploy EXAMPLE_DIR P4_BUILD_DIR [chima-install options...]
#        chima-net up, then compose -> compile (objects cached in P4_BUILD_DIR) -> install ->
#        route EXAMPLE_DIR's topology/service/placement into $state
#   loop_traffic_start IP PORT [PERIOD_S]
#        numbered UDP requests ("$loop_request N") from the client endpoint to IP:PORT every
#        PERIOD_S seconds (default 0.02), whether or not answers come back; answers go to
#        $state/traffic.log
#        as "<sent_at> <rtt_ms> <answer>"
#   loop_start TOPOLOGY [chima-collect options...]
#        (chima-collect --net & chima-install --watch-only) | chima-watch | chima-relocate in a
#        process group of its own: the collector's measurements, silence and node events and
#        the health watch's function-exit events share chima-watch's input (each line is one
#        write, so lines never mix); JSON Lines in
#        $state/{measurements,violations,relocation}.jsonl. chima-relocate
#        stops after its first relocation (--once) unless loop_once=0; more chima-relocate
#        options in the array loop_relocate_args, e.g. loop_relocate_args=(--to target.yaml).
#   loop_wait_for FILE PATTERN SECONDS    waits until FILE has a line matching PATTERN
#   loop_wait_for_lines FILE FROM COUNT SECONDS   waits until FILE has FROM + COUNT lines
#   loop_stop                              stops traffic and loop (also done on exit)
#   loop_request                           the text of the requests, without their number
#   expected_answer DEPLOYMENT REQUEST     (scripts/lib/expected_answer.bash) the answer the
#                                          chain's functions are documented to give

source "$(dirname "${BASH_SOURCE[0]}")/expected_answer.bash"
loop_request="hello from the client"
loop_pgid=
loop_traffic_pid=
loop_once=${loop_once:-1}
[ -n "${loop_relocate_args+set}" ] || loop_relocate_args=()

loop_deploy() {
    local ex=$1 p4=$2
    shift 2
    "$bin/chima-net" -q up "$ex/topology.yaml" --name "$net" -o "$state/net.json"
    "$bin/chima-compose" -q "$ex/topology.yaml" "$ex/service.yaml" "$ex/placement.yaml" \
        -o "$state/deployment.json"
    "$bin/chima-compile" -q "$state/deployment.json" -o "$state/artifacts.json" --build-dir "$p4"
    "$bin/chima-install" -q "$state/deployment.json" "$state/artifacts.json" --net "$net" \
        -o "$state/installed.json" "$@"
    "$bin/chima-route" -q "$state/deployment.json" --net "$net" -o "$state/routes.json"
}

loop_traffic_start() {
    local ip=$1 port=$2 period=${3:-0.02}
    cat > "$state/traffic.py" <<'PY'
import socket, sys, threading, time
ip, port, period, log_path, request = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect((ip, port))
sent = {}
def receive(log):
    while True:
        try:
            data = s.recv(2048).decode(errors="replace")
        except OSError:  # e.g. ICMP unreachable while the chain moves
            continue
        now = time.time()
        last = data.rsplit(" ", 1)[-1]
        t = sent.pop(int(last), now) if last.isdigit() else now
        log.write("%.6f %.3f %s\n" % (t, (now - t) * 1e3, data))
with open(log_path, "a", buffering=1) as log:
    threading.Thread(target=receive, args=(log,), daemon=True).start()
    seq = 0
    while True:
        sent[seq] = time.time()
        s.send(b"%s %d" % (request.encode(), seq))
        seq += 1
        time.sleep(period)
PY
    : > "$state/traffic.log"
    local client
    client=$(jq -r '.topology.client.name // "client"' "$state/deployment.json")
    ip netns exec "chima.$net.$client" python3 "$state/traffic.py" "$ip" "$port" "$period" \
        "$state/traffic.log" "$loop_request" &
    loop_traffic_pid=$!
}

loop_start() {
    local topology=$1
    shift
    : > "$state/measurements.jsonl"
    : > "$state/violations.jsonl"
    : > "$state/relocation.jsonl"
    # The pipe runs under setsid: one process group, so stopping it reaches every stage.
    local collect_args="" relocate_args="" arg once=
    [ "$loop_once" = 1 ] && once=--once
    for arg in "$@"; do collect_args+=" $(printf '%q' "$arg")"; done
    for arg in "${loop_relocate_args[@]}"; do relocate_args+=" $(printf '%q' "$arg")"; done
    # The health watch follows installed.json as chima-relocate rewrites it, so a restarted
    # or moved function is watched too; it reports, chima-relocate repairs (--on-exit).
    cat > "$state/loop.sh" <<LOOP
{ "$bin/chima-collect" --net "$net" --deployment "$state/deployment.json"$collect_args \\
      2> "$state/collect.log" &
  "$bin/chima-install" "$state/deployment.json" "$state/artifacts.json" --net "$net" \\
      -o "$state/installed.json" --watch-only 2> "$state/health.log" &
  wait; } \\
  | tee "$state/measurements.jsonl" \\
  | "$bin/chima-watch" --deployment "$state/deployment.json" 2> "$state/watch.log" \\
  | tee "$state/violations.jsonl" \\
  | "$bin/chima-relocate" --topology "$topology" --deployment "$state/deployment.json" \\
        --net "$net" --artifacts "$state/artifacts.json" --installed "$state/installed.json" \\
        --routes "$state/routes.json" -o "$state/deployment.json" $once$relocate_args \\
        > "$state/relocation.jsonl" 2> "$state/relocate.log"
LOOP
    setsid bash "$state/loop.sh" &
    loop_pgid=$!
}

loop_wait_for() {
    local file=$1 pattern=$2 seconds=$3 i
    for ((i = 0; i < seconds * 10; i++)); do
        grep -q -- "$pattern" "$file" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# Waits up to SECONDS until FILE has COUNT lines more than it had when it had FROM lines.
loop_wait_for_lines() {
    local file=$1 from=$2 count=$3 seconds=$4 i
    for ((i = 0; i < seconds * 10; i++)); do
        [ "$(wc -l < "$file")" -ge $((from + count)) ] && return 0
        sleep 0.1
    done
    return 1
}

loop_stop() {
    local pids="$loop_pgid $loop_traffic_pid"
    [ -n "$loop_pgid" ] && kill -TERM -- "-$loop_pgid" 2>/dev/null
    [ -n "$loop_traffic_pid" ] && kill "$loop_traffic_pid" 2>/dev/null
    loop_pgid=
    loop_traffic_pid=
    [ -n "${pids// /}" ] && { wait $pids 2>/dev/null || true; }
    return 0
}
