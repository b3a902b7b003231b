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
