/* fig-bi - data for Figure 3 (doc/theory.md §3, §5): the batch improvement
 * BI_M = TV(P,Q) - rho_M(P,Q) of recursive rejection sampling against the
 * number of drafts M, computed by the toolkit's RRS (sd_rrs_bi), beside
 * the paper's closed forms:
 *  --panel bernoulli: Q = Ber(v), P = Ber(a), a >= v:
 *                     BI_M = (a - v)(1 - a^(M-1));
 *  --panel uniform:   P = Unif(V), Q = Unif(V') on V' of the V tokens,
 *                     r = V/V': BI_M = (1 - 1/r) - (1 - 1/r)^M. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prog.h"
#include "rrs.h"

#define MAX_CURVES 16
#define MAX_VOCAB 100000

static void help(void)
{
    printf("Usage: fig-bi --panel bernoulli|uniform [--max-drafts N] [--a LIST] [--v V]\n"
           "              [--vocabs LIST] [--sub-vocab V'] --output FILE\n"
           "Write the batch improvement BI_M of RRS against M = 1..N (default 20) for\n"
           "several token pairs, each curve as two columns: the toolkit's value and the\n"
           "paper's closed form (doc/theory.md §3, Fig. 3).\n\n"
           "  --panel bernoulli    Q = Ber(v), P = Ber(a) for each a of --a (a >= v)\n"
           "  --a LIST             default 0.6,0.7,0.8,0.9,0.95\n"
           "  --v V                default 0.5\n"
           "  --panel uniform      P = Unif(V) for each V of --vocabs, Q = Unif(V') on V'\n"
           "                       of those tokens (V' = --sub-vocab, default 4)\n"
           "  --vocabs LIST        default 5,6,8,12,20,40 (multiples >= V')\n"
           "  --max-drafts N       largest M (default 20)\n\n");
}

typedef struct {
    int panel;
    double a[MAX_CURVES], v;
    size_t na, vocabs[MAX_CURVES], nvoc, vsub, maxM;
} args;

static int panel_arg(sd_cli *c, const char *arg, void *dest)
{
    if (strcmp(arg, "bernoulli") == 0 || strcmp(arg, "uniform") == 0) {
        *(int *)dest = arg[0] == 'u';
        return 0;
    }
    sd_cli_usage_error(c, "--panel: '%s' is not bernoulli or uniform", arg);
    return -1;
}

static int check(sd_cli *c, void *arg)
{
    const args *A = arg;
    const int panel = A->panel;
    const double *a = A->a, v = A->v;
    const size_t na = A->na, *vocabs = A->vocabs, nvoc = A->nvoc, vsub = A->vsub;
    size_t i;
    if (A->maxM > 100000)
        return sd_cli_usage_error(c, "--max-drafts: at most 100000");
    if (panel < 0)
        return sd_cli_usage_error(c, "--panel bernoulli|uniform is required");
    if (panel == 0) {
        for (i = 0; i < na; i++)
            if (!(a[i] >= v && a[i] <= 1.0))
                return sd_cli_usage_error(c, "--a: each a must be in [v, 1] = [%g, 1] "
                                              "(got %g)", v, a[i]);
    } else {
        for (i = 0; i < nvoc; i++)
            if (vocabs[i] < vsub || vocabs[i] > MAX_VOCAB)
                return sd_cli_usage_error(c, "--vocabs: each V must be in [V' = %zu, %d] "
                                              "(got %zu)", vsub, MAX_VOCAB, vocabs[i]);
    }
    return 0;
}

static int run(sd_cli *c, const sd_model *model, void *arg)
{
    const args *A = arg;
    const int panel = A->panel;
    const double *a = A->a, v = A->v;
    const size_t na = A->na, *vocabs = A->vocabs, nvoc = A->nvoc, vsub = A->vsub, maxM = A->maxM;
    double *p = NULL, *q = NULL, *tmp = NULL;
    size_t i, M, x, V, ncurves;
    int rc;
    sd_out out;
    (void)model;
    ncurves = panel == 0 ? na : nvoc;
    V = 2;
    for (i = 0; panel == 1 && i < nvoc; i++)
        V = vocabs[i] > V ? vocabs[i] : V;
    p = malloc(V * sizeof *p);
    q = malloc(V * sizeof *q);
    tmp = malloc(2 * V * sizeof *tmp);
    if (p == NULL || q == NULL || tmp == NULL) {
        free(p); free(q); free(tmp);
        fprintf(stderr, "%s: out of memory\n", c->prog);
        return 3;
    }
    if ((rc = sd_out_open(c, &out)) == 0) {
        /* no model here: program, version and command are the provenance */
        fprintf(out.f, "# %s %s\n# command: %s\n", c->prog, PACKAGE_VERSION, c->command);
        if (panel == 0) {
            fprintf(out.f, "# Figure 3 (top): batch improvement BI_M of RRS, Q = Ber(%g), "
                           "P = Ber(a)\n", v);
            fprintf(out.f, "# closed form: BI_M = (a - v)(1 - a^(M-1))\n# curves a =");
            for (i = 0; i < na; i++)
                fprintf(out.f, " %g", a[i]);
        } else {
            fprintf(out.f, "# Figure 3 (bottom): batch improvement BI_M of RRS, P = Unif(V), "
                           "Q = Unif(V' = %zu) nested\n", vsub);
            fprintf(out.f, "# closed form: BI_M = (1 - 1/r) - (1 - 1/r)^M, r = V/V'\n"
                           "# curves r =");
            for (i = 0; i < nvoc; i++)
                fprintf(out.f, " %g", (double)vocabs[i] / (double)vsub);
        }
        fprintf(out.f, "\n# columns: M, then per curve: toolkit_BI closed_form_BI\n");
        for (M = 1; M <= maxM; M++) {
            fprintf(out.f, "%zu", M);
            for (i = 0; i < ncurves; i++) {
                double bi, cf;
                if (panel == 0) {
                    p[0] = 1.0 - a[i]; p[1] = a[i];
                    q[0] = 1.0 - v; q[1] = v;
                    bi = sd_rrs_bi(p, q, 2, M, tmp);
                    cf = (a[i] - v) * (1.0 - pow(a[i], (double)M - 1.0));
                } else {
                    double rr = (double)vocabs[i] / (double)vsub;
                    for (x = 0; x < vocabs[i]; x++) {
                        p[x] = 1.0 / (double)vocabs[i];
                        q[x] = x < vsub ? 1.0 / (double)vsub : 0.0;
                    }
                    bi = sd_rrs_bi(p, q, vocabs[i], M, tmp);
                    cf = (1.0 - 1.0 / rr) - pow(1.0 - 1.0 / rr, (double)M);
                }
                fprintf(out.f, " %.12f %.12f", bi, cf);
            }
            fprintf(out.f, "\n");
        }
        rc = sd_out_close(c, &out, 1);
    }
    free(p);
    free(q);
    free(tmp);
    return rc;
}

