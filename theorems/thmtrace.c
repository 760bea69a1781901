/* thmtrace.c - trace statistics against exact chain values. */
#include "thmtrace.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "batch.h"
#include "calls.h"
#include "exact.h"
#include "trace.h"
#include "tracefile.h"

/* Sample a trace of m into dir (files named by tag), run the statistics
 * with K drafts (0 for the controls: only conformance matters there)
 * and return the result (its pmf is not kept).  The files are removed. */
static sd_status run_trace(const sd_model *m, const sd_thmtrace_opts *o, sd_trace_source src,
                           uint64_t seed, const char *tag, size_t K, sd_trace_result *res,
                           sd_error *err)
{
    char dp[1024], tp[1024], kp[1024];
    sd_trace_sample_opts so;
    sd_trace_opts to;
    sd_trace_run_opts ro;
    sd_trace_file tf;
    sd_trace_stats *st = NULL;
    sd_status rc;
    size_t i;
    snprintf(dp, sizeof dp, "%s/%s-draft.npy", o->dir, tag);
    snprintf(tp, sizeof tp, "%s/%s-target.npy", o->dir, tag);
    snprintf(kp, sizeof kp, "%s/%s-tokens.npy", o->dir, tag);
    memset(&so, 0, sizeof so);
    so.B = o->B;
    so.seed = seed;
    so.source = src;
    so.top_k = o->top_k;
    rc = sd_trace_sample_chain(m, &so, dp, tp, kp, err);
    if (rc == SD_OK)
        rc = sd_trace_file_open(&tf, dp, tp, kp, 1, err);
    if (rc == SD_OK) {
        sd_trace_opts_default(&to);
        to.K = K;
        to.ngamma = o->ngamma;
        for (i = 0; i < o->ngamma; i++)
            to.gamma[i] = o->gamma[i];
        to.cost = o->cost;
        to.seed = seed;
        to.pmf_max = 0;
        memset(&ro, 0, sizeof ro);
        sd_sampling_default(&ro.draft);
        sd_sampling_default(&ro.target);
        ro.K = K;
        ro.threads = o->threads;
        rc = sd_trace_stats_alloc(&st, &to, err);
        if (rc == SD_OK)
            rc = sd_trace_run(&tf, &ro, st, err);
        if (rc == SD_OK)
            rc = sd_trace_stats_result(st, res, err);
        sd_trace_stats_free(st);
        sd_trace_file_close(&tf);
    }
    unlink(dp);
    unlink(tp);
    unlink(kp);
    return rc;
}

/* A check that passes iff the trace's conformance verdict is want. */
static sd_status conformance_check(sd_checklist *l, const char *name, const sd_trace_result *r,
                                   const sd_thmtrace_opts *o, int want, sd_error *err)
{
    const char *failed;
    int ok = sd_trace_conforms(r, o->z_max, o->p_min, &failed);
    sd_status rc = sd_check_bound(l, name, 0.5, ok == want ? 1.0 : 0.0, 0, 0.0, err);
    if (rc == SD_OK) {
        sd_check *c = &l->v[l->n - 1];
        c->estimate = r->surprisal_z;
        snprintf(c->detail, sizeof c->detail,
                 "%s: %s; zero-probability tokens %zu, surprisal z %.3g, PIT p %.3g",
                 want ? "must conform" : "must fail", failed ? failed : "conforms",
                 r->zero_prob, r->surprisal_z, r->pit_p);
    }
    return rc;
}

sd_status sd_thmtrace_check(const sd_model *m, const sd_thmtrace_opts *o, sd_checklist *l,
                            sd_error *err)
{
    sd_trace_result res, bad;
    double e1;
    char name[96];
    size_t i;
    sd_status rc;
    if ((rc = sd_exact_sd_mean(m, &e1, err)) != SD_OK)
        return rc;
    if ((rc = run_trace(m, o, SD_TRACE_FROM_TARGET, o->seed, "target", o->K, &res, err)) != SD_OK)
        return rc;
    rc = sd_check_z(l, "Theorem 1: mean sum TV", e1, res.tv_sum, res.tv_sum_stderr, o->z_max,
                    err);
    if (rc == SD_OK)
        rc = sd_check_z(l, "Theorem 1: mean sum r_t", e1, res.r_sum, res.r_sum_stderr,
                        o->z_max, err);
    for (i = 0; rc == SD_OK && i < o->ngamma; i++) {
        sd_calls_row row;
        rc = sd_calls_exact(m, o->gamma[i], o->cost, &row, NULL, err);
        snprintf(name, sizeof name, "calls gamma=%zu", o->gamma[i]);
        if (rc == SD_OK)
            rc = sd_check_z(l, name, row.calls, res.rows[i].calls, res.rows[i].calls_stderr,
                            o->z_max, err);
    }
    for (i = 2; rc == SD_OK && i <= o->K; i++) {
        double eb;
        rc = sd_batch_exact(m, i, &eb, NULL, err);
        snprintf(name, sizeof name, "batch M=%zu", i);
        if (rc == SD_OK)
            rc = sd_check_z(l, name, eb, res.md[i - 1].batch_rejections,
                            res.md[i - 1].batch_rejections_stderr, o->z_max, err);
    }
    if (rc == SD_OK)
        rc = conformance_check(l, "conformance: target tokens", &res, o, 1, err);
    if (rc == SD_OK)
        rc = run_trace(m, o, SD_TRACE_FROM_DRAFT, o->seed + 1, "draft", 0, &bad, err);
    if (rc == SD_OK)
        rc = conformance_check(l, "control: tokens from the draft chain fail conformance", &bad,
                               o, 0, err);
    if (rc == SD_OK)
        rc = run_trace(m, o, SD_TRACE_FROM_TOP_K, o->seed + 2, "topk", 0, &bad, err);
    if (rc == SD_OK)
        rc = conformance_check(l, "control: q recorded before top-k fails conformance", &bad,
                               o, 0, err);
    return rc;
}
