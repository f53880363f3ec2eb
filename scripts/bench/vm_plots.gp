# gnuplot -e "dir='build/bench'" scripts/bench/vm_plots.gp
# Draws build/bench/vm-*.png from the data files vm_report.py wrote.
if (!exists("dir")) dir = "build/bench"
load dir."/vm-plot-labels.gp"
set terminal pngcairo size 1100,600 noenhanced font ",11"
set datafile missing "?"
set key outside right top
set grid ytics mytics xtics
set logscale x 2
set logscale y 10
set xtics (1, 8, 64)
set xrange [0.8:80]

set output dir."/vm-ops-by-qd.png"
set title "ops/s by io_uring queue depth (batch = queue depth), VM under TCG"
set xlabel "queue depth"
set ylabel "operations / s"
plot dir."/vm-by-qd.dat" using 1:3 with linespoints lw 2 pt 7 title "IORING_OP_NOP", \
     for [i=1:npick] '' using 1:(column(3+i)) with linespoints lw 2 pt 5 \
	title "URING_CMD ready, ".word(pick1." ".pick2." ".pick3, i), \
     for [i=1:npick] '' using 1:(column(3+npick+i)) with linespoints lw 2 dt 2 pt 9 \
	title "URING_CMD suspending, ".word(pick1." ".pick2." ".pick3, i), \
     '' using 1:(column(4+2*npick)) with lines lw 2 dt 3 lc rgb "black" title "ioctl ready, ".pick1, \
     '' using 1:(column(5+2*npick)) with lines lw 2 dt 4 lc rgb "gray40" title "ioctl suspending, ".pick1

set output dir."/vm-latency.png"
set title "latency submit -> completion by queue depth (batch = queue depth), ".pick1
set ylabel "ns (log)"
plot dir."/vm-latency.dat" using 1:3 with linespoints lw 2 pt 7 lc 1 title "NOP p50", \
     '' using 1:4 with linespoints lw 2 dt 2 pt 6 lc 1 title "NOP p99", \
     '' using 1:5 with linespoints lw 2 pt 5 lc 2 title "ready p50", \
     '' using 1:6 with linespoints lw 2 dt 2 pt 4 lc 2 title "ready p99", \
     '' using 1:7 with linespoints lw 2 pt 9 lc 3 title "suspending p50", \
     '' using 1:8 with linespoints lw 2 dt 2 pt 8 lc 3 title "suspending p99"

unset logscale x
unset xrange
set xtics auto rotate by -20
set output dir."/vm-strategies.png"
set title sprintf("ops/s per storage strategy: io_uring at qd %d / batch %d vs one ioctl per call", qdmax, bmax)
set xlabel "strategy"
set ylabel "operations / s (log)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
plot dir."/vm-strategies.dat" using 2:xtic(1) title "URING_CMD ready", \
     '' using 4 title "URING_CMD ready, failures injected", \
     '' using 3 title "URING_CMD suspending", \
     '' using 5 title "ioctl ready", \
     '' using 6 title "ioctl suspending"

set output dir."/vm-cost.png"
set title sprintf("cost per operation from median latency (p50 / batch): io_uring at qd %d / batch %d vs ioctl", qdmax, bmax)
set xlabel ""
set ylabel "ns per operation"
unset logscale y
set yrange [0:*]
plot dir."/vm-cost.dat" using 2:xtic(1) title "io_uring", \
     '' using 3 title "one ioctl per operation"
