# Fig. 9: detection delay vs EWMA coefficient (p = 0.1 s), from fig9-summary.csv.
# Run in examples/paper/results (fig9.sh does). Columns: mode, poll_s, alpha, then mean,
# ci95, n of delay_ms (4-6), theory_ms (7-9), excess_ms (10-12), pipeline_ms (13-15).
set terminal pngcairo size 900,560 font ",11"
set output "fig9.png"
set datafile separator ","
set title "Detection delay vs EWMA coefficient (minimal, p = 0.1 s, +50 ms on s0-s1, 95% CI)"
set xlabel "alpha"
set ylabel "detection delay (ms)"
set logscale x 2
set xtics ("2^{-5}" 0.03125, "2^{-4}" 0.0625, "2^{-3}" 0.125, "2^{-2}" 0.25, "2^{-1}" 0.5)
set key top right
set grid
set offsets graph 0.03, graph 0.03, 0, 0
plot "< grep '^polling,' fig9-summary.csv" using 3:4:5 with yerrorlines lw 2 pt 7 title "polling detection (paper's method)", \
     "< grep '^events,' fig9-summary.csv" using 3:4:5 with yerrorlines lw 2 pt 5 title "event-driven detection (--events)", \
     "< grep '^events,' fig9-summary.csv" using 3:7 with lines dt 2 lw 2 title "theoretical EWMA crossing", \
     "< grep '^polling,' fig9-summary.csv" using 3:($7 + $2 * 1000 / 2) with lines dt 3 lw 2 title "theoretical crossing + p/2"
