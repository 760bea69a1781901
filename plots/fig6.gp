# Figure 6 (ours, beside the paper's; doc/theory.md §6): multi-draft verification
# on equal terms.  Top: on one paper-family token pair (row t = 1, s = 0 of
# the --random 7,50 --model-seed 1 chains), the acceptance probability of
# k-draft verification: RRS (batch SD), SpecTr's K-SEQ, exponential races
# (ERSD; k distinct drafts, so it may exceed alpha*_k), the optimal
# transport bound alpha*_k over all verifiers of k i.i.d. drafts, and the
# membership upper bound.  Bottom: exact E[N_rej] on the Fig. 2 chains
# (7 states, T = 50) against the number of drafts M, for every rule.
# Standalone: gnuplot -e "datadir='paper-figs'; outbase='paper-figs/fig6'; term='png'" plots/fig6.gp
if (!exists("datadir")) datadir = "paper-figs"
if (!exists("outbase")) outbase = "paper-figs/fig6"
if (!exists("term")) term = "png"
f = datadir . "/fig6.dat"

if (term eq "pdf") {
    set terminal pdfcairo size 6in,8in font "Sans,10"
    set output outbase . ".pdf"
} else {
    set terminal pngcairo size 1000,1100 font "Sans,10"
    set output outbase . ".png"
}
tv = real(system(sprintf("awk '/^# block 0/ {sub(/.*[(]TV = /, \"\"); print $1 + 0; exit}' %s", f)))

set multiplot layout 2,1
set lmargin at screen 0.08
set rmargin at screen 0.66
set grid
set key outside right top box opaque
set xlabel "number of drafts k"
set ylabel "acceptance probability"
set xrange [0.5:*]
set title sprintf("one token pair (row t = 1, s = 0 of the Fig. 2 chains), TV = %.3f", tv)
plot f index 0 using 1:6 with lines lw 1.5 dt 3 lc rgb "#7f7f7f" title "upper bound {/Symbol S}_x min(Q, 1-(1-P)^k)", \
     f index 0 using 1:5 with linespoints lw 2.5 pt 6 lc rgb "#000000" title "optimal {/Symbol a}@^*_k (OT, min-cut)", \
     f index 0 using 1:3 with linespoints lw 1.8 pt 7 lc rgb "#d62728" title "K-SEQ (SpecTr)", \
     f index 0 using 1:2 with linespoints lw 1.8 pt 5 lc rgb "#1f77b4" title "RRS (batch SD)", \
     f index 0 using 1:4 with linespoints lw 1.8 pt 9 lc rgb "#2ca02c" title "ERSD (exponential races)", \
     1 - tv with lines lw 1 dt 2 lc rgb "#8c564b" title "SD: 1 - TV"

set xlabel "number of drafts M"
set ylabel "E[N_{rej}] (exact)"
set title "expected rejections on the Fig. 2 chains (7 states, T = 50)"
plot f index 1 using 1:2 with lines lw 1.5 dt 2 lc rgb "#8c564b" title "SD (Theorem 1)", \
     f index 1 using 1:3 with linespoints lw 1.8 pt 5 lc rgb "#1f77b4" title "batch (RRS, round start)", \
     f index 1 using 1:4 with linespoints lw 1.8 pt 4 dt 4 lc rgb "#1f77b4" title "tree (RRS)", \
     f index 1 using 1:5 with linespoints lw 1.8 pt 7 lc rgb "#d62728" title "K-SEQ (round start)", \
     f index 1 using 1:6 with linespoints lw 1.8 pt 6 dt 4 lc rgb "#d62728" title "K-SEQ tree", \
     f index 1 using 1:7 with linespoints lw 1.8 pt 9 lc rgb "#2ca02c" title "ERSD (round start)"
unset multiplot
