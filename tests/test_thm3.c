/* test_thm3.c - the Theorem 3 check: it holds on several instances,
 * including M = 1 in the list, and fails where its claims do not hold
 * (p = q: the limit is 0). */
#include "thmutil.h"

#include "thm3.h"

static sd_status check(const sd_model *m, const void *o, const sd_mc_config *mc, sd_checklist *l,
                       sd_error *err)
{
    return sd_thm3_check(m, o, mc, l, err);
}

/* M in {1, 3}, batch and tree, 20000 runs, 2 positions: 4 z-tests and 8
 * law tests of V bins; union bound on a false failure (z 4.5: 6.8e-6 per
 * test or bin; p 1e-6) about (4 + 8V) * 6.8e-6 + 8e-6 < 5e-4 per
 * instance (seeds fixed: a pass stays a pass). */
static void test_holds(void **state)
{
    static const size_t drafts[2] = {1, 3};
    static const sd_thm3_opts o = {2, drafts, 1, 1};
    /* 3 global, per M: form, <= SD, limit <, tree <=, 2 x (mean + 2 laws) */
    static const sd_test_thm_expect e = {
        "Theorem 3", check, &o, 8, 20000, 3 + 2 * (4 + 2 * 3),
        {"tree M=3: unbiased x_1", "batch M=1: Theorem 3(b) form", NULL}};
    sd_test_thm_holds(&e, *state);
}

static sd_test_instance paper = {7, 25, SD_FAMILY_PAPER, 1.0, 0},
                        sparse_stationary = {6, 12, SD_FAMILY_DIRICHLET, 0.3, 1};

/* p = q: every value is 0, so the strict "limit > 0" and "limit <
 * batch" fail while the rest holds; their non-strict forms (what a
 * loaded model is checked with) hold. */
static void test_p_equals_q_fails_limit(void **state)
{
    sd_model m;
    sd_checklist l;
    size_t drafts[1] = {4};
    sd_thm3_opts o = {1, drafts, 1, 1};
    (void)state;
    sd_test_thm_run_p_equals_q(&m, check, &o, &l);
    sd_test_verdicts(&l, 0, "limit > 0", "limit < batch M=4", NULL);
    sd_test_verdicts(&l, 1, "M = 1: batch = Theorem 1", "tree M=4 <= batch M=4", NULL);
    sd_checklist_free(&l);
    sd_model_free(&m);
    o.strict = 0;
    sd_test_thm_run_p_equals_q(&m, check, &o, &l);
    sd_test_verdicts(&l, 1, "limit >= 0", "limit <= batch M=4", NULL);
    assert_true(sd_checklist_pass(&l));
    sd_test_thm_done(&l, &m);
}

/* Every allocation failure is a clean SD_ENOMEM. */
static void test_alloc_failure(void **state)
{
    size_t drafts[2] = {2, 3}, pos[1] = {2};
    sd_thm3_opts o = {2, drafts, 1, 1};
    (void)state;
    sd_test_thm_alloc_failures(check, &o, 300, 1, pos, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        {"test_holds_paper", test_holds, NULL, NULL, &paper},
        {"test_holds_sparse_stationary", test_holds, NULL, NULL, &sparse_stationary},
        cmocka_unit_test(test_p_equals_q_fails_limit),
        cmocka_unit_test(test_alloc_failure),
    };
    return cmocka_run_group_tests_name("thm3", tests, NULL, NULL);
}
