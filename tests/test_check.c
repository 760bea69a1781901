/* test_check.c - verdicts: z-tests, the three-layer law test, bounds. */
#include "testutil.h"

#include <gsl/gsl_cdf.h>

#include "alloc.h"
#include "check.h"

static void test_z(void **state)
{
    sd_checklist l;
    sd_error err;
    (void)state;
    sd_checklist_init(&l);
    /* z = (10.4 - 10) / 0.1 = 4 <= 4.5: pass; z = -5: fail */
    assert_int_equal(sd_check_z(&l, "pass", 10.0, 10.4, 0.1, 4.5, &err), SD_OK);
    assert_int_equal(sd_check_z(&l, "fail", 10.0, 9.5, 0.1, 4.5, &err), SD_OK);
    assert_int_equal(l.n, 2);
    assert_true(l.v[0].pass);
    assert_close(l.v[0].z, 4.0, 1e-12);
    assert_string_equal(l.v[0].name, "pass");
    assert_int_equal(l.v[0].kind, SD_CHECK_Z);
    assert_false(l.v[1].pass);
    assert_close(l.v[1].z, -5.0, 1e-12);
    assert_false(sd_checklist_pass(&l));
    /* zero stderr: pass only on agreement to 1e-12 relative */
    assert_int_equal(sd_check_z(&l, "zero ok", 7.0, 7.0 * (1 + 1e-13), 0.0, 4.5, &err), SD_OK);
    assert_int_equal(sd_check_z(&l, "zero bad", 7.0, 7.0 * (1 + 1e-9), 0.0, 4.5, &err), SD_OK);
    assert_int_equal(sd_check_z(&l, "zero low", 7.0, 6.0, 0.0, 4.5, &err), SD_OK);
    assert_true(l.v[2].pass);
    assert_true(l.v[2].z == 0.0);
    assert_false(l.v[3].pass);
    assert_true(isinf(l.v[3].z) && l.v[3].z > 0);
    assert_false(l.v[4].pass);
    assert_true(isinf(l.v[4].z) && l.v[4].z < 0);
    /* an undefined standard error cannot pass, even at zero distance */
    assert_int_equal(sd_check_z(&l, "nan se", 1.0, 1.0, NAN, 4.5, &err), SD_OK);
    assert_false(l.v[5].pass);
    assert_msg_has(l.v[5].detail, "undefined");
    /* a NaN estimate never passes */
    assert_int_equal(sd_check_z(&l, "nan", 1.0, NAN, 0.1, 4.5, &err), SD_OK);
    assert_false(l.v[6].pass);
    sd_checklist_free(&l);
    assert_int_equal(l.n, 0);
}

static void test_close_and_bound(void **state)
{
    sd_checklist l;
    sd_error err;
    (void)state;
    sd_checklist_init(&l);
    assert_int_equal(sd_check_close(&l, "c1", 1e6, 1e6 + 1e-7, 1e-12, &err), SD_OK);
    assert_int_equal(sd_check_close(&l, "c2", 1e6, 1e6 + 1e-5, 1e-12, &err), SD_OK);
    assert_int_equal(sd_check_close(&l, "c3", 0.0, 5e-13, 1e-12, &err), SD_OK);
    assert_true(l.v[0].pass);  /* 1e-13 relative */
    assert_false(l.v[1].pass); /* 1e-11 relative */
    assert_true(l.v[2].pass);  /* absolute below 1 */
    /* value >= bound - tol, or with below: value <= bound + tol */
    assert_int_equal(sd_check_bound(&l, "b1", 2.0, 2.5, 0, 0.0, &err), SD_OK);
    assert_int_equal(sd_check_bound(&l, "b2", 2.0, 1.9, 0, 0.0, &err), SD_OK);
    assert_int_equal(sd_check_bound(&l, "b3", 2.0, 1.9, 0, 0.2, &err), SD_OK);
    assert_int_equal(sd_check_bound(&l, "b4", 2.0, 2.5, 1, 0.0, &err), SD_OK);
    assert_int_equal(sd_check_bound(&l, "b5", 2.0, 1.5, 1, 0.0, &err), SD_OK);
    assert_int_equal(sd_check_bound(&l, "b6", 2.0, 2.0, 1, 0.0, &err), SD_OK);
    assert_int_equal(sd_check_bound(&l, "b7", 2.0, NAN, 0, 1.0, &err), SD_OK);
    assert_true(l.v[3].pass);
    assert_false(l.v[4].pass);
    assert_true(l.v[5].pass);
    assert_false(l.v[6].pass);
    assert_true(l.v[7].pass);
    assert_true(l.v[8].pass);
    assert_false(l.v[9].pass);
    assert_int_equal(l.v[3].kind, SD_CHECK_VALUE);
    sd_checklist_free(&l);
}

