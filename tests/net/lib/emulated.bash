# Shared set-up of the net-tier tests: sourced (not run) by tests/net/*.sh after they set
# `net`, the name of their throw-away emulated network.
#   - skips (exit 77) without root
#   - bin, bpf, ex: the tools, the BPF objects, the minimal example
#   - tmp: a scratch directory (KEEP=DIR keeps it and the network for debugging)
#   - on exit: the network is taken down, background jobs killed, tmp removed
#   - ns NODE: the node's netns name; fail MSG: print and exit 1
[ "$(id -u)" -eq 0 ] || { echo "skipped: needs root"; exit 77; }
bin=${CHIMA_BIN:?}
bpf=${CHIMA_BPF_DIR:?}
ex=${CHIMA_ROOT:?}/examples/minimal
tmp=${KEEP:-$(mktemp -d)}
mkdir -p "$tmp"
cleanup() {
    [ -n "${KEEP:-}" ] && return
    "$bin/chima-net" down --name "$net" >/dev/null 2>&1 || true
    kill $(jobs -p) 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
ns() { echo "chima.$net.$1"; }
fail() { echo "FAIL: $*"; exit 1; }
