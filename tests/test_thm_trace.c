/* test_thm_trace.c - the trace theorem check on small chains: every check
 * holds on a random instance (the controls are caught), and a wrong
 * exact value would be caught (the z-tests can fail). */
#include "thmutil.h"

#include "thmtrace.h"
#include "trace.h"

static sd_thmtrace_opts opts(const size_t *gamma, size_t ngamma)
{
    sd_thmtrace_opts o;
    memset(&o, 0, sizeof o);
    o.B = 400;
    o.ngamma = ngamma;
    o.gamma = gamma;
    o.cost = 0.1;
    o.K = 3;
    o.top_k = 2;
    o.dir = sd_test_dir();
    o.seed = 20241101;
    o.threads = 2;
    o.z_max = 4.5;
    o.p_min = 1e-6;
    return o;
}

static sd_status check(const sd_model *m, const void *o, const sd_mc_config *mc, sd_checklist *l,
                       sd_error *err)
{
    (void)mc;
    return sd_thmtrace_check(m, o, l, err);
}

/* The checks are z-tests at 4.5 (about 7e-6 false failures each, about
 * 1e-4 for the 12 here) and conformance tests (the same rate); the
 * controls fail unless chance hides a large shift (below 1e-12). */
static void test_random_instance(void **state)
{
    const size_t gamma[4] = {1, 2, 4, 30};
    sd_thmtrace_opts o = opts(gamma, 4);
    sd_model m;
    sd_checklist l;
    (void)state;
    sd_test_thm_run(&m, 8, 30, SD_FAMILY_PAPER, 1.0, 0, 3, check, &o, NULL, &l);
    sd_test_print_failures(&l);
    assert_true(sd_checklist_pass(&l));
    assert_int_equal(l.n, 2 + 4 + 2 + 3);
    sd_test_verdicts(&l, 1,
                     "calls gamma=30",
                     "control: tokens from the draft chain fail conformance",
                     "control: q recorded before top-k fails conformance",
                     NULL);
    sd_test_thm_done(&l, &m);
}

/* The estimates are tight enough to tell Theorem 1 from a value 5% off. */
static void test_detects_wrong_value(void **state)
{
    const size_t gamma[1] = {2};
    sd_thmtrace_opts o = opts(gamma, 1);
    sd_model m;
    sd_checklist l;
    const sd_check *c;
    (void)state;
    sd_test_thm_run(&m, 8, 30, SD_FAMILY_PAPER, 1.0, 0, 4, check, &o, NULL, &l);
    c = sd_test_find_check(&l, "Theorem 1: mean sum TV");
    assert_true(c->pass);
    assert_true(fabs(c->estimate - 1.05 * c->exact) > 4.5 * c->stderr_est);
    c = sd_test_find_check(&l, "calls gamma=2");
    assert_true(fabs(c->estimate - 1.05 * c->exact) > 4.5 * c->stderr_est);
    sd_test_thm_done(&l, &m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_instance),
        cmocka_unit_test(test_detects_wrong_value),
    };
    return cmocka_run_group_tests(tests, NULL, sd_test_cleanup);
}
