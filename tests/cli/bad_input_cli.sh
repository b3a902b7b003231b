#!/usr/bin/env bash
# Bad input through every tool, as a user meets it: each exits 2 naming the position
# (file:line:col in YAML, the file and JSON pointer in a state file, or the flag) before it
# opens any device. The names follow one rule everywhere (chima-formats(5), NAMES); ranges,
# references, duplicate YAML keys, second YAML documents, unclosed ${ and artifacts that are
# no BPF object are refused; a stale installed.json or routes.json is input too.
source "$(dirname "${BASH_SOURCE[0]}")/lib/expect.bash"
bad=${CHIMA_ROOT:?}/tests/data/bad
dep=$tmp/dep.json
"$bin/chima-compose" -q "$ex/topology.yaml" "$ex/service.yaml" "$ex/placement.yaml" -o "$dep"
# The index in .functions of the first P4 and the first container function, and a second
# container function.
p=$(jq '[.functions[].type] | index("p4")' "$dep")
c=$(jq '[.functions[].type] | index("container")' "$dep")
d=$(jq '[.functions[].type] | rindex("container")' "$dep")
mutate() { jq "$2" "$dep" > "$tmp/$1.json"; }
mutate fnid ".functions[$c].function_id = 2097151"
mutate slot ".functions[$p].slot = 262144"
mutate dupfn ".functions[$d].name = .functions[$c].name"
mutate sidkind '.flows[0].stack[0].sid = "teleport"'
mutate sidlabel '.flows[0].stack[0].sid = (if .flows[0].stack[0].sid == "adjacency" then "function" else "adjacency" end)'
mutate pusher '.flows[0].pusher = "../../../../tmp/x"'
mutate toponame '.topology.name = "../x"'
mutate fnname ".functions[$c].name = \"x;touch /tmp/f\""
mutate poll0 '.chains[0].poll_ns = 0'
mutate alpha '.chains[0].alpha = 1.5'
mutate swid '.topology.switches[0].id = 16384'
# A BPF object's header (ELF64, little endian, EM_BPF) and an ELF for another machine.
printf '\177ELF\002\001\001\000\000\000\000\000\000\000\000\000\001\000\367\000' > "$tmp/f.bpf.o"
printf '\177ELF\002\001\001\000\000\000\000\000\000\000\000\000\001\000\076\000' > "$tmp/x86.o"
art() { # NAME OBJECT-OF-changettl [more jq]
    jq -n --arg o "$2" '{kind: "chima.artifacts", version: 1, functions: [
        {chain: "minimal", name: "changettl", object: $o},
        {chain: "minimal", name: "changettl2", object: "f.bpf.o"}]}' > "$tmp/$1.json"
}
art artifacts f.bpf.o
art art-passwd /etc/passwd
art art-zero /dev/zero
art art-dir "$tmp"
art art-x86 x86.o
art art-escape ../f.bpf.o
jq '.functions |= .[:1]' "$tmp/artifacts.json" > "$tmp/art-lacking.json"
jq '.functions[0].name = "a;b"' "$tmp/artifacts.json" > "$tmp/art-name.json"
# Stale state files: another network, a function name against the rule.
printf '{"kind": "chima.installed", "version": 1, "deployment": "x", "net": "other", "functions": []}\n' > "$tmp/inst-net.json"
jq -n --argjson f "$(jq ".functions[$c]" "$dep")" '{kind: "chima.installed", version: 1, deployment: "x",
    net: "minimal", functions: [{chain: "minimal", name: "x;touch /tmp/f", type: "container",
    node: $f.node, state: "running", ip: $f.ip, mac: $f.mac, function_id: $f.function_id,
    netns: $f.netns, backend: "podman", instance: "chima-minimal-minimal-echo", id: "1", pid: 1,
    image: "i", image_id: "i", env: {}}]}' > "$tmp/inst-name.json"
