/* test_trace.c - trace statistics against hand calculations and direct
 * enumerations of the algorithms on tiny traces. */
#include "testutil.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "alloc.h"
#include "npy.h"
#include "rng.h"
#include "trace.h"
#include "tracefile.h"

static void test_position_by_hand(void **state)
{
    /* p = (0.5, 0.3, 0.2), q = (0.2, 0.3, 0.5), token 2 */
    const double p[3] = {0.5, 0.3, 0.2}, q[3] = {0.2, 0.3, 0.5};
    sd_trace_pos_ws *ws = sd_trace_pos_ws_alloc(3, 3);
    sd_trace_pos pos;
    sd_error err;
    double H = -(0.2 * log(0.2) + 0.3 * log(0.3) + 0.5 * log(0.5));
    double m2 = 0.2 * pow(-log(0.2) - H, 2) + 0.3 * pow(-log(0.3) - H, 2) +
                0.5 * pow(-log(0.5) - H, 2);
    (void)state;
    assert_non_null(ws);
    assert_int_equal(sd_trace_pos_compute(p, q, 3, 2, 3, ws, &pos, &err), SD_OK);
    assert_close(pos.tv, 0.3, 1e-15);
    assert_close(pos.r, 0.3 / 0.5, 1e-15);
    assert_close(pos.px, 0.2, 0);
    assert_close(pos.qx, 0.5, 0);
    assert_close(pos.below, 0.5, 1e-15);
    assert_close(pos.entropy, H, 1e-15);
    assert_close(pos.svar, m2, 1e-14);
    assert_close(pos.surprisal, -log(0.5), 1e-15);
    /* by hand: RRS 19/25, without replacement 41/50, alpha*_2 43/50 */
    assert_close(pos.rrs[0], 0.7, 1e-15);
    assert_close(pos.rrs[1], 19.0 / 25, 1e-15);
    assert_close(pos.rrs_wor[0], 0.7, 1e-15);
    assert_close(pos.rrs_wor[1], 41.0 / 50, 1e-15);
    /* by hand: after rejecting 0 and then 1, r_3 = d_3 = delta_2 */
    assert_close(pos.rrs_wor[2], 1.0, 1e-15);
    /* alpha*_3: the prefix {0, 1} gives 0.5 + 1 - 0.8^3 */
    assert_close(pos.alpha[2], 1.5 - 0.512, 1e-15);
    assert_close(pos.alpha[0], 0.7, 1e-15);
    assert_close(pos.alpha[1], 43.0 / 50, 1e-15);
    assert_close(pos.kseq[0], 0.7, 1e-12);
    /* batch with one draft rejects like SD: r_1(2) = 1, rho_1 = 0.3 */
    assert_close(pos.batch[0], pos.r, 1e-15);
    sd_trace_pos_ws_free(ws);
}

/* Expected calls, draft steps and rejections by enumerating every
 * rejection pattern and running the round structure literally. */
static void enum_calls(const double *r, size_t N, size_t G, double *calls, double *steps,
                       double *rej)
{
    size_t mask, t;
    *calls = *steps = *rej = 0;
    for (mask = 0; mask < ((size_t)1 << N); mask++) {
        double w = 1.0, c = 0, s = 0, x = 0;
        for (t = 0; t < N; t++)
            w *= (mask >> t & 1) ? r[t] : 1 - r[t];
        t = 0;
        while (t < N) {
            size_t j, g = G < N - t ? G : N - t;
            int rejected = 0;
            c += 1;
            s += (double)g;
            for (j = 0; j < G && t < N; j++, t++)
                if (mask >> t & 1) {
                    t++;
                    rejected = 1;
                    x += 1;
                    break;
                }
            if (!rejected && t < N)
                t++; /* bonus token */
        }
        *calls += w * c;
        *steps += w * s;
        *rej += w * x;
    }
}

