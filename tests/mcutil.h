/* mcutil.h - Monte Carlo helpers shared by the test programs: the
 * settings of doc/theory.md §8, one run, and "the simulation agrees with
 * the exact values". */
#ifndef SD_MCUTIL_H
#define SD_MCUTIL_H

#include "testutil.h"

#include "check.h"
#include "mc.h"
#include "tol.h"

/* Monte Carlo settings of doc/theory.md §8 (z SD_Z_MAX_DEFAULT = 4.5, p
 * SD_P_MIN_DEFAULT = 1e-6), seed 20241101, 2 threads, the given runs and
 * tracked positions. */
static inline sd_mc_config sd_test_mc_settings(size_t runs, size_t npos, const size_t *pos)
{
    sd_mc_config mc;
    memset(&mc, 0, sizeof mc);
    mc.runs = runs;
    mc.seed = 20241101;
    mc.threads = 2;
    mc.z_max = SD_Z_MAX_DEFAULT;
    mc.p_min = SD_P_MIN_DEFAULT;
    mc.npos = npos;
    mc.pos = pos;
    return mc;
}

/* res := runs of sim (T steps, V tokens) with sd_test_mc_settings but the
 * given seed and generator (NULL: the default); fails the test if the run
 * fails. */
static inline void sd_test_mc_run(const sd_sim *sim, size_t T, size_t V, size_t runs,
                                  uint64_t seed, const gsl_rng_type *rng, size_t npos,
                                  const size_t *pos, sd_mc_result *res)
{
    sd_mc_config cfg = sd_test_mc_settings(runs, npos, pos);
    sd_error err;
    cfg.seed = seed;
    cfg.rng = rng;
    if (sd_mc_run(&cfg, T, V, sim, res, &err) != SD_OK)
        fail_msg("sd_mc_run: %s", err.msg);
}

/* The simulated res agrees with the exact mean (z-test) and, at each of
 * its res->npos tracked positions i, with the exact token law
 * laws[i V .. i V + V) (sd_check_law), at |z| <= 4.5 and p >= 1e-6 (the
 * defaults of tol.h): a
 * false failure has probability about 6.8e-6 per z-test or law bin.
 * laws may be NULL (mean only).  Fails the test naming what otherwise. */
static inline void sd_test_mc_agrees(const char *what, const sd_mc_result *res, double exact,
                                     const double *laws)
{
    sd_checklist l;
    size_t i;
    sd_checklist_init(&l);
    assert_int_equal(sd_check_z(&l, "mean", exact, res->mean, res->stderr_mean,
                                SD_Z_MAX_DEFAULT, NULL), SD_OK);
    for (i = 0; laws != NULL && i < res->npos; i++)
        assert_int_equal(sd_check_law(&l, "law", res->tokens + i * res->V, laws + i * res->V,
                                      res->V, SD_Z_MAX_DEFAULT, SD_P_MIN_DEFAULT, NULL),
                         SD_OK);
    for (i = 0; i < l.n; i++)
        if (!l.v[i].pass)
            fail_msg("%s: check %zu (%s) failed: exact %.10g estimate %.10g +- %.3g, z %.3g, "
                     "p %.3g", what, i, l.v[i].name, l.v[i].exact, l.v[i].estimate,
                     l.v[i].stderr_est, l.v[i].z, l.v[i].p_value);
    sd_checklist_free(&l);
}

#endif
