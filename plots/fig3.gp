# Figure 3 (doc/theory.md §3, §5): batch improvement BI_M = TV(P,Q) - rho_M(P,Q) of
# recursive rejection sampling against the number of drafts M.  Lines: the
# toolkit's RRS (sd_rrs_bi); points: the paper's closed forms.
#  top:    Q = Ber(0.5), P = Ber(a):  BI_M = (a - 0.5)(1 - a^(M-1));
#  bottom: P = Unif(V), Q = Unif(V') nested, r = V/V':
#          BI_M = (1 - 1/r) - (1 - 1/r)^M.
# Standalone: gnuplot -e "datadir='paper-figs'; outbase='paper-figs/fig3'; term='png'" plots/fig3.gp
if (!exists("datadir")) datadir = "paper-figs"
if (!exists("outbase")) outbase = "paper-figs/fig3"
if (!exists("term")) term = "png"
fa = datadir . "/fig3a.dat"
fb = datadir . "/fig3b.dat"

if (term eq "pdf") {
    set terminal pdfcairo size 6in,8in font "Sans,10"
    set output outbase . ".pdf"
} else {
    set terminal pngcairo size 1000,1000 font "Sans,10"
    set output outbase . ".png"
}
# the curve labels are on the "# curves a = ..." / "# curves r = ..." line
labels(f) = system(sprintf("awk '/^# curves/ {for (i = 5; i <= NF; i++) printf \"%%s \", $i; exit}' %s", f))
la = labels(fa)
lb = labels(fb)
cols = "#1f77b4 #ff7f0e #2ca02c #d62728 #9467bd #8c564b #e377c2"

set multiplot layout 2,1
set grid
set key outside right top box opaque
set xlabel "number of drafts M"
set ylabel "batch improvement BI_M"
set xrange [0.5:20.5]

set title "Q = Ber(0.5), P = Ber(a)"
plot for [i=1:words(la)] fa using 1:(column(2*i)) with lines lw 1.8 lc rgb word(cols, i) \
         title sprintf("a = %s", word(la, i)), \
     for [i=1:words(la)] fa using 1:(column(2*i+1)) with points pt 7 ps 0.8 lc rgb word(cols, i) \
         notitle, \
     NaN with lines lw 1.8 lc rgb "#000000" title "line: RRS (specdec)", \
     NaN with points pt 7 ps 0.8 lc rgb "#000000" title "point: closed form"

set title "P = Unif(V), Q = Unif(V') on V' = 4 of the tokens, r = V/V'"
plot for [i=1:words(lb)] fb using 1:(column(2*i)) with lines lw 1.8 lc rgb word(cols, i) \
         title sprintf("r = %s", word(lb, i)), \
     for [i=1:words(lb)] fb using 1:(column(2*i+1)) with points pt 7 ps 0.8 lc rgb word(cols, i) \
         notitle, \
     NaN with lines lw 1.8 lc rgb "#000000" title "line: RRS (specdec)", \
     NaN with points pt 7 ps 0.8 lc rgb "#000000" title "point: closed form"
unset multiplot