jq '.functions[0].node = "d9"' "$tmp/inst-name.json" | jq '.functions[0].name = "echo"' > "$tmp/inst-host.json"
printf '{"kind": "chima.routes", "version": 1, "deployment": "x", "net": "other", "flows": []}\n' > "$tmp/routes-net.json"
printf '{"kind": "chima.routes", "version": 1, "deployment": "x", "net": "minimal", "flows": [{"chain": "minimal", "pusher": "../../tmp/x", "src_ip": "10.0.0.1", "dst_ip": "10.0.0.2", "labels": []}]}\n' > "$tmp/routes-pusher.json"
printf '{"kind": "chima.routes", "version": 1, "deployment": "x", "net": "minimal", "flows": [{"chain": "minimal", "pusher": "h9", "src_ip": "10.0.0.1", "dst_ip": "10.0.0.2", "labels": []}]}\n' > "$tmp/routes-stale.json"

expect_table chima-compose <<'ROWS'
# exit | message                                                        | arguments
2      | topology-duplicate-key.yaml:4:1: duplicate key 'name'          | "$bad/topology-duplicate-key.yaml" "$ex/service.yaml"
2      | topology-second-document.yaml:5:1: a second YAML document      | "$bad/topology-second-document.yaml" "$ex/service.yaml"
2      | service-unclosed-env.yaml:11:11: '${' at character 1 is not closed | "$ex/topology.yaml" "$bad/service-unclosed-env.yaml"
2      | service-duplicate-key.yaml:4:39: duplicate key 'port'           | "$ex/topology.yaml" "$bad/service-duplicate-key.yaml"
2      | topology-name-traversal.yaml:2:7: invalid name '../x'           | "$bad/topology-name-traversal.yaml" "$ex/service.yaml"
2      | topology-name-shell.yaml:2:7: invalid name 'x;touch /tmp/f'     | "$bad/topology-name-shell.yaml" "$ex/service.yaml"
2      | service-function-name-shell.yaml:9:11: invalid name 'x;touch /tmp/f' | "$ex/topology.yaml" "$bad/service-function-name-shell.yaml"
2      | placement-node-traversal.yaml:6:9: invalid name '../d3'        | "$ex/topology.yaml" "$ex/service.yaml" "$bad/placement-node-traversal.yaml"
2      | placement-duplicate-key.yaml:8:3: duplicate key 'echo'          | "$ex/topology.yaml" "$ex/service.yaml" "$bad/placement-duplicate-key.yaml"
2      | topology-switch-id-range.yaml:4:20: value 16384 out of range 1..16383 | "$bad/topology-switch-id-range.yaml" "$ex/service.yaml"
2      | service-poll-zero.yaml:7:7: must be greater than 0               | "$ex/topology.yaml" "$bad/service-poll-zero.yaml"
ROWS

# The same bad deployments refused by every tool that reads one, with the JSON pointer.
for tool in chima-route chima-watch chima-collect chima-compile chima-install chima-relocate; do
    case $tool in
        chima-route) args='"$tmp/$f.json" --net cli-absent' ;;
        chima-watch) args='--deployment "$tmp/$f.json"' ;;
        chima-collect) args='--net cli-absent --deployment "$tmp/$f.json"' ;;
        chima-compile) args='"$tmp/$f.json" -o "$tmp/out-artifacts.json" --build-dir "$tmp/build"' ;;
        chima-install) args='"$tmp/$f.json" "$tmp/artifacts.json" --net cli-absent' ;;
        chima-relocate) args='-t "$ex/topology.yaml" -d "$tmp/$f.json" --dry-run' ;;
    esac
    expect_table "$tool" <<ROWS
