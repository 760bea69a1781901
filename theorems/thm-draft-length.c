/* thm-draft-length - check the draft-length, wall-time and block
 * verification computations (Leviathan et al. 2023; Sun et al., ICLR
 * 2025) on a model or a random instance: exact values against
 * independent computations and literal simulations, with a negative
 * control that must fail. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "thm-cli.h"
#include "block.h"
#include "thm7.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

enum { OPT_GAMMA = SD_OPT_FIRST_LOCAL, OPT_COST, OPT_GMAX, OPT_CONTROL };

#define MAX_GAMMA_LIST 64

static void help(void)
{
    printf("Usage: thm-draft-length [MODEL] [--gamma LIST] [--cost C] [--gamma-max G]\n"
           "                        [--control none|block-first-fail] [--runs N]\n"
           "Check draft length, wall time and block verification (doc/theory.md) on a\n"
           "model (default: --random 7,50, the paper family):\n"
           "  - the slot DP's wall time W(gamma) against the backward J-recursion with a\n"
           "    constant policy;\n"
           "  - gamma >= T: expected calls = 1 + Theorem 1's rejections before T;\n"
           "  - Leviathan's (1 - a^(gamma+1)) / (1 - a) tokens of one call, exact on the\n"
           "    context-free chain of row (t = 1, s = 0);\n"
           "  - the optimal policy: J* <= min over gamma of W(gamma);\n"
           "  - block verification accepts at least as many drafts per call as token\n"
           "    verification from every start state (Sun et al., Thm 2);\n"
           "  - with --runs N > 0: every exact value (calls, draft steps, wall time of token\n"
           "    and block verification and of the policy) against its literal simulation\n"
           "    (z-tests) and the emitted tokens at --positions against the target marginal\n"
           "    (three layers: block verification is lossless).\n\n"
           "  --gamma LIST         draft lengths (default 1,2,4)\n"
           "  --cost C             draft step / target call cost ratio (default 0.1)\n"
           "  --gamma-max G        the policy's largest draft length (default 8)\n"
           "  --control C          block-first-fail: simulate block verification with tau =\n"
           "                       the first failing index minus one instead of the last\n"
           "                       passing index; the checks must then fail (exit 1)\n"
           "  --positions LIST     positions t whose token law is tested (default 1,T/2,T)\n"
           "  --p-min P            chi-square p-value limit (default 1e-6)\n"
           "  --runs N             simulated runs per check (default 100000; 0: exact only)\n"
           "Exact block verification is skipped above %.0e operations per gamma.\n\n",
           SD_BLOCK_MAX_WORK);
    fputs(sd_cli_help_model, stdout);
    fputs(sd_cli_help_mc, stdout);
    fputs(sd_cli_help_output, stdout);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        SD_CLI_MODEL_OPTIONS, SD_CLI_MC_OPTIONS, SD_CLI_OUTPUT_OPTIONS, SD_THM_CLI_OPTIONS,
        {"gamma", required_argument, 0, OPT_GAMMA},
        {"cost", required_argument, 0, OPT_COST},
        {"gamma-max", required_argument, 0, OPT_GMAX},
        {"control", required_argument, 0, OPT_CONTROL},
        {0, 0, 0, 0}};
    sd_cli c;
    sd_model m;
    sd_thm_mc mc;
    sd_thm7_opts o;
    sd_checklist l;
    sd_error err;
    size_t pos[SD_THM_MAX_POS], npos = 0, gam[MAX_GAMMA_LIST] = {1, 2, 4}, ng = 3, i;
    int opt, r, rc;
    sd_out out;

    memset(&mc, 0, sizeof mc);
    mc.p_min = 1e-6;
    memset(&o, 0, sizeof o);
    o.cost = 0.1;
    o.gmax = 8;
    sd_cli_init(&c, "thm-draft-length", argc, argv, 100000);
    while ((opt = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
        switch (opt) {
        case 'h': help(); return 0;
        case 'V': printf("%s (specdec) %s\n", c.prog, PACKAGE_VERSION); return 0;
        case OPT_GAMMA:
            if (sd_cli_size_list(&c, "--gamma", optarg, gam, MAX_GAMMA_LIST, &ng))
                return 2;
            for (i = 0; i < ng; i++)
                if (gam[i] < 1 || gam[i] > SD_CALLS_MAX_GAMMA)
                    return sd_cli_usage_error(&c, "--gamma: entry %zu is %zu: each draft "
                                                  "length must be in 1..%d", i + 1, gam[i],
                                              SD_CALLS_MAX_GAMMA);
            break;
        case OPT_COST:
            if (sd_cli_double(&c, "--cost", optarg, 0.0, 1e300, &o.cost))
                return 2;
            break;
        case OPT_GMAX:
            if (sd_cli_size(&c, "--gamma-max", optarg, 1, &o.gmax))
                return 2;
            if (o.gmax > SD_CALLS_MAX_GAMMA)
                return sd_cli_usage_error(&c, "--gamma-max: %zu is above the limit %d", o.gmax,
                                          SD_CALLS_MAX_GAMMA);
            break;
        case OPT_CONTROL:
            if (strcmp(optarg, "none") == 0)
                o.control = 0;
            else if (strcmp(optarg, "block-first-fail") == 0)
                o.control = 1;
            else
                return sd_cli_usage_error(&c, "--control: '%s' is not none or "
                                              "block-first-fail", optarg);
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
    if (sd_calls_policy_cost(&m, o.gmax) > SD_CALLS_MAX_WORK) {
        size_t V = m.V, T = m.T;
        sd_model_free(&m);
        return sd_cli_usage_error(&c, "--gamma-max %zu on V = %zu, T = %zu: the policy costs "
                                      "above the limit of %.0e operations", o.gmax, V, T,
                                  SD_CALLS_MAX_WORK);
    }
    for (i = 0; c.runs > 0 && i < ng; i++) {
        size_t g = gam[i] > o.gmax ? gam[i] : o.gmax, hs;
        g = g < m.T ? g : m.T;
        hs = sd_calls_sim_hist_size(&m, g);
        if (hs == 0 || hs > SD_CALLS_SIM_MAX_HIST) {
            size_t T = m.T;
            sd_model_free(&m);
            return sd_cli_usage_error(&c, "--runs on T = %zu with draft length %zu: the "
                                          "(calls, draft steps) histogram exceeds %zu bins",
                                      T, g, (size_t)SD_CALLS_SIM_MAX_HIST);
        }
    }
    o.ngamma = ng;
    o.gamma = gam;
    sd_checklist_init(&l);
    sd_error_clear(&err);
    if (sd_thm7_check(&m, &o, &mc, &l, &err) != SD_OK) {
        sd_checklist_free(&l);
        sd_model_free(&m);
        return sd_cli_fail(&c, &err);
    }
    if ((rc = sd_out_open(&c, &out)) == 0) {
        double dg[MAX_GAMMA_LIST];
        for (i = 0; i < ng; i++)
            dg[i] = (double)gam[i];
        {
            sd_kv extra[] = {
                SD_KV_I("vocab", m.V),
                SD_KV_I("horizon", m.T),
                SD_KV_A("gamma", dg, ng),
                SD_KV_N("cost", o.cost),
                SD_KV_I("gamma_max", o.gmax),
                SD_KV_S("control", o.control ? "block-first-fail" : "none"),
            };
            sd_report_checks(out.f, &c, "draft-length", &l, extra,
                             sizeof extra / sizeof extra[0]);
        }
        rc = sd_out_close(&c, &out, 1);
    }
    r = sd_checklist_pass(&l);
    sd_checklist_free(&l);
    sd_model_free(&m);
    return rc != 0 ? rc : (r ? 0 : 1);
}
