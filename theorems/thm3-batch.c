/* thm3-batch - check Theorem 3 and Proposition 1 (doc/theory.md §3) on a model or a
 * random instance: batch speculative decoding (paper Algorithm 4) and
 * tree verification, exact E[N_rej] against literal Monte Carlo
 * simulations, unbiasedness, the M = 1 reduction and the M -> infinity
 * limit. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "cli.h"
#include "thm-cli.h"
#include "exact.h"
#include "thm3.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

enum { OPT_DRAFTS = SD_OPT_FIRST_LOCAL, OPT_NO_TREE };

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
    fputs(sd_cli_help_model, stdout);
    fputs(sd_cli_help_mc, stdout);
    fputs(sd_cli_help_output, stdout);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        SD_CLI_MODEL_OPTIONS, SD_CLI_MC_OPTIONS, SD_CLI_OUTPUT_OPTIONS, SD_THM_CLI_OPTIONS,
        {"drafts", required_argument, 0, OPT_DRAFTS},
        {"no-tree", no_argument, 0, OPT_NO_TREE},
        {0, 0, 0, 0}};
    sd_cli c;
    sd_model m;
    sd_thm_mc mc;
    sd_thm3_opts o;
    sd_checklist l;
    sd_error err;
    size_t pos[SD_THM_MAX_POS], npos = 0, drafts[MAX_DRAFTS] = {2, 4, 5}, ndrafts = 3, i;
    int opt, r, rc;
    sd_out out;
    double mean, lim;

    memset(&mc, 0, sizeof mc);
    mc.p_min = 1e-6;
    memset(&o, 0, sizeof o);
    o.tree = 1;
    sd_cli_init(&c, "thm3-batch", argc, argv, 100000);
    while ((opt = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
        switch (opt) {
        case 'h': help(); return 0;
        case 'V': printf("%s (specdec) %s\n", c.prog, PACKAGE_VERSION); return 0;
        case OPT_DRAFTS:
            if (sd_cli_size_list(&c, "--drafts", optarg, drafts, MAX_DRAFTS, &ndrafts))
                return 2;
            for (i = 0; i < ndrafts; i++)
                if (drafts[i] < 1 || drafts[i] > SD_CLI_MAX_DRAFTS)
                    return sd_cli_usage_error(&c, "--drafts: each M must be in 1..%d",
                                              SD_CLI_MAX_DRAFTS);
            break;
        case OPT_NO_TREE: o.tree = 0; break;
        case '?': return sd_cli_bad_option(&c, argv);
        default:
            r = sd_thm_cli_option(&c, opt, optarg, pos, &npos, &mc);
            if (r < 0)
                return 2;
            break;
        }
    }
    if (sd_cli_finish(&c, argc, argv, 0, 7, 50))
        return 2;
    if ((rc = sd_cli_load_model(&c, &m)) != 0)
        return rc;
    if (sd_thm_cli_settings(&c, m.T, pos, &npos, &mc) != 0) {
        sd_model_free(&m);
        return 2;
    }
    for (i = 0; i < ndrafts; i++)
        if (sd_cli_refuse_cost(&c, &m, SD_ALGO_BATCH, drafts[i], SD_CLI_MAX_WORK_CHECK) ||
            (o.tree && sd_cli_refuse_cost(&c, &m, SD_ALGO_TREE, drafts[i],
                                          SD_CLI_MAX_WORK_CHECK))) {
            sd_model_free(&m);
            return 2;
        }
    o.ndrafts = ndrafts;
    o.strict = c.random && m.T >= 2; /* see sd_thm3_opts */
    o.drafts = drafts;
    sd_checklist_init(&l);
    sd_error_clear(&err);
    if (sd_thm3_check(&m, &o, &mc, &l, &err) != SD_OK ||
        sd_exact_sd_mean(&m, &mean, &err) != SD_OK || sd_batch_limit(&m, &lim, &err) != SD_OK) {
        sd_checklist_free(&l);
        sd_model_free(&m);
        return sd_cli_fail(&c, &err);
    }
    if ((rc = sd_out_open(&c, &out)) == 0) {
        double dd[MAX_DRAFTS];
        for (i = 0; i < ndrafts; i++)
            dd[i] = (double)drafts[i];
        {
            sd_kv extra[] = {
                SD_KV_I("vocab", m.V),
                SD_KV_I("horizon", m.T),
                SD_KV_N("theorem1", mean),
                SD_KV_N("limit", lim),
                SD_KV_A("drafts", dd, ndrafts),
                SD_KV_B("tree", o.tree),
            };
            sd_report_checks(out.f, &c, "3", &l, extra, sizeof extra / sizeof extra[0]);
        }
        rc = sd_out_close(&c, &out, 1);
    }
    r = sd_checklist_pass(&l);
    sd_checklist_free(&l);
    sd_model_free(&m);
    return rc != 0 ? rc : (r ? 0 : 1);
}
