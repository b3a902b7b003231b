#!/usr/bin/env bash
# Bad input never reaches the network. On minimal, deployed and answering, a table of bad
# inputs goes through chima-install, chima-route, chima-relocate, chima-compose and chima-net:
# each must exit 2 naming its position (file:line:col, the file and JSON pointer, or the
# flag), and after each the containers (podman: id, name, state, pid, start time), the
# network namespaces, every pin of the network (its list, the configuration maps dumped with
# bpftool, the programs by id and tag) and every state file (sha256) are compared with the
# snapshot taken before: byte for byte. Traffic is paused during the table (packet counters
# move with traffic and are not configuration: see `config_map`), and answers again at the
# end. No command of a bad name ran (`x;touch FILE`), no pin path escaped the network's.
scenario=minimal
source "$(dirname "${BASH_SOURCE[0]}")/lib/deployed.bash"
needs bpftool
traffic_answering
kill "$loop_traffic_pid" 2>/dev/null || true
wait "$loop_traffic_pid" 2>/dev/null || true
loop_traffic_pid=
sleep 0.5  # the last answers in flight

pins=/sys/fs/bpf/chima/$net
# Maps that hold configuration: what a tool writes. Counters, INT report sequence and
# buffers, per-CPU scratch and per-packet state change with every packet.
config_map() {
    case $(basename "$1") in
        *counters* | chima_int_report_seq | chima_int_buffers | chima_scratch | chima_resume | \
            chima_client_int_saved) return 1 ;;
    esac
    return 0
}
snapshot() {
    echo "# containers"
    podman ps -a --filter "label=chima.net=$net" --format '{{.ID}}' | sort | while read -r id; do
        podman inspect --format '{{.Id}} {{.Name}} {{.State.Status}} {{.State.Pid}} {{.State.StartedAt}} {{.Image}}' "$id"
    done
    echo "# namespaces"
    ip netns list | awk '{print $1}' | grep "^chima\.$net\." | sort
    echo "# pins"
    find "$pins" | sort
    find "$pins" -type f | sort | while read -r pin; do
        if bpftool map show pinned "$pin" >/dev/null 2>&1; then
            if config_map "$pin"; then
                echo "## map $pin"
                bpftool -j map dump pinned "$pin"
                echo
            fi
        else
            echo "## prog $pin"
            bpftool -j prog show pinned "$pin" | jq -c '{id, tag, name, type}'
        fi
    done
    echo "# state files"
    (cd "$state" && sha256sum deployment.json artifacts.json installed.json routes.json net.json)
}
snapshot > "$state/snapshot.before"
# The snapshot sees what a tool would change: the label stacks, the slots, the forwarding
# entries, the programs, both containers, the namespaces.
for what in '^## map .*/chima_flows$' '^## map .*/chima_slots$' '^## map .*/chima_mac_routes$' \
    '^## prog ' "^chima\.$net\.fn-"; do
    grep -q "$what" "$state/snapshot.before" || fail "the snapshot lacks $what: $(head "$state/snapshot.before")"
done
containers=$(awk '/^# containers/ {on = 1; next} /^#/ {on = 0} on' "$state/snapshot.before" | wc -l)
[ "$containers" -ge 2 ] || fail "$containers containers in the snapshot"

