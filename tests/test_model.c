/* test_model.c - loading, validating and generating draft/target models. */
#include "testutil.h"

#include <gsl/gsl_rng.h>

#include "alloc.h"
#include "model.h"
#include "npy.h"
#include "rng.h"

/* Under AddressSanitizer, let an impossible malloc return NULL (as the C
 * library does) instead of aborting: test_random_invalid provokes one. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "allocator_may_return_null=1";
}

/* ---- helpers ------------------------------------------------------------- */

/* A valid (nK, V, V) kernel stack: row (t, s) puts weight on x by a
 * simple rule, every row summing to 1 exactly in binary (powers of 2). */
static void fill_kernels(double *K, size_t nK, size_t V, unsigned salt)
{
    size_t t, s, x;
    for (t = 0; t < nK; t++)
        for (s = 0; s < V; s++) {
            double *row = K + (t * V + s) * V;
            for (x = 0; x < V; x++)
                row[x] = 0.0;
            if (V == 1) {
                row[0] = 1.0;
                continue;
            }
            row[(s + t + salt) % V] += 0.5;
            row[(s + 2 * t + salt + 1) % V] += 0.25;
            row[(3 * s + t + salt) % V] += 0.25;
        }
}

/* Write nK kernels of size V as path: shape (V,V) when stationary != 0
 * (nK must be 1), else (nK,V,V). */
static char *write_kernels(char *path, size_t cap, const char *name, const double *K,
                           size_t nK, size_t V, int stationary)
{
    size_t shape[3];
    sd_error err;
    sd_test_path(path, cap, name);
    if (stationary) {
        shape[0] = V;
        shape[1] = V;
        assert_int_equal(sd_npy_write(path, K, 2, shape, &err), SD_OK);
    } else {
        shape[0] = nK;
        shape[1] = V;
        shape[2] = V;
        assert_int_equal(sd_npy_write(path, K, 3, shape, &err), SD_OK);
    }
    return path;
}

/* Write a valid (T,V,V) file with salt. */
static char *good_file(char *path, size_t cap, const char *name, size_t T, size_t V,
                       unsigned salt)
{
    double *K = malloc(T * V * V * sizeof *K);
    assert_non_null(K);
    fill_kernels(K, T, V, salt);
    write_kernels(path, cap, name, K, T, V, 0);
    free(K);
    return path;
}

/* Load and expect failure: status code, exit code 2, message naming
 * every needle (NULL-terminated list). */
static void expect_load_error(const char *draft, const char *target, size_t horizon,
                              const char *start, sd_status code, ...)
{
    sd_model m;
    sd_error err;
    sd_status rc;
    va_list ap;
    const char *needle;
    sd_error_clear(&err);
    rc = sd_model_load(&m, draft, target, horizon, start, &err);
    if (rc != code)
        fail_msg("load %s %s: status %d, expected %d; message: %s", draft, target, (int)rc,
                 (int)code, err.msg);
    assert_int_equal(sd_status_exit_code(rc), 2);
    va_start(ap, code);
    while ((needle = va_arg(ap, const char *)) != NULL)
        assert_msg_has(err.msg, needle);
    va_end(ap);
    /* the model is left empty */
    assert_null(m.P);
    assert_null(m.Q);
    assert_null(m.pi0);
    sd_model_free(&m);
}

/* A (T,V,V) file with the entry (t, s, x) (t 1-based) set to value. */
static char *file_with_entry(char *path, size_t cap, const char *name, size_t T, size_t V,
                             size_t t, size_t s, size_t x, double value)
{
    double *K = malloc(T * V * V * sizeof *K);
    assert_non_null(K);
    fill_kernels(K, T, V, 0);
    K[((t - 1) * V + s) * V + x] = value;
    write_kernels(path, cap, name, K, T, V, 0);
    free(K);
    return path;
}

/* ---- loading ------------------------------------------------------------- */