static void test_list_growth_and_verdict(void **state)
{
    /* many checks (the list grows past its first capacity), all passing,
     * then one failure flips the overall verdict */
    sd_checklist l;
    sd_error err;
    char name[32];
    int i;
    (void)state;
    sd_checklist_init(&l);
    assert_true(sd_checklist_pass(&l)); /* vacuous */
    for (i = 0; i < 100; i++) {
        snprintf(name, sizeof name, "check %d", i);
        assert_int_equal(sd_check_close(&l, name, i, i, 0.0, &err), SD_OK);
    }
    assert_int_equal(l.n, 100);
    assert_string_equal(l.v[57].name, "check 57");
    assert_true(sd_checklist_pass(&l));
    assert_int_equal(sd_check_close(&l, "bad", 1, 2, 0.1, &err), SD_OK);
    assert_false(sd_checklist_pass(&l));
    sd_checklist_free(&l);
}

static void test_alloc_failure(void **state)
{
    sd_checklist l;
    sd_error err;
    int i;
    (void)state;
    sd_checklist_init(&l);
    sd_alloc_fail_at(1, 0);
    assert_int_equal(sd_check_z(&l, "z", 1, 1, 1, 4.5, &err), SD_ENOMEM);
    sd_alloc_fail_at(0, 0);
    assert_int_equal(l.n, 0);
    for (i = 0; i < 8; i++)
        assert_int_equal(sd_check_close(&l, "c", 1, 1, 0, &err), SD_OK);
    /* the list is full: growing fails, the list is unchanged */
    sd_alloc_fail_at(1, 0);
    assert_int_equal(sd_check_law(&l, "law", NULL, NULL, 0, 4.5, 1e-6, &err), SD_ENOMEM);
    assert_int_equal(sd_check_bound(&l, "b", 0, 1, 0, 0, &err), SD_OK); /* 2nd allocation */
    sd_alloc_fail_at(0, 0);
    assert_int_equal(l.n, 9);
    assert_string_equal(l.v[8].name, "b");
    sd_checklist_free(&l);
}

static void test_law_exact_counts_pass(void **state)
{
    /* counts equal to their expectations: chi-square 0, p = 1, z = 0 */
    static const double p[5] = {0.5, 0.3, 0.15, 0.05, 0.0};
    static const uint64_t n[5] = {5000, 3000, 1500, 500, 0};
    sd_checklist l;
    sd_error err;
    (void)state;
    sd_checklist_init(&l);
    assert_int_equal(sd_check_law(&l, "law", n, p, 5, 4.5, 1e-6, &err), SD_OK);
    assert_true(l.v[0].pass);
    assert_int_equal(l.v[0].kind, SD_CHECK_LAW);
    assert_true(fabs(l.v[0].chi2) < 1e-9);
    assert_true(l.v[0].p_value > 0.999);
    assert_true(l.v[0].z < 1e-9);
    assert_int_equal(l.v[0].df, 3); /* four bins with probability > 0 */
    assert_int_equal(l.v[0].empty_violations, 0);
    assert_true(l.v[0].estimate < 1e-12); /* empirical TV */
    sd_checklist_free(&l);
}

