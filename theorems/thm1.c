/* thm1.c - Theorem 1: exact values against a literal simulation. */
#include "thm1.h"

#include <math.h>
#include <stdio.h>

#include "alloc.h"
#include "exact.h"
#include "sim_sd.h"
#include "tol.h"

/* The exact-only checks; fills pmf (T+1) when have_pmf. */
static sd_status exact_checks(const sd_model *m, double mean, double mean2, double *pmf,
                              int have_pmf, sd_checklist *l, sd_error *err)
{
    sd_status rc = sd_check_close(l, "mean: two exact methods", mean, mean2, SD_TOL_EXACT, err);
    double tot = 0.0, mu = 0.0;
    size_t c;
    if (rc != SD_OK || !have_pmf)
        return rc;
    rc = sd_exact_sd_pmf(m, pmf, SD_THM1_PMF_MAX_WORK, err);
    if (rc != SD_OK)
        return rc;
    for (c = 0; c <= m->T; c++) {
        tot += pmf[c];
        mu += (double)c * pmf[c];
    }
    rc = sd_check_close(l, "law of N_rej sums to 1", 1.0, tot, SD_TOL_EXACT, err);
    if (rc == SD_OK)
        rc = sd_check_close(l, "law of N_rej: mean", mean, mu, SD_TOL_EXACT, err);
    return rc;
}

/* What sd_thm_mc_check leaves to Theorem 1: variance and law of N_rej. */
typedef struct {
    const sd_model *m;
    const sd_mc_config *mc;
    double var;
    const double *pmf; /* or NULL */
} moments;

static sd_status moment_checks(void *arg, const sd_mc_result *res, sd_checklist *l,
                               sd_error *err)
{
    const moments *a = arg;
    sd_status rc = sd_check_var_bounded(l, "variance", a->var, res->var,
                                        sd_check_var_stderr(res->var, res->m4, (double)res->runs),
                                        (double)res->runs, (double)res->T, a->mc->z_max, err);
    if (rc == SD_OK && a->pmf != NULL)
        rc = sd_check_law(l, "law of N_rej", res->hist, a->pmf, a->m->T + 1, a->mc->z_max,
                          a->mc->p_min, err);
    return rc;
}

static sd_status mc_checks(const sd_model *m, sd_sim_variant variant, const sd_mc_config *mc,
                           double mean, double var, const double *pmf, int have_pmf,
                           sd_checklist *l, sd_error *err)
{
    static const sd_thm_names names = {"mean", "unbiased x_", ""};
    moments a;
    sd_sim_sd S;
    sd_sim sim;
    double *laws = sd_malloc(mc->npos * m->V + 1, sizeof(double));
    sd_status rc = SD_OK;
    if (laws == NULL)
        return sd_error_set(err, SD_ENOMEM, "out of memory");
    a.m = m;
    a.mc = mc;
    a.var = var;
    a.pmf = have_pmf ? pmf : NULL;
    rc = sd_exact_token_laws(m, mc->npos, mc->pos, laws, err);
    if (rc == SD_OK)
        rc = sd_sim_sd_alloc(&S, m, variant, err);
    if (rc == SD_OK) {
        sim = sd_sim_sd_sim(&S);
        rc = sd_thm_mc_check(m, &sim, mc, &names, mean, laws, moment_checks, &a, l, NULL, err);
        sd_sim_sd_free(&S);
    }
    sd_free(laws);
    return rc;
}

sd_status sd_thm1_check(const sd_model *m, sd_sim_variant variant, const sd_mc_config *mc,
                        sd_checklist *l, sd_error *err)
{
    double mean, mean2, var, *pmf;
    int have_pmf = (double)m->T * (double)m->T * (double)m->V * (double)m->V <=
                   SD_THM1_PMF_MAX_WORK;
    sd_status rc = sd_exact_sd_mean(m, &mean, err);
    if (rc == SD_OK)
        rc = sd_exact_sd_moments(m, &mean2, &var, err);
    if (rc != SD_OK)
        return rc;
    pmf = sd_malloc(m->T + 1, sizeof(double));
    if (pmf == NULL)
        return sd_error_set(err, SD_ENOMEM, "out of memory");
    rc = exact_checks(m, mean, mean2, pmf, have_pmf, l, err);
    if (rc == SD_OK && mc->runs > 0)
        rc = mc_checks(m, variant, mc, mean, var, pmf, have_pmf, l, err);
    sd_free(pmf);
    return rc;
}