static void test_load_roundtrip(void **state)
{
    /* sd_model_save then sd_model_load gives back the same kernels; a
     * stationary model comes back with one kernel each. */
    char dp[600], tp[600];
    sd_model a, b;
    sd_error err;
    size_t stat;
    (void)state;
    for (stat = 0; stat <= 1; stat++) {
        size_t nK;
        assert_int_equal(sd_model_random(&a, 4, 6, SD_FAMILY_PAPER, 1.0, (int)stat, 11, &err),
                         SD_OK);
        sd_test_path(dp, sizeof dp, "rt-p.npy");
        sd_test_path(tp, sizeof tp, "rt-q.npy");
        assert_int_equal(sd_model_save(&a, dp, tp, &err), SD_OK);
        assert_int_equal(sd_model_load(&b, dp, tp, stat ? 6 : 0, NULL, &err), SD_OK);
        assert_int_equal(b.V, 4);
        assert_int_equal(b.T, 6);
        nK = stat ? 1 : 6;
        assert_int_equal(b.nP, nK);
        assert_int_equal(b.nQ, nK);
        assert_int_equal(sd_model_stationary(&b), (int)stat);
        /* rows are renormalised on load: equal to within rounding */
        {
            size_t i;
            for (i = 0; i < nK * 16; i++) {
                assert_close(a.P[i], b.P[i], 1e-15);
                assert_close(a.Q[i], b.Q[i], 1e-15);
            }
            for (i = 0; i < 4; i++)
                assert_true(b.pi0[i] == 0.25);
        }
        sd_model_free(&a);
        sd_model_free(&b);
    }
}

static void test_load_mixed_stationarity(void **state)
{
    /* a stationary draft (V,V) with --horizon and a nonstationary target */
    char dp[600], tp[600];
    double K[9];
    sd_model m;
    sd_error err;
    (void)state;
    fill_kernels(K, 1, 3, 1);
    write_kernels(dp, sizeof dp, "mix-p.npy", K, 1, 3, 1);
    good_file(tp, sizeof tp, "mix-q.npy", 5, 3, 0);
    assert_int_equal(sd_model_load(&m, dp, tp, 5, NULL, &err), SD_OK);
    assert_int_equal(m.nP, 1);
    assert_int_equal(m.nQ, 5);
    assert_int_equal(m.T, 5);
    assert_false(sd_model_stationary(&m));
    /* sd_model_p gives the one kernel at every t */
    assert_ptr_equal(sd_model_p(&m, 1, 2), sd_model_p(&m, 5, 2));
    assert_true(sd_model_p(&m, 4, 2)[0] == K[6]);
    assert_true(sd_model_q(&m, 4, 1) == m.Q + 3 * 9 + 3);
    sd_model_free(&m);
    /* without --horizon, T comes from the (T,V,V) file; another
     * --horizon disagrees with it */
    assert_int_equal(sd_model_load(&m, dp, tp, 0, NULL, &err), SD_OK);
    assert_int_equal(m.T, 5);
    assert_int_equal(m.nP, 1);
    sd_model_free(&m);
    expect_load_error(dp, tp, 4, NULL, SD_EINVAL, tp, "horizon 4", NULL);
}

static void test_load_nan_inf_negative(void **state)
{
    char dp[600], tp[600];
    (void)state;
    good_file(tp, sizeof tp, "ok-q.npy", 3, 4, 0);
    file_with_entry(dp, sizeof dp, "nan.npy", 3, 4, 2, 1, 3, NAN);
    expect_load_error(dp, tp, 0, NULL, SD_EINVAL, dp, "t=2, s=1", "x=3", "not finite", NULL);
    file_with_entry(dp, sizeof dp, "inf.npy", 3, 4, 3, 0, 2, INFINITY);
    expect_load_error(dp, tp, 0, NULL, SD_EINVAL, dp, "t=3, s=0", "x=2", "not finite", NULL);
    file_with_entry(dp, sizeof dp, "ninf.npy", 3, 4, 1, 3, 0, -INFINITY);
    expect_load_error(dp, tp, 0, NULL, SD_EINVAL, dp, "t=1, s=3", "x=0", NULL);
    file_with_entry(dp, sizeof dp, "neg.npy", 3, 4, 1, 2, 1, -1e-3);
    expect_load_error(dp, tp, 0, NULL, SD_EINVAL, dp, "t=1, s=2", "x=1", "negative", NULL);
    /* in the target file too: the message names the target */
    good_file(dp, sizeof dp, "ok-p.npy", 3, 4, 1);
    file_with_entry(tp, sizeof tp, "tnan.npy", 3, 4, 3, 3, 3, NAN);
    expect_load_error(dp, tp, 0, NULL, SD_EINVAL, tp, "t=3, s=3", "x=3", NULL);
}

