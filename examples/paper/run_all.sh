#!/usr/bin/env bash
# Every experiment of the paper reproduced: Table II (with the moves chima-relocate computes,
# and with the prototype's planned moves), Fig. 8, Fig. 9 (results/ and PNGs).
#   run_all.sh [--runs N]      N runs per Table II scenario and per figure point
#                              (default: 30 for Table II, 5 per figure point)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
table_runs=() point_runs=()
if [ "${1:-}" = --runs ]; then table_runs=(--runs "$2"); point_runs=(--runs "$2"); fi
"$here/table2.sh" "${table_runs[@]}"
"$here/table2.sh" --planned "${table_runs[@]}"
"$here/fig8.sh" "${point_runs[@]}"
"$here/fig9.sh" "${point_runs[@]}"
