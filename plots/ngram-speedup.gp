# Speed-up against the draft length gamma on a real language-model pair
# (CMU's English trigram model; drafts: its bigram and unigram models),
# for draft/target cost ratios c = 0.02 (top) and 0.1 (bottom):
# exact on the sampled paths (trace), the literal simulation (SD), the
# closed form of Leviathan et al. with the mean acceptance, block
# verification (exact on the paths, and simulated), and the multi-draft bound (alpha*_k at the
# first draft, Leviathan form).  Data: ngram-speedup.dat (experiments/ngram).
# Standalone: gnuplot -e "datadir='paper-figs'; outbase='paper-figs/ngram-speedup'; term='png'" plots/ngram-speedup.gp
if (!exists("datadir")) datadir = "paper-figs"
if (!exists("outbase")) outbase = "paper-figs/ngram-speedup"
if (!exists("term")) term = "png"
f = datadir . "/ngram-speedup.dat"

if (term eq "pdf") {
    set terminal pdfcairo size 6.5in,8in font "Sans,9"
    set output outbase . ".pdf"
} else {
    set terminal pngcairo size 1100,1200 font "Sans,10"
    set output outbase . ".png"
}
set multiplot layout 2,1
set grid
set key outside right top box opaque
set xlabel "draft length gamma"
set ylabel "speed-up over autoregressive decoding"
set xrange [0.5:*]
set lmargin at screen 0.08
set rmargin at screen 0.62
do for [i = 0:1] {
    cst = system(sprintf("awk '/^# c = / {n++; if (n == %d) {print $4; exit}}' %s", i + 1, f))
    set title sprintf("cost ratio c = %s", cst)
    plot f index i using 1:2:3 with yerrorlines lw 2 pt 7 lc rgb "#1f77b4" title "bigram: exact on path", \
         f index i using 1:4:5 with yerrorbars pt 6 ps 1.5 lc rgb "#000000" title "bigram: simulated SD", \
         f index i using 1:6 with lines dt 2 lw 1.5 lc rgb "#1f77b4" title "bigram: Leviathan form", \
         f index i using 1:18:19 with yerrorlines lw 1.5 pt 5 lc rgb "#2ca02c" title "bigram: block, exact on path", \
         f index i using 1:7:8 with yerrorbars pt 4 ps 1.5 lc rgb "#2ca02c" title "bigram: block, simulated", \
         f index i using 1:9 with lines dt 3 lw 1.5 lc rgb "#9467bd" title "bigram: multi-draft bound", \
         f index i using 1:10:11 with yerrorlines lw 2 pt 7 lc rgb "#d62728" title "unigram: exact on path", \
         f index i using 1:12:13 with yerrorbars pt 6 ps 1.5 lc rgb "#7f7f7f" title "unigram: simulated SD", \
         f index i using 1:14 with lines dt 2 lw 1.5 lc rgb "#d62728" title "unigram: Leviathan form", \
         f index i using 1:20:21 with yerrorlines lw 1.5 pt 5 lc rgb "#ff7f0e" title "unigram: block, exact on path", \
         f index i using 1:15:16 with yerrorbars pt 4 ps 1.5 lc rgb "#ff7f0e" title "unigram: block, simulated", \
         f index i using 1:17 with lines dt 3 lw 1.5 lc rgb "#8c564b" title "unigram: multi-draft bound"
}
unset multiplot
