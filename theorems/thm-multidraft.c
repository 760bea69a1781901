/* thm-multidraft - check the multi-draft verification schemes beyond the
 * paper (SPEC 6) on a model or a random instance: K-SEQ, the optimal
 * transport bound alpha*_k and exponential races at the token level on
 * every row (t, s), and the exact chain values of round-start K-SEQ and
 * ERSD and of K-SEQ in tree form against literal Monte Carlo
 * simulations, with unbiasedness. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "thm-cli.h"
#include "exact.h"
#include "thm6.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

enum { OPT_DRAFTS = SD_OPT_FIRST_LOCAL, OPT_KMAX, OPT_CONTROL };

#define MAX_DRAFTS 64

static void help(void)
{
    printf("Usage: thm-multidraft [MODEL] [--drafts LIST] [--kmax K] [--runs N]\n"
           "                      [--control none|kseq-rho1]\n"
           "Check multi-draft verification beyond the paper (SPEC.md 6) on a model (default:\n"
           "--random 7,50, the paper family).  Token level, on every row (t, s) and\n"
           "k = 1..K: K-SEQ's rho* is valid and minimal, K-SEQ at k = 1 is SD, RRS and K-SEQ\n"
           "<= alpha*_k <= the membership bound, alpha*_1 = 1 - TV, K-SEQ >= (1-(1-1/k)^k)\n"
           "alpha*_k, alpha*_k by min-cut = by GLPK's linear program (rows of t = 1), ERSD's\n"
           "k = 1 closed form = its quadrature and <= 1 - TV.  Chain level: K-SEQ and\n"
           "K-SEQ-tree with one draft are Theorem 1, ERSD with one draft rejects at least as\n"
           "often; for each M the exact E[N_rej] of kseq, kseq-tree and ersd against a\n"
           "literal Monte Carlo simulation (z-test) and the output token law against the\n"
           "target marginal (per-bin z, zero bins empty, chi-square).\n\n"
           "  --drafts LIST        numbers of drafts M for the chain checks (default 2,4)\n"
           "  --kmax K             token-level checks for k = 1..K (default 6)\n"
           "  --control C          kseq-rho1: simulate K-SEQ with rho = 1 instead of rho*\n"
           "                       (a biased verifier): the checks must then fail (exit 1)\n"
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
        {"kmax", required_argument, 0, OPT_KMAX},
        {"control", required_argument, 0, OPT_CONTROL},
        {0, 0, 0, 0}};
    sd_cli c;
    sd_model m;
    sd_thm_mc mc;
    sd_thm6_opts o;
    sd_checklist l;
    sd_error err;
    size_t pos[SD_THM_MAX_POS], npos = 0, drafts[MAX_DRAFTS] = {2, 4}, ndrafts = 2, i;
    int opt, r, rc;
    sd_out out;
    double mean;

    memset(&mc, 0, sizeof mc);
    mc.p_min = 1e-6;
    memset(&o, 0, sizeof o);
    o.kmax = 6;
    sd_cli_init(&c, "thm-multidraft", argc, argv, 100000);
    while ((opt = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
        switch (opt) {
        case 'h': help(); return 0;
        case 'V': printf("%s (specdec) %s\n", c.prog, PACKAGE_VERSION); return 0;
        case OPT_DRAFTS:
            if (sd_cli_size_list(&c, "--drafts", optarg, drafts, MAX_DRAFTS, &ndrafts))
                return 2;
            for (i = 0; i < ndrafts; i++)
                if (drafts[i] < 1)
                    return sd_cli_usage_error(&c, "--drafts: each M must be at least 1");
            break;
        case OPT_KMAX:
            if (sd_cli_size(&c, "--kmax", optarg, 1, &o.kmax))
                return 2;
            if (o.kmax > 64)
                return sd_cli_usage_error(&c, "--kmax: at most 64");
            break;
        case OPT_CONTROL:
            if (sd_thm6_control_known(optarg))
                o.control = optarg;
            else if (strcmp(optarg, "none") == 0)
                o.control = NULL;
            else
                return sd_cli_usage_error(&c, "--control: '%s' is not none or kseq-rho1",
                                          optarg);
            break;
        case '?': return sd_cli_usage_error(&c, "bad option");
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
    o.ndrafts = ndrafts;
    o.drafts = drafts;
    sd_checklist_init(&l);
    sd_error_clear(&err);
    if (sd_thm6_check(&m, &o, &mc, &l, &err) != SD_OK ||
        sd_exact_sd_mean(&m, &mean, &err) != SD_OK) {
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
                SD_KV_A("drafts", dd, ndrafts),
                SD_KV_I("kmax", o.kmax),
                SD_KV_S("control", o.control != NULL ? o.control : "none"),
            };
            sd_report_checks(out.f, &c, "multidraft", &l, extra, sizeof extra / sizeof extra[0]);
        }
        rc = sd_out_close(&c, &out, 1);
    }
    r = sd_checklist_pass(&l);
    sd_checklist_free(&l);
    sd_model_free(&m);
    return rc != 0 ? rc : (r ? 0 : 1);
}
