#!/usr/bin/env bash
# Container functions on the emulated network: chima-install runs toupper and echo
# of the minimal example as podman containers in their own netns on d1 and d3, chima-route
# steers the chain, and a UDP request from the client comes back "echo: HELLO" with the TTL
# changettl set. Then: re-install leaves them running; kill -9 under --watch --restart
# on-failure gives a function-exit event and the chain serves again; the same
# chain moves to the process backend (make before break) and toupper to another host (only
# it is restarted); --emit-compose writes one file per host; --remove and chima-net down leave
# nothing behind.
set -euo pipefail
net=t-ct
source "$(dirname "${BASH_SOURCE[0]}")/lib/emulated.bash"
needs podman
export CHIMA_BUILD=${CHIMA_BUILD:-$(dirname "$bin")}
now_ns() { date +%s%N; }

# One UDP request from the client to toupper's address; prints "<reply>\t<ttl>". The
# payload is longer than 8 bytes: the switch pipeline currently drops shorter MPLS frames
# (drop reason "internal" when it pops labels), which is not this test's subject.
request() {
    ip netns exec "$(ns client)" python3 - "$@" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, 12, 1)  # IP_RECVTTL
s.settimeout(2)
s.sendto(b"hello from the client", ("10.0.0.2", 12345))
try:
    data, anc, _, _ = s.recvmsg(2048, socket.CMSG_SPACE(4))
except socket.timeout:
    print("timeout\t-"); sys.exit(0)
ttl = next((int.from_bytes(d[:4], sys.byteorder) for l, t, d in anc if l == socket.IPPROTO_IP and t == 2), -1)
print(data.decode(errors="replace") + "\t" + str(ttl))
PY
}
expect_reply() {  # retries for up to $1 s
    local deadline=$(( $(date +%s) + $1 )) got
    while :; do
        got=$(request)
        [ "$got" = "$(printf 'echo: HELLO FROM THE CLIENT\t42')" ] && return 0
        [ "$(date +%s)" -ge "$deadline" ] && fail "reply '$got' (want 'echo: HELLO FROM THE CLIENT' with TTL 42)"
        sleep 0.2
    done
}
# "CapEff CapBnd NoNewPrivs" of a process.
privileges() { awk '/^(CapEff|CapBnd|NoNewPrivs):/ {printf "%s%s", sep, $2; sep=" "}' "/proc/$1/status"; }
no_privileges="0000000000000000 0000000000000000 1"
install() { "$bin/chima-install" -q "$tmp/dep.json" "$tmp/artifacts.json" --net "$net" -o "$tmp/installed.json" "$@"; }
ours() { podman ps -a -q --filter "label=chima.net=$net"; }

prepare_minimal

# --- podman backend ---
t0=$(now_ns)
install --backend podman
t1=$(now_ns)
jq -e '.changes.containers_started == 2' "$tmp/installed.json" >/dev/null || fail "containers not started"
jq -e '[.functions[] | select(.type == "container") | select(.backend == "podman" and .state == "running")] | length == 2' \
    "$tmp/installed.json" >/dev/null || fail "installed.json: $(jq -c .functions "$tmp/installed.json")"
[ "$(jq -r '.functions[] | select(.name == "toupper") | .env.CHIMA_NEXT' "$tmp/installed.json")" = \
  "$(jq -r '.functions[] | select(.name == "echo") | .ip' "$tmp/dep.json"):12345" ] || fail "toupper's CHIMA_NEXT"
[ "$(jq -r '.functions[] | select(.name == "echo") | .env.CHIMA_NEXT' "$tmp/installed.json")" = null ] \
    || fail "echo (last) has a CHIMA_NEXT"
[ "$(ours | wc -l)" -eq 2 ] || fail "podman does not list 2 containers labelled chima.net=$net"
ip netns list | awk '{print $1}' | grep -qx "$(ns fn-minimal-toupper)" || fail "no netns for toupper"
veth=f$(jq -r '.functions[] | select(.name == "toupper") | .function_id' "$tmp/installed.json")
ip -n "$(ns d1)" link show "$veth" 2>/dev/null | grep -q "master br0" || fail "no $veth on d1's br0"
"$bin/chima-route" -q "$tmp/dep.json" --net "$net" -o "$tmp/routes.json"
expect_reply 3

# Re-install: nothing changes, the same containers keep serving.
ids=$(jq -c '[.functions[] | select(.type == "container") | .id]' "$tmp/installed.json")
install --backend podman
jq -e '.changes.containers_started == 0 and .changes.containers_unchanged == 2' "$tmp/installed.json" \
    >/dev/null || fail "re-install restarted unchanged containers"