static void test_law_zero_bin_hit_fails(void **state)
{
    /* the same counts but one draw moved into the probability-0 bin:
     * layers 1 and 3 are happy, layer 2 is not */
    static const double p[5] = {0.5, 0.3, 0.15, 0.05, 0.0};
    static const uint64_t n[5] = {4999, 3000, 1500, 500, 1};
    sd_checklist l;
    sd_error err;
    (void)state;
    sd_checklist_init(&l);
    assert_int_equal(sd_check_law(&l, "law", n, p, 5, 4.5, 1e-6, &err), SD_OK);
    assert_false(l.v[0].pass);
    assert_int_equal(l.v[0].empty_violations, 1);
    assert_true(l.v[0].z < 4.5);
    assert_true(l.v[0].p_value > 1e-6);
    assert_msg_has(l.v[0].detail, "probability 0");
    sd_checklist_free(&l);
}

static void test_law_shifted_fails_chi_square(void **state)
{
    /* 20 equal bins, n = 100000: e = 5000, sd = sqrt(5000 * 0.95) = 68.9.
     * Alternate bins off by +-200 (|z| = 2.9 < 4.5 everywhere), but
     * chi-square = 20 * 200^2 / 5000 = 160 on 19 df: p ~ 1e-24 */
    double p[20];
    uint64_t n[20];
    sd_checklist l;
    sd_error err;
    size_t k;
    (void)state;
    for (k = 0; k < 20; k++) {
        p[k] = 0.05;
        n[k] = k % 2 ? 5200 : 4800;
    }
    sd_checklist_init(&l);
    assert_int_equal(sd_check_law(&l, "law", n, p, 20, 4.5, 1e-6, &err), SD_OK);
    assert_false(l.v[0].pass);
    assert_close(l.v[0].chi2, 160.0, 1e-12);
    assert_int_equal(l.v[0].df, 19);
    assert_true(l.v[0].p_value < 1e-15);
    /* |z|: the larger normal quantile of the two binomial tails */
    assert_close(l.v[0].z,
                 fmax(gsl_cdf_ugaussian_Qinv(gsl_cdf_binomial_Q(5199, 0.05, 100000)),
                      gsl_cdf_ugaussian_Qinv(gsl_cdf_binomial_P(4800, 0.05, 100000))),
                 1e-9);
    assert_true(fabs(l.v[0].z - 200.0 / sqrt(5000.0 * 0.95)) < 0.05);
    assert_int_equal(l.v[0].empty_violations, 0);
    assert_msg_has(l.v[0].detail, "chi-square");
    assert_close(l.v[0].estimate, 0.02, 1e-12); /* TV = 10 * 200 / 100000 */
    sd_checklist_free(&l);
}

static void test_law_one_bin_off_fails_z(void **state)
{
    /* 200 equal bins, n = 200000: e = 1000, sd = sqrt(1000 * 0.995) =
     * 31.5.  Bin 0 has 180 draws too many (z = 5.7 > 4.5), bins 1..180
     * one too few: chi-square = 180^2/1000 + 180/1000 = 32.58 on 199 df,
     * p ~ 1 -- only the per-bin layer catches it */
    double p[200];
    uint64_t n[200];
    sd_checklist l;
    sd_error err;
    size_t k;
    (void)state;
    for (k = 0; k < 200; k++) {
        p[k] = 0.005;
        n[k] = k == 0 ? 1180 : (k <= 180 ? 999 : 1000);
    }
    sd_checklist_init(&l);
    assert_int_equal(sd_check_law(&l, "law", n, p, 200, 4.5, 1e-6, &err), SD_OK);
    assert_false(l.v[0].pass);
    /* |z| is the normal quantile of bin 0's binomial upper tail, doubled:
     * Phi^-1(1 - P(X >= 1180)), close to the normal z */
    assert_close(l.v[0].z, gsl_cdf_ugaussian_Qinv(gsl_cdf_binomial_Q(1179, 0.005, 200000)),
                 1e-9);
    assert_true(fabs(l.v[0].z - 180.0 / sqrt(1000.0 * 0.995)) < 0.3);
    assert_close(l.v[0].chi2, 32.58, 1e-12);
    assert_true(l.v[0].p_value > 0.99);
    assert_msg_has(l.v[0].detail, "bin");
    sd_checklist_free(&l);
}