/* Batch SD with k drafts to the horizon on the path, enumerated. */
static double enum_batch(const double *r, const double *a, size_t N)
{
    /* state: round start at t or not; recursive expectation */
    double e_start = 0, e_mid = 0; /* expected rejections from t on */
    size_t t = N;
    while (t-- > 0) {
        double es = a[t] * (1 + e_start) + (1 - a[t]) * e_mid;
        double em = r[t] * (1 + e_start) + (1 - r[t]) * e_mid;
        e_start = es;
        e_mid = em;
    }
    return e_start;
}

static void test_stats_against_enumeration(void **state)
{
    /* two sequences of random rows, V = 5, lengths 7 and 4 */
    gsl_rng *g = sd_rng_stream_alloc(NULL, 3, 0);
    sd_trace_opts o;
    sd_trace_stats *st;
    sd_trace_result res;
    sd_error err;
    const size_t len[2] = {7, 4}, V = 5;
    double rs[2][8], as[2][8], tvs[2] = {0, 0};
    size_t b, t, i, gi;
    (void)state;
    sd_trace_opts_default(&o);
    o.K = 3;
    o.ngamma = 4;
    o.gamma[0] = 1;
    o.gamma[1] = 2;
    o.gamma[2] = 3;
    o.gamma[3] = 9;
    o.cost = 0.25;
    assert_int_equal(sd_trace_stats_alloc(&st, &o, &err), SD_OK);
    for (b = 0; b < 2; b++) {
        assert_int_equal(sd_trace_stats_begin(st, &err), SD_OK);
        for (t = 0; t < len[b]; t++) {
            double p[5], q[5], sp = 0, sq = 0, tv = 0;
            size_t x = gsl_rng_uniform_int(g, V);
            sd_trace_pos_ws *ws = sd_trace_pos_ws_alloc(V, 3);
            sd_trace_pos pos;
            for (i = 0; i < V; i++) {
                p[i] = gsl_rng_uniform(g);
                q[i] = i == 3 ? 0.0 : gsl_rng_uniform(g) + 0.01;
                sp += p[i];
                sq += q[i];
            }
            if (x == 3)
                x = 4;
            for (i = 0; i < V; i++) {
                p[i] /= sp;
                q[i] /= sq;
                tv += fmax(q[i] - p[i], 0);
            }
            tvs[b] += tv;
            rs[b][t] = fmax(q[x] - p[x], 0) / q[x];
            assert_int_equal(sd_trace_pos_compute(p, q, V, x, 3, ws, &pos, &err), SD_OK);
            as[b][t] = pos.batch[1]; /* k = 2 */
            sd_trace_pos_ws_free(ws);
            assert_int_equal(sd_trace_stats_add(st, p, q, V, x, &err), SD_OK);
        }
        assert_int_equal(sd_trace_stats_end(st, &err), SD_OK);
    }
    assert_int_equal(sd_trace_stats_result(st, &res, &err), SD_OK);
    assert_int_equal(res.sequences, 2);
    assert_int_equal(res.positions, 11);
    assert_close(res.tv_sum, (tvs[0] + tvs[1]) / 2, 1e-14);
    assert_close(res.tv_sum_stderr, fabs(tvs[0] - tvs[1]) / 2, 1e-12);
    assert_close(res.mean_acceptance, 1 - (tvs[0] + tvs[1]) / 11, 1e-14);
    for (gi = 0; gi < 4; gi++) {
        double c0, s0, x0, c1, s1, x1, calls, steps;
        enum_calls(rs[0], 7, o.gamma[gi], &c0, &s0, &x0);
        enum_calls(rs[1], 4, o.gamma[gi], &c1, &s1, &x1);
        assert_close(res.rows[gi].rejections, (x0 + x1) / 2, 1e-13);
        calls = (c0 + c1) / 2;
        steps = (s0 + s1) / 2;
        assert_close(res.rows[gi].calls, calls, 1e-13);
        assert_close(res.rows[gi].draft_steps, steps, 1e-13);
        assert_close(res.rows[gi].wall_time, calls + 0.25 * steps, 1e-13);
        assert_close(res.rows[gi].tokens_per_call, 11 / (2 * calls), 1e-13);
        assert_close(res.rows[gi].speedup, 11 / (2 * (calls + 0.25 * steps)), 1e-13);
    }
    /* gamma >= N: calls = 1 + rejections before the last position */
    {
        double e0 = 1, e1 = 1;
        for (t = 0; t + 1 < 7; t++)
            e0 += rs[0][t];
        for (t = 0; t + 1 < 4; t++)
            e1 += rs[1][t];
        assert_close(res.rows[3].calls, (e0 + e1) / 2, 1e-13);
    }
    /* batch SD with k = 2 drafts on the path */
    assert_close(res.md[1].batch_rejections,
                 (enum_batch(rs[0], as[0], 7) + enum_batch(rs[1], as[1], 4)) / 2, 1e-13);
    /* k = 1 batch is SD */
    assert_close(res.md[0].batch_rejections, res.r_sum, 1e-13);
    /* the law of N_rej given the paths, enumerated */
    {
        double pmf[12] = {0}, all[11];
        size_t mask;
        for (t = 0; t < 7; t++)
            all[t] = rs[0][t];
        for (t = 0; t < 4; t++)
            all[7 + t] = rs[1][t];
        for (mask = 0; mask < (1u << 11); mask++) {
            double w = 1;
            for (t = 0; t < 11; t++)
                w *= (mask >> t & 1) ? all[t] : 1 - all[t];
            pmf[__builtin_popcountl(mask)] += w;
        }
        assert_int_equal(res.pmf_len, 12);
        for (t = 0; t < 12; t++)
            assert_close(res.pmf[t], pmf[t], 1e-14);
    }
    assert_int_equal(res.zero_prob, 0);
    sd_trace_stats_free(st);
    gsl_rng_free(g);
}

