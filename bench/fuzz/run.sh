#!/usr/bin/env bash
# Runs every libFuzzer target (tests/fuzz) for a fixed time from its seed corpus and prints
# one line per target: executions, seconds, corpus size and findings (a crash, a sanitizer
# report, a timeout, memory beyond the limit, or an exception other than chima::InputError,
# each saved by libFuzzer as an artifact). The figures go to docs/benchmarks.md.
#
#   bench/fuzz/run.sh [SECONDS] [TARGET...]     default: 600 s, every target
#
# Build first (cmake --build build: the targets are part of the default build). The scratch
# corpora and artifacts are under build/bench/fuzz/; exit 1 when any target found something.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${CHIMA_BUILD:-$root/build}
seconds=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(collector_decoder yaml_loaders legacy_loader state_files p4_frontend)
out=$build/bench/fuzz
mkdir -p "$out"
export CHIMA_ROOT=$root
status=0
printf '%-18s %12s %8s %8s %9s\n' target executions seconds corpus findings
for t in "${targets[@]}"; do
    bin=$build/tests/fuzz/${t}_fuzz
    [ -x "$bin" ] || { echo "$t: $bin is not built (clang++ missing?)" >&2; exit 1; }
    mkdir -p "$out/corpus/$t" "$out/artifacts/$t"
    max_len= dict=
    [ "$t" = p4_frontend ] && max_len=-max_len=16384
    case $t in
        yaml_loaders | legacy_loader) dict=-dict=$root/tests/fuzz/dict/yaml.dict ;;
        state_files) dict=-dict=$root/tests/fuzz/dict/state_files.dict ;;
        p4_frontend) dict=-dict=$root/tests/fuzz/dict/p4.dict ;;
    esac
    log=$out/$t.log
    start=$(date +%s)
    # A finding stops the target (libFuzzer saves the input under artifacts/).
    "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 $max_len $dict \
        -artifact_prefix="$out/artifacts/$t/" -print_final_stats=1 \
        "$out/corpus/$t" "$root/tests/fuzz/corpus/$t" >"$log" 2>&1 || true
    elapsed=$(($(date +%s) - start))
    execs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -1 || true)
    [ -n "$execs" ] || execs=$(grep -Eo '#[0-9]+' "$log" | tail -1 | tr -d '#' || true)
    corpus=$(find "$out/corpus/$t" -type f | wc -l)
    findings=$(find "$out/artifacts/$t" -type f | wc -l)
    printf '%-18s %12s %8s %8s %9s\n' "$t" "${execs:-?}" "$elapsed" "$corpus" "$findings"
    [ "$findings" -eq 0 ] || status=1
done
exit $status
