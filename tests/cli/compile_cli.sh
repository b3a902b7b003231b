#!/usr/bin/env bash
# chima-compile DEPLOYMENT as a user runs it: artifacts.json with objects, P4Info and one
# merged v1model program per switch with a function; a second run compiles nothing; an
# entry naming an unknown table exits 2 with a clear message and leaves artifacts.json alone;
# bad input to each mode (DEPLOYMENT, --check, --function) exits 2 with its message.
source "$(dirname "${BASH_SOURCE[0]}")/lib/expect.bash"

"$bin/chima-compose" -q "$ex/topology.yaml" "$ex/service.yaml" "$ex/placement.yaml" -o "$tmp/dep.json"

# changettl and changettl2 share one source: the second is a cache hit already.
"$bin/chima-compile" "$tmp/dep.json" -o "$tmp/artifacts.json" --build-dir "$tmp/build" 2> "$tmp/err1"
grep -q "compiled 1, cached 1" "$tmp/err1" || fail "first run: $(cat "$tmp/err1")"
a=$tmp/artifacts.json
jq -e '.kind == "chima.artifacts" and .version == 1 and .compiled == 1 and .cached == 1' "$a" >/dev/null \
    || fail "artifacts header"
jq -e '[.functions[] | "\(.chain)/\(.name)"] | sort == ["minimal/changettl", "minimal/changettl2"]' "$a" >/dev/null \
    || fail "functions listed: $(jq -c '.functions' "$a")"
for f in $(jq -r '.functions[] | .object, .p4info' "$a"); do
    [ -s "$f" ] || fail "missing artifact $f"
done
jq -e '[.functions[] | .hash | test("^[0-9a-f]{16}$")] | all' "$a" >/dev/null || fail "hashes"
# The object is a BPF ELF with the function program.
file -b "$(jq -r '.functions[0].object' "$a")" | grep -q "eBPF" || fail "object is not eBPF"
jq -e '.tables | type == "array"' "$(jq -r '.functions[0].p4info' "$a")" >/dev/null || fail "p4info"