static void test_leviathan_form(void **state)
{
    /* constant rows with TV 0.4 and tokens where r = TV (context-free
     * P = (0.6, 0.4), Q = (0.2, 0.8), x = 1: r = 0.4/0.8 = 0.5, tv = 0.4) */
    sd_trace_opts o;
    sd_trace_stats *st;
    sd_trace_result res;
    sd_error err;
    const double p[2] = {0.6, 0.4}, q[2] = {0.2, 0.8};
    (void)state;
    sd_trace_opts_default(&o);
    o.ngamma = 1;
    o.gamma[0] = 3;
    o.cost = 0.1;
    assert_int_equal(sd_trace_stats_alloc(&st, &o, &err), SD_OK);
    assert_int_equal(sd_trace_stats_begin(st, &err), SD_OK);
    assert_int_equal(sd_trace_stats_add(st, p, q, 2, 1, &err), SD_OK);
    assert_int_equal(sd_trace_stats_end(st, &err), SD_OK);
    assert_int_equal(sd_trace_stats_result(st, &res, &err), SD_OK);
    assert_close(res.mean_acceptance, 0.6, 1e-15);
    assert_close(res.rows[0].leviathan_tokens_per_call, (1 - pow(0.6, 4)) / 0.4, 1e-14);
    assert_close(res.rows[0].leviathan_speedup, (1 - pow(0.6, 4)) / 0.4 / 1.3, 1e-14);
    assert_true(isnan(res.tv_sum_stderr));
    sd_trace_stats_free(st);
}

/* Tokens drawn from q conform; tokens drawn from p do not.  Both tests at
 * z_max = 4.5 and p_min = 1e-6: a false failure of the first about once in
 * 70 000 runs; the second fails unless chance hides a TV of 0.3 over 5000
 * positions (surprisal shift about 15 standard deviations). */
