#!/usr/bin/env bash
# chima-collect's flags as a user meets them, before anything is attached: --net needs a
# deployment (its topology places the collector), --net and --iface exclude each other, one
# of them is required, a bad deployment is named with file:line:col, and a network that is
# not up is named. Each exits 2.
set -euo pipefail
bin=${CHIMA_BIN:?}/chima-collect
: "${CHIMA_ROOT:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
expect2() {  # expect2 PATTERN ARGS...: exit 2 and PATTERN on stderr
    local pattern=$1 code=0
    shift
    "$bin" "$@" 2> "$tmp/err" >/dev/null || code=$?
    [ "$code" -eq 2 ] || { echo "chima-collect $*: exit $code, expected 2"; exit 1; }
    grep -q -- "$pattern" "$tmp/err" || { echo "chima-collect $*: $(cat "$tmp/err")"; exit 1; }
}
expect2 "needs --deployment" --net lab
expect2 "iface or --net is required"
expect2 "excludes" --net lab --iface eth0 --deployment x.json
printf '{"kind": "chima.deployment",\n "version": 1,\n "chains": 7}\n' > "$tmp/dep.json"
expect2 "dep.json: at /" --net lab --deployment "$tmp/dep.json"
# A network that is not up: the collector's namespace is named.
ex=$CHIMA_ROOT/examples/minimal
"${CHIMA_BIN}/chima-compose" -q "$ex/topology.yaml" "$ex/service.yaml" "$ex/placement.yaml" -o "$tmp/minimal.json"
expect2 "no network namespace 'chima.chima-cli-absent.client'" --net chima-cli-absent --deployment "$tmp/minimal.json"
echo "collect cli: ok"
