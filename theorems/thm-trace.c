/* thm-trace - check the trace statistics (specdec trace) against exact
 * chain values: sample paths from the target chain, write them as a trace,
 * read it back, and compare (Theorem 1, draft length, batch SD), with two
 * broken traces that conformance must reject. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "thm-cli.h"
#include "thmtrace.h"
#include "trace.h"
#include "tracefile.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

enum { OPT_SEQ = SD_OPT_FIRST_LOCAL, OPT_GAMMA, OPT_DRAFTS, OPT_COST, OPT_TOPK };

/* The chains must stay small: every position of every path is a row. */
#define THMTRACE_MAX_V 64

static void help(void)
{
    printf("Usage: thm-trace [MODEL] [--sequences B] [--gamma LIST] [--drafts K] [--cost C]\n"
           "                 [--top-k K] [--seed S] [--z Z] [--p-min P]\n"
           "Check the statistics of 'specdec trace' (doc/theory.md, Traces) on a pair of\n"
           "chains (default --random 16,40; V <= %d): B paths sampled from the target chain\n"
           "are written as a trace and read back; the mean over paths of sum_t TV_t and of\n"
           "sum_t r_t must match Theorem 1 of Yin et al. (z-test), the expected target calls\n"
           "at each gamma the exact slot DP (Leviathan et al.), and batch SD for M = 2..K\n"
           "Theorem 3's exact value; the conformance tests must accept this trace and reject\n"
           "two broken ones (tokens drawn from the draft chain; tokens drawn from the top-k\n"
           "of each target row while the full row is recorded).\n\n"
           "  --sequences B        paths (default 2000)\n"
           "  --gamma LIST         draft lengths (default 1,2,4,8)\n"
           "  --drafts K           batch SD checked for M = 2..K (default 3)\n"
           "  --cost C             draft step cost (default 0.1)\n"
           "  --top-k K            k of the top-k control (default V/4, at least 1)\n"
           "  --seed S             seed of the paths (default %u)\n"
           "  --z Z                z-test limit (default 4.5)\n"
           "  --p-min P            PIT p-value limit (default 1e-6)\n"
           "  --threads N          threads\n\n",
           THMTRACE_MAX_V, SD_DEFAULT_SEED);
    fputs(sd_cli_help_model, stdout);
    fputs(sd_cli_help_output, stdout);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        SD_CLI_MODEL_OPTIONS, SD_CLI_OUTPUT_OPTIONS,
        {"seed", required_argument, 0, SD_OPT_SEED},
        {"threads", required_argument, 0, SD_OPT_THREADS},
        {"z", required_argument, 0, SD_OPT_Z},
        {"p-min", required_argument, 0, SD_OPT_PMIN},
        {"sequences", required_argument, 0, OPT_SEQ},
        {"gamma", required_argument, 0, OPT_GAMMA},
        {"drafts", required_argument, 0, OPT_DRAFTS},
        {"cost", required_argument, 0, OPT_COST},
        {"top-k", required_argument, 0, OPT_TOPK},
        {0, 0, 0, 0}};
    sd_cli c;
    sd_model m;
    sd_thmtrace_opts o;
    sd_checklist l;
    sd_error err;
    sd_out out;
    size_t gamma[SD_TRACE_MAX_GAMMAS] = {1, 2, 4, 8}, i;
    char dir[512];
    const char *tmp;
    int opt, rc, pass;
    double gd[SD_TRACE_MAX_GAMMAS];

    memset(&o, 0, sizeof o);
    o.B = 2000;
    o.ngamma = 4;
    o.gamma = gamma;
    o.K = 3;
    o.cost = 0.1;
    o.p_min = 1e-6;
    sd_cli_init(&c, "thm-trace", argc, argv, 0);
    while ((opt = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
        switch (opt) {
        case 'h': help(); return 0;
        case 'V': printf("%s (specdec) %s\n", c.prog, PACKAGE_VERSION); return 0;
        case SD_OPT_PMIN:
            if (sd_cli_double(&c, "--p-min", optarg, 0.0, 1.0, &o.p_min))
                return 2;
            break;
        case OPT_SEQ:
            if (sd_cli_size(&c, "--sequences", optarg, 2, &o.B))
                return 2;
            break;
        case OPT_GAMMA:
            if (sd_cli_size_list(&c, "--gamma", optarg, gamma, SD_TRACE_MAX_GAMMAS, &o.ngamma))
                return 2;
            for (i = 0; i < o.ngamma; i++)
                if (gamma[i] < 1 || gamma[i] > SD_TRACE_MAX_GAMMA)
                    return sd_cli_usage_error(&c, "--gamma: each must be in 1..%d",
                                              SD_TRACE_MAX_GAMMA);
            break;
        case OPT_DRAFTS:
            if (sd_cli_size(&c, "--drafts", optarg, 1, &o.K))
                return 2;
            if (o.K > SD_TRACE_MAX_DRAFTS)
                return sd_cli_usage_error(&c, "--drafts: at most %d", SD_TRACE_MAX_DRAFTS);
            break;
        case OPT_COST:
            if (sd_cli_double(&c, "--cost", optarg, 0.0, 1e300, &o.cost))
                return 2;
            break;
        case OPT_TOPK:
            if (sd_cli_size(&c, "--top-k", optarg, 1, &o.top_k))
                return 2;
            break;
        case '?': return sd_cli_usage_error(&c, "bad option");
        default:
            if (sd_cli_option(&c, opt, optarg) < 0)
                return 2;
            break;
        }
    }
    if (sd_cli_finish(&c, argc, argv, 0, 16, 40))
        return 2;
    if ((rc = sd_cli_load_model(&c, &m)) != 0)
        return rc;
    if (m.V > THMTRACE_MAX_V || m.V < 2) {
        sd_model_free(&m);
        return sd_cli_usage_error(&c, "V = %zu: thm-trace needs 2 <= V <= %d", m.V,
                                  THMTRACE_MAX_V);
    }
    if (o.top_k == 0)
        o.top_k = m.V / 4 ? m.V / 4 : 1;
    if (o.top_k >= m.V) {
        sd_model_free(&m);
        return sd_cli_usage_error(&c, "--top-k: must be below V = %zu", m.V);
    }
    if ((double)o.B * (double)m.T * (double)m.V > SD_TRACE_SAMPLE_MAX) {
        sd_model_free(&m);
        return sd_cli_usage_error(&c, "--sequences: B T V = %zu x %zu x %zu is beyond %.0e",
                                  o.B, m.T, m.V, SD_TRACE_SAMPLE_MAX);
    }
    o.seed = c.seed;
    o.threads = c.threads;
    o.z_max = c.z;
    tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/thm-trace-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL) {
        sd_model_free(&m);
        fprintf(stderr, "%s: cannot create a temporary directory in %s\n", c.prog,
                tmp && *tmp ? tmp : "/tmp");
        return 3;
    }
    o.dir = dir;
    sd_checklist_init(&l);
    sd_error_clear(&err);
    rc = sd_thmtrace_check(&m, &o, &l, &err) == SD_OK ? 0 : sd_cli_fail(&c, &err);
    rmdir(dir);
    if (rc == 0 && (rc = sd_out_open(&c, &out)) == 0) {
        for (i = 0; i < o.ngamma; i++)
            gd[i] = (double)gamma[i];
        {
            sd_kv extra[] = {
                SD_KV_I("vocab", m.V),
                SD_KV_I("horizon", m.T),
                SD_KV_I("sequences", o.B),
                SD_KV_A("gamma", gd, o.ngamma),
                SD_KV_I("drafts", o.K),
                SD_KV_N("cost", o.cost),
                SD_KV_I("top_k", o.top_k),
                SD_KV_I("seed", o.seed),
            };
            sd_report_checks(out.f, &c, "trace", &l, extra, sizeof extra / sizeof extra[0]);
        }
        rc = sd_out_close(&c, &out, 1);
    }
    pass = sd_checklist_pass(&l);
    sd_checklist_free(&l);
    sd_model_free(&m);
    return rc != 0 ? rc : (pass ? 0 : 1);
}
