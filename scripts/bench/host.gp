# gnuplot: the host benchmark plots. Called as
#   gnuplot -e "dir='build/bench'" scripts/bench/host.gp
# with dir/host-calls.dat and dir/host-nest.dat written by host_report.py.
set terminal pngcairo size 1100,600 noenhanced font ",10"
set datafile missing "-"
set grid ytics

set output dir."/host-calls.png"
set title "ns per call (median; lower is better): dyn async call per storage vs baselines"
set ylabel "ns per call"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set xtics rotate by -20
set key top left
plot dir."/host-calls.dat" using 2:xtic(1) title "ready, dyn", \
     "" using 3 title "ready, static dispatch", \
     "" using 4 title "suspend once, direct resume", \
     "" using 5 title "suspend once, executor"

set output dir."/host-nesting.png"
set title "nested dyn calls (adaptor chain, ready at once): ns per top-level call"
set style data linespoints
set xlabel "depth (frames per call)"
set xtics 1 norotate
set key top left
plot dir."/host-nest.dat" using 1:2 title "task_stack" lw 2 pt 7, \
     "" using 1:3 title "boxed" lw 2 pt 5
