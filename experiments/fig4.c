/* fig4 - data for Figure 4 (doc/theory.md §5): the quality-speed tradeoff of
 * biased rules (doc/theory.md §4, Theorems 4 and 5).
 *
 * --panel a: on one token pair (a row (t, s) of the model), the Pareto
 *   front Loss* = TV - P_rej, a cloud of random acceptance rules b at
 *   (Loss*(b), P_rej(b)), and the over-acceptance sweep b_eps with OPT (on
 *   the front) and UNO (above it).  Three gnuplot data blocks.
 * --panel bc: on the whole chain, rejection probability per token
 *   (expected rejections / T) and per-step bias per token of OPT and UNO
 *   against eps.
 * Everything is exact except the random b's of the cloud, which come from
 * stream (seed, 0) of the generator, so the file is reproducible. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "biased.h"
#include "prog.h"
#include "exact.h"
#include "rng.h"
#include "tradeoff.h"

static void help(void)
{
    printf("Usage: fig4 [MODEL] --panel a|bc [--row T,S] [--cloud N] [--eps-max E]\n"
           "            [--eps-points N] [--seed S] --output FILE\n"
           "Write gnuplot data for Figure 4 (doc/theory.md §4 and §5) with the provenance in\n"
           "'#' lines.  Default model: --random 7,50 (the paper family).\n\n"
           "  --panel a            one token pair (row --row of the model): the front\n"
           "                       Loss* = TV - P_rej (block 0), N random acceptance rules\n"
           "                       b as (Loss*, P_rej, Loss_UNO) (block 1), and the b_eps\n"
           "                       sweep: eps, P_rej, Loss_OPT, Loss_UNO (block 2)\n"
           "  --panel bc           the chain: per token, expected rejections / T and\n"
           "                       per-step bias sum / T of OPT and UNO against eps\n"
           "  --row T,S            the token pair of panel a: P_T(S,.), Q_T(S,.) (default 1,0)\n"
           "  --cloud N            random b's in panel a (default 3000)\n"
           "  --eps-max E          largest eps of the sweeps (default 0.5)\n"
           "  --eps-points N       number of eps values, from 0 (default 201)\n\n");
}

/* One random acceptance rule: to spread the cloud over the attainable
 * region, a third are i.i.d. U(0,1), a third c*U (rarely accepting) and a
 * third 1 - c*U (over-accepting-ish), c ~ U(0,1) per rule. */
static void random_b(gsl_rng *g, size_t V, double *b)
{
    double c = gsl_rng_uniform(g);
    unsigned long kind = gsl_rng_uniform_int(g, 3);
    size_t x;
    for (x = 0; x < V; x++) {
        double u = gsl_rng_uniform(g);
        b[x] = kind == 0 ? u : kind == 1 ? c * u : 1.0 - c * u;
    }
}

static void write_panel_a(FILE *f, const sd_model *m, size_t t, size_t s, size_t ncloud,
                          uint64_t seed, double eps_max, size_t neps, double *buf)
{
    const size_t V = m->V;
    const double *p = sd_model_p(m, t, s), *q = sd_model_q(m, t, s);
    double *b = buf, *w = buf + V, *r = buf + 2 * V, tv = sd_tv(p, q, V);
    gsl_rng *g = sd_rng_stream_alloc(NULL, seed, 0);
    size_t i, x;
    fprintf(f, "# panel (a): token pair P = P_%zu(%zu,.), Q = Q_%zu(%zu,.), TV(P,Q) = %.10f\n",
            t, s, t, s, tv);
    fprintf(f, "# P =");
    for (x = 0; x < V; x++)
        fprintf(f, " %.6f", p[x]);
    fprintf(f, "\n# Q =");
    for (x = 0; x < V; x++)
        fprintf(f, " %.6f", q[x]);
    fprintf(f, "\n# cloud: %zu random b from stream (seed=%llu, 0)\n", ncloud,
            (unsigned long long)seed);
    fprintf(f, "# block 0 (front, Theorem 5): columns loss_star p_rej\n");
    fprintf(f, "0 %.10f\n%.10f 0\n\n\n", tv, tv);
    fprintf(f, "# block 1 (random b): columns loss_star p_rej loss_uno\n");
    for (i = 0; i < ncloud; i++) {
        random_b(g, V, b);
        sd_biased_mass(b, p, V, w);
        fprintf(f, "%.10f %.10f %.10f\n", sd_biased_loss_star(w, q, V),
                1.0 - sd_biased_accept(w, V), sd_biased_loss_tv(w, q, q, V));
    }
    fprintf(f, "\n\n# block 2 (b_eps sweep): columns eps p_rej loss_opt loss_uno\n");
    for (i = 0; i < neps; i++) {
        double eps = neps > 1 ? eps_max * (double)i / (double)(neps - 1) : 0.0;
        sd_biased_w_eps(p, q, V, eps, w);
        sd_biased_r_star(w, q, V, r);
        fprintf(f, "%.6f %.10f %.10f %.10f\n", eps, 1.0 - sd_biased_accept(w, V),
                sd_biased_loss_tv(w, r, q, V), sd_biased_loss_tv(w, q, q, V));
    }
    /* typical acceptance (Medusa) with vLLM's defaults, a biased rule */
    sd_biased_w_typical(p, q, V, 0.09, 0.3, w);
    fprintf(f, "\n\n# block 3 (typical acceptance, eps = 0.09, delta = 0.3, threshold "
               "%.6f): columns loss_star p_rej loss_uno\n",
            sd_biased_typical_threshold(q, V, 0.09, 0.3));
    fprintf(f, "%.10f %.10f %.10f\n", sd_biased_loss_star(w, q, V), 1.0 - sd_biased_accept(w, V),
            sd_biased_loss_tv(w, q, q, V));
    gsl_rng_free(g);
}