static void test_law_pooling(void **state)
{
    /* n = 100 and p = (.5, .3, .17, .02, .01): expected 50, 30, 17, 2, 1;
     * the last two (below 5) are pooled, and the pool (3 < 5) joins the
     * large cell of least expectation: 3 cells, 2 df.  Observed
     * (52, 28, 17, 1, 2): chi2 = 4/50 + 4/30 + (20-20)^2/20 */
    static const double p[5] = {0.5, 0.3, 0.17, 0.02, 0.01};
    static const uint64_t n[5] = {52, 28, 17, 1, 2};
    sd_checklist l;
    sd_error err;
    (void)state;
    sd_checklist_init(&l);
    assert_int_equal(sd_check_law(&l, "law", n, p, 5, 4.5, 1e-6, &err), SD_OK);
    assert_int_equal(l.v[0].df, 2);
    assert_close(l.v[0].chi2, 4.0 / 50.0 + 4.0 / 30.0, 1e-12);
    assert_true(l.v[0].pass);
    sd_checklist_free(&l);
}

static void test_law_small_expectation(void **state)
{
    /* A bin of expectation 0.02 (p = 1e-7, n = 200000) hit once: an event
     * of probability 1 - (1 - 1e-7)^200000 = 0.0198, whose normal z
     * (1 - 0.02) / sqrt(0.02) = 6.9 would fail at 4.5.  Its binomial
     * tail gives |z| = Phi^-1(1 - 0.0198) = 2.06: it passes. */
    static const double p[2] = {1.0 - 1e-7, 1e-7};
    static const uint64_t n[2] = {199999, 1};
    static const double pe[2] = {1.0 - 1e-12, 1e-12};
    static const uint64_t ne[2] = {9999, 1};
    double tail = -expm1(200000.0 * log1p(-1e-7));
    sd_checklist l;
    (void)state;
    sd_checklist_init(&l);
    assert_int_equal(sd_check_law(&l, "law", n, p, 2, 4.5, 1e-6, NULL), SD_OK);
    assert_true(l.v[0].pass);
    assert_close(l.v[0].z, gsl_cdf_ugaussian_Qinv(tail), 1e-9);
    assert_true(fabs(l.v[0].z - 2.058) < 1e-3);
    /* the exact layer: a token of probability 1e-12 drawn once in 10000
     * (two-sided p = 2e-8, for either token) fails at alpha 1e-6 */
    assert_int_equal(sd_check_law_exact(&l, "exact", ne, pe, 2, 1e-6, 1e-6, NULL), SD_OK);
    assert_false(l.v[1].pass);
    assert_msg_has(l.v[1].detail, "binomial p = 2e-08");
    sd_checklist_free(&l);
}

