#!/usr/bin/env bash
# Table II of the paper: the parts of a redeployment (P4 functions, containers, paths,
# metadata) and its total, per scenario. Each run deploys the scenario afresh (podman
# containers), sends traffic, runs the control loop (event-driven detection), adds 50 ms to
# the scenario's perturbed link, waits for chima-relocate's timeline line, and tears down.
#
#   table2.sh [--runs N] [--scenarios "minimal medium ..."] [--planned]
#
# Writes results/table2.csv (one row per run, ms), results/table2-summary.csv (mean and 95%
# confidence interval, Student's t) and results/table2.md (the markdown table);
# results/table2-failures.txt says why a scenario failed, if one did. Rows of scenarios not
# in --scenarios are kept, so one scenario can be measured again alone.
# --planned: the functions move where the prototype moved them (the `relocated:` list of
# each scenario.yaml, given to chima-relocate --to) instead of where chima-relocate would
# place them; results in results/table2-planned.*.
runs=30
scenarios="minimal medium large mesh datacenter unbalanced"
name=table2
while [ $# -gt 0 ]; do
    case $1 in
        --runs) runs=$2; shift 2 ;;
        --scenarios) scenarios=$2; shift 2 ;;
        --planned) name=table2-planned; shift ;;
        *) echo "usage: $0 [--runs N] [--scenarios \"minimal medium ...\"] [--planned]" >&2; exit 2 ;;
    esac
done
source "$(dirname "${BASH_SOURCE[0]}")/lib/paper.bash"

csv=$results/$name.csv
failures=$results/$name-failures.txt
header="scenario,run,p4_ms,containers_ms,paths_ms,metadata_ms,total_ms,detect_ms,moved"
# Rows of scenarios not run this time stay, so one scenario can be measured again alone.
keep_others() {
    local file=$1 s
    [ -f "$file" ] || return 0
    for s in $scenarios; do grep -v "^${s}[ ,]" "$file" > "$file.tmp" || true; mv "$file.tmp" "$file"; done
}
[ "$(head -1 "$csv" 2>/dev/null)" = "$header" ] || echo "$header" > "$csv"
touch "$failures"
keep_others "$csv"
keep_others "$failures"

# One redeployment; appends its CSV row to $csv, or says why on stderr and returns 1. Runs in
# this shell (not a subshell), so the traffic and loop it starts are stopped by paper_teardown.
# The scenario's placement with its `relocated:` functions moved: where the prototype's
# hand-written redep.yaml put them (flat "  name: node" lines in both files).
planned_placement() {
    local ex=$root/examples/$1
    awk -v scenario="$ex/scenario.yaml" '
        BEGIN {
            while ((getline line < scenario) > 0) {
                if (line ~ /^relocated:/) { listed = 1; continue }
                if (line !~ /^[ \t]/) listed = 0
                if (listed && line ~ /^[ \t]+[^ \t#]+:[ \t]*[^ \t#]+/) {
                    split(line, kv, ":"); gsub(/[ \t]/, "", kv[1]); gsub(/[ \t]|#.*/, "", kv[2])
                    to[kv[1]] = kv[2]
                }
            }
        }
        /^[ \t]+[^ \t#]+:/ && placing {
            split($0, kv, ":"); key = kv[1]; gsub(/[ \t]/, "", key)
            if (key in to) { match($0, /^[ \t]+/); print substr($0, 1, RLENGTH) key ": " to[key]; next }
        }
        /^placement:/ { placing = 1 }
        { print }' "$ex/placement.yaml"
}

one_run() {
    local scenario=$1 run=$2 ex=$root/examples/$1 link perturbed_at timeline violation
    link=$(paper_link "$scenario")
    loop_relocate_args=()
    if [ "$name" = table2-planned ]; then
        planned_placement "$scenario" > "$work/planned-$scenario.yaml"
        loop_relocate_args=(--to "$work/planned-$scenario.yaml")
    fi
    paper_deploy "$scenario" 2> "$work/deploy.err" || { echo "deploy: $(tail -3 "$work/deploy.err")" >&2; return 1; }
    paper_traffic_start || { echo "no answer from the chain" >&2; return 1; }
    # Splicing the delay line loses ~0.3 s of packets (silence after 150 ms by default);
    # Table II is about the relocation the added latency causes.
    loop_start "$ex/topology.yaml" --events --silence-after 1s
    # The segment is named in the direction the chain crosses the link (s0-s1 or s1-s0).
    loop_wait_for "$state/measurements.jsonl" "\"segment\":\"\\(${link%-*}-${link#*-}\\|${link#*-}-${link%-*}\\)\"" 10 \
        || { echo "no measurement of $link: $(tail -3 "$state/collect.log")" >&2; return 1; }
    sleep 1
    "$bin/chima-net" -q perturb "$ex/topology.yaml" "$link" --name "$net" --delay 50ms >/dev/null \
        || { echo "perturb $link failed" >&2; return 1; }
    perturbed_at=$(date +%s%N)
    loop_wait_for "$state/violations.jsonl" violation 10 \
        || { echo "no violation: $(tail -3 "$state/watch.log")" >&2; return 1; }
    loop_wait_for "$state/relocation.jsonl" '"timeline"' 90 \
        || { echo "no relocation: $(tail -5 "$state/relocate.log")" >&2; return 1; }
    violation=$(grep -m1 violation "$state/violations.jsonl")
    timeline=$(grep -m1 '"timeline"' "$state/relocation.jsonl")
    jq -r --arg s "$scenario" --argjson r "$run" \
          --argjson d "$(( ($(jq .detected_at <<<"$violation") - perturbed_at) / 1000 ))" \
          --arg moved "$(grep -m1 '"plan"' "$state/relocation.jsonl" | jq -r '[.moved[]? | "\(.function) \(.from)->\(.to)"] | join(" ")')" \
          'def ms(p): if p.ns then p.ns / 1e6 | tostring else "" end;
           [$s, $r, ms(.p4), ms(.containers), ms(.paths), ms(.metadata), ms(.total), ($d / 1e3 | tostring), $moved]
           | @csv' <<<"$timeline" | tr -d '"' >> "$csv"
}

for scenario in $scenarios; do
    [ -d "$root/examples/$scenario" ] || { echo "no scenario $scenario" >&2; exit 2; }
    for ((run = 1; run <= runs; run++)); do
        paper_note "table2: $scenario run $run/$runs"
        if ! one_run "$scenario" "$run" 2> "$work/run.err"; then
            # Every line starts with the scenario, so keep_others drops all of it next time.
            { echo "run $run: $(cat "$work/run.err")"
              if [ -s "$state/relocate.log" ]; then sed 's/^/  relocate: /' "$state/relocate.log" | tail -5; fi
            } | sed "s/^/$scenario /" | tee -a "$failures" >&2
            paper_teardown
            break   # the next runs of this scenario would fail the same way
        fi
        paper_note "  $(tail -1 "$csv")"
        paper_teardown
    done
done

python3 "$root/examples/paper/lib/summary.py" "$csv" scenario \
    p4_ms,containers_ms,paths_ms,metadata_ms,total_ms,detect_ms > "$results/$name-summary.csv"
"$root/examples/paper/lib/table2_markdown.sh" "$results/$name-summary.csv" > "$results/$name.md"
cat "$results/$name.md"
