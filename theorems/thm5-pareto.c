/* thm5-pareto - check Theorems 4 and 5 (doc/theory.md §4) on a model or a random
 * instance: the optimal resampling law and the Pareto front on every
 * row with random acceptance rules, and the chain-level tradeoff of the
 * over-acceptance rule b_eps (Decoding-OPT and -UNO) against a literal
 * Monte Carlo simulation of the biased process. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "thm-cli.h"
#include "thm5.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

enum { OPT_EPS = SD_OPT_FIRST_LOCAL, OPT_RULES, OPT_RLAWS, OPT_CONTROL };

#define MAX_EPS 64

static void help(void)
{
    printf("Usage: thm5-pareto [MODEL] [--eps LIST] [--rules N] [--laws N] [--runs N]\n"
           "                   [--seed S] [--positions LIST]\n"
           "Check Theorems 4 and 5 of Yin et al. (doc/theory.md §4) on a model (default:\n"
           "--random 7,50, the paper family).  On every row (t, s): for random acceptance\n"
           "rules b, P_rej + Loss* = 1 - sum min(bP, Q) >= TV(P, Q), with equality for\n"
           "over-accepting b and along b_eps; R* = [Q - bP]_+ normalised attains Loss*\n"
           "and no random R does better; Decoding-OPT is never more biased than UNO.  On\n"
           "the chain, for each eps and OPT/UNO: eps = 0 with OPT is Theorem 1; OPT lies\n"
           "on the front; the sequence TV is below the per-step bias sum (when V^T <= 1e7);\n"
           "and a literal simulation of the biased process (draft from P, accept with\n"
           "b_eps, else draw from R) agrees with the exact expected rejections (z-test) and\n"
           "output-chain marginals (per-bin z, zero bins empty, chi-square).\n\n"
           "  --eps LIST           the b_eps sweep (default 0,0.1,0.2,0.4,0.8)\n"
           "  --rules N            random b's per row, of each kind (default 20)\n"
           "  --laws N             random R's per rule (default 50; the V vertices first)\n"
           "  --positions LIST     positions t whose output law is tested (default 1,T/2,T)\n"
           "  --control swap       simulate the other resampling law (UNO for OPT and\n"
           "                       vice versa): the law checks must then fail (exit 1)\n"
           "  --p-min P            chi-square p-value limit (default 1e-6)\n"
           "  --runs N             simulated runs per (eps, resampling law) (default\n"
           "                       100000; 0 skips the Monte Carlo checks)\n\n");
    fputs(sd_cli_help_model, stdout);
    fputs(sd_cli_help_mc, stdout);
    fputs(sd_cli_help_output, stdout);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        SD_CLI_MODEL_OPTIONS, SD_CLI_MC_OPTIONS, SD_CLI_OUTPUT_OPTIONS, SD_THM_CLI_OPTIONS,
        {"eps", required_argument, 0, OPT_EPS},
        {"rules", required_argument, 0, OPT_RULES},
        {"laws", required_argument, 0, OPT_RLAWS},
        {"control", required_argument, 0, OPT_CONTROL},
        {0, 0, 0, 0}};
    sd_cli c;
    sd_model m;
    sd_thm_mc mc;
    sd_thm5_opts o;
    sd_checklist l;
    sd_error err;
    size_t pos[SD_THM_MAX_POS], npos = 0, i;
    double eps[MAX_EPS] = {0.0, 0.1, 0.2, 0.4, 0.8};
    int opt, r, rc;
    sd_out out;

    memset(&mc, 0, sizeof mc);
    memset(&o, 0, sizeof o);
    mc.p_min = 1e-6;
    o.nb = 20;
    o.nr = 50;
    o.neps = 5;
    sd_cli_init(&c, "thm5-pareto", argc, argv, 100000);
    while ((opt = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
        switch (opt) {
        case 'h': help(); return 0;
        case 'V': printf("%s (specdec) %s\n", c.prog, PACKAGE_VERSION); return 0;
        case OPT_EPS:
            if (sd_cli_double_list(&c, "--eps", optarg, eps, MAX_EPS, &o.neps))
                return 2;
            for (i = 0; i < o.neps; i++)
                if (!(eps[i] >= 0.0))
                    return sd_cli_usage_error(&c, "--eps: %g is negative (eps >= 0)", eps[i]);
            break;
        case OPT_RULES:
            if (sd_cli_size(&c, "--rules", optarg, 1, &o.nb))
                return 2;
            break;
        case OPT_RLAWS:
            if (sd_cli_size(&c, "--laws", optarg, 1, &o.nr))
                return 2;
            break;
        case OPT_CONTROL:
            if (strcmp(optarg, "swap") == 0)
                o.control_swap = 1;
            else if (strcmp(optarg, "none") != 0)
                return sd_cli_usage_error(&c, "--control: '%s' is not none or swap", optarg);
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
        /* every row (t, s): --rules random b, each against --laws random R,
         * each O(V) */
        char what[128];
        snprintf(what, sizeof what, "--rules %zu --laws %zu on V = %zu, T = %zu", o.nb, o.nr,
                 m.V, m.T);
        if (sd_cli_refuse_work(&c, (double)m.T * m.V * m.V * (double)o.nb * ((double)o.nr + 1.0),
                               what, SD_CLI_MAX_WORK_CHECK)) {
            sd_model_free(&m);
            return 2;
        }
    }
    o.eps = eps;
    o.seed = c.seed;
    sd_checklist_init(&l);
    sd_error_clear(&err);
    if (sd_thm5_check(&m, &o, &mc, &l, &err) != SD_OK) {
        sd_checklist_free(&l);
        sd_model_free(&m);
        return sd_cli_fail(&c, &err);
    }
    if ((rc = sd_out_open(&c, &out)) == 0) {
        sd_kv extra[] = {
            SD_KV_I("vocab", m.V),
            SD_KV_I("horizon", m.T),
            SD_KV_A("eps", eps, o.neps),
            SD_KV_I("rules_per_row", o.nb),
            SD_KV_I("laws_per_rule", o.nr),
            SD_KV_S("control", o.control_swap ? "swap" : "none"),
        };
        sd_report_checks(out.f, &c, "4,5", &l, extra, sizeof extra / sizeof extra[0]);
        rc = sd_out_close(&c, &out, 1);
    }
    r = sd_checklist_pass(&l);
    sd_checklist_free(&l);
    sd_model_free(&m);
    return rc != 0 ? rc : (r ? 0 : 1);
}
