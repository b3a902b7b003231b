#!/usr/bin/env bash
# A deployment that mixes both kinds of device: switch s1 of the emulated minimal network is
# taken over by a chima-agent (its own pipeline on s1's ports, P4Runtime over mutual TLS on a
# management link), the topology gives s1 that address, and chima-net's own pins of s1 are
# removed -- so chima-install and chima-route can reach s1 only over P4Runtime, while the
# other switches and the hosts stay direct. The chain must then work end to end: the P4
# function at s1 (changettl, TTL 42) is loaded into the agent's pipeline with
# RECONCILE_AND_COMMIT, the forwarding and INT entries written by name, and traffic from the
# client reaches d1 behind s1 with the function's effect.
set -euo pipefail
net=t-mix
source "$(dirname "${BASH_SOURCE[0]}")/lib/emulated.bash"
needs openssl

prepare_minimal

# A throwaway PKI: a CA, the agent's certificate for its management address, the tools'.
pki=$tmp/pki
mkdir -p "$pki"
mgmt_agent=169.254.77.1 mgmt_here=169.254.77.2
(
    cd "$pki"
    key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null; }
    key ca
    openssl req -x509 -new -key ca.key -out ca.pem -days 1 -subj /CN=t-mix-ca 2>/dev/null
    for name in agent tools; do
        key $name
        openssl req -new -key $name.key -out $name.csr -subj "/CN=$mgmt_agent" 2>/dev/null
        echo "subjectAltName=IP:$mgmt_agent" > $name.ext
        openssl x509 -req -in $name.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 \
            -extfile $name.ext -out $name.pem 2>/dev/null
    done
)

# The management link: this namespace <-> s1's.
ip link add tmix-mgmt type veth peer name mgmt netns "$(ns s1)"
cleanup_add 'ip link del tmix-mgmt 2>/dev/null || true'
ip address add "$mgmt_here/30" dev tmix-mgmt
ip link set tmix-mgmt up
ip -n "$(ns s1)" address add "$mgmt_agent/30" dev mgmt
ip -n "$(ns s1)" link set mgmt up

# The agent takes s1's ports (port N is interface pN, as chima-net names them); nsenter, not
# ip netns exec, which would hide /sys/fs/bpf behind a sysfs of its own.
ports=$(ip -n "$(ns s1)" -j link show | jq -r '.[].ifname | select(test("^p[0-9]+$"))' |
    sed 's/^p\([0-9]*\)$/\1=p\1/' | paste -sd, -)
CHIMA_RUN_DIR=$tmp/run nsenter --net="/run/netns/$(ns s1)" "$bin/chima-agent" --name t-mix-s1 --switch \
    --ports "$ports" --listen "$mgmt_agent:9559" \
    --tls-cert "$pki/agent.pem" --tls-key "$pki/agent.key" --tls-ca "$pki/ca.pem" \
    > "$tmp/agent.out" 2> "$tmp/agent.err" &
agent=$!
cleanup_add "kill $agent 2>/dev/null; wait $agent 2>/dev/null || true"
for ((i = 0; i < 100; i++)); do
    [ -s "$tmp/agent.out" ] && break
    kill -0 "$agent" 2>/dev/null || fail "the agent did not start: $(cat "$tmp/agent.err")"
    sleep 0.1
done
jq -e '.switch.tls == true' "$tmp/agent.out" >/dev/null || fail "agent not ready: $(cat "$tmp/agent.out")"

# chima-net's pins of s1 go: a tool that tried them would fail ("is the network up?").
rm -rf "/sys/fs/bpf/chima/$net/s1"

# The topology says where s1 is; the deployment carries it.
sed "s/{name: s1, id: 2}/{name: s1, id: 2, address: \"$mgmt_agent:9559\"}/" \
    "$ex/topology.yaml" > "$tmp/topology.yaml"
grep -q "address: \"$mgmt_agent:9559\"" "$tmp/topology.yaml" || fail "topology not rewritten"
"$bin/chima-compose" -q "$tmp/topology.yaml" "$ex/service.yaml" "$ex/placement.yaml" -o "$tmp/dep.json"

# Without TLS material the agent refuses the tools; the run says which switch and where.
if "$bin/chima-route" -q "$tmp/dep.json" --net "$net" --device-timeout 2 -o "$tmp/routes.json" \
    2> "$tmp/route-plain.err"; then
    fail "chima-route reached the TLS agent without TLS"
fi
grep -q "s1" "$tmp/route-plain.err" && grep -q "$mgmt_agent:9559" "$tmp/route-plain.err" \
    || fail "the error does not name s1 and its address: $(cat "$tmp/route-plain.err")"

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

# Idempotent through the agent too: nothing to change the second time.
"$bin/chima-install" -q "$tmp/dep.json" "$tmp/artifacts.json" --net "$net" --backend process \
    -o "$tmp/installed.json"
jq -e '.changes.slots_installed == 0' "$tmp/installed.json" >/dev/null \
    || fail "chima-install reinstalled through the agent"
echo "ok: s1 through its agent (P4Runtime, mutual TLS), the rest direct"
