/* thm-draft-length - check the draft-length, wall-time and block
 * verification computations (Leviathan et al. 2023; Sun et al., ICLR
 * 2025) on a model or a random instance: exact values against
 * independent computations and literal simulations, with a negative
 * control that must fail. */
#include <stdio.h>
#include <string.h>

#include "block.h"
#include "prog.h"
#include "thm7.h"

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
}

typedef struct {
    size_t gam[MAX_GAMMA_LIST], ng, gmax;
    double cost;
    const char *control;
} args;

static int check(sd_cli *c, void *arg)
{
    const args *a = arg;
    size_t i;
    for (i = 0; i < a->ng; i++)
        if (a->gam[i] > SD_CALLS_MAX_GAMMA)
            return sd_cli_usage_error(c, "--gamma: entry %zu is %zu, above the limit %d", i + 1,
                                      a->gam[i], SD_CALLS_MAX_GAMMA);
    if (a->gmax > SD_CALLS_MAX_GAMMA)
        return sd_cli_usage_error(c, "--gamma-max: %zu is above the limit %d", a->gmax,
                                  SD_CALLS_MAX_GAMMA);
    if (strcmp(a->control, "none") != 0 && strcmp(a->control, "block-first-fail") != 0)
        return sd_cli_usage_error(c, "--control: '%s' is not none or block-first-fail",
                                  a->control);
    return 0;
}

static int run(sd_cli *c, const sd_model *m, void *arg)
{
    const args *a = arg;
    sd_thm7_opts o;
    sd_checklist l;
    sd_error err;
    double dg[MAX_GAMMA_LIST];
    size_t i;
    if (sd_calls_policy_cost(m, a->gmax) > SD_CALLS_MAX_WORK)
        return sd_cli_usage_error(c, "--gamma-max %zu on V = %zu, T = %zu: the policy costs "
                                     "above the limit of %.0e operations", a->gmax, m->V, m->T,
                                  SD_CALLS_MAX_WORK);
    for (i = 0; c->mc.runs > 0 && i < a->ng; i++) {
        size_t g = a->gam[i] > a->gmax ? a->gam[i] : a->gmax, hs;
        g = g < m->T ? g : m->T;
        hs = sd_calls_sim_hist_size(m, g);
        if (hs == 0 || hs > SD_CALLS_SIM_MAX_HIST)
            return sd_cli_usage_error(c, "--runs on T = %zu with draft length %zu: the (calls, "
                                         "draft steps) histogram exceeds the limit of %zu bins",
                                      m->T, g, (size_t)SD_CALLS_SIM_MAX_HIST);
    }
    memset(&o, 0, sizeof o);
    o.ngamma = a->ng;
    o.gamma = a->gam;
    o.gmax = a->gmax;
    o.cost = a->cost;
    o.control = strcmp(a->control, "block-first-fail") == 0;
    sd_checklist_init(&l);
    sd_error_clear(&err);
    if (sd_thm7_check(m, &o, &c->mc, &l, &err) != SD_OK)
        return sd_prog_checks_failed(c, &l, &err);
    for (i = 0; i < a->ng; i++)
        dg[i] = (double)a->gam[i];
    {
        sd_kv extra[] = {
            SD_KV_A("gamma", dg, a->ng),
            SD_KV_N("cost", o.cost),
            SD_KV_I("gamma_max", o.gmax),
            SD_KV_S("control", o.control ? "block-first-fail" : "none"),
        };
        return sd_prog_report_checks(c, "draft-length", m, &l, extra,
                                     sizeof extra / sizeof extra[0]);
    }
}

int main(int argc, char **argv)
{
    args a = {{1, 2, 4}, 3, 8, 0.1, "none"};
    const sd_arg opts[] = {
        {"gamma", SD_ARG_SIZE_LIST, a.gam, &a.ng, MAX_GAMMA_LIST, 1, 0, NULL, NULL},
        {"cost", SD_ARG_DOUBLE, &a.cost, NULL, 0, 0.0, 1e300, NULL, NULL},
        {"gamma-max", SD_ARG_SIZE, &a.gmax, NULL, 1, 0, 0, NULL, NULL},
        {"control", SD_ARG_STRING, &a.control, NULL, 0, 0, 0, NULL, NULL},
        SD_ARG_END};
    const sd_prog prog = {"thm-draft-length", help, SD_PROG_THEOREM, 100000, 0, SD_PROG_PAPER_MODEL,
                          opts, check, run};
    return sd_prog_run(&prog, argc, argv, &a);
}
