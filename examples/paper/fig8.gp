# Fig. 8: detection delay vs polling interval (alpha = 2^-3), from fig8-summary.csv.
# Run in examples/paper/results (fig8.sh does). Columns: mode, poll_s, alpha, then mean,
# ci95, n of delay_ms (4-6), theory_ms (7-9), excess_ms (10-12), pipeline_ms (13-15).
set terminal pngcairo size 900,560 font ",11"
set output "fig8.png"
set datafile separator ","
set title "Detection delay vs polling interval (minimal, alpha = 2^{-3}, +50 ms on s0-s1, 95% CI)"
set xlabel "polling interval p (s)"
set ylabel "detection delay (ms)"
set logscale x
set xtics (0.05, 0.1, 0.2, 0.5, 1)
set key top left
set grid
set offsets graph 0.03, graph 0.03, 0, 0
plot "< grep '^polling,' fig8-summary.csv" using 2:4:5 with yerrorlines lw 2 pt 7 title "polling detection (paper's method)", \
     "< grep '^events,' fig8-summary.csv" using 2:4:5 with yerrorlines lw 2 pt 5 title "event-driven detection (--events)", \
     "< grep '^events,' fig8-summary.csv" using 2:7 with lines dt 2 lw 2 title "theoretical EWMA crossing", \
     "< grep '^polling,' fig8-summary.csv" using 2:($7 + $2 * 1000 / 2) with lines dt 3 lw 2 title "theoretical crossing + p/2"