static void test_load_row_sum_float64(void **state)
{
    /* off 1 by 2e-6 > 1e-6: refused; by 5e-7: accepted and renormalised */
    char dp[600], tp[600];
    double K[2 * 9];
    sd_model m;
    sd_error err;
    size_t t, s, x;
    (void)state;
    good_file(tp, sizeof tp, "rs-q.npy", 2, 3, 0);
    fill_kernels(K, 2, 3, 0);
    K[(1 * 3 + 2) * 3 + 0] += 2e-6; /* t=2, s=2 */
    write_kernels(dp, sizeof dp, "rs-bad.npy", K, 2, 3, 0);
    expect_load_error(dp, tp, 0, NULL, SD_EINVAL, dp, "t=2, s=2", "row sums", NULL);
    fill_kernels(K, 2, 3, 0);
    K[(1 * 3 + 2) * 3 + 0] += 5e-7;
    K[(0 * 3 + 1) * 3 + 1] -= 9e-7; /* may hit a zero entry: keep it non-negative */
    if (K[(0 * 3 + 1) * 3 + 1] < 0)
        K[(0 * 3 + 1) * 3 + 1] += 9e-7;
    write_kernels(dp, sizeof dp, "rs-ok.npy", K, 2, 3, 0);
    assert_int_equal(sd_model_load(&m, dp, tp, 0, NULL, &err), SD_OK);
    for (t = 1; t <= 2; t++)
        for (s = 0; s < 3; s++) {
            const double *row = sd_model_p(&m, t, s), *orig = K + ((t - 1) * 3 + s) * 3;
            double sum = 0.0, osum = orig[0] + orig[1] + orig[2];
            for (x = 0; x < 3; x++) {
                sum += row[x];
                assert_close(row[x], orig[x] / osum, 1e-15);
            }
            assert_close(sum, 1.0, 4e-16);
        }
    sd_model_free(&m);
}

static void test_load_row_sum_float32(void **state)
{
    /* float32 files get the looser 1e-4 tolerance */
    char dp[600], tp[600];
    float f[2 * 4];
    sd_model m;
    sd_error err;
    (void)state;
    good_file(tp, sizeof tp, "f4-q.npy", 1, 2, 0);
    f[0] = 0.5f;
    f[1] = 0.5f + 2e-4f; /* off by 2e-4: refused */
    f[2] = 0.25f;
    f[3] = 0.75f;
    sd_test_npy_bytes(sd_test_path(dp, sizeof dp, "f4-bad.npy"), 1,
                      "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 2), }", 64, f,
                      4 * sizeof(float));
    expect_load_error(dp, tp, 0, NULL, SD_EINVAL, dp, "s=0", "row sums", NULL);
    f[1] = 0.5f + 5e-5f; /* off by 5e-5 (far beyond 1e-6): accepted for float32 */
    sd_test_npy_bytes(sd_test_path(dp, sizeof dp, "f4-ok.npy"), 1,
                      "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 2), }", 64, f,
                      4 * sizeof(float));
    assert_int_equal(sd_model_load(&m, dp, tp, 0, NULL, &err), SD_OK);
    assert_close(m.P[0] + m.P[1], 1.0, 4e-16);
    assert_close(m.P[0], 0.5 / (0.5 + (double)(0.5f + 5e-5f)), 1e-15);
    sd_model_free(&m);
    /* the same 5e-5 error in a float64 file is refused */
    {
        double K[4] = {0.5, 0.5 + 5e-5, 0.25, 0.75};
        write_kernels(dp, sizeof dp, "f8-bad.npy", K, 1, 2, 0);
        expect_load_error(dp, tp, 0, NULL, SD_EINVAL, dp, "row sums", NULL);
    }
}

