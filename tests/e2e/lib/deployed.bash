# A scenario deployed and routed, for tests/e2e/*.sh after they set `scenario` (a directory
# under examples/): chima-net up, compose -> compile -> install (podman) -> route. Sets bin,
# root, ex, net, state (KEEP=DIR keeps it), link/a/b (the scenario's perturbed link) and
# sources scripts/lib/loop.bash; on exit the loop stops and the network goes down, whatever
# fails (scripts/lib/cleanup.bash: the test's status is kept).
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "skipped: needs root"; exit 77; }
bin=${CHIMA_BIN:?}
root=${CHIMA_ROOT:?}
source "$root/tests/lib/needs.bash"
needs podman jq python3
export CHIMA_BUILD=${CHIMA_BUILD:-$(dirname "$bin")}
ex=$root/examples/$scenario
net=e-$scenario
state=${KEEP:-$(mktemp -d)}
mkdir -p "$state"
source "$root/scripts/lib/loop.bash"
fail() { echo "FAIL: $*"; exit 1; }
source "$root/scripts/lib/cleanup.bash"
cleanup_add '[ -n "${KEEP:-}" ] || { "$bin/chima-net" down --name "$net" >/dev/null 2>&1; rm -rf "$state"; }'
cleanup_add loop_stop

link=$(sed -n 's/^perturbed_link: *//p' "$ex/scenario.yaml")
a=${link%-*} b=${link#*-}
"$bin/chima-net" -q down --name "$net" >/dev/null 2>&1 || true
loop_deploy "$ex" "$state/p4" --backend podman

# traffic_answering: requests to the chain's first container function every 20 ms; sets
# `expected` (the answer its functions are documented to give) and fails unless the first
# answer is that one.
traffic_answering() {
    local first first_answer
    first=$(jq -r '[.functions[] | select(.type == "container")][0] | "\(.ip) \(.port)"' \
        "$state/deployment.json")
    loop_traffic_start "${first% *}" "${first#* }" 0.02
    expected=$(expected_answer "$state/deployment.json" "$loop_request")
    loop_wait_for "$state/traffic.log" " [0-9][0-9]*$" 10 || fail "no answer from the chain"
    first_answer=$(head -1 "$state/traffic.log" | cut -d' ' -f3- | without_seq)
    [ "$first_answer" = "$expected" ] \
        || fail "the chain answers '$first_answer', its functions say '$expected'"
    echo "answer before: $first_answer"
}
