/* thm1-expected-rejections - check Theorem 1 on a model or a random
 * instance: exact E[N_rej], variance and law against a literal Monte
 * Carlo simulation of Algorithm SD, and the output law (unbiasedness). */
#include <math.h>
#include <stdio.h>

#include "exact.h"
#include "prog.h"
#include "thm1.h"

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
}

static int control(sd_cli *c, const char *arg, void *dest)
{
    return sd_cli_control(c, &sd_rule_sd, arg, dest);
}

static int run(sd_cli *c, const sd_model *m, void *arg)
{
    size_t control = *(size_t *)arg;
    sd_checklist l;
    sd_error err;
    double mean;
    sd_checklist_init(&l);
    sd_error_clear(&err);
    if (sd_thm1_check(m, (sd_sim_variant)control, &c->mc, &l, &err) != SD_OK ||
        sd_exact_sd_mean(m, &mean, &err) != SD_OK)
        return sd_prog_checks_failed(c, &l, &err);
    {
        sd_kv extra[] = {
            SD_KV_N("expected_rejections", mean),
            SD_KV_N("speedup", mean > 0 ? (double)m->T / mean : INFINITY),
            SD_KV_S("control", sd_rule_control_name(&sd_rule_sd, control)),
        };
        return sd_prog_report_checks(c, "1", m, &l, extra, sizeof extra / sizeof extra[0]);
    }
}

int main(int argc, char **argv)
{
    size_t ctl = 0;
    const sd_arg opts[] = {{"control", SD_ARG_FN, &ctl, NULL, 0, 0, 0, control, NULL}, SD_ARG_END};
    const sd_prog prog = {"thm1-expected-rejections", help, SD_PROG_THEOREM, 200000, 0,
                          SD_PROG_PAPER_MODEL, opts, NULL, run};
    return sd_prog_run(&prog, argc, argv, &ctl);
}
