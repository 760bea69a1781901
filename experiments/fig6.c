/* fig6 - data for Figure 6 (ours, beside the paper's; SPEC 6): multi-draft
 * verification compared on equal terms.
 *  block 0: on one token pair (row (t, s) of the model), the acceptance
 *    probability against k of RRS, K-SEQ, ERSD, the optimal transport bound
 *    alpha*_k and the membership upper bound;
 *  block 1: on the chains, the exact E[N_rej] against the number of drafts
 *    M of every rule of the table (rule.h).
 * Everything is exact (no Monte Carlo); the two blocks are separated by two
 * blank lines (gnuplot 'index 0' and 'index 1'). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ersd.h"
#include "kseq.h"
#include "otbound.h"
#include "rrs.h"
#include "rule.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

enum { OPT_ROW = SD_OPT_FIRST_LOCAL, OPT_KMAX };

static void help(void)
{
    char names[256];
    printf("Usage: fig6 [MODEL] [--row T,S] [--kmax K] --output FILE\n"
           "Write the data of Figure 6 (SPEC.md 6): block 0, on the token pair\n"
           "P_T(S,.), Q_T(S,.) (default row 1,0), the acceptance probability of RRS, K-SEQ,\n"
           "ERSD, the optimal transport bound alpha*_k and the membership upper bound for\n"
           "k = 1..K (default 10); block 1, the exact E[N_rej] of every rule for\n"
           "M = 1..K drafts (%s).\nDefault model: --random 7,50.\n\n",
           sd_rule_names(names, sizeof names, ", ", 0));
    fputs(sd_cli_help_model, stdout);
    fputs(sd_cli_help_output, stdout);
}

/* Block 0; returns an sd_status with err set. */
static sd_status token_block(FILE *f, const double *p, const double *q, size_t V, size_t K,
                             sd_error *err)
{
    double *tmp = malloc(2 * V * sizeof *tmp);
    sd_ersd_ws *ws = NULL;
    size_t k;
    sd_status rc;
    if (tmp == NULL)
        return sd_error_set(err, SD_ENOMEM, "out of memory");
    rc = sd_ersd_ws_alloc(&ws, V, K, SD_ERSD_CHAIN_EPSABS, SD_ERSD_CHAIN_EPSREL,
                          SD_ERSD_CHAIN_LIMIT, err);
    fprintf(f, "# block 0: acceptance probability against k (TV = %.12f, 1 - TV = %.12f)\n",
            sd_tv(p, q, V), 1.0 - sd_tv(p, q, V));
    fprintf(f, "# columns: k rrs kseq ersd optimal upper kseq_rho ersd_abserr\n");
    for (k = 1; rc == SD_OK && k <= K; k++) {
        double ks, rho, er, ee, opt = NAN;
        rc = sd_kseq_accept(p, q, V, k, &ks, &rho, err);
        if (rc == SD_OK)
            rc = sd_ersd_accept(p, q, V, k, ws, &er, &ee, err);
        if (rc == SD_OK && V <= SD_OT_MINCUT_MAX_V)
            rc = sd_ot_mincut(p, q, V, k, &opt, err);
        if (rc == SD_OK)
            fprintf(f, "%zu %.12f %.12f %.12f %.12f %.12f %.12f %.3g\n", k,
                    1.0 - sd_rrs_rho(p, q, V, k, tmp), ks, er, opt, sd_ot_upper(p, q, V, k),
                    rho, ee);
    }
    sd_ersd_ws_free(ws);
    free(tmp);
    return rc;
}

/* Block 1. */
static sd_status chain_block(FILE *f, const sd_model *m, size_t K, sd_error *err)
{
    const sd_rule_type *const *r;
    size_t M;
    sd_status rc = SD_OK;
    fprintf(f, "\n\n# block 1: exact E[N_rej] against the number of drafts M (T = %zu)\n",
            m->T);
    fprintf(f, "# columns: M");
    for (r = sd_rules; *r != NULL; r++)
        fprintf(f, " %s", (*r)->name);
    fputc('\n', f);
    for (M = 1; rc == SD_OK && M <= K; M++) {
        fprintf(f, "%zu", M);
        for (r = sd_rules; rc == SD_OK && *r != NULL; r++) {
            double e;
            rc = sd_rule_exact(*r, m, M, &e, NULL, err);
            if (rc == SD_OK)
                fprintf(f, " %.10f", e);
        }
        fputc('\n', f);
    }
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        SD_CLI_MODEL_OPTIONS, SD_CLI_OUTPUT_OPTIONS,
        {"row", required_argument, 0, OPT_ROW},
        {"kmax", required_argument, 0, OPT_KMAX},
        {0, 0, 0, 0}};
    sd_cli c;
    sd_model m;
    sd_error err;
    size_t row[2] = {1, 0}, K = 10;
    int opt, r, rc;
    sd_out out;

    sd_cli_init(&c, "fig6", argc, argv, 0);
    while ((opt = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
        switch (opt) {
        case 'h': help(); return 0;
        case 'V': printf("%s (specdec) %s\n", c.prog, PACKAGE_VERSION); return 0;
        case OPT_ROW: {
            unsigned long tt, ss;
            char tail;
            if (optarg[0] < '0' || optarg[0] > '9' || strchr(optarg, '-') != NULL ||
                sscanf(optarg, "%lu,%lu%c", &tt, &ss, &tail) != 2)
                return sd_cli_usage_error(&c, "--row: '%s' is not T,S (position, state)",
                                          optarg);
            row[0] = tt;
            row[1] = ss;
            break;
        }
        case OPT_KMAX:
            if (sd_cli_size(&c, "--kmax", optarg, 1, &K))
                return 2;
            if (K > 64)
                return sd_cli_usage_error(&c, "--kmax: at most 64");
            break;
        case '?': return sd_cli_usage_error(&c, "bad option");
        default:
            r = sd_cli_option(&c, opt, optarg);
            if (r < 0)
                return 2;
            break;
        }
    }
    if (sd_cli_finish(&c, argc, argv, 0, 7, 50))
        return 2;
    if ((rc = sd_cli_load_model(&c, &m)) != 0)
        return rc;
    if (row[0] < 1 || row[0] > m.T || row[1] >= m.V) {
        size_t T = m.T, V = m.V;
        sd_model_free(&m);
        return sd_cli_usage_error(&c, "--row: %zu,%zu is not a row (t in 1..%zu, s in 0..%zu)",
                                  row[0], row[1], T, V - 1);
    }
    sd_error_clear(&err);
    if ((rc = sd_out_open(&c, &out)) == 0) {
        sd_cli_comment_provenance(out.f, &c, 0);
        fprintf(out.f, "# token pair: row t = %zu, s = %zu of the model (P_t(s,.), Q_t(s,.))\n",
                row[0], row[1]);
        if (token_block(out.f, sd_model_p(&m, row[0], row[1]), sd_model_q(&m, row[0], row[1]),
                        m.V, K, &err) != SD_OK ||
            chain_block(out.f, &m, K, &err) != SD_OK) {
            sd_out_close(&c, &out, 0);
            sd_model_free(&m);
            return sd_cli_fail(&c, &err);
        }
        rc = sd_out_close(&c, &out, 1);
    }
    sd_model_free(&m);
    return rc;
}