static void test_load_bad_shapes(void **state)
{
    /* each shape written as a draft file, loaded (with the horizon given
     * when the file holds one kernel) against a good target */
    static const struct {
        const char *file;
        size_t rank, shape[4], horizon;
        const char *msg;
    } bad[] = {
        {"v0.npy", 3, {2, 0, 0}, 0, "V = 0"},      /* V = 0, with a horizon ... */
        {"v0s.npy", 2, {0, 0}, 2, "V = 0"},        /* ... and stationary */
        {"t0.npy", 3, {0, 2, 2}, 0, "T = 0"},      /* T = 0 */
        {"nsq3.npy", 3, {2, 2, 3}, 0, "square"},   /* non-square */
        {"nsq2.npy", 2, {2, 3}, 3, "square"},
        {"rank1.npy", 1, {4}, 0, "rank 1"},        /* rank 1 and rank 4 */
        {"rank4.npy", 4, {1, 2, 2, 2}, 0, "rank 4"},
    };
    char dp[600], tp[600];
    double K[64];
    sd_error err;
    size_t i;
    (void)state;
    memset(K, 0, sizeof K);
    good_file(tp, sizeof tp, "sh-q.npy", 2, 2, 0);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(sd_npy_write(sd_test_path(dp, sizeof dp, bad[i].file), K, bad[i].rank,
                                      bad[i].shape, &err), SD_OK);
        expect_load_error(dp, tp, bad[i].horizon, NULL, SD_EINVAL, dp, bad[i].msg, NULL);
    }
    /* the target file's shape is checked too */
    good_file(dp, sizeof dp, "sh-p.npy", 2, 2, 0);
    expect_load_error(dp, sd_test_path(tp, sizeof tp, "rank4.npy"), 0, NULL, SD_EINVAL, tp,
                      "rank 4", NULL);
}

static void test_load_mismatch(void **state)
{
    char dp[600], tp[600], p3[600];
    double K[9];
    (void)state;
    good_file(dp, sizeof dp, "mm-p.npy", 2, 2, 0);
    good_file(tp, sizeof tp, "mm-q3.npy", 2, 3, 0);
    expect_load_error(dp, tp, 0, NULL, SD_EINVAL, dp, tp, "V = 2", "V = 3", NULL);
    good_file(tp, sizeof tp, "mm-qT.npy", 3, 2, 0);
    expect_load_error(dp, tp, 0, NULL, SD_EINVAL, dp, tp, "T = 2", "T = 3", NULL);
    /* (V,V) without --horizon; --horizon disagreeing with (T,V,V) */
    fill_kernels(K, 1, 3, 0);
    write_kernels(p3, sizeof p3, "stat3.npy", K, 1, 3, 1);
    expect_load_error(p3, p3, 0, NULL, SD_EINVAL, p3, "needs a horizon", NULL);
    expect_load_error(dp, dp, 5, NULL, SD_EINVAL, dp, "horizon 5", "T = 2", NULL);
    /* a file error on either side names that file */
    sd_test_path(tp, sizeof tp, "missing.npy");
    expect_load_error(dp, tp, 0, NULL, SD_EINVAL, tp, NULL);
    expect_load_error(tp, dp, 0, NULL, SD_EINVAL, tp, NULL);
}

