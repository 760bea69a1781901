# Figure 4 (doc/theory.md §4, §5): the quality-speed tradeoff of biased rules.
# (a) one token pair (row t=1, s=0 of the Fig. 2 chains): bias Loss*
#     horizontal, rejection probability vertical; the Pareto front
#     Loss* = TV - P_rej (Theorem 5), the unattainable region below it
#     shaded, random acceptance rules b as a cloud, and the b_eps sweep:
#     Decoding-OPT on the front, Decoding-UNO above it, and typical
#     acceptance (Medusa; vLLM's defaults eps 0.09, delta 0.3) with R*.
# (b), (c) the Fig. 2 chains (7 states, T = 50) with b_eps: rejection
#     probability per token (E[N_rej]/T) and per-step bias per token of
#     OPT and UNO against eps, with the Theorem 4/5 boundary: OPT's
#     rejections + bias = sum_t nu_t.TV_t / T (column front_opt), so in
#     (b) the gap between the front and OPT's curve is OPT's bias and in
#     (c) the gap is OPT's rejection rate.
# Standalone: gnuplot -e "datadir='paper-figs'; outbase='paper-figs/fig4'; term='png'" plots/fig4.gp
if (!exists("datadir")) datadir = "paper-figs"
if (!exists("outbase")) outbase = "paper-figs/fig4"
if (!exists("term")) term = "png"
fa = datadir . "/fig4a.dat"
fb = datadir . "/fig4bc.dat"

if (term eq "pdf") {
    set terminal pdfcairo size 12in,3.8in font "Sans,9"
    set output outbase . ".pdf"
} else {
    set terminal pngcairo size 1650,540 font "Sans,10"
    set output outbase . ".png"
}
tv = real(system(sprintf("awk '!/^#/ && NF == 2 {print $2; exit}' %s", fa)))
sdrate = real(system(sprintf("awk '/rejection probability per token =/ {print $NF; exit}' %s", fb)))

c_opt = "#1f77b4"
c_uno = "#d62728"
c_cloud = "#9a9a9a"
c_front = "#000000"

set multiplot layout 1,3
set grid
set key box opaque

# ---- (a) the front on one token pair ----------------------------------------
set title sprintf("(a) one token pair: Pareto front, TV(P,Q) = %.3f", tv)
set xlabel "bias  Loss^*(b)  (TV of output to Q, best R)"
set ylabel "rejection probability  1 - {/Symbol S} b P"
set xrange [0:1.1 * tv]
set yrange [0:1]
set key top right spacing 1.5
set label 1 "unattainable\n(Theorem 5)" at 0.12 * tv, 0.25 * tv left front tc rgb "#7f4f00"
plot fa index 0 using 1:2 with filledcurves x1 fs transparent solid 0.35 noborder lc rgb "#f0b050" notitle, \
     fa index 1 using 1:2 with points pt 7 ps 0.25 lc rgb c_cloud title "random b", \
     fa index 0 using 1:2 with lines lw 2.5 lc rgb c_front title "front: Loss^* = TV - P_{rej}", \
     fa index 2 using 4:2 with linespoints lw 1.5 pt 6 ps 0.6 pi 20 lc rgb c_uno title "UNO (R = Q), b_{/Symbol e}", \
     fa index 2 using 3:2 with linespoints lw 1.5 pt 7 ps 0.6 pi 20 lc rgb c_opt title "OPT (R = R^*), b_{/Symbol e}", \
     fa index 3 using 1:2 with points pt 13 ps 2.2 lc rgb "#8c2d04" title "typical acceptance ({/Symbol e} 0.09, {/Symbol d} 0.3), R^*"
unset label 1

# ---- (b) rejection probability on the chains --------------------------------
set title "(b) Fig. 2 chains (V = 7, T = 50): rejection probability"
set xlabel "over-acceptance {/Symbol e}"
set ylabel "expected rejections / T"
set xrange [0:*]
set yrange [0:*]
set key center right spacing 1.5
set arrow 1 from 0.1, graph 0 to 0.1, graph 1 nohead dt 3 lc rgb "#808080"
set arrow 2 from 0.2, graph 0 to 0.2, graph 1 nohead dt 3 lc rgb "#808080"
set arrow 3 from 0.4, graph 0 to 0.4, graph 1 nohead dt 3 lc rgb "#808080"
plot fb using 1:4 with lines lw 4 lc rgb c_uno title "UNO (same b_{/Symbol e}: nearly equal)", \
     fb using 1:2 with lines lw 1.5 lc rgb c_opt title "OPT", \
     sdrate with lines dt 2 lw 1.5 lc rgb "#7f7f7f" title sprintf("SD ({/Symbol e} = 0): %.3f", sdrate), \
     fb using 1:6 with lines lw 2 dt 4 lc rgb c_front title "Theorem 5 front: P_{rej} + Loss^* of OPT"

# ---- (c) bias on the chains ------------------------------------------------
set title "(c) Fig. 2 chains: per-step bias (OPT on the front, UNO above)"
set ylabel "per-step bias sum / T"
set key bottom right spacing 1.5
plot fb using 1:5 with lines lw 2 lc rgb c_uno title "UNO (R = Q)", \
     fb using 1:3 with lines lw 2 lc rgb c_opt title "OPT (R = R^*)", \
     fb using 1:6 with lines lw 2 dt 4 lc rgb c_front title "Theorem 5 front: P_{rej} + Loss^* of OPT"
unset multiplot
