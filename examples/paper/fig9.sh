#!/usr/bin/env bash
# Fig. 9 of the paper: detection delay vs the EWMA coefficient alpha in {2^-1 .. 2^-5} at
# p = 0.1 s, on `minimal`, with the paper's polling detection (chima-watch reads the
# measurement lines) and with event-driven detection (chima-collect --events).
#
#   fig9.sh [--runs N]      (default 5 per point)
#
# Writes results/fig9.csv (one row per run), results/fig9-summary.csv (mean, 95% CI) and
# results/fig9.png. The columns are explained in lib/detection.bash.
source "$(dirname "${BASH_SOURCE[0]}")/lib/paper.bash"
source "$root/examples/paper/lib/detection.bash"
detection_args "$@"

detection_setup fig9
for mode in polling events; do
    for alpha in 0.5 0.25 0.125 0.0625 0.03125; do
        detection_point "$mode" 0.1 "$alpha" "$runs"
    done
done
detection_finish fig9