int main(int argc, char **argv)
{
    args a = {-1, {0.6, 0.7, 0.8, 0.9, 0.95}, 0.5, 5, {5, 6, 8, 12, 20, 40}, 6, 4, 20};
    const sd_arg opts[] = {
        {"panel", SD_ARG_FN, &a.panel, NULL, 0, 0, 0, panel_arg, NULL},
        {"max-drafts", SD_ARG_SIZE, &a.maxM, NULL, 1, 0, 0, NULL, NULL},
        {"a", SD_ARG_DOUBLE_LIST, a.a, &a.na, MAX_CURVES, -INFINITY, INFINITY, NULL, NULL},
        {"v", SD_ARG_DOUBLE, &a.v, NULL, 0, 0.0, 1.0, NULL, NULL},
        {"vocabs", SD_ARG_SIZE_LIST, a.vocabs, &a.nvoc, MAX_CURVES, 0, 0, NULL, NULL},
        {"sub-vocab", SD_ARG_SIZE, &a.vsub, NULL, 1, 0, 0, NULL, NULL},
        SD_ARG_END};
    const sd_prog prog = {"fig-bi", help, SD_PROG_OUTPUT, 0, 0, 0, 0, opts, check, run};
    return sd_prog_run(&prog, argc, argv, &a);
}
