/* cmd_tradeoff.c - specdec tradeoff: the quality-speed tradeoff of the
 * over-acceptance rule b_eps with Decoding-OPT or -UNO (doc/theory.md §4). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmds.h"
#include "exact.h"
#include "tradeoff.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

enum { OPT_EPS = SD_OPT_FIRST_LOCAL, OPT_RESAMPLE };

static void tradeoff_help(void)
{
    printf("Usage: specdec tradeoff MODEL --eps E [--resample opt|uno]\n"
           "                        [--format table|json|tsv] [--output FILE]\n"
           "The quality-speed tradeoff of over-acceptance (Theorems 4 and 5 of Yin et al.;\n"
           "doc/theory.md §4):\n"
           "accept a draft token x with probability b_eps(x) = min{1, (Q(x)+E)/P(x)} and\n"
           "after a rejection draw from R* = [Q - b P]_+ normalised (Decoding-OPT, the\n"
           "least biased choice) or from Q (Decoding-UNO).  Reports, all exact:\n"
           "  expected_rejections  E[N_rej] under the biased process (weighted by the\n"
           "                       marginals of the output chain, not the target's)\n"
           "  bias_per_step_sum    sum over t of E[TV(O_t, Q_t)(x_{t-1})], an upper bound\n"
           "                       on the sequence-level TV\n"
           "  sequence_tv          TV between the laws of the output and target sequences\n"
           "                       (given the prompt, averaged over it), by enumeration of\n"
           "                       all V^T sequences: null when V^T > 1e7\n"
           "  sd_expected_rejections  Theorem 1's value (E = 0, unbiased) for comparison\n\n"
           "  --eps E              over-acceptance E >= 0 (0 is speculative decoding)\n"
           "  --resample R         opt (default) or uno\n\n");
    fputs(sd_cli_help_model, stdout);
    fputs(sd_cli_help_output, stdout);
}

int sd_cmd_tradeoff(int argc, char **argv)
{
    static const struct option opts[] = {
        SD_CLI_MODEL_OPTIONS, SD_CLI_OUTPUT_OPTIONS,
        {"eps", required_argument, 0, OPT_EPS},
        {"resample", required_argument, 0, OPT_RESAMPLE},
        {0, 0, 0, 0}};
    sd_cli c;
    sd_model m;
    sd_error err;
    sd_tradeoff tr;
    sd_tradeoff_result res;
    sd_resample resample = SD_RESAMPLE_OPT;
    double eps = NAN, seq_tv = NAN, sd_mean;
    int opt, r, rc, have_eps = 0;
    sd_out out;

    sd_cli_init(&c, "specdec tradeoff", argc, argv, 0);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
        switch (opt) {
        case 'h': tradeoff_help(); return 0;
        case 'V': printf("%s (specdec) %s\n", c.prog, PACKAGE_VERSION); return 0;
        case OPT_EPS:
            if (sd_cli_double(&c, "--eps", optarg, 0.0, HUGE_VAL, &eps))
                return 2;
            have_eps = 1;
            break;
        case OPT_RESAMPLE:
            r = sd_resample_parse(optarg);
            if (r < 0)
                return sd_cli_usage_error(&c, "--resample: '%s' is not opt or uno", optarg);
            resample = (sd_resample)r;
            break;
        case '?': return sd_cli_bad_option(&c, argv);
        default:
            r = sd_cli_option(&c, opt, optarg);
            if (r < 0)
                return 2;
            break;
        }
    }
    if (sd_cli_finish(&c, argc, argv, 1, 0, 0))
        return 2;
    if (!have_eps)
        return sd_cli_usage_error(&c, "--eps is required (0 gives speculative decoding)");
    if ((rc = sd_cli_load_model(&c, &m)) != 0)
        return rc;
    sd_error_clear(&err);
    if (sd_tradeoff_alloc(&tr, &m, &err) != SD_OK) {
        sd_model_free(&m);
        return sd_cli_fail(&c, &err);
    }
    sd_tradeoff_set_eps(&tr, eps, resample);
    if (sd_tradeoff_exact(&tr, &res, &err) != SD_OK ||
        sd_exact_sd_mean(&m, &sd_mean, &err) != SD_OK ||
        (sd_tradeoff_enumerable(&m, SD_TRADEOFF_MAX_SEQUENCES) &&
         sd_tradeoff_sequence_tv(&tr, SD_TRADEOFF_MAX_SEQUENCES, &seq_tv, &err) != SD_OK)) {
        sd_tradeoff_free(&tr);
        sd_model_free(&m);
        return sd_cli_fail(&c, &err);
    }
    if ((rc = sd_out_open(&c, &out)) == 0) {
        sd_kv kv[] = {
            SD_KV_N("eps", eps),
            SD_KV_S("resample", sd_resample_name(resample)),
            SD_KV_N("expected_rejections", res.expected_rejections),
            SD_KV_N("bias_per_step_sum", res.bias_sum),
            SD_KV_N("sequence_tv", seq_tv),
            SD_KV_I("vocab", m.V),
            SD_KV_I("horizon", m.T),
            SD_KV_N("rejection_rate", res.expected_rejections / (double)m.T),
            SD_KV_N("speedup", res.expected_rejections > 0 ?
                                   (double)m.T / res.expected_rejections : INFINITY),
            SD_KV_N("sd_expected_rejections", sd_mean),
            SD_KV_N("sequence_tv_max_sequences", SD_TRADEOFF_MAX_SEQUENCES),
        };
        if (isnan(seq_tv))
            kv[4].type = SD_KV_NULL;
        sd_report_kv(out.f, &c, kv, sizeof kv / sizeof kv[0], 0);
        rc = sd_out_close(&c, &out, 1);
    }
    sd_tradeoff_free(&tr);
    sd_model_free(&m);
    return rc;
}