2 | fnid.json: at /functions/$c/function_id: container function id (18 bits) 2097151 is out of range 1..262143 | $(f=fnid; eval echo "$args")
2 | slot.json: at /functions/$p/slot: function slot 262144 is out of range 1..262143 | $(f=slot; eval echo "$args")
2 | dupfn.json: at /functions/$d/name: duplicate function 'minimal/ | $(f=dupfn; eval echo "$args")
2 | sidkind.json: at /flows/0/stack/0/sid: unknown SID kind 'teleport' | $(f=sidkind; eval echo "$args")
2 | sidlabel.json: at /flows/0/stack/0/sid: SID kind | $(f=sidlabel; eval echo "$args")
2 | pusher.json: at /flows/0/pusher: invalid name '../../../../tmp/x' | $(f=pusher; eval echo "$args")
2 | toponame.json: at /topology/name: invalid name '../x' | $(f=toponame; eval echo "$args")
2 | fnname.json: at /functions/$c/name: invalid name 'x;touch /tmp/f' | $(f=fnname; eval echo "$args")
2 | poll0.json: at /chains/0/poll_ns: poll_ns 0 is out of range | $(f=poll0; eval echo "$args")
2 | alpha.json: at /chains/0/alpha: alpha 1.5 is not in (0, 1] | $(f=alpha; eval echo "$args")
2 | swid.json: at /topology/switches/0/id: switch id 16384 is out of range 1..16383 | $(f=swid; eval echo "$args")
ROWS
done
[ ! -e "$tmp/out-artifacts.json" ] || fail "chima-compile wrote artifacts for a bad deployment"

expect_table chima-install <<'ROWS'
# exit | message                                                              | arguments
2      | art-passwd.json: at /functions/0/object: BPF object /etc/passwd is not an ELF object | "$dep" "$tmp/art-passwd.json" --net cli-absent
2      | art-zero.json: at /functions/0/object: BPF object /dev/zero is not a regular file    | "$dep" "$tmp/art-zero.json" --net cli-absent
2      | art-dir.json: at /functions/0/object: BPF object                        | "$dep" "$tmp/art-dir.json" --net cli-absent
2      | not BPF (247)                                                          | "$dep" "$tmp/art-x86.json" --net cli-absent
2      | art-escape.json: at /functions/0/object: '../f.bpf.o' leaves the build directory | "$dep" "$tmp/art-escape.json" --net cli-absent
2      | art-name.json: at /functions/0/name: invalid name 'a;b'               | "$dep" "$tmp/art-name.json" --net cli-absent
2      | art-lacking.json: no object for function 'minimal/changettl2'          | "$dep" "$tmp/art-lacking.json" --net cli-absent
2      | inst-net.json: at /net: it describes network 'other', this run drives 'cli-absent' | "$dep" "$tmp/artifacts.json" --net cli-absent --previous "$tmp/inst-net.json"
2      | inst-name.json: at /functions/0/name: invalid name 'x;touch /tmp/f'  | "$dep" "$tmp/artifacts.json" --net minimal --previous "$tmp/inst-name.json"
2      | inst-host.json: at /functions/0/node: 'd9' is not a host              | "$dep" "$tmp/artifacts.json" --net minimal --previous "$tmp/inst-host.json"
2      | network name "a;b" is not valid                                        | "$dep" "$tmp/artifacts.json" --net 'a;b'
2      | network name "../x" is not valid                                       | "$dep" "$tmp/artifacts.json" -n ../x
2      | network name "Lab" is not valid: it starts with 'L'                    | "$dep" "$tmp/artifacts.json" -n Lab
ROWS

expect_table chima-route <<'ROWS'
2      | routes-net.json: at /net: it describes network 'other', this run drives 'cli-absent' | "$dep" --net cli-absent --previous "$tmp/routes-net.json"
2      | routes-pusher.json: at /flows/0/pusher: invalid name '../../tmp/x'    | "$dep" --net minimal --previous "$tmp/routes-pusher.json"
2      | routes-stale.json: at /flows/0/pusher: 'h9' is neither the client nor a host | "$dep" --net minimal --previous "$tmp/routes-stale.json"
2      | network name "a;b" is not valid                                        | "$dep" -n 'a;b'
2      | network name "x;touch /tmp/f" is not valid                             | "$dep" --net 'x;touch /tmp/f'
ROWS

