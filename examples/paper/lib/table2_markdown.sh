#!/usr/bin/env bash
# The markdown Table II: ours (mean ± 95% CI, from table2-summary.csv) beside the paper's
# (Table II of the paper: bmv2 + ONOS + Docker on FOP4; "-" where nothing of that kind moves).
#   table2_markdown.sh results/table2-summary.csv
set -euo pipefail
declare -A paper=(
    [mesh]="- | 1.13 ± 0.04 s | 54.23 ± 5.07 ms | 2.68 ± 0.13 ms"
    [datacenter]="5.20 ± 0.03 s | - | 288.60 ± 5.30 ms | 2.79 ± 0.16 ms"
    [unbalanced]="5.19 ± 0.03 s | 0.97 ± 0.01 s | 60.57 ± 2.48 ms | 2.81 ± 0.17 ms"
    [minimal]="6.06 ± 0.04 s | 1.50 ± 0.02 s | 48.79 ± 5.01 ms | 3.50 ± 0.19 ms"
    [medium]="6.93 ± 0.03 s | 2.12 ± 0.03 s | 125.89 ± 17.95 ms | 4.81 ± 0.97 ms"
    [large]="8.28 ± 0.09 s | 2.54 ± 0.08 s | 477.55 ± 90.06 ms | 6.10 ± 1.26 ms"
)
echo "| scenario | runs | P4 ours (ms) | P4 paper | containers ours (ms) | containers paper | paths ours (ms) | paths paper | metadata ours (ms) | metadata paper | total ours (ms) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
# Columns of the summary: scenario, then mean, ci95, n per part (p4 containers paths metadata total detect).
tail -n +2 "$1" | while IFS=, read -r s p4m p4c _ cm cc _ pm pc _ mm mc _ tm tc tn _; do
    cell() { if [ -z "$1" ]; then echo "-"; elif [ -z "$2" ]; then printf '%.3f' "$1"; else printf '%.3f ± %.3f' "$1" "$2"; fi; }
    IFS='|' read -r pp pc_ pa pm_ <<<"${paper[$s]:-?|?|?|?}"
    echo "| $s | $tn | $(cell "$p4m" "$p4c") |$pp| $(cell "$cm" "$cc") |$pc_| $(cell "$pm" "$pc") |$pa| $(cell "$mm" "$mc") |$pm_| $(cell "$tm" "$tc") |"
done
