#!/usr/bin/env bash
# Two container functions on one host with a P4 function between them: toupper
# and echo both run on d1, changettl2 (TTL := 42) runs in switch s1 between them. The host
# bridge could deliver toupper's requests to echo directly and skip changettl2; the host
# client sends every frame a function emits out of the host's uplink instead, so the
# requests cross s1 and come back with TTL 42 (tshark on d1's uplink), and the chain answers.
set -euo pipefail
net=t-co
source "$(dirname "${BASH_SOURCE[0]}")/lib/emulated.bash"
needs podman
export CHIMA_BUILD=${CHIMA_BUILD:-$(dirname "$bin")}
remove_containers() {
    "$bin/chima-install" -q "$tmp/dep.json" "$tmp/artifacts.json" --net "$net" --remove \
        --previous "$tmp/installed.json" >/dev/null 2>&1 || true
}
cleanup_add remove_containers

cat > "$tmp/placement.yaml" <<YAML
kind: chima.placement
placement: {changettl: s1, toupper: d1, changettl2: s1, echo: d1}
YAML
cat > "$tmp/artifacts.json" <<JSON
{"kind": "chima.artifacts", "version": 1, "functions": [
  {"chain": "minimal", "name": "changettl", "object": "$bpf/testfn_passthrough.bpf.o"},
  {"chain": "minimal", "name": "changettl2", "object": "$bpf/testfn_set_ttl.bpf.o"}]}
JSON
"$bin/chima-net" -q up "$ex/topology.yaml" --name "$net" -o "$tmp/net.json"
"$bin/chima-compose" -q "$ex/topology.yaml" "$ex/service.yaml" "$tmp/placement.yaml" -o "$tmp/dep.json"
"$bin/chima-install" -q "$tmp/dep.json" "$tmp/artifacts.json" --net "$net" --backend podman \
    -o "$tmp/installed.json"
"$bin/chima-route" -q "$tmp/dep.json" --net "$net" -o "$tmp/routes.json"
toupper=$(jq -r '.functions[] | select(.name == "toupper") | .ip' "$tmp/dep.json")
echo_ip=$(jq -r '.functions[] | select(.name == "echo") | .ip' "$tmp/dep.json")

capture d1 eth0 "udp or mpls" "$tmp/d1.pcap"
answers=
for i in 1 2 3 4 5; do
    got=$(ip netns exec "$(ns client)" python3 - "$toupper" "$i" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(b"hello from the client %s" % sys.argv[2].encode(), (sys.argv[1], 12345))
try:
    print(s.recv(2048).decode(errors="replace"))
except socket.timeout:
    print("timeout")
PY
)
    answers+="$got;"
    sleep 0.1
done
wait_captured "$tmp/d1.pcap" "!mpls && ip.src == $toupper && ip.dst == $echo_ip" 5
stop_captures
[ "$answers" = "echo: HELLO FROM THE CLIENT 1;echo: HELLO FROM THE CLIENT 2;echo: HELLO FROM THE CLIENT 3;echo: HELLO FROM THE CLIENT 4;echo: HELLO FROM THE CLIENT 5;" ] \
    || fail "answers: $answers"

# toupper -> echo on d1's uplink: out with a label stack, back from s1 with TTL 42.
out=$(tshark -r "$tmp/d1.pcap" -Y "mpls && ip.src == $toupper && ip.dst == $echo_ip" 2>/dev/null | wc -l)
back=$(tshark -r "$tmp/d1.pcap" -Y "!mpls && ip.src == $toupper && ip.dst == $echo_ip" -T fields -e ip.ttl 2>/dev/null | sort -u)
[ "$out" -ge 5 ] || fail "$out toupper->echo frames left d1 through its uplink (want 5)"
[ "$back" = "42" ] || fail "toupper->echo frames came back with TTL '$back' (want 42: changettl2 in s1)"
echo "colocated: ok ($out requests toupper->echo crossed s1, TTL 42 on return)"