static void test_conformance(void **state)
{
    const double p[3] = {0.5, 0.3, 0.2}, q[3] = {0.2, 0.3, 0.5};
    int which;
    (void)state;
    for (which = 0; which < 2; which++) {
        gsl_rng *g = sd_rng_stream_alloc(NULL, 5, (uint64_t)which);
        gsl_ran_discrete_t *dq = gsl_ran_discrete_preproc(3, which ? p : q);
        sd_trace_opts o;
        sd_trace_stats *st;
        sd_trace_result res;
        sd_error err;
        const char *failed;
        size_t b, t;
        sd_trace_opts_default(&o);
        assert_int_equal(sd_trace_stats_alloc(&st, &o, &err), SD_OK);
        for (b = 0; b < 10; b++) {
            assert_int_equal(sd_trace_stats_begin(st, &err), SD_OK);
            for (t = 0; t < 500; t++)
                assert_int_equal(sd_trace_stats_add(st, p, q, 3, gsl_ran_discrete(g, dq), &err),
                                 SD_OK);
            assert_int_equal(sd_trace_stats_end(st, &err), SD_OK);
        }
        assert_int_equal(sd_trace_stats_result(st, &res, &err), SD_OK);
        assert_int_equal(sd_trace_conforms(&res, 4.5, 1e-6, &failed), !which);
        if (which)
            assert_string_equal(failed, "surprisal");
        sd_trace_stats_free(st);
        gsl_ran_discrete_free(dq);
        gsl_rng_free(g);
    }
}

static void test_zero_probability_token(void **state)
{
    const double p[3] = {0.5, 0.3, 0.2}, q[3] = {0.0, 0.5, 0.5};
    sd_trace_opts o;
    sd_trace_stats *st;
    sd_trace_result res;
    sd_error err;
    const char *failed;
    (void)state;
    sd_trace_opts_default(&o);
    assert_int_equal(sd_trace_stats_alloc(&st, &o, &err), SD_OK);
    assert_int_equal(sd_trace_stats_begin(st, &err), SD_OK);
    assert_int_equal(sd_trace_stats_add(st, p, q, 3, 1, &err), SD_OK);
    assert_int_equal(sd_trace_stats_add(st, p, q, 3, 0, &err), SD_OK);
    assert_int_equal(sd_trace_stats_end(st, &err), SD_OK);
    assert_int_equal(sd_trace_stats_result(st, &res, &err), SD_OK);
    assert_int_equal(res.zero_prob, 1);
    assert_int_equal(res.zero_b, 0);
    assert_int_equal(res.zero_t, 1);
    assert_false(sd_trace_conforms(&res, 4.5, 1e-6, &failed));
    assert_string_equal(failed, "zero-probability tokens");
    sd_trace_stats_free(st);
}

static void test_bad_use(void **state)
{
    sd_trace_opts o;
    sd_trace_stats *st;
    sd_trace_result res;
    sd_trace_pos pos;
    sd_error err;
    (void)state;
    sd_trace_opts_default(&o);
    o.gamma[0] = 0;
    assert_int_equal(sd_trace_stats_alloc(&st, &o, &err), SD_EINVAL);
    sd_trace_opts_default(&o);
    o.cost = -1;
    assert_int_equal(sd_trace_stats_alloc(&st, &o, &err), SD_EINVAL);
    sd_trace_opts_default(&o);
    o.K = SD_TRACE_MAX_DRAFTS + 1;
    assert_int_equal(sd_trace_stats_alloc(&st, &o, &err), SD_EINVAL);
    sd_trace_opts_default(&o);
    o.K = 2;
    assert_int_equal(sd_trace_stats_alloc(&st, &o, &err), SD_OK);
    assert_int_equal(sd_trace_stats_result(st, &res, &err), SD_EINVAL);
    memset(&pos, 0, sizeof pos);
    assert_int_equal(sd_trace_stats_push(st, &pos, &err), SD_EINVAL);
    assert_int_equal(sd_trace_stats_end(st, &err), SD_EINVAL);
    assert_int_equal(sd_trace_stats_begin(st, &err), SD_OK);
    assert_int_equal(sd_trace_stats_begin(st, &err), SD_EINVAL);
    pos.K = 1;
    assert_int_equal(sd_trace_stats_push(st, &pos, &err), SD_EINVAL);
    sd_trace_stats_free(st);
}

static sd_status stats_attempt(void *ctx, int which)
{
    sd_trace_stats *st = NULL;
    sd_status rc = sd_trace_stats_alloc(&st, ctx, NULL);
    (void)which;
    if (rc == SD_OK)
        sd_trace_stats_free(st);
    else
        assert_null(st);
    return rc;
}