static void test_var_stderr_bernoulli(void **state)
{
    /* For n i.i.d. Bernoulli(p) draws with k ones, the sample variance is
     * S2 = k (n - k) / (n (n - 1)).  Its exact variance, by summing over
     * the Binomial(n, p) law of k, must equal the square of
     * sd_check_var_stderr(sigma^2, m4, n) with sigma^2 = p(1-p) and
     * m4 = p(1-p)(1 - 3p(1-p)) (the fourth central moment). */
    static const double ps[3] = {0.5, 0.3, 0.02};
    static const int ns[3] = {10, 57, 400};
    size_t i, j;
    (void)state;
    for (i = 0; i < 3; i++)
        for (j = 0; j < 3; j++) {
            double p = ps[i], nn = ns[j], s2 = p * (1 - p), m4 = s2 * (1 - 3 * s2);
            double e = 0.0, e2 = 0.0, se;
            int k, n = ns[j];
            for (k = 0; k <= n; k++) {
                double lw = lgamma(nn + 1) - lgamma(k + 1.0) - lgamma(nn - k + 1) +
                            k * log(p) + (n - k) * log1p(-p);
                double w = exp(lw), v = (double)k * (nn - k) / (nn * (nn - 1));
                e += w * v;
                e2 += w * v * v;
            }
            assert_close(e, s2, 1e-12); /* S2 is unbiased */
            se = sd_check_var_stderr(s2, m4, nn);
            assert_close(se * se, e2 - e * e, 1e-9);
        }
    /* fewer than 4 draws: undefined; a negative estimate clamps to 0 */
    assert_true(isnan(sd_check_var_stderr(1.0, 1.0, 3.0)));
    assert_true(sd_check_var_stderr(1.0, 0.0, 100.0) == 0.0);
}

/* All runs equal: with values in [0, 1] and exact mean 1/2, q >= 1/2,
 * so P(all n runs give 0) <= 2^-n; the z-test's two-sided rate at 4.5
 * is 6.8e-6, between 2^-17 = 7.6e-6 and 2^-18 = 3.8e-6.  For the
 * variance, exact 1/4 gives q >= 1/4 and (3/4)^n: 3/4^41 = 7.5e-6 and
 * (3/4)^42 = 5.6e-6. */
static void test_bounded_uniform_sample(void **state)
{
    sd_checklist l;
    sd_error err;
    (void)state;
    sd_checklist_init(&l);
    assert_int_equal(sd_check_mean_bounded(&l, "m17", 0.5, 0.0, 0.0, 17, 1.0, 4.5, &err), SD_OK);
    assert_int_equal(sd_check_mean_bounded(&l, "m18", 0.5, 0.0, 0.0, 18, 1.0, 4.5, &err), SD_OK);
    assert_int_equal(sd_check_var_bounded(&l, "v41", 0.25, 0.0, 0.0, 41, 1.0, 4.5, &err), SD_OK);
    assert_int_equal(sd_check_var_bounded(&l, "v42", 0.25, 0.0, 0.0, 42, 1.0, 4.5, &err), SD_OK);
    /* equal to the exact value: always plausible */
    assert_int_equal(sd_check_mean_bounded(&l, "eq", 2.0, 2.0, 0.0, 1e6, 5.0, 4.5, &err), SD_OK);
    /* with spread it is the ordinary z-test: z = (1.1 - 1) / 0.01 = 10 */
    assert_int_equal(sd_check_mean_bounded(&l, "z", 1.0, 1.1, 0.01, 100, 5.0, 4.5, &err), SD_OK);
    assert_true(l.v[0].pass);
    assert_false(l.v[1].pass);
    assert_true(l.v[2].pass);
    assert_false(l.v[3].pass);
    assert_true(l.v[4].pass);
    assert_false(l.v[5].pass);
    assert_close(l.v[5].z, 10.0, 1e-12);
    sd_checklist_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bounded_uniform_sample),
        cmocka_unit_test(test_z),
        cmocka_unit_test(test_close_and_bound),
        cmocka_unit_test(test_list_growth_and_verdict),
        cmocka_unit_test(test_alloc_failure),
        cmocka_unit_test(test_law_exact_counts_pass),
        cmocka_unit_test(test_law_zero_bin_hit_fails),
        cmocka_unit_test(test_law_shifted_fails_chi_square),
        cmocka_unit_test(test_law_one_bin_off_fails_z),
        cmocka_unit_test(test_law_pooling),
        cmocka_unit_test(test_law_small_expectation),
        cmocka_unit_test(test_var_stderr_bernoulli),
    };
    return cmocka_run_group_tests_name("check", tests, NULL, NULL);
}
