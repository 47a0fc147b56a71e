set termoption noenhanced
set style data histogram
set style histogram errorbars gap 1 lw 1.5
set style fill solid 0.85 border -1
set key top left
set grid ytics
set bars 2
set xtics nomirror scale 0
set bmargin 4
set key top left vertical
set terminal pngcairo size 1500,700 font 'DejaVu Sans,12' noenhanced
set output 'peers-latency.png'
set multiplot title "tether and its peers: median of 3 runs, bars min–max (lower is better)"
set size 0.74,0.93
set origin 0,0
set key top right
set title "latencies (ms, log scale; pm2's readiness is a push, supervisord has none)"
set ylabel "ms"
set xtics ()
set logscale y
set format y '%g'
set yrange [*:*]
plot 
set size 0.26,0.93
set origin 0.74,0
set key top left
set title "time to full stop, defaults"
set ylabel "s"
set xtics ()
unset logscale y
set format y '%g'
set yrange [0:*]
plot 
unset multiplot
set output 'peers-resources.png'
set multiplot layout 1,3 title "resources and containment: median of 3 runs, bars min–max (lower is better)"
set title "(6) 200 MB of 100-byte lines"
set ylabel "s"
set xtics ("wall time" 0, "supervisor CPU" 1, "wall, tether\nraw log" 2, "CPU, tether\nraw log" 3)
unset logscale y
set format y '%g'
set yrange [0:*]
plot 'peers.dat' index 2 using 1:2:3 title "tether" lc rgb "#1b9e77", 'peers.dat' index 2 using 4:5:6 title "supervisord" lc rgb "#d95f02", 'peers.dat' index 2 using 7:8:9 title "pm2" lc rgb "#7570b3", 'peers.dat' index 2 using 13:14:15 title "hand-written" lc rgb "#1b9e77"
set title "(7) supervisor RSS, idle"
set ylabel "MiB"
set xtics ()
unset logscale y
set format y '%g'
set yrange [0:*]
plot 
set title "(4) processes left, of 4"
set ylabel "processes"
set xtics ()
unset logscale y
set format y '%g'
set yrange [0:6]
plot 
unset multiplot
reset
set termoption noenhanced
set terminal pngcairo size 1300,416 font 'DejaVu Sans,12' noenhanced
set output 'peers-ratios.png'
set title 'tether ÷ peer, paired run by run: median, bars min–max (left of the red line: tether better)'
set logscale x
set format x '%g'
set grid xtics
set xlabel 'ratio (log scale)'
set yrange [-0.7:*] reverse
set ytics nomirror
set key off
set xrange [*:*]
set arrow from 1, graph 0 to 1, graph 1 nohead lc rgb 'red' lw 2
plot 'peers-ratios.dat' using 2:0:3:4:ytic(1) with xerrorbars pt 7 ps 1.5 lc rgb '#1b9e77'
