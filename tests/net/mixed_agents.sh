#!/usr/bin/env bash
# A deployment that mixes both kinds of device: in the emulated minimal network, switch s1
# and host d1 are taken over by chima-agents (s1: its own pipeline on s1's ports, P4Runtime;
# d1: its own host client on the uplink, the host API; both over mutual TLS on management
# links), the topology gives their addresses, and chima-net's own pins of both are removed --
# so chima-install and chima-route can reach them only over the network, while the other
# switches, the client and the other hosts stay direct. The chain must then work end to end:
# the P4 function at s1 (changettl, TTL 42) loaded into the agent's pipeline with
# RECONCILE_AND_COMMIT, forwarding and INT written by name, d1's container functions started,
# plumbed and routed through its agent, and the client's requests answered.
set -euo pipefail
net=t-mix
source "$(dirname "${BASH_SOURCE[0]}")/lib/emulated.bash"
needs openssl
# A failure shows what the agents said.
fail() {
    echo "FAIL: $*"
    for f in "$tmp"/agent-*.err; do
        [ -f "$f" ] && { echo "--- $f"; tail -20 "$f"; }
    done
    exit 1
}

prepare_minimal

# A throwaway PKI: a CA, each agent's certificate for its management address, the tools'.
pki=$tmp/pki
mkdir -p "$pki"
certify() {  # NAME ADDRESS
    (
        cd "$pki"
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null
        openssl req -new -key "$1.key" -out "$1.csr" -subj "/CN=$2" 2>/dev/null
        echo "subjectAltName=IP:$2" > "$1.ext"
        openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 \
            -extfile "$1.ext" -out "$1.pem" 2>/dev/null
    )
}
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$pki/ca.key" 2>/dev/null
openssl req -x509 -new -key "$pki/ca.key" -out "$pki/ca.pem" -days 1 -subj /CN=t-mix-ca 2>/dev/null
certify tools 127.0.0.1

# mgmt_link NODE N: a link from this namespace into NODE's, 169.254.77.(4N+2) here and
# 169.254.77.(4N+1) there.
mgmt_link() {
    local here=tmix-m$2
    ip link add "$here" type veth peer name mgmt netns "$(ns "$1")"
    cleanup_add "ip link del $here 2>/dev/null || true"
    ip address add "169.254.77.$((4 * $2 + 2))/30" dev "$here"
    ip link set "$here" up
    ip -n "$(ns "$1")" address add "169.254.77.$((4 * $2 + 1))/30" dev mgmt
    ip -n "$(ns "$1")" link set mgmt up
}
# start_agent NODE ARGS...: chima-agent in NODE's namespace with mutual TLS, until ready.
# nsenter, not ip netns exec, which would hide /sys/fs/bpf behind a sysfs of its own.
start_agent() {
    local node=$1 i
    shift
    CHIMA_RUN_DIR=$tmp/run-$node nsenter --net="/run/netns/$(ns "$node")" "$bin/chima-agent" \
        --name "$node" --tls-cert "$pki/$node.pem" --tls-key "$pki/$node.key" \
        --tls-ca "$pki/ca.pem" "$@" > "$tmp/agent-$node.out" 2> "$tmp/agent-$node.err" &
    local pid=$!
    cleanup_add "kill $pid 2>/dev/null; wait $pid 2>/dev/null || true"
    for ((i = 0; i < 300; i++)); do
        [ -s "$tmp/agent-$node.out" ] && return 0
        kill -0 "$pid" 2>/dev/null || fail "agent $node did not start: $(cat "$tmp/agent-$node.err")"
        sleep 0.1
    done
    fail "agent $node not ready: $(cat "$tmp/agent-$node.err")"
}

# s1: the agent takes its ports (port N is interface pN, as chima-net names them).
s1_at=169.254.77.1 d1_at=169.254.77.5
mgmt_link s1 0
certify s1 "$s1_at"
ports=$(ip -n "$(ns s1)" -j link show | jq -r '.[].ifname | select(test("^p[0-9]+$"))' |
    sed 's/^p\([0-9]*\)$/\1=p\1/' | paste -sd, -)
start_agent s1 --switch --ports "$ports" --listen "$s1_at:9559"
jq -e '.switch.tls == true' "$tmp/agent-s1.out" >/dev/null || fail "s1's agent: $(cat "$tmp/agent-s1.out")"
# d1: a compute host of the network (its bridge br0), the client on its uplink.
mgmt_link d1 1
certify d1 "$d1_at"
start_agent d1 --host --uplink eth0 --net "$net" --bridged --api "$d1_at:9560"
jq -e '.host.tls == true' "$tmp/agent-d1.out" >/dev/null || fail "d1's agent: $(cat "$tmp/agent-d1.out")"

