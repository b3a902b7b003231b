#!/usr/bin/env bash
# Fig. 8 of the paper: detection delay vs the collector's polling interval p in
# {0.05, 0.1, 0.2, 0.5, 1} s at alpha = 2^-3, on `minimal`, with the paper's polling
# detection (chima-watch reads the measurement lines) and with event-driven detection
# (chima-collect --events: the data plane signals the crossing).
#
#   fig8.sh [--runs N]      (default 5 per point)
#
# Writes results/fig8.csv (one row per run), results/fig8-summary.csv (mean, 95% CI) and
# results/fig8.png. The columns are explained in lib/detection.bash.
source "$(dirname "${BASH_SOURCE[0]}")/lib/paper.bash"
source "$root/examples/paper/lib/detection.bash"
detection_args "$@"

detection_setup fig8
for mode in polling events; do
    for poll in 0.05 0.1 0.2 0.5 1; do
        detection_point "$mode" "$poll" 0.125 "$runs"
    done
done
detection_finish fig8
