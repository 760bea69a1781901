# Figure 7 (ours): draft length and wall time on the Fig. 2 chains
# (7 states, T = 50, --random 7,50 --model-seed 1).  Left: tokens per target
# call against the draft length gamma: token-by-token verification (exact
# line, simulated points with 2 standard errors), block verification (Sun
# et al., ICLR 2025; exact where enumerable, simulated), and Leviathan's
# closed form with the chain's mean acceptance.  Middle and right: the
# speed-up T / W over autoregressive decoding for cost ratios c = 0.05 and
# 0.2, with the optimal draft-length policy (gamma chosen per round start
# by backward induction) as a horizontal line.
# Standalone: gnuplot -e "datadir='paper-figs'; outbase='paper-figs/fig7'; term='png'" plots/fig7.gp
if (!exists("datadir")) datadir = "paper-figs"
if (!exists("outbase")) outbase = "paper-figs/fig7"
if (!exists("term")) term = "png"
f = datadir . "/fig7.dat"

if (term eq "pdf") {
    set terminal pdfcairo size 11in,4.4in font "Sans,9"
    set output outbase . ".pdf"
} else {
    set terminal pngcairo size 1500,620 font "Sans,10"
    set output outbase . ".png"
}
c0 = system(sprintf("awk '/^# block 0:/ {sub(/.*c = /, \"\"); sub(/;.*/, \"\"); print; exit}' %s", f))
c1 = system(sprintf("awk '/^# block 1:/ {sub(/.*c = /, \"\"); sub(/;.*/, \"\"); print; exit}' %s", f))

set multiplot layout 1,3
set grid
set key below maxrows 3 box
set xlabel "draft length {/Symbol g}"
set xrange [0.5:*]

set title "(a) tokens per target call"
set ylabel "tokens per call"
plot f index 0 using 1:2 with lines lw 2 lc rgb "#1f77b4" title "token, exact", \
     f index 0 using 1:4:(2*$5) with yerrorbars pt 7 ps 0.6 lc rgb "#1f77b4" title "token, simulated", \
     f index 0 using 1:8 with lines lw 2 lc rgb "#d62728" title "block, exact", \
     f index 0 using 1:10:(2*$11) with yerrorbars pt 5 ps 0.6 lc rgb "#d62728" title "block, simulated", \
     f index 0 using 1:14 with lines lw 2 dt 2 lc rgb "#2ca02c" title "Leviathan closed form"

do for [b=0:1] {
    set title sprintf("(%s) speed-up T / W, c = %s", b == 0 ? "b" : "c", b == 0 ? c0 : c1)
    set ylabel "speed-up over autoregressive"
    plot f index b using 1:3 with lines lw 2 lc rgb "#1f77b4" title "token, exact", \
         f index b using 1:6:(2*$7) with yerrorbars pt 7 ps 0.6 lc rgb "#1f77b4" title "token, simulated", \
         f index b using 1:9 with lines lw 2 lc rgb "#d62728" title "block, exact", \
         f index b using 1:12:(2*$13) with yerrorbars pt 5 ps 0.6 lc rgb "#d62728" title "block, simulated", \
         f index b using 1:15 with lines lw 2 dt 2 lc rgb "#2ca02c" title "Leviathan closed form", \
         f index b using 1:16 with lines lw 2 dt 4 lc rgb "black" title "optimal policy"
}
unset multiplot
