/* thm2-lower-bound - check Theorem 2 (doc/theory.md §2) on a model or a random
 * instance: random unbiased rules of class F are unbiased, reject at
 * least TV at every row and at least the Theorem 1 value along the
 * chain, and their simulation matches their exact value; SD attains the
 * bound; an over-accepting rule beats it and is caught as biased. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "thm-cli.h"
#include "exact.h"
#include "thm2.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

enum { OPT_CONTROL = SD_OPT_FIRST_LOCAL, OPT_RULES, OPT_RULE_SEED, OPT_EPS };


static void help(void)
{
    printf("Usage: thm2-lower-bound [MODEL] [--rules N] [--rule-seed S] [--eps E] [--runs N]\n"
           "Check Theorem 2 of Yin et al. (doc/theory.md §2) on a model (default: --random\n"
           "7,50).\n"
           "Draws N random unbiased rules of class F (b = lambda min(1,Q/P), R forced; rule\n"
           "i has lambda = 1 - (i/N) U(0,1) per row and token, from near SD to U(0,1)) and\n"
           "checks for each: unbiased (exact, every row and\n"
           "the output marginals), 1 - sum bP >= TV at every row, E[N_rej] >= the Theorem 1\n"
           "value, and a literal Monte Carlo simulation against its exact value and the\n"
           "target marginal; SD (lambda = 1) attains the bound.  Negative control: the\n"
           "over-accepting rule b_eps = min(1,(Q+eps)/P) with R* rejects less than the bound\n"
           "and must be caught as biased (exactly and by Monte Carlo).\n\n"
           "  --rules N            random unbiased rules (default 5)\n"
           "  --rule-seed S        rule i draws its lambdas from stream (S, i) (default 1)\n"
           "  --eps E              over-acceptance of the control, > 0 (default 0.1)\n"
           "  --control over-accept  also run the control through the unbiased-rule\n"
           "                       checks: they must then fail (exit 1)\n"
           "  --positions LIST     positions t whose token law is tested (default 1,T/2,T)\n"
           "  --p-min P            chi-square p-value limit (default 1e-6)\n"
           "  --runs N             simulated runs per rule (default 100000)\n\n");
    fputs(sd_cli_help_model, stdout);
    fputs(sd_cli_help_mc, stdout);
    fputs(sd_cli_help_output, stdout);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        SD_CLI_MODEL_OPTIONS, SD_CLI_MC_OPTIONS, SD_CLI_OUTPUT_OPTIONS, SD_THM_CLI_OPTIONS,
        {"control", required_argument, 0, OPT_CONTROL},
        {"rules", required_argument, 0, OPT_RULES},
        {"rule-seed", required_argument, 0, OPT_RULE_SEED},
        {"eps", required_argument, 0, OPT_EPS},
        {0, 0, 0, 0}};
    sd_cli c;
    sd_model m;
    sd_thm_mc mc;
    sd_thm2_opts o;
    sd_checklist l;
    sd_error err;
    size_t pos[SD_THM_MAX_POS], npos = 0;
    int opt, r, rc;
    sd_out out;
    double mean;

    memset(&mc, 0, sizeof mc);
    mc.p_min = 1e-6;
    memset(&o, 0, sizeof o);
    o.rules = 5;
    o.seed = 1;
    o.eps = 0.1;
    sd_cli_init(&c, "thm2-lower-bound", argc, argv, 100000);
    while ((opt = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
        switch (opt) {
        case 'h': help(); return 0;
        case 'V': printf("%s (specdec) %s\n", c.prog, PACKAGE_VERSION); return 0;
        case OPT_CONTROL:
            if (strcmp(optarg, "over-accept") == 0)
                o.control_as_rule = 1;
            else if (strcmp(optarg, "none") != 0)
                return sd_cli_usage_error(&c, "--control: '%s' is not none or over-accept",
                                          optarg);
            break;
        case OPT_RULES:
            if (sd_cli_size(&c, "--rules", optarg, 1, &o.rules))
                return 2;
            break;
        case OPT_RULE_SEED:
            if (sd_cli_u64(&c, "--rule-seed", optarg, &o.seed))
                return 2;
            break;
        case OPT_EPS:
            if (sd_cli_double(&c, "--eps", optarg, 0.0, INFINITY, &o.eps))
                return 2;
            if (!(o.eps > 0.0))
                return sd_cli_usage_error(&c, "--eps: must be > 0 (got %s)", optarg);
            break;
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
    {
        /* every rule: its exact value (a pass over the chain) and its
         * simulation (runs x T tokens) */
        char what[128];
        double rules = (double)o.rules + 1.0;
        snprintf(what, sizeof what, "--rules %zu on V = %zu, T = %zu with --runs %zu", o.rules,
                 m.V, m.T, c.runs);
        if (sd_cli_refuse_work(&c, rules * ((double)m.T * m.V * m.V + (double)c.runs * m.T),
                               what, SD_CLI_MAX_TOKENS)) {
            sd_model_free(&m);
            return 2;
        }
    }
    sd_checklist_init(&l);
    sd_error_clear(&err);
    if (sd_thm2_check(&m, &o, &mc, &l, &err) != SD_OK ||
        sd_exact_sd_mean(&m, &mean, &err) != SD_OK) {
        sd_checklist_free(&l);
        sd_model_free(&m);
        return sd_cli_fail(&c, &err);
    }
    if ((rc = sd_out_open(&c, &out)) == 0) {
        sd_kv extra[] = {
            SD_KV_I("vocab", m.V),
            SD_KV_I("horizon", m.T),
            SD_KV_N("theorem1_bound", mean),
            SD_KV_I("rules", o.rules),
            SD_KV_U("rule_seed", o.seed),
            SD_KV_N("control_eps", o.eps),
            SD_KV_S("control", o.control_as_rule ? "over-accept" : "none"),
        };
        sd_report_checks(out.f, &c, "2", &l, extra, sizeof extra / sizeof extra[0]);
        rc = sd_out_close(&c, &out, 1);
    }
    r = sd_checklist_pass(&l);
    sd_checklist_free(&l);
    sd_model_free(&m);
    return rc != 0 ? rc : (r ? 0 : 1);
}