static int write_panel_bc(FILE *f, const sd_cli *c, const sd_model *m, double eps_max,
                          size_t neps)
{
    sd_tradeoff tr;
    sd_error err;
    double sdmean, T = (double)m->T;
    size_t i;
    int k;
    sd_error_clear(&err);
    if (sd_exact_sd_mean(m, &sdmean, &err) != SD_OK || sd_tradeoff_alloc(&tr, m, &err) != SD_OK)
        return sd_cli_fail(c, &err);
    fprintf(f, "# panels (b), (c): the chain with b_eps; per token = value / T, T = %zu\n",
            m->T);
    fprintf(f, "# speculative decoding (eps = 0, Theorem 1): E[N_rej] = %.10f, "
               "rejection probability per token = %.10f\n", sdmean, sdmean / T);
    fprintf(f, "# columns: eps rej_opt bias_opt rej_uno bias_uno front_opt\n"
               "#   rej_* = expected rejections / T, bias_* = per-step bias sum / T,\n"
               "#   front_opt = sum_t nu_t.tau_t / T of OPT (= rej_opt + bias_opt)\n");
    for (i = 0; i < neps; i++) {
        double eps = neps > 1 ? eps_max * (double)i / (double)(neps - 1) : 0.0;
        sd_tradeoff_result res[2];
        for (k = 0; k < 2; k++) {
            sd_tradeoff_set_eps(&tr, eps, (sd_resample)k);
            if (sd_tradeoff_exact(&tr, &res[k], &err) != SD_OK) {
                sd_tradeoff_free(&tr);
                return sd_cli_fail(c, &err);
            }
        }
        fprintf(f, "%.6f %.10f %.10f %.10f %.10f %.10f\n", eps,
                res[0].expected_rejections / T, res[0].bias_sum / T,
                res[1].expected_rejections / T, res[1].bias_sum / T, res[0].tv_sum / T);
    }
    sd_tradeoff_free(&tr);
    return 0;
}

typedef struct {
    const char *panel;
    size_t row[2], ncloud, neps;
    double eps_max;
} args;

static int panel_arg(sd_cli *c, const char *arg, void *dest)
{
    if (strcmp(arg, "a") != 0 && strcmp(arg, "bc") != 0) {
        sd_cli_usage_error(c, "--panel: '%s' is not a or bc", arg);
        return -1;
    }
    *(const char **)dest = arg;
    return 0;
}

static int check(sd_cli *c, void *arg)
{
    const args *a = arg;
    return a->panel == NULL ? sd_cli_usage_error(c, "--panel a or --panel bc is required") : 0;
}

static int run(sd_cli *c, const sd_model *m, void *arg)
{
    const args *a = arg;
    sd_out out;
    double *buf;
    int rc, r;
    if ((rc = sd_cli_row_check(c, m, a->row)) != 0)
        return rc;
    buf = malloc(3 * m->V * sizeof *buf);
    if (buf == NULL) {
        fprintf(stderr, "%s: out of memory\n", c->prog);
        return 3;
    }
    if ((rc = sd_out_open(c, &out)) == 0) {
        sd_cli_comment_provenance(out.f, c, 0);
        if (strcmp(a->panel, "a") == 0)
            write_panel_a(out.f, m, a->row[0], a->row[1], a->ncloud, c->mc.seed, a->eps_max,
                          a->neps, buf);
        else
            rc = write_panel_bc(out.f, c, m, a->eps_max, a->neps);
        r = sd_out_close(c, &out, rc == 0);
        if (rc == 0)
            rc = r;
    }
    free(buf);
    return rc;
}

int main(int argc, char **argv)
{
    args a = {NULL, {1, 0}, 3000, 201, 0.5};
    const sd_arg opts[] = {
        {"panel", SD_ARG_FN, &a.panel, NULL, 0, 0, 0, panel_arg, NULL},
        {"row", SD_ARG_FN, a.row, NULL, 0, 0, 0, sd_cli_row, NULL},
        {"cloud", SD_ARG_SIZE, &a.ncloud, NULL, 0, 0, 0, NULL, NULL},
        {"eps-max", SD_ARG_DOUBLE, &a.eps_max, NULL, 0, 0.0, 1e6, NULL, NULL},
        {"eps-points", SD_ARG_SIZE, &a.neps, NULL, 1, 0, 0, NULL, NULL},
        SD_ARG_END};
    const sd_prog prog = {"fig4", help, SD_PROG_MODEL | SD_PROG_MC | SD_PROG_OUTPUT, 0, 0,
                          SD_PROG_PAPER_MODEL, opts, check, run};
    return sd_prog_run(&prog, argc, argv, &a);
}
