# Figure 5 (SPEC.md 5): speculative decoding on a 7-state paper-family
# chain with T = 100.  Panel (a): running mean of N_rej over 100*N runs
# against N, with Theorem 1's exact value as a line.
# Standalone: gnuplot -e "datadir='paper-figs'; outbase='paper-figs/fig5'; term='png'" plots/fig2.gp
if (!exists("datadir")) datadir = "paper-figs"
if (!exists("outbase")) outbase = "paper-figs/fig5"
if (!exists("term")) term = "png"
if (!exists("horizon")) horizon = 100
fa = datadir . "/" . (horizon == 50 ? "fig2a.dat" : "fig5a.dat")

if (term eq "pdf") {
    set terminal pdfcairo size 5in,3.6in font "Sans,9"
    set output outbase . ".pdf"
} else {
    set terminal pngcairo size 800,560 font "Sans,10"
    set output outbase . ".png"
}
exact = real(system(sprintf("awk '!/^#/ {print $4; exit}' %s", fa)))
set title sprintf("(a) speculative decoding, T = %d: running mean of N_{rej}", horizon)
set xlabel "N (running mean over the first 100 N runs)"
set ylabel "mean number of rejections"
set key top right box opaque
set grid
plot fa using 1:3 with lines lw 1.5 lc rgb "#1f77b4" title "Monte Carlo running mean", \
     exact with lines lw 2 dt 2 lc rgb "#d62728" title sprintf("Theorem 1: E[N_{rej}] = %.4f", exact)
