/* test_thm1.c - the Theorem 1 check: it holds for Algorithm SD on
 * several instances and fails for the two deliberately wrong variants. */
#include "thmutil.h"

#include "exact.h"
#include "sim_sd.h"
#include "thm1.h"

/* Run sd_thm1_check on m with the given variant; fills l. */
static void run_check_rng(const sd_model *m, sd_sim_variant v, size_t runs, uint64_t seed,
                          size_t npos, const size_t *pos, const gsl_rng_type *rng,
                          sd_checklist *l)
{
    sd_mc_config mc = sd_test_mc_settings(runs, npos, pos);
    sd_error err;
    mc.seed = seed;
    mc.rng = rng;
    sd_checklist_init(l);
    sd_error_clear(&err);
    if (sd_thm1_check(m, v, &mc, l, &err) != SD_OK)
        fail_msg("sd_thm1_check: %s", err.msg);
}

static void run_check(const sd_model *m, sd_sim_variant v, size_t runs, uint64_t seed,
                      size_t npos, const size_t *pos, sd_checklist *l)
{
    run_check_rng(m, v, runs, seed, npos, pos, NULL, l);
}

/* Three instances, 30000 runs each, positions 1, T/2, T.  Each instance
 * has 2 z-tests (mean, variance) and 4 law tests (N_rej with T+1 bins,
 * three token laws with V bins); at z_max = 4.5 (two-sided 6.8e-6 per
 * bin or z-test) and p_min = 1e-6, the union bound on a false failure
 * is 2*6.8e-6 + (T+1+3V)*6.8e-6 + 4e-6, about 1.9e-4 per instance and
 * 5e-4 for the three (the seeds are fixed: a pass stays a pass). */
static void holds_on(size_t V, size_t T, sd_family fam, double alpha, int stationary,
                     uint64_t mseed)
{
    sd_model m;
    sd_error err;
    sd_checklist l;
    size_t pos[3] = {1, T / 2, T};
    assert_int_equal(sd_model_random(&m, V, T, fam, alpha, stationary, mseed, &err), SD_OK);
    run_check(&m, SD_SIM_CORRECT, 30000, 20241101, 3, pos, &l);
    /* 3 exact checks, mean, variance, law of N_rej, 3 token laws */
    assert_int_equal(l.n, 9);
    sd_test_find_check(&l, "mean: two exact methods");
    sd_test_find_check(&l, "law of N_rej");
    sd_test_find_check(&l, "unbiased x_1");
    sd_test_require_pass(&l, "Theorem 1 check failed on V=%zu T=%zu", V, T);
    sd_test_thm_done(&l, &m);
}

static void test_holds_paper(void **state)
{
    (void)state;
    holds_on(5, 8, SD_FAMILY_PAPER, 1.0, 0, 1);
}

static void test_holds_dirichlet(void **state)
{
    (void)state;
    holds_on(4, 6, SD_FAMILY_DIRICHLET, 0.3, 0, 2);
}

static void test_holds_stationary(void **state)
{
    (void)state;
    holds_on(6, 10, SD_FAMILY_PAPER, 1.0, 1, 3);
}

static void test_exact_only(void **state)
{
    /* runs = 0: only the exact checks (two methods, law sums to 1, law
     * mean), all passing */
    sd_model m;
    sd_error err;
    sd_checklist l;
    size_t pos[1] = {1};
    (void)state;
    assert_int_equal(sd_model_random(&m, 7, 50, SD_FAMILY_PAPER, 1.0, 0, 1, &err), SD_OK);
    run_check(&m, SD_SIM_CORRECT, 0, 1, 1, pos, &l);
    assert_int_equal(l.n, 3);
    assert_true(sd_checklist_pass(&l));
    assert_close(sd_test_find_check(&l, "law of N_rej sums to 1")->estimate, 1.0, 1e-12);
    sd_test_thm_done(&l, &m);
}

/* The exact law of x_1 under a variant (from x_0 ~ pi0):
 *  - correct: min(P,Q)(y) + [Q-P]_+(y) = Q(y);
 *  - resample-q: min(P,Q)(y) + TV * Q(y);
 *  - accept-p-over-q: P(y) min(1, P(y)/Q(y)) (P(y) if Q(y) = 0) plus
 *    the rejection probability times [Q-P]_+(y) / TV. */
static void variant_law_x1(const sd_model *m, sd_sim_variant v, double *law)
{
    size_t s, x, V = m->V;
    for (x = 0; x < V; x++)
        law[x] = 0.0;
    for (s = 0; s < V; s++) {
        const double *p = sd_model_p(m, 1, s), *q = sd_model_q(m, 1, s);
        double tv = 0.0, rej = 0.0;
        for (x = 0; x < V; x++)
            tv += q[x] > p[x] ? q[x] - p[x] : 0.0;
        for (x = 0; x < V; x++) {
            double a = v == SD_SIM_ACCEPT_P_OVER_Q ? (q[x] > 0 ? fmin(1.0, p[x] / q[x]) : 1.0)
                                                    : (p[x] > 0 ? fmin(1.0, q[x] / p[x]) : 1.0);
            law[x] += m->pi0[s] * p[x] * a;
            rej += p[x] * (1.0 - a);
        }
        for (x = 0; x < V; x++)
            law[x] += m->pi0[s] * rej *
                      (v == SD_SIM_RESAMPLE_Q ? q[x] : (q[x] > p[x] ? q[x] - p[x] : 0.0) / tv);
    }
}

/* Negative control: the check must fail.  The instance (V = 4, T = 6,
 * paper family) and 30000 runs are chosen so that the wrong law of x_1
 * is off the target marginal by at least 10 standard deviations in its
 * worst bin (asserted below from the exact wrong law), so the observed
 * |z| stays under 4.5 only with probability < P(Z > 5.5) = 2e-8: the
 * failure is certain in practice. */
