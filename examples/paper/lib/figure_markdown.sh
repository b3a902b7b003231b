#!/usr/bin/env bash
# A markdown table of a detection figure from its summary CSV: per point the detection delay
# (mean ± 95% CI) with polling and with event-driven detection, the theoretical EWMA
# crossing, and each mode's excess over it.
#   figure_markdown.sh results/fig8-summary.csv poll_s|alpha
set -euo pipefail
summary=$1 x=$2
col=2; label="p (s)"
[ "$x" = alpha ] && { col=3; label="alpha"; }
cell() { if [ -z "$1" ]; then echo "-"; elif [ -z "$2" ]; then printf '%.1f' "$1"; else printf '%.1f ± %.1f' "$1" "$2"; fi; }
echo "| $label | polling: delay (ms) | event-driven: delay (ms) | theoretical crossing (ms) | polling: excess (ms) | event-driven: excess (ms) | runs (polling/events) |"
echo "|---|---|---|---|---|---|---|"
# Summary columns: mode,poll_s,alpha, then mean,ci95,n of delay, theory, excess, pipeline.
for point in $(tail -n +2 "$summary" | cut -d, -f"$col" | awk '!seen[$0]++'); do
    IFS=, read -r _ _ _ pd pdc pn pt _ _ pe pec _ < <(awk -F, -v c="$col" -v p="$point" '$1 == "polling" && $c == p' "$summary") || true
    IFS=, read -r _ _ _ ed edc en et _ _ ee eec _ < <(awk -F, -v c="$col" -v p="$point" '$1 == "events" && $c == p' "$summary") || true
    echo "| $point | $(cell "${pd:-}" "${pdc:-}") | $(cell "${ed:-}" "${edc:-}") | $(cell "${et:-${pt:-}}" "") | $(cell "${pe:-}" "${pec:-}") | $(cell "${ee:-}" "${eec:-}") | ${pn:-0}/${en:-0} |"
    unset pd pdc pn pt pe pec ed edc en et ee eec
done
