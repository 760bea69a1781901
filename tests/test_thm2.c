/* test_thm2.c - the Theorem 2 check: it holds on several instances, the
 * over-accepting control is caught, and run as an ordinary rule it fails
 * exactly the checks it should. */
#include "thmutil.h"

#include "exact.h"
#include "thm2.h"

static sd_status check(const sd_model *m, const void *o, const sd_mc_config *mc, sd_checklist *l,
                       sd_error *err)
{
    return sd_thm2_check(m, o, mc, l, err);
}

/* 4 rules, 20000 runs, 2 positions.  Per rule 1 z-test and 2 law tests
 * of V bins: at z 4.5 (6.8e-6 per test or bin) and p 1e-6 the union bound
 * on a false failure is about 4 * (1 + 2V) * 6.8e-6 + 8e-6 < 5e-4 per
 * instance (seeds fixed: a pass stays a pass). */
static void test_holds(void **state)
{
    static const sd_thm2_opts o = {4, 7, 0.1, 0};
    /* SD, 4 rules x (unbiased, rows, E, mean, 2 laws), 3 control checks */
    static const sd_test_thm_expect e = {
        "Theorem 2", check, &o, 3, 20000, 1 + 4 * 6 + 3,
        {"rule 4: E >= Theorem 1", "control: Monte Carlo flags bias", NULL}};
    sd_test_thm_holds(&e, *state);
}

static sd_test_instance paper = {7, 20, SD_FAMILY_PAPER, 1.0, 0},
                        sparse_stationary = {5, 15, SD_FAMILY_DIRICHLET, 0.3, 1};

/* The control run through the unbiased-rule checks fails them: it is
 * biased, rejects less than TV on some row and less than Theorem 1. */
static void test_control_as_rule_fails(void **state)
{
    sd_model m;
    sd_checklist l;
    size_t pos[1] = {10};
    sd_thm2_opts o = {1, 7, 0.2, 1};
    sd_mc_config mc = sd_test_mc_settings(20000, 1, pos);
    (void)state;
    sd_test_thm_run(&m, 6, 10, SD_FAMILY_PAPER, 1.0, 0, 4, check, &o, &mc, &l);
    assert_false(sd_checklist_pass(&l));
    sd_test_verdicts(&l, 0,
                     "control as a rule: unbiased",
                     "control as a rule: rows >= TV",
                     "control as a rule: E >= Theorem 1",
                     "control as a rule: Monte Carlo x_10",
                     NULL);
    sd_test_verdicts(&l, 1, "rule 1: E >= Theorem 1", "control: beats the bound", NULL);
    sd_test_thm_done(&l, &m);
}

/* With p = q the bound is 0 and nothing beats it: every rule is exact
 * SD-like at lambda = 1, and the control (then SD itself: unbiased,
 * E = 0) has nothing to show, so it is not checked. */
static void test_p_equals_q(void **state)
{
    sd_model m;
    sd_checklist l;
    sd_thm2_opts o = {3, 7, 0.1, 0};
    (void)state;
    sd_test_thm_run_p_equals_q(&m, check, &o, &l);
    sd_test_verdicts(&l, 1, "SD (lambda = 1): E = Theorem 1", "rule 3: E >= Theorem 1", NULL);
    /* nothing can beat a bound of 0, so the control is left out and the
     * check as a whole holds */
    {
        size_t i;
        for (i = 0; i < l.n; i++)
            assert_true(strncmp(l.v[i].name, "control:", 8) != 0);
    }
    assert_true(sd_checklist_pass(&l));
    sd_test_thm_done(&l, &m);
}

/* Exact only (no runs): no Monte Carlo checks, all hold. */
static void test_exact_only(void **state)
{
    sd_model m;
    sd_checklist l;
    sd_thm2_opts o = {6, 9, 0.05, 0};
    sd_mc_config mc = sd_test_mc_settings(0, 0, NULL);
    (void)state;
    sd_test_thm_run(&m, 7, 50, SD_FAMILY_PAPER, 1.0, 0, 1, check, &o, &mc, &l);
    assert_int_equal(l.n, 1 + 6 * 3 + 2);
    assert_true(sd_checklist_pass(&l));
    sd_test_thm_done(&l, &m);
}

/* Every allocation failure is a clean SD_ENOMEM. */
static void test_alloc_failure(void **state)
{
    sd_thm2_opts o = {2, 7, 0.1, 1};
    size_t pos[1] = {3};
    (void)state;
    sd_test_thm_alloc_failures(check, &o, 500, 1, pos, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        {"test_holds_paper", test_holds, NULL, NULL, &paper},
        {"test_holds_sparse_stationary", test_holds, NULL, NULL, &sparse_stationary},
        cmocka_unit_test(test_control_as_rule_fails),
        cmocka_unit_test(test_p_equals_q),
        cmocka_unit_test(test_exact_only),
        cmocka_unit_test(test_alloc_failure),
    };
    return cmocka_run_group_tests_name("thm2", tests, NULL, NULL);
}
