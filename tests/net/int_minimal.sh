#!/usr/bin/env bash
# In-band Network Telemetry end to end on the minimal example: the chain runs as
# real containers, chima-route makes s0 the INT source of its flows, the sinks send
# Telemetry Reports to the collector on the client's endpoint, and chima-collect (XDP)
# measures every segment of the chain's SLA sections. Checked: a measurement per link and
# per container function, the requests still answered (the functions never see INT), before
# and after the perturbation, the s0-s1 latency following `chima-net perturb s0-s1 --delay
# 20ms`, /metrics valid for promtool, and a real Prometheus server scraping the collector and answering a
# query for chima_segment_latency_seconds of the chain.
set -euo pipefail
net=t-int
source "$(dirname "${BASH_SOURCE[0]}")/lib/emulated.bash"
needs podman prometheus promtool curl
export CHIMA_BUILD=${CHIMA_BUILD:-$(dirname "$bin")}
metrics=127.0.0.1:19461
prom=127.0.0.1:19462
remove_containers() {
    "$bin/chima-install" -q "$tmp/dep.json" "$tmp/artifacts.json" --net "$net" --remove \
        --previous "$tmp/installed.json" >/dev/null 2>&1 || true
}
cleanup_add remove_containers

deploy_minimal podman
jq -e '[.int_watch[] | select(.switch == "s0" and .src_ip == "10.0.0.200")] | length == 1' \
    "$tmp/routes.json" >/dev/null || fail "the client's flow is not watched at s0: $(jq -c .int_watch "$tmp/routes.json")"

"$bin/chima-collect" --net "$net" --deployment "$tmp/dep.json" --poll 0.2 --metrics "$metrics" \
    > "$tmp/measurements.jsonl" 2> "$tmp/collect.log" &
for _ in $(seq 300); do grep -q "collecting" "$tmp/collect.log" && break; sleep 0.1; done
grep -q "collecting" "$tmp/collect.log" || fail "collector did not start: $(cat "$tmp/collect.log")"

# Requests through the whole chain for the rest of the test: every answer must be right.
ip netns exec "$(ns client)" python3 - "$tmp/answers.txt" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
with open(sys.argv[1], "w", buffering=1) as out:
    while True:
        s.sendto(b"hello from the client", ("10.0.0.2", 12345))
        try:
            out.write(s.recv(2048).decode(errors="replace") + "\n")
        except socket.timeout:
            out.write("timeout\n")
        time.sleep(0.005)
PY
traffic=$!

# The latest measurement of a segment (chain minimal): "<latency_ns> <samples>".
latest() {
    jq -r --arg seg "$1" 'select(.type == "measurement" and .chain == "minimal" and .segment == $seg)
        | "\(.latency_ns) \(.samples)"' "$tmp/measurements.jsonl" | tail -1
}
wait_for_segment() {
    for _ in $(seq 50); do [ -n "$(latest "$1")" ] && return 0; sleep 0.2; done
    fail "no measurement of segment $1: $(tail -3 "$tmp/measurements.jsonl"; tail -3 "$tmp/collect.log")"
}
for seg in s0-s1 s1-s3 fn:toupper fn:echo; do wait_for_segment "$seg"; done
read -r base _ <<<"$(latest s0-s1)"
[ "$base" -lt 5000000 ] || fail "s0-s1 before the perturbation: $base ns"
for seg in fn:toupper fn:echo; do
    read -r lat n <<<"$(latest "$seg")"
    [ "$n" -gt 10 ] && [ "$lat" -gt 0 ] && [ "$lat" -lt 500000000 ] || fail "$seg: $lat ns over $n samples"
done
answers=$(grep -c . "$tmp/answers.txt")
[ "$answers" -gt 20 ] || fail "only $answers answers"
bad=$(grep -vc '^echo: HELLO FROM THE CLIENT$' "$tmp/answers.txt" || true)
[ "$bad" -eq 0 ] || fail "$bad wrong answers, e.g. $(grep -v '^echo: HELLO FROM THE CLIENT$' "$tmp/answers.txt" | head -1)"

# /metrics: valid exposition format with the chain's segments.
curl -sf "http://$metrics/metrics" > "$tmp/scrape.txt" || fail "no /metrics"
promtool check metrics < "$tmp/scrape.txt" || fail "promtool rejects /metrics"
grep -q 'chima_segment_latency_seconds{chain="minimal",segment="s0-s1"}' "$tmp/scrape.txt" \
    || fail "s0-s1 missing in /metrics: $(grep latency "$tmp/scrape.txt" | head -3)"

# A real Prometheus server scrapes it and answers a query.
cat > "$tmp/prometheus.yml" <<YAML
global: {scrape_interval: 1s}
scrape_configs:
  - job_name: chima
    static_configs: [{targets: ["$metrics"]}]
YAML
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/tsdb" \
    --web.listen-address="$prom" > "$tmp/prometheus.log" 2>&1 &
query="http://$prom/api/v1/query?query=chima_segment_latency_seconds%7Bchain%3D%22minimal%22%7D"
result=
for _ in $(seq 60); do
    result=$(curl -sf "$query" 2>/dev/null | jq -r '.data.result | length' 2>/dev/null || true)
    [ -n "$result" ] && [ "$result" -ge 4 ] && break
    sleep 0.5
done
[ -n "$result" ] && [ "$result" -ge 4 ] || fail "Prometheus query returned '$result' series: $(tail -3 "$tmp/prometheus.log")"

# Perturb s0-s1: the collector's s0-s1 latency moves to 20 ms: settled at least 19 ms (its
# moving average approaches from below) and under a second delay's 40 ms.
"$bin/chima-net" -q perturb "$ex/topology.yaml" s0-s1 --name "$net" --delay 20ms >/dev/null
# Settled: five measurements in a row (one second) inside the band.
ok=
in_band=0
for _ in $(seq 75); do
    read -r lat _ <<<"$(latest s0-s1)"
    if [ "$lat" -ge 19000000 ] && [ "$lat" -lt 40000000 ]; then in_band=$((in_band + 1)); else in_band=0; fi
    [ "$in_band" -ge 5 ] && { ok=$lat; break; }
    sleep 0.2
done
[ -n "$ok" ] || fail "s0-s1 after perturb: $(latest s0-s1) (want 20 ms, settled)"
# Once settled, the chain answers through the slower link, every answer right (while the
# delay line is spliced in, a request may go unanswered).
answered_before=$(wc -l < "$tmp/answers.txt")
for _ in $(seq 100); do [ "$(wc -l < "$tmp/answers.txt")" -ge $((answered_before + 20)) ] && break; sleep 0.1; done
kill "$traffic"
after=$(tail -n +"$((answered_before + 1))" "$tmp/answers.txt")
[ "$(grep -c . <<<"$after")" -ge 20 ] || fail "only $(grep -c . <<<"$after") answers after the perturbation"
bad=$(grep -vc '^echo: HELLO FROM THE CLIENT$' <<<"$after" || true)
[ "$bad" -eq 0 ] || fail "$bad wrong answers after the perturbation, e.g. $(grep -v '^echo: HELLO FROM THE CLIENT$' <<<"$after" | head -1)"
echo "int_minimal: ok (s0-s1 $base ns -> $ok ns; $answers answers; toupper $(latest fn:toupper | cut -d' ' -f1) ns)"
