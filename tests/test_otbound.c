/* test_otbound.c - the optimal-transport bound alpha*_k (doc/theory.md §6.3): the
 * min-cut enumeration against GLPK's linear program on many random small
 * instances, the bounds and orderings of doc/theory.md §6.3 (RRS, K-SEQ <= alpha*_k
 * <= membership bound; alpha*_1 = 1 - TV; K-SEQ >= (1-(1-1/k)^k) alpha*_k),
 * a hand-solved instance, the sorted-prefix form against the
 * enumeration, and the size refusals. */
#include "testutil.h"

#include <gsl/gsl_rng.h>

#include "alloc.h"
#include "kseq.h"
#include "otbound.h"
#include "rng.h"
#include "rrs.h"
#include "token_instances.h"

#define MAXV 8
#define PREFIX_MAXV 12

static void test_hand_instance(void **state)
{
    /* P = (1/2, 1/2), Q = (1, 0): the sets are {}, {0}, {1}, {0,1} with
     * values 1, 2 - 2^-k, 1 - 2^-k, 1, so alpha*_k = 1 - 2^-k; the upper
     * bound is min(1, 1 - 2^-k) + 0, the same. */
    const double p[2] = {0.5, 0.5}, q[2] = {1.0, 0.0};
    size_t k;
    (void)state;
    for (k = 1; k <= 6; k++) {
        double a, b, want = 1.0 - ldexp(1.0, -(int)k);
        assert_int_equal(sd_ot_mincut(p, q, 2, k, &a, NULL), SD_OK);
        assert_int_equal(sd_ot_lp(p, q, 2, k, &b, NULL), SD_OK);
        assert_close(a, want, 1e-15);
        assert_close(b, want, 1e-12);
        assert_close(sd_ot_upper(p, q, 2, k), want, 1e-15);
    }
}

static void test_mincut_equals_lp(void **state)
{
    /* The two computations of alpha*_k agree to 1e-9 on 400 instances. */
    gsl_rng *r = sd_rng_stream_alloc(NULL, 31, 0);
    double p[MAXV], q[MAXV];
    int n, done = 0;
    (void)state;
    for (n = 0; n < 400; n++) {
        size_t V = 1 + (size_t)n % 5, k = 1 + (size_t)(n / 5) % 4;
        double a, b;
        if (!sd_ot_lp_feasible(V, k))
            continue;
        ti_pair(r, V, n, p, q);
        assert_int_equal(sd_ot_mincut(p, q, V, k, &a, NULL), SD_OK);
        assert_int_equal(sd_ot_lp(p, q, V, k, &b, NULL), SD_OK);
        if (fabs(a - b) > 1e-9)
            fail_msg("V = %zu, k = %zu: min-cut %.17g, LP %.17g", V, k, a, b);
        done++;
    }
    assert_true(done >= 300);
    gsl_rng_free(r);
}

static void test_bounds_and_orderings(void **state)
{
    /* On 3000 instances with V <= 8, k <= 8:
     * RRS, K-SEQ <= alpha*_k <= sum_x min(Q, 1-(1-P)^k); alpha*_1 = 1 - TV;
     * K-SEQ >= (1 - (1-1/k)^k) alpha*_k; alpha*_k non-decreasing in k. */
    gsl_rng *r = sd_rng_stream_alloc(NULL, 32, 0);
    double p[MAXV], q[MAXV], tmp[2 * MAXV];
    int n;
    (void)state;
    for (n = 0; n < 3000; n++) {
        size_t V = 1 + (size_t)n % MAXV, k;
        double prev = 0.0;
        ti_pair(r, V, n, p, q);
        for (k = 1; k <= 8; k++) {
            double opt, ks, rrs = 1.0 - sd_rrs_rho(p, q, V, k, tmp);
            double up = sd_ot_upper(p, q, V, k);
            double guarantee = 1.0 - pow(1.0 - 1.0 / (double)k, (double)k);
            assert_int_equal(sd_ot_mincut(p, q, V, k, &opt, NULL), SD_OK);
            assert_int_equal(sd_kseq_accept(p, q, V, k, &ks, NULL, NULL), SD_OK);
            assert_true(rrs <= opt + 1e-12);
            assert_true(ks <= opt + 1e-12);
            assert_true(opt <= up + 1e-12);
            assert_true(ks >= guarantee * opt - 1e-12);
            assert_true(opt >= prev - 1e-12);
            if (k == 1)
                assert_close(opt, 1.0 - sd_tv(p, q, V), 1e-12);
            prev = opt;
        }
    }
    gsl_rng_free(r);
}

