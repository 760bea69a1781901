/* thm-draft-length - check the draft-length, wall-time and block
 * verification computations (Leviathan et al. 2023; Sun et al., ICLR
 * 2025) on a model or a random instance: exact values against
 * independent computations and literal simulations, with a negative
 * control that must fail. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
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
    sd_thm7_opts o;
    size_t gam[MAX_GAMMA_LIST], ng;
} state;

static int control(sd_cli *c, const char *arg, void *dest)
{
    if (strcmp(arg, "none") == 0)
        *(int *)dest = 0;
    else if (strcmp(arg, "block-first-fail") == 0)
        *(int *)dest = 1;
    else
        return sd_cli_usage_error(c, "--control: '%s' is not none or block-first-fail", arg),
               -1;
    return 0;
}

static int check(sd_cli *c, void *arg)
{
    state *a = arg;
    size_t i;
    for (i = 0; i < a->ng; i++)
        if (a->gam[i] < 1 || a->gam[i] > SD_CALLS_MAX_GAMMA)
            return sd_cli_usage_error(c, "--gamma: entry %zu is %zu: each draft length must "
                                         "be in 1..%d", i + 1, a->gam[i], SD_CALLS_MAX_GAMMA);
    if (a->o.gmax < 1 || a->o.gmax > SD_CALLS_MAX_GAMMA)
        return sd_cli_usage_error(c, "--gamma-max: %zu is outside 1..%d", a->o.gmax,
                                  SD_CALLS_MAX_GAMMA);
    return 0;
}

static int run(sd_cli *c, const sd_model *m, void *arg)
{
    state *a = arg;
    sd_checklist l;
    sd_error err;
    size_t i;
    double dg[MAX_GAMMA_LIST];
    if (sd_calls_policy_cost(m, a->o.gmax) > SD_CALLS_MAX_WORK)
        return sd_cli_usage_error(c, "--gamma-max %zu on V = %zu, T = %zu: the policy costs "
                                     "above the limit of %.0e operations", a->o.gmax, m->V, m->T,
                                  SD_CALLS_MAX_WORK);
    for (i = 0; c->mc.runs > 0 && i < a->ng; i++) {
        size_t g = a->gam[i] > a->o.gmax ? a->gam[i] : a->o.gmax, hs;
        g = g < m->T ? g : m->T;
        hs = sd_calls_sim_hist_size(m, g);
        if (hs == 0 || hs > SD_CALLS_SIM_MAX_HIST)
            return sd_cli_usage_error(c, "--runs on T = %zu with draft length %zu: the "
                                         "(calls, draft steps) histogram exceeds %zu bins",
                                      m->T, g, (size_t)SD_CALLS_SIM_MAX_HIST);
    }
    a->o.ngamma = a->ng;
    a->o.gamma = a->gam;
    sd_checklist_init(&l);
    sd_error_clear(&err);
    if (sd_thm7_check(m, &a->o, &c->mc, &l, &err) != SD_OK) {
        sd_checklist_free(&l);
        return sd_cli_fail(c, &err);
    }
    for (i = 0; i < a->ng; i++)
        dg[i] = (double)a->gam[i];
    {
        sd_kv extra[] = {
            SD_KV_I("vocab", m->V),
            SD_KV_I("horizon", m->T),
            SD_KV_A("gamma", dg, a->ng),
            SD_KV_N("cost", a->o.cost),
            SD_KV_I("gamma_max", a->o.gmax),
            SD_KV_S("control", a->o.control ? "block-first-fail" : "none"),
        };
        return sd_prog_report_checks(c, "draft-length", &l, extra, sizeof extra / sizeof extra[0]);
    }
}

int main(int argc, char **argv)
{
    state a;
    sd_cli c;
    memset(&a, 0, sizeof a);
    a.o.cost = 0.1;
    a.o.gmax = 8;
    a.gam[0] = 1;
    a.gam[1] = 2;
    a.gam[2] = 4;
    a.ng = 3;
    {
        const sd_arg opts[] = {
            {"gamma", SD_ARG_SIZE_LIST, a.gam, &a.ng, MAX_GAMMA_LIST, 1, 0, NULL},
            {"cost", SD_ARG_DOUBLE, &a.o.cost, NULL, 0, 0.0, 1e300, NULL},
            {"gamma-max", SD_ARG_SIZE, &a.o.gmax, NULL, 1, 0, 0, NULL},
            {"control", SD_ARG_FN, &a.o.control, NULL, 0, 0, 0, control},
            SD_ARG_END};
        const sd_prog prog = {"thm-draft-length", help,
                              SD_PROG_MODEL | SD_PROG_MC | SD_PROG_THM | SD_PROG_OUTPUT, 100000,
                              0, 7, 50, opts, check, run};
        return sd_prog_main(&prog, &c, argc, argv, &a);
    }
}
