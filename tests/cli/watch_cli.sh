#!/usr/bin/env bash
# chima-watch's answers to bad input, each exit 2 with its message, before it reads stdin:
# the deployment missing, unreadable, of another kind or an unknown version, not JSON; bad
# flag values.
source "$(dirname "${BASH_SOURCE[0]}")/lib/expect.bash"
"$bin/chima-compose" -q "$ex/topology.yaml" "$ex/service.yaml" "$ex/placement.yaml" -o "$tmp/dep.json"
jq '.version = 99' "$tmp/dep.json" > "$tmp/dep-v99.json"
echo '{"kind": "chima.routes", "version": 1}' > "$tmp/routes.json"

expect_table chima-watch <<'ROWS'
# exit | message                                          | arguments
2      | --deployment is required                         |
2      | cannot read file                                 | --deployment "$tmp/missing.json"
2      | wrong kind 'chima.routes', expected 'chima.deployment' | --deployment "$tmp/routes.json"
2      | unknown chima.deployment version 99              | --deployment "$tmp/dep-v99.json"
2      | invalid JSON                                     | --deployment "$ex/topology.yaml"
2      | --hysteresis: Value 1.5 not in range             | --deployment "$tmp/dep.json" --hysteresis 1.5
2      | --hold-down: expected a duration such as 5s or 500ms, got 'soon' | --deployment "$tmp/dep.json" --hold-down soon
2      | --stale: expected a duration such as 5s or 500ms, got '-1s'      | --deployment "$tmp/dep.json" --stale -1s
2      | The following argument was not expected: --bogus | --deployment "$tmp/dep.json" --bogus
ROWS

# Faults on stdin: a silent segment (chima-collect), a missing node, an exited function each
# become one violation of their kind naming what failed.
printf '%s\n' \
    '{"type":"silence","ts_ns":1000,"chain":"minimal","segment":"s0-s1","since_ns":900,"bound_ns":80,"silent":["s0-s1","fn:toupper"]}' \
    '{"type":"silence","ts_ns":1000,"chain":"minimal","segment":"fn:toupper","since_ns":900,"bound_ns":80,"silent":["s0-s1","fn:toupper"]}' \
    | "$bin/chima-watch" -q --deployment "$tmp/dep.json" > "$tmp/silence.jsonl"
[ "$(wc -l < "$tmp/silence.jsonl")" -eq 2 ] || fail "silence: expected 2 violations (toupper, end-to-end): $(cat "$tmp/silence.jsonl")"
jq -e 'select(.metric != "silence" or .worst.key != "s0-s1" or (.silent | index("fn:toupper")) == null)' \
    "$tmp/silence.jsonl" > /dev/null && fail "silence: $(cat "$tmp/silence.jsonl")"
echo '{"type":"node-missing","ts_ns":1000,"node":"s3"}' \
    | "$bin/chima-watch" -q --deployment "$tmp/dep.json" > "$tmp/node.jsonl"
jq -e -s 'length == 1 and .[0].metric == "node" and .[0].node == "s3" and .[0].section == "end-to-end"' \
    "$tmp/node.jsonl" > /dev/null || fail "node-missing: $(cat "$tmp/node.jsonl")"
echo '{"type":"function-exit","ts_ns":1000,"chain":"minimal","function":"echo"}' \
    | "$bin/chima-watch" -q --deployment "$tmp/dep.json" > "$tmp/exit.jsonl"
jq -e -s 'length == 1 and .[0].metric == "availability" and .[0].worst.function == "echo"' \
    "$tmp/exit.jsonl" > /dev/null || fail "function-exit: $(cat "$tmp/exit.jsonl")"
echo "watch cli: ok"