# The bad inputs, each a variant of the deployed files.
dep=$state/deployment.json
c=$(jq '[.functions[].type] | index("container")' "$dep")
p=$(jq '[.functions[].type] | index("p4")' "$dep")
pwned=$state/pwned
bad=$state/bad
mkdir -p "$bad"
jq ".functions[$c].function_id = 2097151" "$dep" > "$bad/fnid.json"
jq ".functions[$p].slot = 262144" "$dep" > "$bad/slot.json"
jq ".functions[$c].name = \"x;touch $pwned\"" "$dep" > "$bad/fnname.json"
jq '.flows[0].pusher = "../../../../tmp/chima-escape"' "$dep" > "$bad/pusher.json"
jq '.topology.name = "../x"' "$dep" > "$bad/toponame.json"
jq '.flows[-1].stack[-1].sid = "teleport"' "$dep" > "$bad/lastsid.json"
jq '.chains[0].poll_ns = 0' "$dep" > "$bad/poll0.json"
jq '.functions |= map(select(.name != "changettl2"))' "$state/artifacts.json" > "$bad/art-lacking.json"
jq '.functions[0].object = "/etc/passwd"' "$state/artifacts.json" > "$bad/art-passwd.json"
jq '.functions[0].object = "/dev/zero" | del(.functions[0].hash)' "$state/artifacts.json" > "$bad/art-zero.json"
jq '.functions[0].name = "x;touch '"$pwned"'"' "$state/installed.json" > "$bad/inst-name.json"
jq '.functions[0].instance = "../../x"' "$state/installed.json" > "$bad/inst-instance.json"
jq '.net = "other"' "$state/installed.json" > "$bad/inst-net.json"
jq '.flows[0].pusher = "../../x"' "$state/routes.json" > "$bad/routes-pusher.json"
printf 'kind: chima.placement\nplacement: {changettl: s2, toupper: d2, changettl2: s4, echo: ../d4}\n' > "$bad/to.yaml"
printf 'kind: chima.placement\nplacement: {changettl: s2, toupper: d2, changettl2: s4, echo: d9}\n' > "$bad/to-unknown.yaml"
violation='{"type":"violation","chain":"minimal","section":"toupper","metric":"latency","worst":{"type":"link","a":"s0","b":"s1","value_ns":51000000}}'
data=$root/tests/data/bad
# The files the tools rewrite are given as -o: a bad input must leave them as they were.
install_out=(-o "$state/installed.json")
route_out=(-o "$state/routes.json")
relocate_files=(--net "$net" --artifacts "$state/artifacts.json" --installed "$state/installed.json"
    --routes "$state/routes.json" -o "$state/deployment.json")

rows=0 failed=0
# try TOOL MESSAGE ARGS...: exit 2, MESSAGE on stderr, nothing changed.
try() {
    local tool=$1 message=$2 status=0
    shift 2
    rows=$((rows + 1))
    echo "$violation" | "$bin/$tool" "$@" > "$state/out" 2> "$state/err" || status=$?
    if [ "$status" -ne 2 ]; then
        echo "FAIL: $tool $*: exit $status, expected 2: $(head -3 "$state/err")"
        failed=$((failed + 1))
    elif ! grep -F "$tool: error: " "$state/err" | grep -qF -- "$message"; then
        echo "FAIL: $tool $*: stderr lacks '$message': $(head -3 "$state/err")"
        failed=$((failed + 1))
    fi
    snapshot > "$state/snapshot.after"
    if ! cmp -s "$state/snapshot.before" "$state/snapshot.after"; then
        echo "FAIL: $tool $*: the network or a state file changed:"
        diff "$state/snapshot.before" "$state/snapshot.after" | head -20
        failed=$((failed + 1))
    fi
    [ ! -e "$pwned" ] || { echo "FAIL: $tool $*: a name ran as a command"; failed=$((failed + 1)); }
    [ ! -e /tmp/chima-escape ] || { echo "FAIL: $tool $*: a pin path escaped"; failed=$((failed + 1)); }
    return 0
}

try chima-install "fnid.json: at /functions/$c/function_id: container function id (18 bits) 2097151" \
    "$bad/fnid.json" "$state/artifacts.json" --net "$net" "${install_out[@]}" --backend podman
try chima-install "slot.json: at /functions/$p/slot" \
    "$bad/slot.json" "$state/artifacts.json" --net "$net" "${install_out[@]}" --backend podman
try chima-install "art-lacking.json: no object for function 'minimal/changettl2'" \
    "$dep" "$bad/art-lacking.json" --net "$net" "${install_out[@]}" --backend podman
try chima-install "art-passwd.json: at /functions/0/object: BPF object /etc/passwd is not an ELF object" \
    "$dep" "$bad/art-passwd.json" --net "$net" "${install_out[@]}" --backend podman
try chima-install "art-zero.json: at /functions/0/object: BPF object /dev/zero is not a regular file" \
    "$dep" "$bad/art-zero.json" --net "$net" "${install_out[@]}" --backend podman
try chima-install "fnname.json: at /functions/$c/name: invalid name 'x;touch" \
    "$bad/fnname.json" "$state/artifacts.json" --net "$net" "${install_out[@]}" --backend podman
try chima-install "inst-name.json: at /functions/0/name: invalid name 'x;touch" \
    "$dep" "$state/artifacts.json" --net "$net" --previous "$bad/inst-name.json" "${install_out[@]}" --backend podman
try chima-install "inst-instance.json: at /functions/0/instance: invalid name '../../x'" \
    "$dep" "$state/artifacts.json" --net "$net" --previous "$bad/inst-instance.json" "${install_out[@]}" --backend podman
