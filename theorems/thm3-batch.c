/* thm3-batch - check Theorem 3 and Proposition 1 (doc/theory.md §3) on a model or a
 * random instance: batch speculative decoding (paper Algorithm 4) and
 * tree verification, exact E[N_rej] against literal Monte Carlo
 * simulations, unbiasedness, the M = 1 reduction and the M -> infinity
 * limit. */
#include <stdio.h>

#include "batch.h"
#include "exact.h"
#include "prog.h"
#include "thm3.h"

#define MAX_DRAFTS 64

static void help(void)
{
    printf("Usage: thm3-batch [MODEL] [--drafts LIST] [--no-tree] [--runs N]\n"
           "Check Theorem 3 and Proposition 1 of Yin et al. (doc/theory.md §3) on a model\n"
           "(default: --random 7,50, the paper family).  For each M: the exact E[N_rej] of\n"
           "batch speculative decoding by the f/g recursion against its printed form and\n"
           "against a literal Monte Carlo simulation of Algorithm 4 (z-test); unbiasedness\n"
           "(output tokens at several positions against the target marginal: per-bin z, zero\n"
           "bins empty, chi-square); batch <= SD; the M -> infinity limit below every M and\n"
           "at least 0 (strictly, on a --random instance with T >= 2); and the same for tree\n"
           "verification (tree <= batch).  M = 1 must reproduce Theorem 1.\n\n"
           "  --drafts LIST        numbers of drafts M (default 2,4,5)\n"
           "  --no-tree            skip tree verification\n"
           "  --positions LIST     positions t whose token law is tested (default 1,T/2,T)\n"
           "  --p-min P            chi-square p-value limit (default 1e-6)\n"
           "  --runs N             simulated runs per algorithm and M (default 100000)\n\n");
}

typedef struct {
    size_t drafts[MAX_DRAFTS], ndrafts;
    int tree;
} args;

static int run(sd_cli *c, const sd_model *m, void *arg)
{
    args *a = arg;
    sd_thm3_opts o = {0};
    sd_checklist l;
    sd_error err;
    double mean, lim, dd[MAX_DRAFTS];
    size_t i;
    for (i = 0; i < a->ndrafts; i++) {
        if (a->drafts[i] > SD_CLI_MAX_DRAFTS)
            return sd_cli_usage_error(c, "--drafts: each M must be in 1..%d", SD_CLI_MAX_DRAFTS);
        if (sd_cli_refuse_cost(c, m, &sd_rule_batch, a->drafts[i], SD_CLI_MAX_WORK_CHECK) ||
            (a->tree && sd_cli_refuse_cost(c, m, &sd_rule_tree, a->drafts[i],
                                           SD_CLI_MAX_WORK_CHECK)))
            return 2;
    }
    o.tree = a->tree;
    o.ndrafts = a->ndrafts;
    o.strict = c->random && m->T >= 2; /* see sd_thm3_opts */
    o.drafts = a->drafts;
    sd_checklist_init(&l);
    sd_error_clear(&err);
    if (sd_thm3_check(m, &o, &c->mc, &l, &err) != SD_OK ||
        sd_exact_sd_mean(m, &mean, &err) != SD_OK || sd_batch_limit(m, &lim, &err) != SD_OK)
        return sd_prog_checks_failed(c, &l, &err);
    for (i = 0; i < a->ndrafts; i++)
        dd[i] = (double)a->drafts[i];
    {
        sd_kv extra[] = {
            SD_KV_N("theorem1", mean),
            SD_KV_N("limit", lim),
            SD_KV_A("drafts", dd, a->ndrafts),
            SD_KV_B("tree", o.tree),
        };
        return sd_prog_report_checks(c, "3", m, &l, extra, sizeof extra / sizeof extra[0]);
    }
}

int main(int argc, char **argv)
{
    args a = {{2, 4, 5}, 3, 1};
    const sd_arg opts[] = {
        {"drafts", SD_ARG_SIZE_LIST, a.drafts, &a.ndrafts, MAX_DRAFTS, 1, 0, NULL, NULL},
        {"no-tree", SD_ARG_FLAG, &a.tree, NULL, 0, 0, 0, NULL, NULL},
        SD_ARG_END};
    const sd_prog prog = {"thm3-batch", help, SD_PROG_THEOREM, 100000, 0, SD_PROG_PAPER_MODEL, opts,
                          NULL, run};
    return sd_prog_run(&prog, argc, argv, &a);
}
