# One fault on the paper's minimal scenario with traffic and the whole loop running, for
# tests/e2e/fault_*.sh and bench/faults/run.sh: deployed (lib/deployed.bash), a request every
# 20 ms, (chima-collect & health watch) | chima-watch | chima-relocate. The caller then calls
#   fault_inject COMMAND...   runs the fault (its output dropped); sets fault_at (ns, wall clock) to the moment the
#                             command returned (the fault is in place by then) and
#                             inject_ms to the command's own duration
#   fault_expect METRIC JQ    waits for a violation of METRIC whose line satisfies JQ; sets
#                             violation
#   fault_timed               once answering: sets fault_est (ns), when the fault took effect
#                             in the traffic: 10 ms (half a request period) after the last
#                             request answered right before the first one, from the fault's
#                             command on, that was not (lost or answered wrong), +-10 ms;
#                             detect_ms (fault_est to the violation's detected_at) and
#                             answer_ms (fault_est to the first right answer after it)
#   fault_relocated           waits for chima-relocate's timeline
#   fault_answering           waits for the documented answer to a request sent after the
#                             fault; sets answer_ms (fault to its arrival)
scenario=minimal
source "$(dirname "${BASH_SOURCE[0]}")/deployed.bash"

traffic_answering
loop_start "$ex/topology.yaml"
loop_wait_for "$state/measurements.jsonl" '"segment":"fn:echo"' 15 \
    || fail "no measurement of fn:echo: $(tail -3 "$state/collect.log")"
loop_wait_for "$state/health.log" "watching" 15 || fail "no health watch: $(cat "$state/health.log")"
sleep 1  # the collector learns each segment's sample rate
grep -q violation "$state/violations.jsonl" && fail "a violation before the fault: $(cat "$state/violations.jsonl")"

now_ns() { date +%s%N; }

fault_inject() {
    fault_start=$(now_ns)
    "$@" >/dev/null
    fault_at=$(now_ns)
    inject_ms=$(( (fault_at - fault_start) / 1000000 ))
    echo "fault injected ($*) in $inject_ms ms"
}

fault_expect() {
    local metric=$1 filter=$2
    loop_wait_for "$state/violations.jsonl" "\"metric\":\"$metric\"" 10 \
        || fail "no $metric violation: $(cat "$state/violations.jsonl"); $(tail -5 "$state/watch.log")"
    violation=$(grep "\"metric\":\"$metric\"" "$state/violations.jsonl" | head -1)
    jq -e "$filter" <<<"$violation" >/dev/null || fail "the $metric violation: $violation"
    echo "violation: $(jq -c '{section, metric, worst: .worst.key, node, silent}' <<<"$violation")"
}

fault_relocated() {
    loop_wait_for "$state/relocation.jsonl" '"timeline"' 60 \
        || fail "no relocation: $(tail -5 "$state/relocate.log")"
    echo "relocation for: $(grep '"type":"plan"' "$state/relocation.jsonl" | head -1 \
        | jq -c '{metric: .violation.metric, worst: .violation.worst.key, restart, moved: [.moved[] | "\(.function)@\(.to)"]}')"
}

# The receive time (ns) of the first right answer ($expected) to a request sent after $1
# (ns), if any. A wrong answer (toupper's "no answer" while echo is dead) does not count.
first_answer_after() {
    local sent rtt answer
    while read -r sent rtt answer; do
        if [ "$(without_seq <<<"$answer")" = "$expected" ]; then
            awk -v s="$sent" -v r="$rtt" 'BEGIN { printf "%.0f\n", s * 1e9 + r * 1e6 }'
            return
        fi
    done < <(awk -v t="$1" '$1 * 1e9 > t' "$state/traffic.log")
}

fault_answering() {
    local i at
    for ((i = 0; i < 300; i++)); do
        at=$(first_answer_after "$fault_at")
        [ -n "$at" ] && break
        sleep 0.1
    done
    [ -n "$at" ] || fail "no right answer after the fault: $(tail -3 "$state/traffic.log"); $(tail -5 "$state/relocate.log")"
    echo "answering again"
}

fault_timed() {
    local sent rtt answer seq prev= last_good=
    while read -r sent rtt answer; do
        seq=${answer##* }
        if [ "$(without_seq <<<"$answer")" != "$expected" ] || { [ -n "$prev" ] && [ "$seq" != $((prev + 1)) ]; }; then
            break
        fi
        last_good=$sent prev=$seq
    done < <(awk -v t="$fault_start" '$1 * 1e9 >= t - 1e9' "$state/traffic.log" | sort -n)
    [ -n "$last_good" ] || fail "no right answer before the fault"
    fault_est=$(awk -v s="$last_good" 'BEGIN { printf "%.0f\n", s * 1e9 + 10e6 }')
    detect_ms=$(( ($(jq .detected_at <<<"$violation") - fault_est) / 1000000 ))
    answer_ms=$(( ($(first_answer_after "$fault_est") - fault_est) / 1000000 ))
    echo "timed: violation $detect_ms ms, answering again $answer_ms ms after the fault (+-10 ms)"
}