static void test_load_start(void **state)
{
    char dp[600], sp[600];
    double pi[3] = {0.2, 0.3, 0.5}, bad[3] = {0.2, -0.1, 0.9}, two[2] = {0.5, 0.5};
    double pi2[9] = {0};
    size_t shape[2] = {3, 3};
    sd_model m;
    sd_error err;
    (void)state;
    good_file(dp, sizeof dp, "st-p.npy", 2, 3, 0);
    /* a state index */
    assert_int_equal(sd_model_load(&m, dp, dp, 0, "2", &err), SD_OK);
    assert_true(m.pi0[0] == 0.0 && m.pi0[1] == 0.0 && m.pi0[2] == 1.0);
    sd_model_free(&m);
    assert_int_equal(sd_model_load(&m, dp, dp, 0, "uniform", &err), SD_OK);
    assert_true(m.pi0[1] == 1.0 / 3.0);
    sd_model_free(&m);
    /* out of range, malformed */
    expect_load_error(dp, dp, 0, "3", SD_EINVAL, "start state 3", "out of range", NULL);
    expect_load_error(dp, dp, 0, "99999999999999999999999", SD_EINVAL,
                      "start state 99999999999999999999999", "out of range", NULL);
    expect_load_error(dp, dp, 0, "1x", SD_EINVAL, "start law '1x'", NULL);
    /* a start file */
    shape[0] = 3;
    assert_int_equal(sd_npy_write(sd_test_path(sp, sizeof sp, "pi.npy"), pi, 1, shape, &err),
                     SD_OK);
    assert_int_equal(sd_model_load(&m, dp, dp, 0, sp, &err), SD_OK);
    assert_close(m.pi0[2], 0.5, 1e-15);
    sd_model_free(&m);
    /* start files of the wrong shape, with a negative entry, missing */
    shape[0] = 2;
    assert_int_equal(sd_npy_write(sd_test_path(sp, sizeof sp, "pi2.npy"), two, 1, shape, &err),
                     SD_OK);
    expect_load_error(dp, dp, 0, sp, SD_EINVAL, sp, "shape (3,)", NULL);
    shape[0] = 3;
    assert_int_equal(sd_npy_write(sd_test_path(sp, sizeof sp, "pi33.npy"), pi2, 2, shape, &err),
                     SD_OK);
    expect_load_error(dp, dp, 0, sp, SD_EINVAL, sp, "rank 2", NULL);
    assert_int_equal(sd_npy_write(sd_test_path(sp, sizeof sp, "pineg.npy"), bad, 1, shape, &err),
                     SD_OK);
    expect_load_error(dp, dp, 0, sp, SD_EINVAL, sp, "negative", NULL);
    expect_load_error(dp, dp, 0, sd_test_path(sp, sizeof sp, "nostart.npy"), SD_EINVAL,
                      "start law", sp, NULL);
    expect_load_error(dp, dp, 0, "", SD_EINVAL, "start law ''", NULL);
    expect_load_error(dp, dp, 0, "-1", SD_EINVAL, "start law: -1", NULL);
}

static void test_load_alloc_failure(void **state)
{
    /* the n-th allocation fails, n = 1, 2, ... until the load succeeds;
     * with a start file, so its reading is covered too */
    char dp[600], tp[600], sp[600];
    double pi[3] = {0.2, 0.3, 0.5};
    size_t shape[1] = {3};
    unsigned long n;
    sd_status rc = SD_ENOMEM;
    sd_error err;
    (void)state;
    good_file(dp, sizeof dp, "af-p.npy", 4, 3, 0);
    good_file(tp, sizeof tp, "af-q.npy", 4, 3, 1);
    assert_int_equal(sd_npy_write(sd_test_path(sp, sizeof sp, "af-pi.npy"), pi, 1, shape, &err),
                     SD_OK);
    for (n = 1; n < 100 && rc != SD_OK; n++) {
        sd_model m;
        sd_error_clear(&err);
        sd_alloc_fail_at(n, 0);
        rc = sd_model_load(&m, dp, tp, 0, sp, &err);
        sd_alloc_fail_at(0, 0);
        if (rc != SD_OK) {
            assert_int_equal(rc, SD_ENOMEM);
            assert_null(m.P);
            assert_null(m.pi0);
        }
        sd_model_free(&m);
    }
    assert_int_equal(rc, SD_OK);
    assert_true(n > 3); /* at least three allocations were exercised */
}

/* ---- random models ------------------------------------------------------- */