/* The per-position workspace: NULL (no leak) whenever an allocation fails. */
static sd_status pos_ws_attempt(void *ctx, int which)
{
    sd_trace_pos_ws *ws = sd_trace_pos_ws_alloc(4, 2);
    (void)ctx;
    (void)which;
    sd_trace_pos_ws_free(ws);
    return ws != NULL ? SD_OK : SD_ENOMEM;
}

static void test_alloc_failures(void **state)
{
    sd_trace_opts o;
    (void)state;
    sd_trace_opts_default(&o);
    o.K = 2;
    sd_test_alloc_sweep(stats_attempt, &o, 1, 1000);
    sd_test_alloc_sweep(pos_ws_attempt, NULL, 1, 100);
}

/* ---- sd_trace_run: the same numbers on any number of threads --------- */

#define RB 4
#define RN 9
#define RV 6

/* Checks that positions are visited in trace order, each once. */
typedef struct {
    size_t lens[RB];
    size_t b, t, n;
    int bad;
} visit_log;

static int visit_in_order(void *arg, size_t b, size_t t, size_t token, const sd_trace_pos *pos)
{
    visit_log *v = arg;
    (void)token;
    (void)pos;
    while (v->b < RB && v->t >= v->lens[v->b]) {
        v->b++;
        v->t = 0;
    }
    if (b != v->b || t != v->t)
        v->bad = 1;
    v->t++;
    v->n++;
    return 0;
}

/* Write a trace of RB sequences (the second empty, the third of length
 * 4) with float32 logits; NaN draft logits at the given (b, t) if nan. */
static void write_run_trace(const char *tag, int nan, char *dp, char *tp, char *kp,
                            size_t cap)
{
    static const size_t lens[RB] = {RN, 0, 4, RN};
    float d[RB * RN * RV], q[RB * RN * RV];
    int64_t x[RB * RN];
    size_t shape[3] = {RB, RN, RV}, b, t, i;
    gsl_rng *r = sd_rng_stream_alloc(NULL, 99, 0);
    char name[64];
    sd_error err;
    assert_non_null(r);
    for (i = 0; i < RB * RN * RV; i++) {
        q[i] = (float)(2.0 * gsl_ran_gaussian(r, 1.0));
        d[i] = q[i] + (float)gsl_ran_gaussian(r, 0.7);
    }
    for (b = 0; b < RB; b++)
        for (t = 0; t < RN; t++)
            x[b * RN + t] = t < lens[b] ? (int64_t)gsl_rng_uniform_int(r, RV) : -1;
    if (nan) {
        d[(2 * RN + 1) * RV + 3] = NAN; /* the first in trace order ... */
        d[(3 * RN + 4) * RV + 0] = NAN; /* ... and a later one */
    }
    gsl_rng_free(r);
    snprintf(name, sizeof name, "%s-draft.npy", tag);
    sd_test_path(dp, cap, name);
    snprintf(name, sizeof name, "%s-target.npy", tag);
    sd_test_path(tp, cap, name);
    snprintf(name, sizeof name, "%s-tokens.npy", tag);
    sd_test_path(kp, cap, name);
    assert_int_equal(sd_npy_write_typed(dp, d, SD_NPY_F32, 3, shape, &err), SD_OK);
    assert_int_equal(sd_npy_write_typed(tp, q, SD_NPY_F32, 3, shape, &err), SD_OK);
    assert_int_equal(sd_npy_write_typed(kp, x, SD_NPY_I64, 2, shape, &err), SD_OK);
}

/* Run the statistics with the given threads and ring size; the result
 * (pmf copied into pmf[0..RB RN]) or the error. */