[ "$(jq -c '[.functions[] | select(.type == "container") | .id]' "$tmp/installed.json")" = "$ids" ] \
    || fail "container ids changed"

# --- least privilege: no capability, no new privileges, a read-only root ---
for f in toupper echo; do
    pid=$(podman inspect -f '{{.State.Pid}}' "chima-$net-minimal-$f")
    [ "$(privileges "$pid")" = "$no_privileges" ] || fail "$f runs with CapEff/CapBnd/NoNewPrivs $(privileges "$pid")"
    [ "$(podman inspect -f '{{.HostConfig.ReadonlyRootfs}}' "chima-$net-minimal-$f")" = true ] \
        || fail "$f: the root filesystem is writable"
done
# A capability the function declares is the one it keeps; changing the list restarts it.
jq '(.functions[] | select(.name == "echo")).capabilities = ["net_raw"]' "$tmp/dep.json" > "$tmp/dep-caps.json"
"$bin/chima-install" -q "$tmp/dep-caps.json" "$tmp/artifacts.json" --net "$net" -o "$tmp/installed.json" --backend podman
jq -e '.changes.containers_started == 1' "$tmp/installed.json" >/dev/null || fail "a new capability list did not restart echo"
pid=$(jq -r '.functions[] | select(.name == "echo") | .pid' "$tmp/installed.json")
[ "$(privileges "$pid")" = "0000000000002000 0000000000002000 1" ] \
    || fail "echo declaring NET_RAW runs with $(privileges "$pid")"
expect_reply 3
install --backend podman
jq -e '.changes.containers_started == 1' "$tmp/installed.json" >/dev/null || fail "dropping the capability did not restart echo"

# --- health: kill -9 under --watch --restart on-failure ---
"$bin/chima-install" "$tmp/dep.json" "$tmp/artifacts.json" --net "$net" -o "$tmp/installed.json" \
    --backend podman --watch --restart on-failure --events "$tmp/events.jsonl" \
    >/dev/null 2>"$tmp/watch.log" &
watcher=$!
for _ in $(seq 100); do grep -q "watching" "$tmp/watch.log" 2>/dev/null && break; sleep 0.1; done
grep -q "watching" "$tmp/watch.log" || fail "watch did not start: $(cat "$tmp/watch.log")"
pid=$(podman inspect -f '{{.State.Pid}}' "chima-$net-minimal-toupper")
killed=$(now_ns)
kill -9 "$pid"
for _ in $(seq 200); do grep -q '"function-exit"' "$tmp/events.jsonl" 2>/dev/null && break; sleep 0.05; done
event=$(grep '"function-exit"' "$tmp/events.jsonl" | head -1)
[ -n "$event" ] || fail "no function-exit event within 10 s"
jq -e '.chain == "minimal" and .function == "toupper" and .exit_code == 137' <<<"$event" >/dev/null \
    || fail "event: $event"
detect_ms=$(( ($(jq .ts_ns <<<"$event") - killed) / 1000000 ))  # a figure, printed at the end
expect_reply 5
# The restarted container can answer before `podman start` has returned to the watch, so the
# event may follow the reply by a moment.
for _ in $(seq 100); do grep -q '"function-restart"' "$tmp/events.jsonl" && break; sleep 0.05; done
grep -q '"function-restart"' "$tmp/events.jsonl" || fail "no function-restart event within 5 s of the reply"
# The watch records the exit and the restart in installed.json.
for _ in $(seq 40); do
    jq -e '.functions[] | select(.name == "toupper") | .restarts == 1 and .state == "running"' \
        "$tmp/installed.json" >/dev/null && break
    sleep 0.05
done
jq -e '.functions[] | select(.name == "toupper") | .restarts == 1 and .state == "running"' \
    "$tmp/installed.json" >/dev/null || fail "restart not recorded: $(jq -c '.functions[0]' "$tmp/installed.json")"
kill -TERM "$watcher"
wait "$watcher" || fail "the watch did not end cleanly on SIGTERM: $(cat "$tmp/watch.log")"

# --- compose files, one per host ---
"$bin/chima-install" -q "$tmp/dep.json" "$tmp/artifacts.json" --net "$net" --emit-compose "$tmp/compose" >/dev/null
[ -f "$tmp/compose/d1.compose.yaml" ] && [ -f "$tmp/compose/d3.compose.yaml" ] || fail "compose files: $(ls "$tmp/compose")"
grep -q "ns:/run/netns/$(ns fn-minimal-toupper)" "$tmp/compose/d1.compose.yaml" || fail "d1 compose file"

