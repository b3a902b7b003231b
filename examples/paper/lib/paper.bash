# shellcheck shell=bash
# Shared by examples/paper/*.sh: deploy one of the paper's scenarios on the emulated network
# (network name `paper`), and tear everything down again, also on Ctrl-C. The traffic and
# the control loop themselves come from scripts/lib/loop.bash.
#
# After sourcing, the caller has:
#   root bin net results work     repository, chima-* tools, network name, CSV/PNG
#                                 directory, a scratch directory removed on exit
#   paper_deploy SCENARIO         chima-net up + compose -> compile -> install (podman) ->
#                                 route into $state (a fresh directory under $work)
#   paper_teardown                loop_stop + chima-net down (containers, netns, pins)
#   paper_link SCENARIO           the scenario's perturbed link (scenario.yaml)
#   paper_traffic_start           numbered requests every $PAPER_PERIOD s to the first container
#   paper_note TEXT               progress on stderr
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
export CHIMA_ROOT=$root
export CHIMA_BUILD=${CHIMA_BUILD:-$root/build}
bin=${CHIMA_BIN:-$CHIMA_BUILD/bin}
net=${PAPER_NET:-paper}
results=${PAPER_RESULTS:-$root/examples/paper/results}
PAPER_PERIOD=${PAPER_PERIOD:-0.02}   # traffic: one request every 20 ms = 50 INT samples/s
state=
source "$root/scripts/lib/loop.bash"

[ "$(id -u)" -eq 0 ] || { echo "paper: needs root (network namespaces, eBPF)" >&2; exit 1; }
command -v podman >/dev/null || { echo "paper: podman is not installed (scripts/setup.sh)" >&2; exit 1; }
for tool in chima-net chima-compose chima-compile chima-install chima-route chima-collect chima-watch chima-relocate; do
    [ -x "$bin/$tool" ] || { echo "paper: $bin/$tool missing: build first (scripts/build.sh) or set CHIMA_BIN" >&2; exit 1; }
done
mkdir -p "$results"
work=$(mktemp -d /tmp/chima-paper.XXXXXX)

paper_note() { printf '\033[1mpaper:\033[0m %s\n' "$*" >&2; }

paper_teardown() {
    loop_stop
    "$bin/chima-net" -q down --name "$net" >/dev/null 2>&1 || true
}

paper_cleanup() {
    paper_teardown
    rm -rf "$work"
    local left
    left=$(( $(ip netns list | grep -c "^chima\.$net\.") + $(podman ps -aq --filter "label=chima.net=$net" | wc -l) ))
    [ "$left" -eq 0 ] || paper_note "WARNING: $left namespaces/containers of network $net are left"
}
source "$root/scripts/lib/cleanup.bash"
cleanup_add paper_cleanup

paper_link() { sed -n 's/^perturbed_link: *//p' "$root/examples/$1/scenario.yaml"; }

paper_deploy() {
    local ex=$root/examples/$1
    state=$(mktemp -d "$work/$1.XXXXXX")
    mkdir -p "$work/p4-$1"   # compiled P4 objects are reused by the next run of the scenario
    "$bin/chima-net" -q down --name "$net" >/dev/null 2>&1 || true   # leftovers of a killed run
    loop_deploy "$ex" "$work/p4-$1" --backend podman
}

paper_traffic_start() {
    local first
    first=$(jq -r '[.functions[] | select(.type == "container")][0] | "\(.ip) \(.port)"' "$state/deployment.json")
    loop_traffic_start "${first% *}" "${first#* }" "$PAPER_PERIOD"
    loop_wait_for "$state/traffic.log" " [0-9][0-9]*$" 10
}