static void test_upper_bound_can_be_loose(void **state)
{
    /* P = Unif(3), Q = (1/2, 1/2, 0), k = 2: the membership bound is
     * 2 min(1/2, 1 - (2/3)^2) = 1, but both drafts miss {0, 1} with
     * probability 1/9, and S = {2} gives Q(S) + 1 - P(S)^2 = 8/9 (the
     * other sets give 1, 1.39 or 1.06): alpha*_2 = 8/9 < 1. */
    const double p[3] = {1.0 / 3, 1.0 / 3, 1.0 / 3}, q[3] = {0.5, 0.5, 0.0};
    double a, b;
    (void)state;
    assert_int_equal(sd_ot_mincut(p, q, 3, 2, &a, NULL), SD_OK);
    assert_int_equal(sd_ot_lp(p, q, 3, 2, &b, NULL), SD_OK);
    assert_close(a, 8.0 / 9.0, 1e-15);
    assert_close(b, 8.0 / 9.0, 1e-12);
    assert_close(sd_ot_upper(p, q, 3, 2), 1.0, 1e-15);
}

static void test_prefix_equals_enumeration(void **state)
{
    /* The sorted-prefix form against the 2^V enumeration: 1200 instances
     * with V = 1..12 and k = 1..6, every kind of token_instances.h
     * (zeros in rows, equal rows, disjoint supports, one-hot, skewed). */
    gsl_rng *r = sd_rng_stream_alloc(NULL, 33, 0);
    double p[PREFIX_MAXV], q[PREFIX_MAXV];
    int n, kinds[TI_NKINDS] = {0};
    (void)state;
    for (n = 0; n < 1200; n++) {
        size_t V = 1 + (size_t)n % PREFIX_MAXV, k = 1 + (size_t)(n / PREFIX_MAXV) % 6, j;
        double a, b;
        ti_pair(r, V, n, p, q);
        kinds[n % TI_NKINDS]++;
        assert_int_equal(sd_ot_mincut(p, q, V, k, &a, NULL), SD_OK);
        assert_int_equal(sd_ot_prefix(p, q, V, k, &b, &j, NULL), SD_OK);
        if (fabs(a - b) > 1e-13)
            fail_msg("instance %d, V = %zu, k = %zu: enumeration %.17g, prefix %.17g", n, V,
                     k, a, b);
        assert_true(j <= V);
    }
    for (n = 0; n < TI_NKINDS; n++)
        assert_true(kinds[n] >= 150);
    gsl_rng_free(r);
}

static void test_prefix_hand_instances(void **state)
{
    /* P = (0.5, 0.3, 0.2), Q = (0.2, 0.3, 0.5): by P/Q the order is
     * 0, 1, 2 and the prefixes give 1, 0.2 + 1 - 0.5^2 = 0.95,
     * 0.5 + 1 - 0.8^2 = 0.86, 1: alpha*_2 = 43/50 (prefix {0, 1}).
     * alpha*_1 = 1 - TV = 0.7.  Equal rows: every prefix gives
     * Q(S) + 1 - Q(S)^k >= 1, so alpha*_k = 1 (the empty prefix). */
    const double p[3] = {0.5, 0.3, 0.2}, q[3] = {0.2, 0.3, 0.5};
    double a;
    size_t j;
    (void)state;
    assert_int_equal(sd_ot_prefix(p, q, 3, 2, &a, &j, NULL), SD_OK);
    assert_close(a, 43.0 / 50.0, 1e-15);
    assert_int_equal(j, 2);
    assert_int_equal(sd_ot_prefix(p, q, 3, 1, &a, NULL, NULL), SD_OK);
    assert_close(a, 0.7, 1e-15);
    assert_int_equal(sd_ot_prefix(p, p, 3, 5, &a, &j, NULL), SD_OK);
    assert_close(a, 1.0, 1e-15);
    assert_int_equal(j, 0);
}