static void fails_for(sd_sim_variant v)
{
    sd_model m;
    sd_error err;
    sd_checklist l;
    size_t pos[3] = {1, 3, 6}, x, n = 30000;
    double wrong[4], q1[4], zmax = 0.0;
    assert_int_equal(sd_model_random(&m, 4, 6, SD_FAMILY_PAPER, 1.0, 0, 5, &err), SD_OK);
    /* the correct algorithm's law of x_1 is the q-marginal (sanity of the
     * formula above), the wrong one is far from it */
    variant_law_x1(&m, SD_SIM_CORRECT, wrong);
    assert_int_equal(sd_exact_token_laws(&m, 1, pos, q1, &err), SD_OK);
    for (x = 0; x < 4; x++)
        assert_close(wrong[x], q1[x], 1e-14);
    variant_law_x1(&m, v, wrong);
    for (x = 0; x < 4; x++) {
        double z = (double)n * fabs(wrong[x] - q1[x]) / sqrt((double)n * q1[x] * (1 - q1[x]));
        zmax = fmax(zmax, z);
    }
    if (zmax < 10.0)
        fail_msg("the control is too weak on this instance: expected max |z| = %.2f", zmax);
    run_check(&m, v, n, 7, 3, pos, &l);
    assert_false(sd_checklist_pass(&l));
    sd_test_verdicts(&l, 0, "unbiased x_1", NULL);
    /* the exact checks are not affected by the simulation */
    sd_test_verdicts(&l, 1, "mean: two exact methods", NULL);
    sd_test_thm_done(&l, &m);
}

static void test_control_resample_q_fails(void **state)
{
    (void)state;
    fails_for(SD_SIM_RESAMPLE_Q);
}

static void test_control_accept_p_over_q_fails(void **state)
{
    (void)state;
    fails_for(SD_SIM_ACCEPT_P_OVER_Q);
}

static sd_status check_correct(const sd_model *m, const void *o, const sd_mc_config *mc,
                               sd_checklist *l, sd_error *err)
{
    (void)o;
    return sd_thm1_check(m, SD_SIM_CORRECT, mc, l, err);
}

static void test_errors(void **state)
{
    /* positions out of range are refused; allocation failures are clean */
    sd_model m;
    sd_error err;
    sd_checklist l;
    size_t bad[2] = {3, 3}, pos[2] = {1, 4};
    sd_mc_config mc = sd_test_mc_settings(2000, 2, bad);
    (void)state;
    mc.seed = 1;
    mc.threads = 1;
    assert_int_equal(sd_model_random(&m, 3, 4, SD_FAMILY_PAPER, 1.0, 0, 1, &err), SD_OK);
    sd_checklist_init(&l);
    assert_int_equal(sd_thm1_check(&m, SD_SIM_CORRECT, &mc, &l, &err), SD_EINVAL);
    sd_checklist_free(&l);
    sd_model_free(&m);
    sd_test_thm_alloc_failures(check_correct, NULL, 2000, 2, pos, 9);
}

/* The simulator has two sampling paths: runs advanced in packed lanes
 * (default generator, V <= SD_SIM_PACK_MAX_V) and one run after the
 * other through gsl_rng_uniform (any other generator, or larger V).
 * Both must pass the same check, and fail it under a negative control
 * where the control's bias is large enough to see.
 * False failure: as holds_on, about 2e-4 per passing instance. */
static void serial_path_on(size_t V, size_t T, const gsl_rng_type *rng, size_t runs,
                           int with_control)
{
    sd_model m;
    sd_error err;
    sd_checklist l;
    size_t pos[2] = {1, T};
    assert_int_equal(sd_model_random(&m, V, T, SD_FAMILY_PAPER, 1.0, 0, 3, &err), SD_OK);
    run_check_rng(&m, SD_SIM_CORRECT, runs, 99, 2, pos, rng, &l);
    sd_test_require_pass(&l, "Theorem 1 check failed on the serial path, V=%zu T=%zu", V, T);
    sd_checklist_free(&l);
    if (!with_control) {
        sd_model_free(&m);
        return;
    }
    /* resample-q shifts the law of x_1 by many standard errors here too */
    run_check_rng(&m, SD_SIM_RESAMPLE_Q, runs, 99, 2, pos, rng, &l);
    assert_false(sd_checklist_pass(&l));
    sd_test_thm_done(&l, &m);
}

static void test_serial_path_other_generator(void **state)
{
    (void)state;
    serial_path_on(7, 20, gsl_rng_mt19937, 30000, 1);
}

static void test_serial_path_large_vocab(void **state)
{
    (void)state;
    /* V above the packed-table limit uses the serial path even with the
     * default generator; paper-family rows are near uniform, so the
     * per-bin expected counts of 200000 runs over 1030 tokens are ~190.
     * (No negative control here: with rows this close to uniform, TV is
     * small and resample-q moves the law too little to see.) */
    serial_path_on(SD_SIM_PACK_MAX_V + 6, 2, NULL, 200000, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_holds_paper),
        cmocka_unit_test(test_holds_dirichlet),
        cmocka_unit_test(test_holds_stationary),
        cmocka_unit_test(test_exact_only),
        cmocka_unit_test(test_control_resample_q_fails),
        cmocka_unit_test(test_control_accept_p_over_q_fails),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_serial_path_other_generator),
        cmocka_unit_test(test_serial_path_large_vocab),
    };
    return cmocka_run_group_tests_name("thm1", tests, NULL, NULL);
}
