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

#include "cli.h"
#include "rrs.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

enum { OPT_PANEL = SD_OPT_FIRST_LOCAL, OPT_MAX_DRAFTS, OPT_A, OPT_V, OPT_VOCABS, OPT_VSUB };

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
    fputs(sd_cli_help_output, stdout);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        SD_CLI_OUTPUT_OPTIONS,
        {"panel", required_argument, 0, OPT_PANEL},
        {"max-drafts", required_argument, 0, OPT_MAX_DRAFTS},
        {"a", required_argument, 0, OPT_A},
        {"v", required_argument, 0, OPT_V},
        {"vocabs", required_argument, 0, OPT_VOCABS},
        {"sub-vocab", required_argument, 0, OPT_VSUB},
        {0, 0, 0, 0}};
    sd_cli c;
    double a[MAX_CURVES] = {0.6, 0.7, 0.8, 0.9, 0.95}, v = 0.5, *p = NULL, *q = NULL,
           *tmp = NULL;
    size_t na = 5, vocabs[MAX_CURVES] = {5, 6, 8, 12, 20, 40}, nvoc = 6, vsub = 4, maxM = 20;
    size_t i, M, x, V, ncurves;
    int opt, r, rc, panel = -1;
    sd_out out;

    sd_cli_init(&c, "fig-bi", argc, argv, 0);
    while ((opt = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
        switch (opt) {
        case 'h': help(); return 0;
        case 'V': printf("%s (specdec) %s\n", c.prog, PACKAGE_VERSION); return 0;
        case OPT_PANEL:
            if (strcmp(optarg, "bernoulli") == 0)
                panel = 0;
            else if (strcmp(optarg, "uniform") == 0)
                panel = 1;
            else
                return sd_cli_usage_error(&c, "--panel: '%s' is not bernoulli or uniform",
                                          optarg);
            break;
        case OPT_MAX_DRAFTS:
            if (sd_cli_size(&c, "--max-drafts", optarg, 1, &maxM))
                return 2;
            if (maxM > 100000)
                return sd_cli_usage_error(&c, "--max-drafts: at most 100000");
            break;
        case OPT_A:
            if (sd_cli_double_list(&c, "--a", optarg, a, MAX_CURVES, &na))
                return 2;
            break;
        case OPT_V:
            if (sd_cli_double(&c, "--v", optarg, 0.0, 1.0, &v))
                return 2;
            break;
        case OPT_VOCABS:
            if (sd_cli_size_list(&c, "--vocabs", optarg, vocabs, MAX_CURVES, &nvoc))
                return 2;
            break;
        case OPT_VSUB:
            if (sd_cli_size(&c, "--sub-vocab", optarg, 1, &vsub))
                return 2;
            break;
        case '?': return sd_cli_bad_option(&c, argv);
        default:
            r = sd_cli_option(&c, opt, optarg);
            if (r < 0)
                return 2;
            break;
        }
    }
    if (sd_cli_finish(&c, argc, argv, 0, 0, 0))
        return 2;
    if (panel < 0)
        return sd_cli_usage_error(&c, "--panel bernoulli|uniform is required");
    if (panel == 0) {
        for (i = 0; i < na; i++)
            if (!(a[i] >= v && a[i] <= 1.0))
                return sd_cli_usage_error(&c, "--a: each a must be in [v, 1] = [%g, 1] "
                                              "(got %g)", v, a[i]);
    } else {
        for (i = 0; i < nvoc; i++)
            if (vocabs[i] < vsub || vocabs[i] > MAX_VOCAB)
                return sd_cli_usage_error(&c, "--vocabs: each V must be in [V' = %zu, %d] "
                                              "(got %zu)", vsub, MAX_VOCAB, vocabs[i]);
    }
    ncurves = panel == 0 ? na : nvoc;
    V = 2;
    for (i = 0; panel == 1 && i < nvoc; i++)
        V = vocabs[i] > V ? vocabs[i] : V;
    p = malloc(V * sizeof *p);
    q = malloc(V * sizeof *q);
    tmp = malloc(2 * V * sizeof *tmp);
    if (p == NULL || q == NULL || tmp == NULL) {
        free(p); free(q); free(tmp);
        fprintf(stderr, "%s: out of memory\n", c.prog);
        return 3;
    }
    if ((rc = sd_out_open(&c, &out)) == 0) {
        /* no model here: program, version and command are the provenance */
        fprintf(out.f, "# %s %s\n# command: %s\n", c.prog, PACKAGE_VERSION, c.command);
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
        rc = sd_out_close(&c, &out, 1);
    }
    free(p);
    free(q);
    free(tmp);
    return rc;
}
