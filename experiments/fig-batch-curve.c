/* fig-batch-curve - data for panel (c) of Figures 2 and 5 (doc/theory.md §5): the
 * exact E[N_rej] of batch speculative decoding (Theorem 3) against the
 * number of drafts M = 1..max, with the M -> infinity limit
 * (Proposition 1), SD's value (Theorem 1, = M = 1) and, beyond the
 * paper, tree verification with the same M.  All exact. */
#include <stdio.h>

#include "batch.h"
#include "exact.h"
#include "prog.h"

static void help(void)
{
    printf("Usage: fig-batch-curve [MODEL] [--max-drafts N] --output FILE\n"
           "Write the exact E[N_rej] of batch SD (Theorem 3) and of tree verification for\n"
           "M = 1..N drafts (default N = 20) beside the M -> infinity limit (Proposition 1)\n"
           "and SD's value (Theorem 1), as gnuplot data with the provenance in '#' lines.\n"
           "Default model: --random 7,50.\n\n"
           "  --max-drafts N       largest M (default 20)\n\n");
}

typedef struct {
    const sd_model *m;
    size_t maxM;
} args;

static sd_status write_curve(FILE *f, void *arg, sd_error *err)
{
    const args *a = arg;
    double E1, lim, eb, et;
    size_t M;
    sd_batch_ws *w;
    sd_status rc = sd_exact_sd_mean(a->m, &E1, err);
    if (rc == SD_OK)
        rc = sd_batch_limit(a->m, &lim, err);
    if (rc != SD_OK)
        return rc;
    /* one workspace for every M */
    if ((w = sd_batch_ws_alloc(a->m->V, a->maxM)) == NULL)
        return sd_error_set(err, SD_ENOMEM, "out of memory (V = %zu, M = %zu)", a->m->V, a->maxM);
    fprintf(f, "# figure panel (c): exact E[N_rej] of batch SD (Theorem 3) against M\n");
    fprintf(f, "# SD (Theorem 1) = %.10f, limit M -> infinity (Proposition 1) = %.10f\n", E1,
            lim);
    fprintf(f, "# columns: M batch_exact tree_exact limit sd\n");
    for (M = 1; rc == SD_OK && M <= a->maxM; M++) {
        rc = sd_batch_exact_ws(a->m, M, w, &eb, NULL, err);
        if (rc == SD_OK)
            rc = sd_batch_tree_exact_ws(a->m, M, w, &et, NULL, err);
        if (rc == SD_OK)
            fprintf(f, "%zu %.10f %.10f %.10f %.10f\n", M, eb, et, lim, E1);
    }
    sd_batch_ws_free(w);
    return rc;
}

static int check(sd_cli *c, void *arg)
{
    const args *a = arg;
    return a->maxM > 100000 ? sd_cli_usage_error(c, "--max-drafts: at most 100000") : 0;
}

static int run(sd_cli *c, const sd_model *m, void *arg)
{
    args *a = arg;
    a->m = m;
    return sd_prog_write_data(c, 0, write_curve, a);
}

int main(int argc, char **argv)
{
    args a = {NULL, 20};
    const sd_arg opts[] = {{"max-drafts", SD_ARG_SIZE, &a.maxM, NULL, 1, 0, 0, NULL, NULL},
                           SD_ARG_END};
    const sd_prog prog = {"fig-batch-curve", help, SD_PROG_MODEL | SD_PROG_OUTPUT, 0, 0,
                          SD_PROG_PAPER_MODEL, opts, check, run};
    return sd_prog_run(&prog, argc, argv, &a);
}
