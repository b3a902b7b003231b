#!/usr/bin/env bash
# chima-collect's flags as a user meets them, before anything is attached: --net needs a
# deployment (its topology places the collector), --net and --iface exclude each other, one
# of them is required, a bad deployment is named with file:line:col, and a network that is
# not up is named. Each exits 2.
source "$(dirname "${BASH_SOURCE[0]}")/lib/expect.bash"
printf '{"kind": "chima.deployment",\n "version": 1,\n "chains": 7}\n' > "$tmp/dep.json"
"$bin/chima-compose" -q "$ex/topology.yaml" "$ex/service.yaml" "$ex/placement.yaml" -o "$tmp/minimal.json"
expect_table chima-collect <<'ROWS'
# exit | message                          | arguments
2      | needs --deployment               | --net lab
2      | iface or --net is required       |
2      | excludes                         | --net lab --iface eth0 --deployment x.json
2      | dep.json: at /                   | --net lab --deployment "$tmp/dep.json"
2      | --silence-after: expected 'auto' or a positive duration such as 150ms, got 'soon' | --iface lo --silence-after soon
2      | --silence-after: expected 'auto' or a positive duration such as 150ms, got '0ms'  | --iface lo --silence-after 0ms
ROWS
# The namespace is looked for once the collector's BPF object is loaded: as root only.
if [ "$(id -u)" -eq 0 ]; then
    expect_table chima-collect <<'ROWS'
2      | no network namespace 'chima.chima-cli-absent.client' | --net chima-cli-absent --deployment "$tmp/minimal.json"
ROWS
fi
echo "collect cli: ok"
