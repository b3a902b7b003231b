#!/usr/bin/env bash
# chima-route's answers to bad input, each exit 2 with its message, before it opens any
# switch or host: the deployment missing, of another kind or an unknown version; --previous
# of another kind or version; a bad network name.
source "$(dirname "${BASH_SOURCE[0]}")/lib/expect.bash"
"$bin/chima-compose" -q "$ex/topology.yaml" "$ex/service.yaml" "$ex/placement.yaml" -o "$tmp/dep.json"
jq '.version = 99' "$tmp/dep.json" > "$tmp/dep-v99.json"
echo '{"kind": "chima.installed", "version": 1}' > "$tmp/installed.json"
echo '{"kind": "chima.routes", "version": 7}' > "$tmp/routes-v7.json"

expect_table chima-route <<'ROWS'
# exit | message                                              | arguments
2      | DEPLOYMENT is required                               |
2      | cannot read file                                     | "$tmp/missing.json"
2      | wrong kind 'chima.installed', expected 'chima.deployment' | "$tmp/installed.json"
2      | unknown chima.deployment version 99                  | "$tmp/dep-v99.json"
2      | wrong kind 'chima.installed', expected 'chima.routes' | "$tmp/dep.json" --net cli-absent --previous "$tmp/installed.json"
2      | unknown chima.routes version 7                       | "$tmp/dep.json" --net cli-absent --previous "$tmp/routes-v7.json"
2      | network name "a/b" is not valid                      | "$tmp/dep.json" --net a/b
ROWS
echo "route cli: ok"