try chima-install "inst-net.json: at /net: it describes network 'other'" \
    "$dep" "$state/artifacts.json" --net "$net" --previous "$bad/inst-net.json" "${install_out[@]}" --backend podman
try chima-install 'network name "a;b" is not valid' \
    "$dep" "$state/artifacts.json" --net 'a;b' "${install_out[@]}" --backend podman
try chima-install "toponame.json: at /topology/name: invalid name '../x'" \
    "$bad/toponame.json" "$state/artifacts.json" "${install_out[@]}" --backend podman
try chima-route "pusher.json: at /flows/0/pusher: invalid name '../../../../tmp/chima-escape'" \
    "$bad/pusher.json" --net "$net" "${route_out[@]}"
try chima-route "lastsid.json: at /flows/" "$bad/lastsid.json" --net "$net" "${route_out[@]}"
try chima-route "toponame.json: at /topology/name: invalid name '../x'" "$bad/toponame.json" "${route_out[@]}"
try chima-route 'network name "../x" is not valid' "$dep" -n ../x "${route_out[@]}"
try chima-route "routes-pusher.json: at /flows/0/pusher: invalid name '../../x'" \
    "$dep" --net "$net" --previous "$bad/routes-pusher.json" "${route_out[@]}"
try chima-relocate "art-passwd.json: at /functions/0/object" -t "$ex/topology.yaml" -d "$dep" \
    --net "$net" --artifacts "$bad/art-passwd.json" --installed "$state/installed.json" \
    --routes "$state/routes.json" -o "$state/deployment.json" --once
try chima-relocate "inst-name.json: at /functions/0/name" -t "$ex/topology.yaml" -d "$dep" \
    --net "$net" --artifacts "$state/artifacts.json" --installed "$bad/inst-name.json" \
    --routes "$state/routes.json" -o "$state/deployment.json" --once
try chima-relocate "routes-pusher.json: at /flows/0/pusher" -t "$ex/topology.yaml" -d "$dep" \
    --net "$net" --artifacts "$state/artifacts.json" --installed "$state/installed.json" \
    --routes "$bad/routes-pusher.json" -o "$state/deployment.json" --once
try chima-relocate "to.yaml:2:63: invalid name '../d4'" -t "$ex/topology.yaml" -d "$dep" \
    "${relocate_files[@]}" --to "$bad/to.yaml" --once
try chima-relocate "d9" -t "$ex/topology.yaml" -d "$dep" "${relocate_files[@]}" --to "$bad/to-unknown.yaml" --once
try chima-relocate "fnname.json: at /functions/$c/name" -t "$ex/topology.yaml" -d "$bad/fnname.json" \
    "${relocate_files[@]}" --once
try chima-relocate 'network name "x;touch' -t "$ex/topology.yaml" -d "$dep" \
    --artifacts "$state/artifacts.json" --net "x;touch $pwned" --once
try chima-compose "topology-duplicate-key.yaml:4:1: duplicate key 'name'" \
    "$data/topology-duplicate-key.yaml" "$ex/service.yaml" "$ex/placement.yaml" -o "$dep"
try chima-compose "service-unclosed-env.yaml:11:11: '\${' at character 1 is not closed" \
    "$ex/topology.yaml" "$data/service-unclosed-env.yaml" "$ex/placement.yaml" -o "$dep"
try chima-compose "topology-second-document.yaml:5:1: a second YAML document" \
    "$data/topology-second-document.yaml" "$ex/service.yaml" "$ex/placement.yaml" -o "$dep"
try chima-compose "service-function-name-shell.yaml:9:11: invalid name" \
    "$ex/topology.yaml" "$data/service-function-name-shell.yaml" -o "$dep"
try chima-collect "poll0.json: at /chains/0/poll_ns: poll_ns 0 is out of range" \
    --net "$net" --deployment "$bad/poll0.json"
try chima-net "topology-name-traversal.yaml:2:7: invalid name '../x'" \
    up "$data/topology-name-traversal.yaml" -o "$state/net.json"
try chima-net 'network name "x;touch' up "$ex/topology.yaml" --name "x;touch $pwned" -o "$state/net.json"
echo "$rows bad inputs, $failed failures"
[ "$failed" -eq 0 ] || fail "$failed of $rows bad inputs changed something or were not refused"

# Traffic still flows: new answers, the ones the chain's functions give.
traffic_answering
echo "bad input untouched: ok ($rows bad inputs)"