sed 's/^name: minimal/name: other/' "$ex/topology.yaml" > "$tmp/other.yaml"
expect_table chima-relocate <<'ROWS'
2      | art-passwd.json: at /functions/0/object: BPF object /etc/passwd is not an ELF object | -t "$ex/topology.yaml" -d "$dep" --artifacts "$tmp/art-passwd.json"
2      | inst-name.json: at /functions/0/name: invalid name 'x;touch /tmp/f'  | -t "$ex/topology.yaml" -d "$dep" --artifacts "$tmp/artifacts.json" --installed "$tmp/inst-name.json"
2      | routes-pusher.json: at /flows/0/pusher: invalid name                   | -t "$ex/topology.yaml" -d "$dep" --artifacts "$tmp/artifacts.json" --routes "$tmp/routes-pusher.json"
2      | topology-name-traversal.yaml:2:7: invalid name '../x'                  | -t "$bad/topology-name-traversal.yaml" -d "$dep" --dry-run
2      | other.yaml: the topology does not match the deployment's               | -t "$tmp/other.yaml" -d "$dep" --dry-run
2      | network name "a;b" is not valid                                        | -t "$ex/topology.yaml" -d "$dep" --dry-run -n 'a;b'
ROWS

expect_table chima-collect <<'ROWS'
2      | --poll: 0.000000 s is not from 0.001 to 86400 seconds                  | --iface lo --poll 0
2      | --poll                                                                 | --iface lo --poll -1
2      | --alpha: 0.000000 is not in (0, 1]                                     | --iface lo --alpha 0
2      | --alpha: 1.500000 is not in (0, 1]                                     | --iface lo --alpha 1.5
2      | network name "../x" is not valid                                       | --net ../x --deployment "$dep"
ROWS

expect_table chima-net <<'ROWS'
2      | network name "a;b" is not valid                                        | up "$ex/topology.yaml" -n 'a;b'
2      | network name "../x" is not valid                                       | down -n ../x
2      | topology-duplicate-key.yaml:4:1: duplicate key 'name'                  | up "$bad/topology-duplicate-key.yaml"
ROWS

# chima-watch reads a stream: a measurement it cannot use (a negative delay, a time that is
# no integer) is skipped with a warning naming its line; the stream goes on (exit 0).
printf '%s\n' '{"type":"measurement","chain":"minimal","segment":"s0-s1","latency_ns":-5,"jitter_ns":0,"ts":1}' \
    '{"type":"measurement","chain":"minimal","segment":"s0-s1","latency_ns":5,"jitter_ns":-1,"ts":1}' \
    '{"type":"measurement","chain":"minimal","segment":"s0-s1","latency_ns":5,"jitter_ns":1,"ts":"soon"}' \
    '{"type":"measurement","chain":"minimal","segment":"s0-s1","latency_ns":5,"jitter_ns":1,"ts":1}' \
    | "$bin/chima-watch" --deployment "$dep" > "$tmp/watch.out" 2> "$tmp/watch.err" || fail "chima-watch exited $?"
grep -q 'stdin:1: measurement with latency_ns -5 (expected an integer >= 0), ignored' "$tmp/watch.err" || fail "no warning for line 1: $(cat "$tmp/watch.err")"
grep -q 'stdin:2: measurement with jitter_ns -1' "$tmp/watch.err" || fail "no warning for line 2"
grep -q 'stdin:3: measurement with ts "soon"' "$tmp/watch.err" || fail "no warning for line 3"
! grep -q 'stdin:4' "$tmp/watch.err" || fail "a good line was warned about"
[ ! -s "$tmp/watch.out" ] || fail "violations from unusable lines: $(cat "$tmp/watch.out")"
echo "bad input cli: ok"
