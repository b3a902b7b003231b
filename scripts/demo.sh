#!/usr/bin/env bash
# The README's main command: set up, build, and run the demo on the emulated network:
# deploy the paper's `minimal` chain, send traffic through it, run the control loop
# (chima-collect | chima-watch | chima-relocate), perturb the s0-s1 link, and watch CHIMA
# detect the violation and relocate the chain; then tear everything down.
# Ctrl-C at any moment leaves no namespace, pin, container or process behind.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/build.sh"
build=${CHIMA_BUILD:-$root/build}
bin=$build/bin
export CHIMA_ROOT="$root" CHIMA_BUILD="$build"
[ "$(id -u)" -eq 0 ] || { echo "demo: needs root (network namespaces, eBPF)" >&2; exit 1; }

ex=$root/examples/minimal
net=demo
state=$(mktemp -d /tmp/chima-demo.XXXXXX)
say() { printf '\033[1mdemo:\033[0m %s\n' "$*" >&2; }
source "$root/scripts/lib/loop.bash"
source "$root/scripts/lib/cleanup.bash"
teardown() {
    loop_stop
    "$bin/chima-net" -q down --name "$net" >/dev/null 2>&1
    rm -rf "$state"
    say "torn down: no namespace, pin, container or process of the demo is left"
}
cleanup_add teardown
"$bin/chima-net" -q down --name "$net" >/dev/null 2>&1 || true   # leftovers of a killed run

say "building the emulated network of examples/minimal (5 eBPF switches, 4 hosts)"
loop_deploy "$ex" "$build/chima-compile"
say "deployed: $(jq -r '[.functions[] | "\(.name)@\(.node)"] | join(" -> ")' "$state/deployment.json")"

# Traffic: a numbered request every 20 ms from the client to the chain's first function.
loop_traffic_start 10.0.0.2 12345 0.02
sleep 3
answered=$(grep -c "echo:" "$state/traffic.log" || true)
say "traffic flowing: $answered requests answered, e.g. '$(grep -m1 -o 'echo: .*' "$state/traffic.log" || echo none)' (the functions' documented answer: '$(expected_answer "$state/deployment.json" "$loop_request") N')"

# The control loop: the collector's XDP program measures every segment from the switches'
# telemetry reports and signals a threshold crossing the moment it happens; chima-watch
# turns it into one violation; chima-relocate moves what is needed and switches the paths.
# (Splicing the delay line into s0-s1 below loses about 0.3 s of packets, which the
# collector would report as silence after 150 ms; the demo is about the latency.)
loop_start "$ex/topology.yaml" --events --silence-after 1s
for _ in $(seq 50); do
    grep -q '"segment":"s0-s1"' "$state/measurements.jsonl" 2>/dev/null && break
    sleep 0.1
done
grep -q '"segment":"s0-s1"' "$state/measurements.jsonl" || { say "no INT measurements:"; cat "$state/collect.log" >&2; exit 1; }
say "INT measurements flowing: s0-s1 $(jq -r 'select(.segment == "s0-s1") | .latency_ns' "$state/measurements.jsonl" | tail -1) ns, toupper $(jq -r 'select(.segment == "fn:toupper") | .latency_ns' "$state/measurements.jsonl" | tail -1) ns"

say "perturbation: +50 ms one-way delay on link s0-s1"
"$bin/chima-net" -q perturb "$ex/topology.yaml" s0-s1 --name "$net" --delay 50ms >/dev/null
perturbed_at=$(date +%s%N)  # the delay line is in the link from here on
loop_wait_for "$state/violations.jsonl" violation 10 || { say "no violation detected:"; tail -5 "$state/watch.log" "$state/collect.log" >&2; exit 1; }
violation=$(grep -m1 violation "$state/violations.jsonl")
say "violation detected: $(jq -r '"\(.chain)/\(.section) \(.metric) \(.measured / 1e6) ms > \(.limit / 1e6) ms, worst segment \(.worst.key // "?")"' <<<"$violation"), $(( ($(jq .detected_at <<<"$violation") - perturbed_at) / 1000000 )) ms after the perturbation"
say "relocating"
loop_wait_for "$state/relocation.jsonl" '"timeline"' 30 || { say "relocation failed:"; cat "$state/relocate.log" >&2; exit 1; }
say "relocated: $(grep '"plan"' "$state/relocation.jsonl" | jq -r '[.moved[] | "\(.function) \(.from)->\(.to)"] | join(", ")')"
grep '"timeline"' "$state/relocation.jsonl" | jq -c '{p4_ms: (.p4.ns/1e6), containers_ms: (.containers.ns/1e6), paths_ms: (.paths.ns/1e6), metadata_ms: (.metadata.ns/1e6), total_ms: (.total.ns/1e6)}' \
    | sed 's/^/demo: timeline (parts of the paper Table II): /' >&2
# Proof that the chain now runs on the other rail: s0's per-port counters over 2 s.
s0_tx() {
    "$bin/chima-net" status "$ex/topology.yaml" --name "$net" \
      | jq -r --argjson p "$1" '.switches[] | select(.name == "s0") | .ports[] | select(.port == $p) | .tx_packets'
}
sleep 1
before=$(wc -l < "$state/traffic.log")
rail1=$(s0_tx 2) rail2=$(s0_tx 3)
sleep 2
say "restored: $(tail -n +"$((before + 1))" "$state/traffic.log" | grep -c 'echo:') answers in the last 2 s, round trip $(tail -n 20 "$state/traffic.log" | awk '{s += $2; n++} END {printf "%.1f", n ? s / n : 0}') ms, e.g. '$(tail -n1 "$state/traffic.log" | cut -d' ' -f3-)'"
say "in those 2 s s0 sent $(( $(s0_tx 2) - rail1 )) packets toward s1 (the perturbed rail) and $(( $(s0_tx 3) - rail2 )) toward s2"
say "now deployed: $(jq -r '[.functions[] | "\(.name)@\(.node)"] | join(" -> ")' "$state/deployment.json")"