# chima-net's pins of s1 and d1 go: a tool that tried them would fail ("is the network up?").
rm -rf "/sys/fs/bpf/chima/$net/s1" "/sys/fs/bpf/chima/$net/d1"

# The topology says where they are; the deployment carries it.
sed -e "s/{name: s1, id: 2}/{name: s1, id: 2, address: \"$s1_at:9559\"}/" \
    -e "s/capacity: 4}  *$/&/; /name: d1,/s/capacity: 4}/capacity: 4, agent: \"$d1_at:9560\"}/" \
    "$ex/topology.yaml" > "$tmp/topology.yaml"
grep -q "address: \"$s1_at:9559\"" "$tmp/topology.yaml" || fail "topology: s1 not rewritten"
grep -q "agent: \"$d1_at:9560\"" "$tmp/topology.yaml" || fail "topology: d1 not rewritten"
"$bin/chima-compose" -q "$tmp/topology.yaml" "$ex/service.yaml" "$ex/placement.yaml" -o "$tmp/dep.json"

# Without TLS material the agents refuse the tools; the run says which device and where.
if "$bin/chima-route" -q "$tmp/dep.json" --net "$net" --device-timeout 2 -o "$tmp/routes.json" \
    2> "$tmp/route-plain.err"; then
    fail "chima-route reached the TLS agent without TLS"
fi
grep -Eq "(s1 \($s1_at:9559\)|d1 \($d1_at:9560\))" "$tmp/route-plain.err" \
    || fail "the error does not name the device and its address: $(cat "$tmp/route-plain.err")"

export CHIMA_TLS_CERT=$pki/tools.pem CHIMA_TLS_KEY=$pki/tools.key CHIMA_TLS_CA=$pki/ca.pem
"$bin/chima-install" -q "$tmp/dep.json" "$tmp/artifacts.json" --net "$net" --backend process \
    -o "$tmp/installed.json"
"$bin/chima-route" -q "$tmp/dep.json" --net "$net" -o "$tmp/routes.json"
jq -e '.changes.slots_installed == 2' "$tmp/installed.json" >/dev/null || fail "slots not installed"

# The chain through s1's agent: at d1, the packets of the client carry TTL 42 (changettl,
# which runs in s1's slot).
capture d1 eth0 "udp port 12345" "$tmp/d1.pcap"
for i in 1 2 3 4 5; do
    ip netns exec "$(ns client)" bash -c 'echo "hi $0" > /dev/udp/10.0.0.2/12345' "$i"
    sleep 0.1
done
at_d1='ip.src == 10.0.0.200 && udp.dstport == 12345'
wait_captured "$tmp/d1.pcap" "$at_d1" 5
stop_captures
ttls=$(tshark -r "$tmp/d1.pcap" -Y "$at_d1" -T fields -e ip.ttl 2>/dev/null | sort -u)
[ "$ttls" = "42" ] || fail "TTL at d1: '$ttls' (want 42, set by the function in s1's agent)"
[ "$(captured "$tmp/d1.pcap" "$at_d1")" -eq 5 ] || fail "not all 5 packets reached d1"

# The chain answers: requests to its first container function (on d1, started by d1's
# agent) come back through the functions.
first=$(jq -r '[.functions[] | select(.type == "container")][0] | "\(.ip) \(.port)"' "$tmp/dep.json")
answer=$(ip netns exec "$(ns client)" python3 - ${first% *} ${first#* } <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1.0)
for attempt in range(30):
    s.sendto(b"hello through the agents", (sys.argv[1], int(sys.argv[2])))
    try:
        print(s.recv(2048).decode(errors="replace"))
        break
    except socket.timeout:
        pass
PY
)
[ -n "$answer" ] || fail "the chain did not answer through d1's agent"
echo "answer: $answer"
jq -e '[.functions[] | select(.type == "container" and .node == "d1")] | length > 0' \
    "$tmp/installed.json" >/dev/null || fail "no container function on d1"

# Idempotent through the agents too: nothing to change the second time.
"$bin/chima-install" -q "$tmp/dep.json" "$tmp/artifacts.json" --net "$net" --backend process \
    -o "$tmp/installed.json"
jq -e '.changes.slots_installed == 0' "$tmp/installed.json" >/dev/null \
    || fail "chima-install reinstalled through the agent"
echo "ok: s1 and d1 through their agents (P4Runtime, host API, mutual TLS), the rest direct"
