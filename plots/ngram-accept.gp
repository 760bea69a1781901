# The distribution of per-position acceptance 1 - TV(draft, target) on a
# real language-model pair: CMU's English trigram model (target) against
# its bigram and unigram models (drafts), on contexts sampled from the
# target (experiments/ngram; data ngram-accept.dat, provenance in its
# header).
# Standalone: gnuplot -e "datadir='paper-figs'; outbase='paper-figs/ngram-accept'; term='png'" plots/ngram-accept.gp
if (!exists("datadir")) datadir = "paper-figs"
if (!exists("outbase")) outbase = "paper-figs/ngram-accept"
if (!exists("term")) term = "png"
f = datadir . "/ngram-accept.dat"

if (term eq "pdf") {
    set terminal pdfcairo size 6in,3.6in font "Sans,10"
    set output outbase . ".pdf"
} else {
    set terminal pngcairo size 1000,600 font "Sans,10"
    set output outbase . ".png"
}
pos = system(sprintf("awk '/on the sampled contexts/ {sub(/.*[(]/, \"\"); print $1 + 0; exit}' %s", f))
set title sprintf("Per-position acceptance 1 - TV on %s target-sampled contexts (CMU en-us trigram model)", pos)
set xlabel "acceptance probability 1 - TV(draft, target) at a position"
set ylabel "density"
set xrange [0:1]
set yrange [0:*]
set grid
set key top left box opaque
set style fill transparent solid 0.45 noborder
bw = 1.0 / 50
plot f using 1:2:(bw) with boxes lc rgb "#1f77b4" title "trigram vs bigram draft", \
     f using 1:3:(bw) with boxes lc rgb "#d62728" title "trigram vs unigram draft"