static sd_status run_with(const char *dp, const char *tp, const char *kp, int threads,
                          size_t block, sd_trace_result *res, double *pmf, visit_log *v,
                          sd_error *err)
{
    static const size_t lens[RB] = {RN, 0, 4, RN};
    sd_trace_file f;
    sd_trace_opts o;
    sd_trace_run_opts ro;
    sd_trace_stats *st = NULL;
    sd_status rc;
    assert_int_equal(sd_trace_file_open(&f, dp, tp, kp, 0, err), SD_OK);
    sd_trace_opts_default(&o);
    o.K = 3;
    assert_int_equal(sd_trace_stats_alloc(&st, &o, err), SD_OK);
    memset(&ro, 0, sizeof ro);
    sd_sampling_default(&ro.draft);
    ro.draft.temperature = 0.9;
    ro.draft.top_p = 0.9;
    ro.target = ro.draft;
    ro.K = 3;
    ro.threads = threads;
    ro.block = block;
    memset(v, 0, sizeof *v);
    memcpy(v->lens, lens, sizeof lens);
    ro.visit = visit_in_order;
    ro.visit_arg = v;
    rc = sd_trace_run(&f, &ro, st, err);
    if (rc == SD_OK) {
        assert_int_equal(sd_trace_stats_result(st, res, err), SD_OK);
        assert_int_equal(res->pmf_len, f.positions + 1);
        memcpy(pmf, res->pmf, res->pmf_len * sizeof *pmf);
        res->pmf = NULL;
    }
    sd_trace_stats_free(st);
    sd_trace_file_close(&f);
    return rc;
}

static void test_run_thread_independent(void **state)
{
    static const int threads[] = {1, 2, 3};
    static const size_t blocks[] = {0, 1, 2, 3, 7};
    char dp[1024], tp[1024], kp[1024];
    sd_trace_result base, res;
    double pbase[RB * RN + 1], pmf[RB * RN + 1];
    visit_log v;
    sd_error err;
    size_t i, j;
    (void)state;
    write_run_trace("run", 0, dp, tp, kp, sizeof dp);
    assert_int_equal(run_with(dp, tp, kp, 1, 0, &base, pbase, &v, &err), SD_OK);
    assert_false(v.bad);
    assert_int_equal(v.n, 2 * RN + 4);
    assert_int_equal(base.sequences, RB);
    assert_int_equal(base.positions, 2 * RN + 4);
    for (i = 0; i < sizeof threads / sizeof threads[0]; i++)
        for (j = 0; j < sizeof blocks / sizeof blocks[0]; j++) {
            memset(pmf, 0, sizeof pmf);
            assert_int_equal(run_with(dp, tp, kp, threads[i], blocks[j], &res, pmf, &v, &err),
                             SD_OK);
            assert_false(v.bad);
            assert_int_equal(v.n, 2 * RN + 4);
            /* bit for bit */
            assert_memory_equal(&res, &base, sizeof res);
            assert_memory_equal(pmf, pbase, (2 * RN + 5) * sizeof *pmf);
        }
}

static void test_run_first_error_in_trace_order(void **state)
{
    static const int threads[] = {1, 2, 3};
    static const size_t blocks[] = {0, 1, 2, 5};
    char dp[1024], tp[1024], kp[1024];
    sd_trace_result res;
    double pmf[RB * RN + 1];
    visit_log v;
    sd_error err;
    size_t i, j;
    (void)state;
    write_run_trace("nan", 1, dp, tp, kp, sizeof dp);
    for (i = 0; i < sizeof threads / sizeof threads[0]; i++)
        for (j = 0; j < sizeof blocks / sizeof blocks[0]; j++) {
            memset(&err, 0, sizeof err);
            assert_int_equal(run_with(dp, tp, kp, threads[i], blocks[j], &res, pmf, &v, &err),
                             SD_EINVAL);
            assert_non_null(strstr(err.msg, "logit [2, 1, 3] is NaN"));
            /* the positions before it were pushed, in order, and no other */
            assert_false(v.bad);
            assert_int_equal(v.n, RN + 1);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_position_by_hand),
        cmocka_unit_test(test_stats_against_enumeration),
        cmocka_unit_test(test_leviathan_form),
        cmocka_unit_test(test_conformance),
        cmocka_unit_test(test_zero_probability_token),
        cmocka_unit_test(test_bad_use),
        cmocka_unit_test(test_alloc_failures),
        cmocka_unit_test(test_run_thread_independent),
        cmocka_unit_test(test_run_first_error_in_trace_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