static void check_distribution_rows(const double *K, size_t rows, size_t V)
{
    size_t i, x;
    for (i = 0; i < rows; i++) {
        double sum = 0.0;
        for (x = 0; x < V; x++) {
            double v = K[i * V + x];
            assert_true(v >= 0.0 && v <= 1.0);
            sum += v;
        }
        assert_close(sum, 1.0, 1e-12);
    }
}

static void test_random_rows(void **state)
{
    size_t V, T;
    int fam, stat;
    (void)state;
    for (fam = 0; fam <= 1; fam++)
        for (stat = 0; stat <= 1; stat++)
            for (V = 1; V <= 9; V += 4)
                for (T = 1; T <= 7; T += 3) {
                    sd_model m;
                    sd_error err;
                    size_t nK = stat ? 1 : T;
                    assert_int_equal(sd_model_random(&m, V, T, (sd_family)fam, 0.2, stat,
                                                     V * 100 + T, &err),
                                     SD_OK);
                    assert_int_equal(m.V, V);
                    assert_int_equal(m.T, T);
                    /* a stationary model stores exactly one kernel */
                    assert_int_equal(m.nP, nK);
                    assert_int_equal(m.nQ, nK);
                    assert_int_equal(sd_model_stationary(&m), stat || T == 1);
                    check_distribution_rows(m.P, nK * V, V);
                    check_distribution_rows(m.Q, nK * V, V);
                    check_distribution_rows(m.pi0, 1, V);
                    sd_model_free(&m);
                }
}

static void test_random_paper_definition(void **state)
{
    /* the paper family: draft rows then target rows, each V i.i.d.
     * uniforms from stream (seed, 0) normalised by their sum */
    sd_model m;
    sd_error err;
    gsl_rng *r = sd_rng_stream_alloc(NULL, 77, 0);
    size_t V = 5, T = 3, i, x;
    (void)state;
    assert_int_equal(sd_model_random(&m, V, T, SD_FAMILY_PAPER, 1.0, 0, 77, &err), SD_OK);
    for (i = 0; i < 2 * T * V; i++) {
        double u[5], sum = 0.0;
        const double *row = i < T * V ? m.P + i * V : m.Q + (i - T * V) * V;
        for (x = 0; x < V; x++) {
            u[x] = gsl_rng_uniform(r);
            sum += u[x];
        }
        for (x = 0; x < V; x++)
            assert_close(row[x], u[x] / sum, 1e-15);
    }
    gsl_rng_free(r);
    sd_model_free(&m);
}

static void test_random_seeds(void **state)
{
    sd_model a, b, c;
    sd_error err;
    int fam;
    (void)state;
    for (fam = 0; fam <= 1; fam++) {
        assert_int_equal(sd_model_random(&a, 6, 4, (sd_family)fam, 0.5, 0, 3, &err), SD_OK);
        assert_int_equal(sd_model_random(&b, 6, 4, (sd_family)fam, 0.5, 0, 3, &err), SD_OK);
        assert_int_equal(sd_model_random(&c, 6, 4, (sd_family)fam, 0.5, 0, 4, &err), SD_OK);
        assert_memory_equal(a.P, b.P, 4 * 36 * sizeof(double));
        assert_memory_equal(a.Q, b.Q, 4 * 36 * sizeof(double));
        assert_memory_not_equal(a.P, c.P, 4 * 36 * sizeof(double));
        assert_memory_not_equal(a.Q, c.Q, 4 * 36 * sizeof(double));
        /* draft and target differ */
        assert_memory_not_equal(a.P, a.Q, 4 * 36 * sizeof(double));
        sd_model_free(&a);
        sd_model_free(&b);
        sd_model_free(&c);
    }
}

static void test_random_dirichlet_small_alpha(void **state)
{
    /* tiny alpha: rows concentrate on few states with near-zero (or
     * underflowed zero) entries, yet stay valid distributions */
    sd_model m;
    sd_error err;
    size_t i, tiny = 0;
    (void)state;
    assert_int_equal(sd_model_random(&m, 8, 20, SD_FAMILY_DIRICHLET, 0.05, 0, 9, &err), SD_OK);
    check_distribution_rows(m.P, 20 * 8, 8);
    check_distribution_rows(m.Q, 20 * 8, 8);
    for (i = 0; i < 20 * 64; i++)
        tiny += m.P[i] < 1e-6;
    assert_true(tiny > 20 * 64 / 4);
    sd_model_free(&m);
}

