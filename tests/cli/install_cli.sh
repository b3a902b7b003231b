#!/usr/bin/env bash
# chima-install's answers to bad input, each exit 2 with its message, before it installs or
# starts anything: deployment and artifacts missing, of another kind or an unknown version;
# --previous of another kind or version; bad --backend and --restart values; a bad network
# name.
source "$(dirname "${BASH_SOURCE[0]}")/lib/expect.bash"
"$bin/chima-compose" -q "$ex/topology.yaml" "$ex/service.yaml" "$ex/placement.yaml" -o "$tmp/dep.json"
echo '{"kind": "chima.artifacts", "version": 1, "functions": []}' > "$tmp/artifacts.json"
echo '{"kind": "chima.artifacts", "version": 9, "functions": []}' > "$tmp/artifacts-v9.json"
echo '{"kind": "chima.routes", "version": 1}' > "$tmp/routes.json"
echo '{"kind": "chima.installed", "version": 5}' > "$tmp/installed-v5.json"

expect_table chima-install <<'ROWS'
# exit | message                                               | arguments
2      | ARTIFACTS is required                                 | "$tmp/dep.json"
2      | missing.json                                          | "$tmp/missing.json" "$tmp/artifacts.json"
2      | missing.json                                          | "$tmp/dep.json" "$tmp/missing.json"
2      | wrong kind 'chima.artifacts', expected 'chima.deployment' | "$tmp/artifacts.json" "$tmp/artifacts.json"
2      | wrong kind 'chima.deployment', expected 'chima.artifacts' | "$tmp/dep.json" "$tmp/dep.json"
2      | unknown chima.artifacts version 9                     | "$tmp/dep.json" "$tmp/artifacts-v9.json"
2      | wrong kind 'chima.routes', expected 'chima.installed' | "$tmp/dep.json" "$tmp/artifacts.json" --net cli-absent --previous "$tmp/routes.json"
2      | unknown chima.installed version 5                     | "$tmp/dep.json" "$tmp/artifacts.json" --net cli-absent --previous "$tmp/installed-v5.json"
2      | --backend: lxc not in {podman,docker,process,auto}    | "$tmp/dep.json" "$tmp/artifacts.json" --backend lxc
2      | --restart: always not in {never,on-failure}           | "$tmp/dep.json" "$tmp/artifacts.json" --restart always
2      | network name "a/b" is not valid                       | "$tmp/dep.json" "$tmp/artifacts.json" --net a/b
ROWS
echo "install cli: ok"
