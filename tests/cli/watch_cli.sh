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
echo "watch cli: ok"