# --- the same chain on the process backend: new instances first, then the containers go ---
t2=$(now_ns)
install --backend process
t3=$(now_ns)
jq -e '.changes.containers_started == 2 and .changes.containers_removed == 2' "$tmp/installed.json" \
    >/dev/null || fail "switch to process backend: $(jq -c .changes "$tmp/installed.json")"
[ -z "$(ours)" ] || fail "podman containers left after the switch"
jq -e '[.functions[] | select(.type == "container") | .id | startswith("pid:")] | all' \
    "$tmp/installed.json" >/dev/null || fail "process ids"
for pid in $(jq -r '.functions[] | select(.type == "container") | .pid' "$tmp/installed.json"); do
    [ "$(privileges "$pid")" = "$no_privileges" ] || fail "process $pid runs with $(privileges "$pid")"
done
expect_reply 3

# --- relocation: toupper moves to d2, echo stays; the new toupper serves before the old goes ---
cat > "$tmp/moved.yaml" <<YAML
kind: chima.placement
placement: {changettl: s1, toupper: d2, changettl2: s3, echo: d3}
YAML
"$bin/chima-compose" -q "$ex/topology.yaml" "$ex/service.yaml" "$tmp/moved.yaml" -o "$tmp/dep2.json"
old_netns=$(jq -r '.functions[] | select(.name == "toupper") | .netns' "$tmp/installed.json")
"$bin/chima-install" -v "$tmp/dep2.json" "$tmp/artifacts.json" --net "$net" -o "$tmp/installed.json" \
    --backend process 2> "$tmp/move.log"
# Make before break: the new toupper was started (which returns once it serves) before the
# old one was removed.
started=$(grep -n "started .*toupper.* on d2" "$tmp/move.log" | head -1 | cut -d: -f1)
removed=$(grep -n "removing .*toupper.* from d1" "$tmp/move.log" | head -1 | cut -d: -f1)
[ -n "$started" ] && [ -n "$removed" ] && [ "$started" -lt "$removed" ] \
    || fail "the new toupper did not serve before the old one went: $(grep -E 'started|removing|serving' "$tmp/move.log")"
jq -e '.changes | .containers_started == 1 and .containers_unchanged == 1 and .containers_removed == 1' \
    "$tmp/installed.json" >/dev/null || fail "relocation: $(jq -c .changes "$tmp/installed.json")"
# Beside the old instance: the other netns / instance name of the pair.
jq -e --arg old "$old_netns" '.functions[] | select(.name == "toupper") | .node == "d2" and .netns != $old' \
    "$tmp/installed.json" >/dev/null || fail "moved toupper: $(jq -c '.functions[0]' "$tmp/installed.json")"
! ip netns list | awk '{print $1}' | grep -qx "$(ns "$old_netns")" || fail "old toupper netns left"
"$bin/chima-route" -q "$tmp/dep2.json" --net "$net" -o "$tmp/routes.json"
expect_reply 3
cp "$tmp/dep2.json" "$tmp/dep.json"

# --- remove and tear down ---
"$bin/chima-install" -q "$tmp/dep.json" "$tmp/artifacts.json" --net "$net" --remove \
    --previous "$tmp/installed.json" > "$tmp/removed.json"
jq -e '.containers_removed == 2' "$tmp/removed.json" >/dev/null || fail "remove: $(cat "$tmp/removed.json")"
[ -z "$(ip netns list | grep "^chima\.$net\.fn-")" ] || fail "function netns left after --remove"
for p in $(jq -r '.functions[] | select(.type == "container") | .id | ltrimstr("pid:")' "$tmp/installed.json"); do
    # Gone, or a zombie its new parent has not reaped yet.
    for _ in $(seq 20); do kill -0 "$p" 2>/dev/null && ! grep -q '^[0-9]* (.*) Z' "/proc/$p/stat" 2>/dev/null || break; sleep 0.05; done
    ! kill -0 "$p" 2>/dev/null || grep -q '^[0-9]* (.*) Z' "/proc/$p/stat" 2>/dev/null || fail "process $p left after --remove"
done
"$bin/chima-net" -q down --name "$net" >/dev/null
[ -z "$(ours)" ] || fail "containers left"
[ -z "$(ip netns list | grep "^chima\.$net\.")" ] || fail "namespaces left"
[ ! -e "/sys/fs/bpf/chima/$net" ] || fail "pins left"
echo "containers_minimal: ok (install podman $(( (t1 - t0) / 1000000 )) ms, process $(( (t3 - t2) / 1000000 )) ms, exit detected in $detect_ms ms)"