# One merged program per switch holding a function (changettl at s1, changettl2 at s3).
jq -e '[.switches[] | .name] == ["s1", "s3"]' "$a" >/dev/null || fail "switches: $(jq -c .switches "$a")"
for sw in s1 s3; do
    p4=$(jq -r ".switches[] | select(.name == \"$sw\") | .p4" "$a")
    [ -s "$p4" ] || fail "no merged program for $sw"
    [ "$(jq -r ".switches[] | select(.name == \"$sw\") | .p4c" "$a")" = "$(command -v p4c >/dev/null && echo ok || echo skipped)" ] \
        || fail "p4c state for $sw"
    grep -q "control changettl_control" "$p4" || fail "$sw: function control not injected"
    grep -Eq "changettl_control\(\) fn_[0-9]+;" "$p4" || fail "$sw: no instance"
    grep -Eq "if \(slot == [0-9]+\) fn_[0-9]+\.apply\(hdr, local_metadata, standard_metadata\);" "$p4" \
        || fail "$sw: no dispatch"
    ! grep -q "@CHIMA_INJECT" "$p4" || fail "$sw: marker left in the merged program"
    # P4Runtime: the P4Info names the function's table at its slot with a table id (0x02..),
    # the device config carries the slot's object, byte for byte.
    info=$(jq -r ".switches[] | select(.name == \"$sw\") | .p4info" "$a")
    cfg=$(jq -r ".switches[] | select(.name == \"$sw\") | .device_config" "$a")
    jq -e '[.tables[] | .preamble.id / 16777216 | floor] | length > 0 and all(. == 2)' "$info" \
        >/dev/null || fail "$sw: table ids without the table prefix"
    jq -e '.tables | map(.preamble.name) | index("ChimaIngress.forwarding") != null' "$info" \
        >/dev/null || fail "$sw: no template table in the P4Info"
    jq -e '.format == "chima-device-config-1" and (.functions | length) > 0' "$cfg" >/dev/null \
        || fail "$sw: device config"
    jq -r '.functions[0].object_base64' "$cfg" | base64 -d | cmp -s - "$(jq -r '.functions[0].object' "$a")" \
        || fail "$sw: device config object differs from the artifact"
done
jq -e '.tables | length > 0' "$(jq -r '.template.p4info' "$a")" >/dev/null || fail "template p4info"
command -v p4c >/dev/null || grep -q "p4c is not on PATH" "$tmp/err1" || fail "no note about p4c"

# Second run: nothing changed, nothing compiled; same objects.
"$bin/chima-compile" "$tmp/dep.json" -o "$tmp/artifacts2.json" --build-dir "$tmp/build" 2> "$tmp/err2"
grep -q "compiled 0, cached 2" "$tmp/err2" || fail "second run: $(cat "$tmp/err2")"
jq -e '.compiled == 0 and .cached == 2' "$tmp/artifacts2.json" >/dev/null || fail "second run counts"
cmp <(jq -S '.functions | map(del(.cached))' "$a") <(jq -S '.functions | map(del(.cached))' "$tmp/artifacts2.json") \
    || fail "second run changed the functions"

# An entry naming an unknown table: exit 2, names function and entry, artifacts untouched.
jq '(.functions[] | select(.name == "changettl2") | .entries) =
      [{"table": "no_such_table", "match": {}, "action": "NoAction", "params": {}, "priority": 0}]' \
    "$tmp/dep.json" > "$tmp/bad.json"
before=$(sha256sum "$a")
set +e
"$bin/chima-compile" "$tmp/bad.json" -o "$a" --build-dir "$tmp/build" 2> "$tmp/err3"
code=$?
set -e
[ "$code" -eq 2 ] || fail "unknown table: exit $code, expected 2 ($(cat "$tmp/err3"))"
grep -q "^chima-compile: error: .*function 'minimal/changettl2': entry 0 (table 'no_such_table'): unknown table 'no_such_table'" "$tmp/err3" \
    || fail "message: $(cat "$tmp/err3")"
[ "$(sha256sum "$a")" = "$before" ] || fail "bad input changed artifacts.json"
[ -z "$(ls -A "$tmp" | grep '\.tmp')" ] || fail "temporary file left behind"

fn=$CHIMA_ROOT/p4/functions/changettl.p4
printf 'control broken_control(\n' > "$tmp/broken.p4"

# Inputs beyond the front end's limits (chima-compile(1), LIMITS), each a function whose
# apply block starts on line 3 (each used to crash --check with SIGSEGV, or was accepted).
many() { local i; for ((i = 0; i < $2; i++)); do printf '%s' "$1"; done; }
deep() {  # deep NAME LOCALS BODY
    printf 'control f(inout headers_t hdr, inout local_metadata_t m, inout standard_metadata_t s) {\n%s\n    apply {\n%s\n    }\n}\n' \
        "$2" "$3" > "$tmp/$1.p4"
}
deep parens "" "        bit<8> r = $(many '(' 10000)hdr.ipv4.ttl$(many ')' 10000);"
deep ifs "" "$(many $'if (hdr.ipv4.isValid()) {\n' 10000)hdr.ipv4.ttl = 1;$(many '}' 10000)"
deep bangs "" "        bool r = $(many '!' 100000)true;"
deep sum "" "        bit<8> r = hdr.ipv4.ttl$(many ' + hdr.ipv4.ttl' 49999);"
deep recursive "    action a() { a(); }" "        a();"
deep register0 "    register<bit<32>>(0) reg;" ""
deep register31 "    register<bit<32>>(2147483648) reg;" ""
# Each answers at once (a hang is a failure, not a slow pass).
for f in parens ifs bangs sum recursive register0 register31; do
    code=0
    timeout 10 "$bin/chima-compile" --check "$tmp/$f.p4" 2>/dev/null || code=$?
    [ "$code" -eq 2 ] || fail "--check $f.p4: exit $code, expected 2"
done
jq '.version = 99' "$tmp/dep.json" > "$tmp/dep-v99.json"
expect_table chima-compile <<'ROWS'
# exit | message                                                  | arguments
2      | nothing to do                                            |
2      | cannot read file                                         | "$tmp/missing.json" -o "$tmp/x.json" --build-dir "$tmp/build"
2      | wrong kind 'chima.artifacts', expected 'chima.deployment' | "$tmp/artifacts.json" -o "$tmp/x.json" --build-dir "$tmp/build"
2      | unknown chima.deployment version 99                      | "$tmp/dep-v99.json" -o "$tmp/x.json" --build-dir "$tmp/build"
2      | cannot read P4 file                                      | --check "$tmp/missing.p4"
2      | [E0200] syntax error                                     | --check "$tmp/broken.p4"
2      | parens.p4:4:148: [E0600] expressions or types nested deeper than 128 levels | --check "$tmp/parens.p4"
2      | ifs.p4:130:25: [E0600] blocks and statements nested deeper than 128 levels | --check "$tmp/ifs.p4"
2      | bangs.p4:4:146: [E0600] expressions or types nested deeper than 128 levels | --check "$tmp/bangs.p4"
2      | sum.p4:4:3860: [E0601] expression longer than 1024 operands    | --check "$tmp/sum.p4"
2      | recursive.p4:2:18: [E0315] recursive call: action 'a' calls itself through a -> a | --check "$tmp/recursive.p4"
2      | register0.p4:2:23: [E0510] register size must be in 1..16777216, not 0 | --check "$tmp/register0.p4"
2      | register31.p4:2:23: [E0510] register size must be in 1..16777216, not 2147483648 | --check "$tmp/register31.p4"
2      | parens.p4:4:148: [E0600]                                 | --function "$tmp/parens.p4" --build-dir "$tmp/build"
2      | no control named 'nope'                                  | --check "$fn" --control nope
2      | --check excludes --function                              | --check "$fn" --function "$fn"
2      | cannot read P4 file                                      | --function "$tmp/missing.p4" --build-dir "$tmp/build"
2      | no control named 'nope'                                  | --function "$fn" --control nope --build-dir "$tmp/build"
ROWS
[ ! -e "$tmp/x.json" ] || fail "bad input wrote an artifacts.json"
echo "compile cli: ok"
