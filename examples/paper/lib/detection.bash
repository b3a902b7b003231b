# shellcheck shell=bash disable=SC2154  # root, bin, net, results, work, state: lib/paper.bash
# Detection delay (the paper's Fig. 8 and Fig. 9), sourced by fig8.sh and fig9.sh after
# lib/paper.bash. One deployment of `minimal` serves every run of every point: per run the
# perturbation is cleared, traffic and the control loop are restarted (a fresh collector: its
# EWMAs start from the unperturbed link), 50 ms are added to s0-s1, and the first violation
# is timed. Detection alone needs no relocation: chima-relocate runs with --dry-run (a
# wrapper in $work/bin), so the deployment never moves.
#
#   detection_args "$@"               the figure script's options: --runs N (default 5) -> runs
#   detection_setup FIGURE            deploy; CSV header of results/FIGURE.csv
#   detection_point MODE POLL ALPHA N N runs of one point; MODE is polling|events
#   detection_finish FIGURE           results/FIGURE-summary.csv and the PNG (gnuplot)
#
# Columns of FIGURE.csv (ms unless named otherwise):
#   delay     violation detected_at - the time `chima-net perturb` returned
#   theory    the EWMA crossing expected from the samples: 2*D_link + (k-1)*T + T/2, where
#             T is the traffic period (one s0-s1 INT sample per request), D_link = 50 ms
#             the added delay (a request crosses s0-s1 out and back before the sink at s0
#             reports it, so its perturbed sample reaches the collector 2*D_link later),
#             T/2 the mean wait for the next request, and k the first k >= 1 with
#             (1-(1-a)^k)*D + (1-a)^k*d0 > limit: d0 the violated section's latency before
#             the perturbation, D = d0 + 50 ms, limit its SLA latency
#   excess    delay - theory (polling detection adds about p/2 on top); the delay took
#             effect somewhere during `chima-net perturb`, so the true excess lies between
#             excess and excess + perturb
#   pipeline  detected_at - crossed_at: collector -> chima-watch, in software
#   perturb   how long `chima-net perturb` took: the delay starts somewhere in it, so
#             delay may be up to this much too small
scenario=minimal
perturbation_ms=50

detection_args() {
    runs=5
    while [ $# -gt 0 ]; do
        case $1 in
            --runs) runs=$2; shift 2 ;;
            *) echo "usage: $0 [--runs N]" >&2; exit 2 ;;
        esac
    done
}

detection_setup() {
    csv=$results/$1.csv
    failures=$results/$1-failures.txt
    : > "$failures"
    echo "mode,poll_s,alpha,run,delay_ms,theory_ms,excess_ms,pipeline_ms,k,metric,section,limit_ms,d0_ms,perturb_ms" > "$csv"
    mkdir -p "$work/bin"
    local tool
    for tool in chima-collect chima-watch; do ln -sf "$bin/$tool" "$work/bin/$tool"; done
    printf '#!/bin/sh\nexec %q --dry-run "$@"\n' "$bin/chima-relocate" > "$work/bin/chima-relocate"
    chmod +x "$work/bin/chima-relocate"
    paper_note "$1: deploying $scenario"
    paper_deploy "$scenario"
    topology=$root/examples/$scenario/topology.yaml
    link=$(paper_link "$scenario")
}