static void test_prefix_large_vocabulary(void **state)
{
    /* V = 128000 (a real vocabulary, where the enumeration cannot go).
     * P = Unif(V), Q = Unif on the first V/4 tokens: the order puts the
     * 3V/4 tokens with Q = 0 first; a prefix of j <= 3V/4 of them gives
     * 1 - (j/V)^k, and beyond, with u = j/V, 4(u - 3/4) + 1 - u^k has
     * derivative 4 - k u^(k-1) > 0 for k <= 4: alpha*_k = 1 - (3/4)^k.
     * Then random rows with zeros: RRS <= alpha*_k <= the membership
     * bound, alpha*_1 = 1 - TV, non-decreasing in k. */
    size_t V = 128000, x, k;
    double *p = malloc(V * sizeof *p), *q = malloc(V * sizeof *q), *tmp = malloc(2 * V * sizeof *tmp);
    gsl_rng *r = sd_rng_stream_alloc(NULL, 34, 0);
    double prev = 0.0, all[8];
    (void)state;
    assert_non_null(p), assert_non_null(q), assert_non_null(tmp);
    for (x = 0; x < V; x++) {
        p[x] = 1.0 / (double)V;
        q[x] = x < V / 4 ? 4.0 / (double)V : 0.0;
    }
    for (k = 1; k <= 4; k++) {
        double a;
        assert_int_equal(sd_ot_prefix(p, q, V, k, &a, NULL, NULL), SD_OK);
        assert_close(a, 1.0 - pow(0.75, (double)k), 1e-12);
    }
    ti_row(r, p, V, 0.3);
    ti_row(r, q, V, 0.3);
    assert_int_equal(sd_ot_prefix_all(p, q, V, 8, all, NULL), SD_OK);
    for (k = 1; k <= 8; k++) {
        double a, rrs = 1.0 - sd_rrs_rho(p, q, V, k, tmp);
        assert_int_equal(sd_ot_prefix(p, q, V, k, &a, NULL, NULL), SD_OK);
        assert_true(all[k - 1] == a); /* one sort for every k: the same values */
        assert_true(rrs <= a + 1e-12);
        assert_true(a <= sd_ot_upper(p, q, V, k) + 1e-12);
        assert_true(a >= prev - 1e-12);
        if (k == 1)
            assert_close(a, 1.0 - sd_tv(p, q, V), 1e-12);
        prev = a;
    }
    gsl_rng_free(r);
    free(p), free(q), free(tmp);
}

static void test_refusals(void **state)
{
    double p[SD_OT_MINCUT_MAX_V + 1], q[SD_OT_MINCUT_MAX_V + 1], a;
    sd_error err;
    size_t x, V = SD_OT_MINCUT_MAX_V + 1;
    (void)state;
    for (x = 0; x < V; x++)
        p[x] = q[x] = 1.0 / (double)V;
    assert_int_equal(sd_ot_mincut(p, q, V, 2, &a, &err), SD_ERANGE);
    assert_non_null(strstr(err.msg, "24"));
    assert_non_null(strstr(err.msg, "2^V"));
    assert_false(sd_ot_lp_feasible(7, 5)); /* 7^6 = 117649 variables */
    assert_true(sd_ot_lp_feasible(6, 5));  /* 6^6 = 46656 */
    assert_int_equal(sd_ot_lp(p, q, 7, 5, &a, &err), SD_ERANGE);
    assert_non_null(strstr(err.msg, "117649"));
    assert_non_null(strstr(err.msg, "50000"));
    assert_int_equal(sd_ot_mincut(p, q, 2, 0, &a, &err), SD_EINVAL);
    assert_int_equal(sd_ot_lp(p, q, 0, 2, &a, &err), SD_EINVAL);
    assert_int_equal(sd_ot_prefix(p, q, 2, 0, &a, NULL, &err), SD_EINVAL);
    assert_int_equal(sd_ot_prefix(p, q, 0, 2, &a, NULL, &err), SD_EINVAL);
    assert_int_equal(sd_ot_prefix_all(p, q, 2, 0, &a, &err), SD_EINVAL);
}

static sd_status ot_attempt(void *ctx, int which)
{
    const double p[3] = {0.2, 0.3, 0.5}, q[3] = {0.6, 0.3, 0.1};
    double a;
    (void)ctx;
    return which == 0   ? sd_ot_mincut(p, q, 3, 2, &a, NULL)
           : which == 1 ? sd_ot_lp(p, q, 3, 2, &a, NULL)
                        : sd_ot_prefix(p, q, 3, 2, &a, NULL, NULL);
}

static void test_alloc_failure(void **state)
{
    (void)state;
    assert_true(sd_test_alloc_sweep(ot_attempt, NULL, 3, 50) >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_instance),
        cmocka_unit_test(test_mincut_equals_lp),
        cmocka_unit_test(test_bounds_and_orderings),
        cmocka_unit_test(test_upper_bound_can_be_loose),
        cmocka_unit_test(test_prefix_equals_enumeration),
        cmocka_unit_test(test_prefix_hand_instances),
        cmocka_unit_test(test_prefix_large_vocabulary),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_alloc_failure),
    };
    return cmocka_run_group_tests_name("otbound", tests, NULL, NULL);
}
