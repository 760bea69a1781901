/* thm-trace - check the trace statistics (specdec trace) against exact
 * chain values: sample paths from the target chain, write them as a trace,
 * read it back, and compare (Theorem 1, draft length, batch SD), with two
 * broken traces that conformance must reject. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "prog.h"
#include "thmtrace.h"
#include "trace.h"
#include "tracefile.h"

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
           "  (--seed S seeds the paths, --threads N, --z Z and --p-min P as below)\n\n",
           THMTRACE_MAX_V);
}

typedef struct {
    size_t gamma[SD_TRACE_MAX_GAMMAS], ngamma;
    size_t B, K, top_k;
    double cost;
} args;

static int run(sd_cli *c, const sd_model *m, void *arg)
{
    args *a = arg;
    sd_thmtrace_opts o;
    sd_checklist l;
    sd_error err;
    char dir[512];
    const char *tmp;
    double gd[SD_TRACE_MAX_GAMMAS];
    size_t i;
    int rc;
    memset(&o, 0, sizeof o);
    if (m->V > THMTRACE_MAX_V || m->V < 2)
        return sd_cli_usage_error(c, "V = %zu: thm-trace needs 2 <= V <= %d", m->V,
                                  THMTRACE_MAX_V);
    for (i = 0; i < a->ngamma; i++)
        if (a->gamma[i] > SD_TRACE_MAX_GAMMA)
            return sd_cli_usage_error(c, "--gamma: each must be in 1..%d", SD_TRACE_MAX_GAMMA);
    if (a->K > SD_TRACE_MAX_DRAFTS)
        return sd_cli_usage_error(c, "--drafts: at most %d", SD_TRACE_MAX_DRAFTS);
    o.top_k = a->top_k ? a->top_k : (m->V / 4 ? m->V / 4 : 1);
    if (o.top_k >= m->V)
        return sd_cli_usage_error(c, "--top-k: must be below V = %zu", m->V);
    if ((double)a->B * (double)m->T * (double)m->V > SD_TRACE_SAMPLE_MAX)
        return sd_cli_usage_error(c, "--sequences: B T V = %zu x %zu x %zu is beyond %.0e",
                                  a->B, m->T, m->V, SD_TRACE_SAMPLE_MAX);
    o.B = a->B;
    o.ngamma = a->ngamma;
    o.gamma = a->gamma;
    o.K = a->K;
    o.cost = a->cost;
    o.seed = c->mc.seed;
    o.threads = c->mc.threads;
    o.z_max = c->mc.z_max;
    o.p_min = c->mc.p_min;
    tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/thm-trace-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL) {
        fprintf(stderr, "%s: cannot create a temporary directory in %s\n", c->prog,
                tmp && *tmp ? tmp : "/tmp");
        return 3;
    }
    o.dir = dir;
    sd_checklist_init(&l);
    sd_error_clear(&err);
    rc = sd_thmtrace_check(m, &o, &l, &err);
    rmdir(dir);
    if (rc != SD_OK)
        return sd_prog_checks_failed(c, &l, &err);
    for (i = 0; i < o.ngamma; i++)
        gd[i] = (double)a->gamma[i];
    {
        sd_kv extra[] = {
            SD_KV_I("sequences", o.B),
            SD_KV_A("gamma", gd, o.ngamma),
            SD_KV_I("drafts", o.K),
            SD_KV_N("cost", o.cost),
            SD_KV_I("top_k", o.top_k),
        };
        return sd_prog_report_checks(c, "trace", m, &l, extra, sizeof extra / sizeof extra[0]);
    }
}

int main(int argc, char **argv)
{
    args a = {{1, 2, 4, 8}, 4, 2000, 3, 0, 0.1};
    const sd_arg opts[] = {
        {"sequences", SD_ARG_SIZE, &a.B, NULL, 2, 0, 0, NULL, NULL},
        {"gamma", SD_ARG_SIZE_LIST, a.gamma, &a.ngamma, SD_TRACE_MAX_GAMMAS, 1, 0, NULL, NULL},
        {"drafts", SD_ARG_SIZE, &a.K, NULL, 1, 0, 0, NULL, NULL},
        {"cost", SD_ARG_DOUBLE, &a.cost, NULL, 0, 0.0, 1e300, NULL, NULL},
        {"top-k", SD_ARG_SIZE, &a.top_k, NULL, 1, 0, 0, NULL, NULL},
        SD_ARG_END};
    const sd_prog prog = {"thm-trace", help, SD_PROG_THEOREM, 1, 0, 16, 40, opts, NULL, run};
    return sd_prog_run(&prog, argc, argv, &a);
}