# One run; appends its row to $csv or says why on stderr and returns 1.
detection_run() {
    local mode=$1 poll=$2 alpha=$3 run=$4 perturbed_at violation seg_d0
    # A delay line of 0 ms goes into the link before the run, so that the perturbation itself
    # only restarts its forwarder with 50 ms (like the paper's change of a tc qdisc) instead
    # of rewiring the link, which takes hundreds of ms on a loaded machine.
    "$bin/chima-net" -q perturb "$topology" "$link" --name "$net" --clear >/dev/null 2>&1 || true
    "$bin/chima-net" -q perturb "$topology" "$link" --name "$net" --delay 0ms >/dev/null \
        || { echo "perturb $link --delay 0ms failed" >&2; return 1; }
    paper_traffic_start || { echo "no answer from the chain" >&2; return 1; }
    # The figures time the latency crossing: silence (a forwarder restart, 2 x 50 ms of
    # packets in flight) must not come first.
    local args=(--poll "$poll" --alpha "$alpha" --silence-after 1s)
    [ "$mode" = events ] && args+=(--events)
    bin=$work/bin loop_start "$topology" "${args[@]}"
    loop_wait_for "$state/measurements.jsonl" "\"segment\":\"$link\"" 10 \
        || { echo "no measurement of $link: $(tail -3 "$state/collect.log")" >&2; return 1; }
    # 1 s to settle, plus a random part of a polling interval: the perturbation must not
    # fall at the same phase of the collector's polling in every run.
    sleep "$(awk -v p="$poll" -v r="$RANDOM" 'BEGIN { print 1 + p * r / 32768 }')"
    if grep -q violation "$state/violations.jsonl"; then
        echo "false positive: a violation before the perturbation: $(grep -m1 violation "$state/violations.jsonl")" >&2
        return 1
    fi
    local perturb_start
    perturb_start=$(date +%s%N)
    "$bin/chima-net" -q perturb "$topology" "$link" --name "$net" --delay "${perturbation_ms}ms" >/dev/null \
        || { echo "perturb $link failed" >&2; return 1; }
    perturbed_at=$(date +%s%N)
    loop_wait_for "$state/violations.jsonl" violation 10 \
        || { echo "no violation: $(tail -3 "$state/watch.log")" >&2; return 1; }
    loop_stop
    violation=$(grep -m1 violation "$state/violations.jsonl")
    # The link's own value before the perturbation: its last measurement line before it.
    seg_d0=$(jq -r --arg l "$link" --argjson t "$perturbed_at" \
        'select(.type == "measurement" and .segment == $l and .ts < $t) | .latency_ns' \
        "$state/measurements.jsonl" | tail -1)
    jq -r --arg mode "$mode" --argjson poll "$poll" --argjson a "$alpha" --argjson run "$run" \
          --argjson at "$perturbed_at" --argjson start "$perturb_start" --argjson seg_d0 "${seg_d0:-0}" \
          --argjson D_link "$perturbation_ms" --argjson T "$PAPER_PERIOD" '
        . as $v
        # The section before the perturbation: what it measured minus what the link added.
        | (($v.measured - ($v.worst.value_ns // $v.measured) + $seg_d0) / 1e6) as $d0
        | ($d0 + $D_link) as $D | ($v.limit / 1e6) as $limit
        | [1, 1 - $a] | until(((1 - .[1]) * $D + .[1] * $d0) > $limit or .[0] > 10000;
                              [.[0] + 1, .[1] * (1 - $a)]) | .[0] as $k
        | (2 * $D_link + ($k - 1) * $T * 1e3 + $T * 1e3 / 2) as $theory
        | (($v.detected_at - $at) / 1e6) as $delay
        | def r: . * 1000 | round / 1000;
          [$mode, $poll, $a, $run, ($delay | r), ($theory | r), ($delay - $theory | r),
           (($v.detected_at - $v.crossed_at) / 1e6 | r), $k, $v.metric, $v.section, $limit,
           ($d0 | r), (($at - $start) / 1e6 | r)]
        | @csv' \
        <<<"$violation" | tr -d '"' >> "$csv"
}

# N good runs of one point, at most 2N attempts; failed attempts (e.g. a false positive
# before the perturbation) are counted in results/FIGURE-failures.txt.
detection_point() {
    local mode=$1 poll=$2 alpha=$3 runs=$4 run=1 attempt
    for ((attempt = 1; attempt <= 2 * runs && run <= runs; attempt++)); do
        if detection_run "$mode" "$poll" "$alpha" "$run" 2> "$work/run.err"; then
            paper_note "  $mode p=$poll a=$alpha run $run: $(tail -1 "$csv" | cut -d, -f5-9,14) (delay,theory,excess,pipeline,k,perturb)"
            run=$((run + 1))
        else
            paper_note "  $mode p=$poll a=$alpha attempt $attempt FAILED: $(cat "$work/run.err")"
            echo "$mode,$poll,$alpha: $(cat "$work/run.err")" >> "$failures"
            loop_stop
        fi
    done
}

detection_finish() {
    python3 "$root/examples/paper/lib/summary.py" "$csv" mode,poll_s,alpha \
        delay_ms,theory_ms,excess_ms,pipeline_ms > "$results/$1-summary.csv"
    if command -v gnuplot >/dev/null; then
        (cd "$results" && gnuplot "$root/examples/paper/$1.gp")
    else
        paper_note "gnuplot is not installed (scripts/setup.sh): no $1.png"
    fi
    local x=poll_s
    [ "$1" = fig9 ] && x=alpha
    "$root/examples/paper/lib/figure_markdown.sh" "$results/$1-summary.csv" "$x" > "$results/$1.md"
    cat "$results/$1.md"
}
