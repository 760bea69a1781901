/* thm1-expected-rejections - check Theorem 1 on a model or a random
 * instance: exact E[N_rej], variance and law against a literal Monte
 * Carlo simulation of Algorithm SD, and the output law (unbiasedness). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "thm-cli.h"
#include "exact.h"
#include "thm1.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

enum { OPT_CONTROL = SD_OPT_FIRST_LOCAL };


static void help(void)
{
    printf("Usage: thm1-expected-rejections [MODEL] [--runs N] [--seed S] [--positions LIST]\n"
           "Check Theorem 1 of Yin et al. (doc/theory.md §1) on a model (default: --random\n"
           "7,50, the paper family): the exact E[N_rej] by two methods, the exact variance\n"
           "and law of N_rej, each against a literal Monte Carlo simulation of Algorithm SD\n"
           "(z-tests, chi-square), and unbiasedness: the output token law at several\n"
           "positions against the target chain's marginal (per-bin z, zero bins empty,\n"
           "global chi-square).\n\n"
           "  --positions LIST     positions t whose token law is tested (default 1,T/2,T)\n"
           "  --control C          run a deliberately wrong algorithm (resample-q or\n"
           "                       accept-p-over-q): the checks must then fail (exit 1)\n"
           "  --p-min P            chi-square p-value limit (default 1e-6)\n"
           "  --runs N             simulated runs (default 200000)\n\n");
    fputs(sd_cli_help_model, stdout);
    fputs(sd_cli_help_mc, stdout);
    fputs(sd_cli_help_output, stdout);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        SD_CLI_MODEL_OPTIONS, SD_CLI_MC_OPTIONS, SD_CLI_OUTPUT_OPTIONS, SD_THM_CLI_OPTIONS,
        {"control", required_argument, 0, OPT_CONTROL},
        {0, 0, 0, 0}};
    sd_cli c;
    sd_model m;
    sd_thm_mc mc;
    sd_checklist l;
    sd_error err;
    size_t pos[SD_THM_MAX_POS], npos = 0;
    int opt, r, rc;
    sd_out out;
    double mean;

    memset(&mc, 0, sizeof mc);
    mc.p_min = 1e-6;
    sd_cli_init(&c, "thm1-expected-rejections", argc, argv, 200000);
    while ((opt = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
        switch (opt) {
        case 'h': help(); return 0;
        case 'V': printf("%s (specdec) %s\n", c.prog, PACKAGE_VERSION); return 0;
        case OPT_CONTROL:
            r = sd_sim_variant_parse(optarg);
            if (r < 0)
                return sd_cli_usage_error(&c, "--control: '%s' is not none, resample-q or "
                                              "accept-p-over-q", optarg);
            mc.variant = (sd_sim_variant)r;
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
    sd_checklist_init(&l);
    sd_error_clear(&err);
    if (sd_thm1_check(&m, &mc, &l, &err) != SD_OK ||
        sd_exact_sd_mean(&m, &mean, &err) != SD_OK) {
        sd_checklist_free(&l);
        sd_model_free(&m);
        return sd_cli_fail(&c, &err);
    }
    if ((rc = sd_out_open(&c, &out)) == 0) {
        sd_kv extra[] = {
            SD_KV_I("vocab", m.V),
            SD_KV_I("horizon", m.T),
            SD_KV_N("expected_rejections", mean),
            SD_KV_N("speedup", mean > 0 ? (double)m.T / mean : INFINITY),
            SD_KV_S("control", sd_sim_variant_name(mc.variant)),
        };
        sd_report_checks(out.f, &c, "1", &l, extra, sizeof extra / sizeof extra[0]);
        rc = sd_out_close(&c, &out, 1);
    }
    r = sd_checklist_pass(&l);
    sd_checklist_free(&l);
    sd_model_free(&m);
    return rc != 0 ? rc : (r ? 0 : 1);
}
