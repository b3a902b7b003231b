#!/usr/bin/env bash
# The emulated network end to end: chima-net up the minimal example, install
# P4 functions into switch slots, route the chain, and watch real packets: the MPLS stack
# on the wire (tshark), the function's effect, checksums, counters, idempotent re-runs,
# a perturbed link's delay, and a clean tear-down.
set -euo pipefail
net=t-sr
source "$(dirname "${BASH_SOURCE[0]}")/lib/emulated.bash"

# The P4 functions are the hand-written test objects (this test is about the data plane;
# compile_install.sh uses chima-compile): changettl sets the TTL to 42, changettl2 passes.
deploy_minimal process
jq -e '.changes.slots_installed == 2' "$tmp/installed.json" >/dev/null || fail "slots not installed"

# Capture on the s0-s1 link (at s1's port 1) and at the host d1.
# (Requests only: the container functions answer, and replies cross the link too.)
request='eth.src == 00:00:00:00:00:20 && udp.dstport == 12345'
at_d1='ip.src == 10.0.0.200 && udp.dstport == 12345'
capture s1 p1 "mpls" "$tmp/s1p1.pcap"
capture d1 eth0 "udp port 12345" "$tmp/d1.pcap"
for i in 1 2 3 4 5; do
    ip netns exec "$(ns client)" bash -c 'echo "hi $0" > /dev/udp/10.0.0.2/12345' "$i"
    sleep 0.1
done
wait_captured "$tmp/s1p1.pcap" "$request" 5
wait_captured "$tmp/d1.pcap" "$at_d1" 5
stop_captures

# On the wire between s0 and s1: s0 popped its adjacency; the rest of the stack is there:
# function 1 (changettl at s1), int-to-host, adjacency to port 2 (d1).
labels=$(tshark -r "$tmp/s1p1.pcap" -Y "$request" -T fields -e mpls.label 2>/dev/null | sort -u)
[ "$labels" = "$(printf '%d,%d,%d' 0x40001 0xc0000 0x80002)" ] || fail "labels on s0-s1: '$labels'"
# At d1: plain IPv4/UDP (penultimate hop popping), TTL set by the function, checksums
# verified by tshark (status 1 = good).
fields=$(tshark -r "$tmp/d1.pcap" -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE \
    -Y "ip.src == 10.0.0.200 && udp.dstport == 12345" -T fields -e eth.type -e ip.ttl -e ip.checksum.status -e udp.checksum.status -e ip.dst 2>/dev/null | sort -u)
[ "$(echo "$fields" | wc -l)" -eq 1 ] || fail "unexpected packets at d1: $fields"
read -r ethertype ttl ipsum udpsum dst <<<"$fields"
[ "$ethertype" = "0x0800" ] || fail "ethertype $ethertype at d1"
[ "$ttl" = "42" ] || fail "TTL $ttl at d1 (changettl sets 42)"
[ "$ipsum" = "1" ] || fail "IPv4 checksum status $ipsum"
[ "$udpsum" = "1" ] || fail "UDP checksum status $udpsum"
[ "$dst" = "10.0.0.2" ] || fail "destination $dst"
[ "$(tshark -r "$tmp/d1.pcap" -Y "ip.src == 10.0.0.200 && udp.dstport == 12345" 2>/dev/null | wc -l)" -eq 5 ] \
    || fail "not all 5 packets reached d1"

# Counters along the path: s0 sent them towards s1, s1 towards d1; nothing went to s2.
"$bin/chima-net" status "$ex/topology.yaml" --name "$net" > "$tmp/status.json"
port() { jq ".switches[] | select(.name == \"$1\") | .ports[] | select(.port == $2) | .$3" "$tmp/status.json"; }
[ "$(port s0 2 tx_packets)" -ge 5 ] || fail "s0 port 2 tx"
[ "$(port s1 2 tx_packets)" -ge 5 ] || fail "s1 port 2 tx"
[ "$(port s0 3 tx_packets)" -eq 0 ] || fail "traffic leaked to s2"

# Idempotent: a second run of route and install changes nothing.
"$bin/chima-route" -q "$tmp/dep.json" --net "$net" -o "$tmp/routes.json"
jq -e '.changed == 0' "$tmp/routes.json" >/dev/null || fail "chima-route not idempotent"
"$bin/chima-install" -q "$tmp/dep.json" "$tmp/artifacts.json" --net "$net" --backend process -o "$tmp/installed.json"
jq -e '.changes.slots_installed == 0 and .changes.slots_unchanged == 2' "$tmp/installed.json" >/dev/null \
    || fail "chima-install reinstalled unchanged slots"

# Peer delivery: s0 hands frames for s1 straight into s1's namespace (bpf_redirect_peer):
# its pipeline counts them on port 2, the kernel never transmits them on p2.
kernel_tx() { ip -n "$(ns s0)" -s -j link show p2 | jq '.[0].stats64.tx.packets'; }
pipeline_tx() { "$bin/chima-net" status "$ex/topology.yaml" --name "$net" \
    | jq '.switches[] | select(.name == "s0") | .ports[] | select(.port == 2) | .tx_packets'; }
k0=$(kernel_tx) p0=$(pipeline_tx)
ip netns exec "$(ns client)" ping -q -c 20 -i 0.01 -W 1 10.0.0.101 >/dev/null || fail "ping d1"
k1=$(kernel_tx) p1=$(pipeline_tx)
[ $((p1 - p0)) -ge 20 ] || fail "s0 port 2 forwarded $((p1 - p0)) of 20 pings"
[ $((k1 - k0)) -lt 3 ] || fail "s0 transmitted $((k1 - k0)) frames on p2 (want peer delivery)"

# perturb s0-s1 --delay 20ms: every round trip across that link waits 40 ms more -- none
# is shorter than 40 ms, and on average it stays under a second delay's 80 ms (the averages
# are printed, a figure: how close they come depends on the host's load).
rtt() { ip netns exec "$(ns client)" ping -q -c 10 -i 0.05 -W 1 10.0.0.101 | awk -F'[/ ]' '/rtt/ {print $7, $8}'; }
read -r _ base <<<"$(rtt)"
"$bin/chima-net" -q perturb "$ex/topology.yaml" s0-s1 --name "$net" --delay 20ms >/dev/null
read -r slow_min slow <<<"$(rtt)"
awk -v b="$base" -v m="$slow_min" -v s="$slow" 'BEGIN { exit !(m >= 40 && s - b < 80) }' \
    || fail "RTT $base ms -> min $slow_min, avg $slow ms: not 40 ms more"
"$bin/chima-net" -q perturb "$ex/topology.yaml" s0-s1 --name "$net" --clear >/dev/null

"$bin/chima-net" -q down --name "$net" >/dev/null
[ -z "$(ip netns list | grep "^chima\.$net\.")" ] || fail "namespaces left"
[ ! -e "/sys/fs/bpf/chima/$net" ] || fail "pins left"
echo "sr_minimal: ok (rtt $base -> $slow ms)"
