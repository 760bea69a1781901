/* cmd_tradeoff.c - specdec tradeoff: the quality-speed tradeoff of the
 * over-acceptance rule b_eps with Decoding-OPT or -UNO (doc/theory.md §4). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "exact.h"
#include "prog.h"
#include "tradeoff.h"

/* vLLM's defaults for typical acceptance (posterior threshold and alpha). */
#define TYPICAL_EPS 0.09
#define TYPICAL_DELTA 0.3

static void tradeoff_help(void)
{
    printf("Usage: specdec tradeoff MODEL --eps E [--resample opt|uno]\n"
           "       specdec tradeoff MODEL --typical [--eps E] [--delta D] [--resample opt|uno]\n"
           "                        [--format table|json|tsv] [--output FILE]\n"
           "The quality-speed tradeoff of over-acceptance (doc/theory.md §4, Theorems 4 and\n"
           "5): accept a draft token x with probability b_eps(x) = min{1, (Q(x)+E)/P(x)} and\n"
           "after a rejection draw from R* = [Q - b P]_+ normalised (Decoding-OPT, the least\n"
           "biased choice) or from Q (Decoding-UNO).  Reports, all exact:\n"
           "expected_rejections  E[N_rej] under the biased process (weighted by the\n"
           "marginals of the output chain, not the target's)   bias_per_step_sum    sum over\n"
           "t of E[TV(O_t, Q_t)(x_{t-1})], an upper bound                        on the\n"
           "sequence-level TV   sequence_tv          TV between the laws of the output and\n"
           "target sequences                        (given the prompt, averaged over it), by\n"
           "enumeration of                        all V^T sequences: null when V^T > 1e7\n"
           "sd_expected_rejections  Theorem 1's value (E = 0, unbiased) for comparison\n\n"
           "  --eps E              over-acceptance E >= 0 (0 is speculative decoding)\n"
           "  --resample R         opt (default) or uno\n"
           "  --typical            typical acceptance instead (Cai et al., Medusa; biased):\n"
           "                       accept the draft token x iff Q(x) > min(E, D exp(-H(Q))),\n"
           "                       H the entropy of Q; E defaults to %g and D to %g\n"
           "                       (vLLM's defaults)\n"
           "  --delta D            the entropy factor of --typical, D >= 0\n\n",
           TYPICAL_EPS, TYPICAL_DELTA);
}

typedef struct {
    double eps;
    sd_resample resample;
    int typical;
    double delta; /* NaN: not given */
} args;

static int resample_arg(sd_cli *c, const char *arg, void *dest)
{
    int r = sd_resample_parse(arg);
    if (r < 0) {
        sd_cli_usage_error(c, "--resample: '%s' is not opt or uno", arg);
        return -1;
    }
    *(sd_resample *)dest = (sd_resample)r;
    return 0;
}

static int check(sd_cli *c, void *arg)
{
    args *a = arg;
    if (!isnan(a->delta) && !a->typical)
        return sd_cli_usage_error(c, "--delta needs --typical");
    if (a->typical) {
        if (isnan(a->eps))
            a->eps = TYPICAL_EPS;
        if (isnan(a->delta))
            a->delta = TYPICAL_DELTA;
        return 0;
    }
    return isnan(a->eps) ? sd_cli_usage_error(c, "--eps is required (0 gives speculative "
                                                 "decoding)")
                         : 0;
}

static int run(sd_cli *c, const sd_model *m, void *arg)
{
    const args *a = arg;
    sd_error err;
    sd_tradeoff tr;
    sd_tradeoff_result res;
    double seq_tv = NAN, sd_mean;
    int rc;
    sd_error_clear(&err);
    if (sd_tradeoff_alloc(&tr, m, &err) != SD_OK)
        return sd_cli_fail(c, &err);
    if (a->typical)
        sd_tradeoff_set_typical(&tr, a->eps, a->delta, a->resample);
    else
        sd_tradeoff_set_eps(&tr, a->eps, a->resample);
    if (sd_tradeoff_exact(&tr, &res, &err) != SD_OK ||
        sd_exact_sd_mean(m, &sd_mean, &err) != SD_OK ||
        (sd_tradeoff_enumerable(m, SD_TRADEOFF_MAX_SEQUENCES) &&
         sd_tradeoff_sequence_tv(&tr, SD_TRADEOFF_MAX_SEQUENCES, &seq_tv, &err) != SD_OK)) {
        sd_tradeoff_free(&tr);
        return sd_cli_fail(c, &err);
    }
    sd_tradeoff_free(&tr);
    {
        sd_kv kv[] = {
            SD_KV_N("eps", a->eps),
            SD_KV_S("resample", sd_resample_name(a->resample)),
            SD_KV_N("expected_rejections", res.expected_rejections),
            SD_KV_N("bias_per_step_sum", res.bias_sum),
            SD_KV_N("sequence_tv", seq_tv),
            SD_KV_I("vocab", m->V),
            SD_KV_I("horizon", m->T),
            SD_KV_N("rejection_rate", res.expected_rejections / (double)m->T),
            SD_KV_N("speedup", res.expected_rejections > 0 ?
                                   (double)m->T / res.expected_rejections : INFINITY),
            SD_KV_N("sd_expected_rejections", sd_mean),
            SD_KV_N("sequence_tv_max_sequences", SD_TRADEOFF_MAX_SEQUENCES),
            SD_KV_S("rule", a->typical ? "typical" : "over-acceptance"),
            SD_KV_N("tv_sum", res.tv_sum),
            SD_KV_N("delta", a->delta), /* last: only for --typical */
        };
        if (isnan(seq_tv))
            kv[4].type = SD_KV_NULL;
        rc = sd_prog_report_kv(c, kv, sizeof kv / sizeof kv[0] - (a->typical ? 0 : 1), 0);
    }
    return rc;
}

int sd_cmd_tradeoff(int argc, char **argv)
{
    args a = {NAN, SD_RESAMPLE_OPT, 0, NAN};
    const sd_arg opts[] = {
        {"eps", SD_ARG_DOUBLE, &a.eps, NULL, 0, 0.0, HUGE_VAL, NULL, NULL},
        {"resample", SD_ARG_FN, &a.resample, NULL, 0, 0, 0, resample_arg, NULL},
        {"typical", SD_ARG_FLAG, &a.typical, NULL, 1, 0.0, 0.0, NULL, NULL},
        {"delta", SD_ARG_DOUBLE, &a.delta, NULL, 0, 0.0, HUGE_VAL, NULL, NULL},
        SD_ARG_END};
    const sd_prog prog = {"specdec tradeoff", tradeoff_help, SD_PROG_MODEL | SD_PROG_OUTPUT, 0,
                          1, 0, 0, opts, check, run};
    return sd_prog_run(&prog, argc, argv, &a);
}
