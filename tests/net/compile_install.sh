#!/usr/bin/env bash
# chima-compile's real artifacts in the emulated network: the minimal chain with changettl
# (TTL 42) and dscp_marker (an exact-table entry from service.yaml: UDP to 10.0.0.2 gets
# DSCP 46) at s1, compiled from P4, installed by chima-install with the entry loaded into
# the slot's pinned map; real packets at d1 carry both effects with good checksums.
set -euo pipefail
net=t-ci
source "$(dirname "${BASH_SOURCE[0]}")/lib/emulated.bash"
data=${CHIMA_ROOT}/tests/data/compile_install

"$bin/chima-net" -q up "$ex/topology.yaml" --name "$net" -o "$tmp/net.json"
"$bin/chima-compose" -q "$ex/topology.yaml" "$data/service.yaml" "$data/placement.yaml" -o "$tmp/dep.json"
"$bin/chima-compile" -q "$tmp/dep.json" -o "$tmp/artifacts.json" --build-dir "$tmp/build"
jq -e '(.functions | length) == 3' "$tmp/artifacts.json" >/dev/null || fail "artifacts"
"$bin/chima-install" -q "$tmp/dep.json" "$tmp/artifacts.json" --net "$net" --backend process -o "$tmp/installed.json"
jq -e '.changes.slots_installed == 3' "$tmp/installed.json" >/dev/null || fail "slots not installed"
"$bin/chima-route" -q "$tmp/dep.json" --net "$net" -o "$tmp/routes.json"

# The entry is in the marker's pinned table map.
slot=$(jq -r '.functions[] | select(.name == "marker") | .slot' "$tmp/dep.json")
map=$(ls -d /sys/fs/bpf/chima/$net/s1/slot-$slot/tbl_marks 2>/dev/null || find /sys/fs/bpf/chima/$net -path "*s1*slot-$slot*" -name tbl_marks | head -1)
[ -n "$map" ] || fail "no pinned tbl_marks for slot $slot"
[ "$(bpftool -j map dump pinned "$map" | jq length)" -eq 1 ] || fail "tbl_marks should hold 1 entry"

dst=$(jq -r '.functions[] | select(.name == "toupper") | .ip' "$tmp/dep.json")
# Requests from the client only: the chain's functions answer, and their traffic is here too.
request="ip.src == 10.0.0.200 && udp.dstport == 12345"
capture d1 eth0 "udp port 12345" "$tmp/d1.pcap"
for i in 1 2 3 4 5; do
    ip netns exec "$(ns client)" bash -c 'echo "hello $0" > /dev/udp/'"$dst"'/12345' "$i"
    sleep 0.1
done
wait_captured "$tmp/d1.pcap" "$request" 5
stop_captures
fields=$(tshark -r "$tmp/d1.pcap" -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -Y "$request" \
    -T fields -e eth.type -e ip.ttl -e ip.dsfield.dscp -e ip.checksum.status -e udp.checksum.status 2>/dev/null | sort -u)
[ "$(echo "$fields" | wc -l)" -eq 1 ] || fail "unexpected packets at d1: $fields"
read -r ethertype ttl dscp ipsum udpsum <<<"$fields"
[ "$ethertype" = "0x0800" ] || fail "ethertype $ethertype at d1"
[ "$ttl" = "42" ] || fail "TTL $ttl at d1 (changettl sets 42)"
[ "$dscp" = "46" ] || fail "DSCP $dscp at d1 (the marker's entry sets 46)"
[ "$ipsum" = "1" ] || fail "IPv4 checksum status $ipsum"
[ "$udpsum" = "1" ] || fail "UDP checksum status $udpsum"
[ "$(tshark -r "$tmp/d1.pcap" -Y "$request" 2>/dev/null | wc -l)" -eq 5 ] || fail "not all 5 packets reached d1"

# Unchanged deployment: nothing reinstalled.
"$bin/chima-install" -q "$tmp/dep.json" "$tmp/artifacts.json" --net "$net" --backend process -o "$tmp/installed.json"
jq -e '.changes.slots_installed == 0 and .changes.slots_unchanged == 3' "$tmp/installed.json" >/dev/null \
    || fail "chima-install reinstalled unchanged slots"

"$bin/chima-net" -q down --name "$net" >/dev/null
[ -z "$(ip netns list | grep "^chima\.$net\.")" ] || fail "namespaces left"
[ ! -e "/sys/fs/bpf/chima/$net" ] || fail "pins left"
echo "compile_install: ok"
