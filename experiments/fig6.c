/* fig6 - data for Figure 6 (ours, beside the paper's; doc/theory.md §6): multi-draft
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

#include "prog.h"
#include "ersd.h"
#include "kseq.h"
#include "otbound.h"
#include "rrs.h"
#include "rule.h"


static void help(void)
{
    char names[256];
    printf("Usage: fig6 [MODEL] [--row T,S] [--kmax K] --output FILE\n"
           "Write the data of Figure 6 (doc/theory.md §6): block 0, on the token pair\n"
           "P_T(S,.), Q_T(S,.) (default row 1,0), the acceptance probability of RRS, K-SEQ,\n"
           "ERSD, the optimal transport bound alpha*_k and the membership upper bound for\n"
           "k = 1..K (default 10); block 1, the exact E[N_rej] of every rule for\n"
           "M = 1..K drafts (%s).\nDefault model: --random 7,50.\n\n",
           sd_rule_names(names, sizeof names, ", ", 0));
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

typedef struct {
    const sd_model *m;
    size_t row[2], K;
} args;

static sd_status write_fig6(FILE *f, void *arg, sd_error *err)
{
    const args *a = arg;
    const sd_model *m = a->m;
    sd_status rc;
    fprintf(f, "# token pair: row t = %zu, s = %zu of the model (P_t(s,.), Q_t(s,.))\n",
            a->row[0], a->row[1]);
    rc = token_block(f, sd_model_p(m, a->row[0], a->row[1]), sd_model_q(m, a->row[0], a->row[1]),
                     m->V, a->K, err);
    return rc == SD_OK ? chain_block(f, m, a->K, err) : rc;
}

static int check(sd_cli *c, void *arg)
{
    const args *a = arg;
    return a->K > 64 ? sd_cli_usage_error(c, "--kmax: at most 64") : 0;
}

static int run(sd_cli *c, const sd_model *m, void *arg)
{
    args *a = arg;
    int rc = sd_cli_row_check(c, m, a->row);
    a->m = m;
    return rc != 0 ? rc : sd_prog_write_data(c, 0, write_fig6, a);
}

int main(int argc, char **argv)
{
    args a = {NULL, {1, 0}, 10};
    const sd_arg opts[] = {
        {"row", SD_ARG_FN, a.row, NULL, 0, 0, 0, sd_cli_row, NULL},
        {"kmax", SD_ARG_SIZE, &a.K, NULL, 1, 0, 0, NULL, NULL},
        SD_ARG_END};
    const sd_prog prog = {"fig6", help, SD_PROG_MODEL | SD_PROG_OUTPUT, 0, 0, SD_PROG_PAPER_MODEL,
                          opts, check, run};
    return sd_prog_run(&prog, argc, argv, &a);
}
