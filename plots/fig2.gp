# Figure 2 (doc/theory.md §5): speculative decoding on a 7-state paper-family
# chain with T = 50 (the model of --random 7,50 --model-seed 1).
#  (a) SD: running mean of N_rej over the first 100 N runs against N, with
#      a band of +-2 standard errors and Theorem 1's exact value as a line;
#  (b) batch SD (paper Algorithm 4) with M = 4 and 5 drafts: running means
#      (+-2 standard errors) with Theorem 3's exact values as lines;
#  (c) exact E[N_rej] of batch SD against M = 1..20 (Theorem 3), the
#      M -> infinity limit (Proposition 1) as a line, SD's value at M = 1
#      (Theorem 1), and tree verification (beyond the paper).
# Standalone: gnuplot -e "datadir='paper-figs'; outbase='paper-figs/fig2'; term='png'" plots/fig2.gp
if (!exists("datadir")) datadir = "paper-figs"
if (!exists("outbase")) outbase = "paper-figs/fig2"
if (!exists("term")) term = "png"
if (!exists("horizon")) horizon = 50
if (!exists("bms")) bms = "4 5"
base = "fig2"
fa = datadir . "/" . base . "a.dat"
fc = datadir . "/" . base . "c.dat"
fb(i) = sprintf("%s/%sb-m%s.dat", datadir, base, word(bms, i))

if (term eq "pdf") {
    set terminal pdfcairo size 15in,4.6in font "Sans,10"
    set output outbase . ".pdf"
} else {
    set terminal pngcairo size 1650,540 font "Sans,10"
    set output outbase . ".png"
}
first(f, col) = real(system(sprintf("awk '!/^#/ {print $%d; exit}' %s", col, f)))
exact = first(fa, 4)
limit = first(fc, 4)
sdval = first(fc, 5)
lowest = real(system(sprintf("awk '!/^#/ {m = (m == \"\" || $3 < m) ? $3 : m} END {print m}' %s", fc)))
lowest = lowest < limit ? lowest : limit
# running means and their bands: one colour each; exact values: other colours
c_mean = "#1f77b4"
c_exact = "#d62728"
mcols = "#ff7f0e #2ca02c #17becf #8c564b"
ecols = "#9467bd #000000 #e377c2 #7f7f7f"
# y-range: the +-2 standard-error band from N = 20 on and the exact values,
# with room below for the key (the first points of a running mean are
# start-up noise)
span(files) = system(sprintf("awk '!/^#/ && $1 >= 20 {lo = $3 - 2*$5; hi = $3 + 2*$5; if (n++ == 0 || lo < l) l = lo; if (n == 1 || hi > h) h = hi; if ($4 < l) l = $4; if ($4 > h) h = $4} END {d = h - l; printf \"%%.10g %%.10g\", l - 0.55 * d, h + 0.05 * d}' %s", files))
ra = span(fa)

set multiplot layout 1,3
set grid
set key inside bottom right vertical box opaque samplen 3 spacing 1.1

set title sprintf("(a) speculative decoding, T = %d", horizon)
set xlabel "N (running mean over the first 100 N runs)"
set ylabel "mean number of rejections"
set yrange [real(word(ra, 1)) : real(word(ra, 2))]
plot fa using 1:($3 - 2*$5):($3 + 2*$5) with filledcurves fs transparent solid 0.25 noborder \
         lc rgb c_mean title "±2 standard errors", \
     fa using 1:3 with lines lw 1.5 lc rgb c_mean title "Monte Carlo running mean", \
     exact with lines lw 2 dt 2 lc rgb c_exact title sprintf("Theorem 1: %.4f", exact)

set title sprintf("(b) batch speculative decoding, T = %d", horizon)
bfiles = ""
do for [i=1:words(bms)] { bfiles = bfiles . " " . fb(i) }
rb = span(bfiles)
set yrange [real(word(rb, 1)) : real(word(rb, 2))]
plot for [i=1:words(bms)] fb(i) using 1:($3 - 2*$5):($3 + 2*$5) with filledcurves \
         fs transparent solid 0.2 noborder lc rgb word(mcols, i) \
         title sprintf("M = %s: ±2 standard errors", word(bms, i)), \
     for [i=1:words(bms)] fb(i) using 1:3 with lines lw 1.5 lc rgb word(mcols, i) \
         title sprintf("M = %s: running mean", word(bms, i)), \
     for [i=1:words(bms)] fb(i) using 1:4 with lines lw 2 dt i+1 lc rgb word(ecols, i) \
         title sprintf("M = %s: Theorem 3, %.4f", word(bms, i), first(fb(i), 4))
unset yrange

set title sprintf("(c) exact E[N_{rej}] of batch SD against M, T = %d", horizon)
set xlabel "number of drafts M"
set ylabel "E[N_{rej}]"
set xrange [0.5:20.5]
set yrange [lowest - 0.08 * (sdval - lowest) - 0.05 : sdval + 0.08 * (sdval - lowest) + 0.05]
set key inside top right vertical box opaque samplen 3 spacing 1.1
plot fc using 1:2 with linespoints pt 7 ps 0.8 lw 1.5 lc rgb "#1f77b4" title "batch SD (Theorem 3)", \
     fc using 1:3 with linespoints pt 6 ps 0.7 lw 1 dt 3 lc rgb "#7f7f7f" title "tree verification", \
     limit with lines lw 2 dt 2 lc rgb "#d62728" title sprintf("M -> infinity (Prop. 1): %.4f", limit), \
     fc every ::0::0 using 1:5 with points pt 5 ps 1.6 lc rgb "#000000" title sprintf("SD (Theorem 1): %.4f", sdval)
unset multiplot