static void test_random_invalid(void **state)
{
    sd_model m;
    sd_error err;
    (void)state;
    assert_int_equal(sd_model_random(&m, 3, 2, SD_FAMILY_DIRICHLET, 0.0, 0, 1, &err), SD_EINVAL);
    assert_msg_has(err.msg, "alpha");
    assert_int_equal(sd_model_random(&m, 3, 2, SD_FAMILY_DIRICHLET, -1.0, 0, 1, &err),
                     SD_EINVAL);
    assert_int_equal(sd_model_random(&m, 3, 2, SD_FAMILY_DIRICHLET, NAN, 0, 1, &err), SD_EINVAL);
    assert_int_equal(sd_model_random(&m, 3, 2, SD_FAMILY_DIRICHLET, INFINITY, 0, 1, &err),
                     SD_EINVAL);
    assert_int_equal(sd_model_random(&m, 0, 2, SD_FAMILY_PAPER, 1.0, 0, 1, &err), SD_EINVAL);
    assert_int_equal(sd_model_random(&m, 3, 0, SD_FAMILY_PAPER, 1.0, 0, 1, &err), SD_EINVAL);
    /* V*V*T beyond the address space */
    assert_int_equal(sd_model_random(&m, (size_t)1 << 40, 2, SD_FAMILY_PAPER, 1.0, 0, 1, &err),
                     SD_ERANGE);
    assert_int_equal(sd_model_random(&m, (size_t)1 << 20, (size_t)1 << 40, SD_FAMILY_PAPER, 1.0,
                                     0, 1, &err),
                     SD_ERANGE);
    /* no overflow, but 8e16 bytes: does not fit in memory (a user error) */
    sd_error_clear(&err);
    assert_int_equal(sd_model_random(&m, 100000000, 5, SD_FAMILY_PAPER, 1.0, 1, 1, &err),
                     SD_ERANGE);
    assert_msg_has(err.msg, "does not fit in memory");
    assert_null(m.P);
    assert_int_equal(sd_family_parse("paper"), SD_FAMILY_PAPER);
    assert_int_equal(sd_family_parse("dirichlet"), SD_FAMILY_DIRICHLET);
    assert_int_equal(sd_family_parse("Paper"), -1);
    assert_string_equal(sd_family_name(SD_FAMILY_DIRICHLET), "dirichlet");
}

static sd_status random_attempt(void *ctx, int fam)
{
    sd_model m;
    sd_status rc = sd_model_random(&m, 4, 3, (sd_family)fam, 0.5, 0, 5, NULL);
    (void)ctx;
    if (rc != SD_OK)
        assert_null(m.P);
    sd_model_free(&m);
    return rc;
}

static void test_random_alloc_failure(void **state)
{
    (void)state;
    assert_true(sd_test_alloc_sweep(random_attempt, NULL, 2, 100) >= 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_roundtrip),
        cmocka_unit_test(test_load_mixed_stationarity),
        cmocka_unit_test(test_load_nan_inf_negative),
        cmocka_unit_test(test_load_row_sum_float64),
        cmocka_unit_test(test_load_row_sum_float32),
        cmocka_unit_test(test_load_bad_shapes),
        cmocka_unit_test(test_load_mismatch),
        cmocka_unit_test(test_load_start),
        cmocka_unit_test(test_load_alloc_failure),
        cmocka_unit_test(test_random_rows),
        cmocka_unit_test(test_random_paper_definition),
        cmocka_unit_test(test_random_seeds),
        cmocka_unit_test(test_random_dirichlet_small_alpha),
        cmocka_unit_test(test_random_invalid),
        cmocka_unit_test(test_random_alloc_failure),
    };
    return cmocka_run_group_tests_name("model", tests, NULL, sd_test_cleanup);
}
