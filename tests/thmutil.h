/* thmutil.h - helpers shared by the theorem-check test programs. */
#ifndef SD_THMUTIL_H
#define SD_THMUTIL_H

#include "mcutil.h"

#include "alloc.h"
#include "check.h"
#include "model.h"
#include "thm.h"

/* The check called name in l; fails the test if there is none. */
static inline const sd_check *sd_test_find_check(const sd_checklist *l, const char *name)
{
    size_t i;
    for (i = 0; i < l->n; i++)
        if (strcmp(l->v[i].name, name) == 0)
            return &l->v[i];
    fail_msg("no check named '%s'", name);
    return NULL;
}

/* Each check named after pass (up to a NULL) is in l, with that verdict
 * (1 passed, 0 failed). */
static inline void sd_test_verdicts(const sd_checklist *l, int pass, ...)
{
    va_list ap;
    const char *name;
    va_start(ap, pass);
    while ((name = va_arg(ap, const char *)) != NULL)
        if (sd_test_find_check(l, name)->pass != pass)
            fail_msg("check '%s' %s, expected it to %s", name, pass ? "failed" : "passed",
                     pass ? "pass" : "fail");
    va_end(ap);
}

/* The end of a theorem test: free its checks and its model. */
static inline void sd_test_thm_done(sd_checklist *l, sd_model *m)
{
    sd_checklist_free(l);
    sd_model_free(m);
}

/* Print every failed check of l (before failing a test on it). */
static inline void sd_test_print_failures(const sd_checklist *l)
{
    size_t i;
    for (i = 0; i < l->n; i++)
        if (!l->v[i].pass)
            print_message("  failed: %s exact %.10g estimate %.10g z %.3g p %.3g (%s)\n",
                          l->v[i].name, l->v[i].exact, l->v[i].estimate, l->v[i].z,
                          l->v[i].p_value, l->v[i].detail);
}

/* Fail the test, listing the failed checks of l, unless all passed. */
#define sd_test_require_pass(l, ...)                                           \
    do {                                                                       \
        if (!sd_checklist_pass(l)) {                                           \
            sd_test_print_failures(l);                                         \
            fail_msg(__VA_ARGS__);                                             \
        }                                                                      \
    } while (0)

/* A theorem check bound to its options (each test wraps its sd_thmN_check). */
typedef sd_status (*sd_test_thm_fn)(const sd_model *m, const void *opts, const sd_mc_config *mc,
                                    sd_checklist *l, sd_error *err);

/* m := a random model (sd_model_random with these arguments), l := the
 * checks fn makes on it; fails the test if either does not succeed. */
static inline void sd_test_thm_run(sd_model *m, size_t V, size_t T, sd_family fam, double alpha,
                                   int stationary, uint64_t seed, sd_test_thm_fn fn,
                                   const void *opts, const sd_mc_config *mc, sd_checklist *l)
{
    sd_error err;
    assert_int_equal(sd_model_random(m, V, T, fam, alpha, stationary, seed, &err), SD_OK);
    sd_checklist_init(l);
    assert_int_equal(fn(m, opts, mc, l, &err), SD_OK);
}

/* On a 3-token, 4-step random model, run fn (one thread, the given runs
 * and positions) with its n-th allocation failing, for n = 1, 2, ... until
 * it succeeds: every failure must be a clean SD_ENOMEM (no leak: the suite
 * runs under AddressSanitizer), and there must be more than min_allocs of
 * them. */
static inline void sd_test_thm_alloc_failures(sd_test_thm_fn fn, const void *opts, size_t runs,
                                              size_t npos, const size_t *pos,
                                              unsigned long min_allocs)
{
    sd_model m;
    sd_error err;
    sd_mc_config mc = sd_test_mc_settings(runs, npos, pos);
    unsigned long n;
    mc.threads = 1;
    assert_int_equal(sd_model_random(&m, 3, 4, SD_FAMILY_PAPER, 1.0, 0, 1, &err), SD_OK);
    for (n = 1;; n++) {
        sd_checklist l;
        sd_status rc;
        sd_checklist_init(&l);
        sd_alloc_fail_at(n, 0);
        rc = fn(&m, opts, &mc, &l, &err);
        sd_alloc_fail_at(0, 0);
        sd_checklist_free(&l);
        if (rc == SD_OK)
            break;
        assert_int_equal(rc, SD_ENOMEM);
    }
    assert_true(n > min_allocs);
    sd_model_free(&m);
}

/* m := a random 4-token, 6-step model whose draft equals its target (every
 * bound and gain is 0), l := the checks fn makes on it without Monte
 * Carlo runs. */
static inline void sd_test_thm_run_p_equals_q(sd_model *m, sd_test_thm_fn fn, const void *opts,
                                              sd_checklist *l)
{
    sd_error err;
    sd_mc_config mc = sd_test_mc_settings(0, 0, NULL);
    assert_int_equal(sd_model_random(m, 4, 6, SD_FAMILY_PAPER, 1.0, 0, 5, &err), SD_OK);
    memcpy(m->P, m->Q, m->nP * m->V * m->V * sizeof(double));
    sd_checklist_init(l);
    assert_int_equal(fn(m, opts, &mc, l, &err), SD_OK);
}

/* An instance a theorem check must hold on: a random model (sd_model_random)
 * with Monte Carlo positions 1 and T.  Tests pass it as cmocka's state. */
typedef struct {
    size_t V, T;
    sd_family fam;
    double alpha;
    int stationary;
} sd_test_instance;

/* What a theorem test expects of its check on every instance. */
typedef struct {
    const char *theorem;  /* for the failure message */
    sd_test_thm_fn fn;
    const void *opts;
    uint64_t model_seed;
    size_t runs;
    size_t nchecks;       /* how many checks it makes */
    const char *names[3]; /* checks that must be among them (up to a NULL) */
} sd_test_thm_expect;

/* The check e->fn holds on the instance: it makes e->nchecks checks,
 * among them e->names, and every one passes. */
static inline void sd_test_thm_holds(const sd_test_thm_expect *e, const sd_test_instance *in)
{
    sd_model m;
    sd_checklist l;
    size_t i, pos[2] = {1, in->T};
    sd_mc_config mc = sd_test_mc_settings(e->runs, 2, pos);
    sd_test_thm_run(&m, in->V, in->T, in->fam, in->alpha, in->stationary, e->model_seed, e->fn,
                    e->opts, &mc, &l);
    assert_int_equal(l.n, e->nchecks);
    for (i = 0; i < 3 && e->names[i] != NULL; i++)
        sd_test_find_check(&l, e->names[i]);
    sd_test_require_pass(&l, "%s check failed on V=%zu T=%zu", e->theorem, in->V, in->T);
    sd_checklist_free(&l);
    sd_model_free(&m);
}

#endif
