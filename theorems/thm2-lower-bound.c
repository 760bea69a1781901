/* thm2-lower-bound - check Theorem 2 (doc/theory.md §2) on a model or a random
 * instance: random unbiased rules of class F are unbiased, reject at
 * least TV at every row and at least the Theorem 1 value along the
 * chain, and their simulation matches their exact value; SD attains the
 * bound; an over-accepting rule beats it and is caught as biased. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "exact.h"
#include "prog.h"
#include "thm2.h"

static void help(void)
{
    printf("Usage: thm2-lower-bound [MODEL] [--rules N] [--rule-seed S] [--eps E] [--runs N]\n"
           "Check Theorem 2 of Yin et al. (doc/theory.md §2) on a model (default: --random\n"
           "7,50). Draws N random unbiased rules of class F (b = lambda min(1,Q/P), R\n"
           "forced; rule i has lambda = 1 - (i/N) U(0,1) per row and token, from near SD to\n"
           "U(0,1)) and checks for each: unbiased (exact, every row and the output\n"
           "marginals), 1 - sum bP >= TV at every row, E[N_rej] >= the Theorem 1 value, and\n"
           "a literal Monte Carlo simulation against its exact value and the target\n"
           "marginal; SD (lambda = 1) attains the bound.  Negative control: the\n"
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
}

static int check(sd_cli *c, void *arg)
{
    const sd_thm2_opts *o = arg;
    if (!(o->eps > 0.0))
        return sd_cli_usage_error(c, "--eps: must be > 0 (got %g)", o->eps);
    return 0;
}

static int run(sd_cli *c, const sd_model *m, void *arg)
{
    const sd_thm2_opts *o = arg;
    sd_checklist l;
    sd_error err;
    double mean;
    {
        /* every rule: its exact value (a pass over the chain) and its
         * simulation (runs x T tokens) */
        char what[128];
        double vv = (double)m->V * (double)m->V, T = (double)m->T;
        snprintf(what, sizeof what, "--rules %zu on V = %zu, T = %zu with --runs %zu", o->rules,
                 m->V, m->T, c->mc.runs);
        if (sd_cli_refuse_work(c, ((double)o->rules + 1.0) * (T * vv + (double)c->mc.runs * T),
                               what, SD_CLI_MAX_TOKENS))
            return 2;
    }
    sd_checklist_init(&l);
    sd_error_clear(&err);
    if (sd_thm2_check(m, o, &c->mc, &l, &err) != SD_OK ||
        sd_exact_sd_mean(m, &mean, &err) != SD_OK)
        return sd_prog_checks_failed(c, &l, &err);
    {
        sd_kv extra[] = {
            SD_KV_N("theorem1_bound", mean),
            SD_KV_I("rules", o->rules),
            SD_KV_U("rule_seed", o->seed),
            SD_KV_N("control_eps", o->eps),
            SD_KV_S("control", o->control_as_rule ? "over-accept" : "none"),
        };
        return sd_prog_report_checks(c, "2", m, &l, extra, sizeof extra / sizeof extra[0]);
    }
}

int main(int argc, char **argv)
{
    sd_thm2_opts o = {.rules = 5, .seed = 1, .eps = 0.1};
    const sd_arg opts[] = {
        {"control", SD_ARG_WORD, &o.control_as_rule, NULL, 0, 0, 0, NULL, "over-accept"},
        {"rules", SD_ARG_SIZE, &o.rules, NULL, 1, 0, 0, NULL, NULL},
        {"rule-seed", SD_ARG_U64, &o.seed, NULL, 0, 0, 0, NULL, NULL},
        {"eps", SD_ARG_DOUBLE, &o.eps, NULL, 0, 0.0, INFINITY, NULL, NULL},
        SD_ARG_END};
    const sd_prog prog = {"thm2-lower-bound", help, SD_PROG_THEOREM, 100000, 0, SD_PROG_PAPER_MODEL,
                          opts, check, run};
    return sd_prog_run(&prog, argc, argv, &o);
}
