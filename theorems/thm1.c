/* thm1.c - Theorem 1: exact values against a literal simulation. */
#include "thm1.h"

#include <math.h>
#include <stdio.h>

#include "alloc.h"
#include "exact.h"
#include "sim_sd.h"

/* The exact-only checks; fills pmf (T+1) when have_pmf. */
static sd_status exact_checks(const sd_model *m, double mean, double mean2, double *pmf,
                              int have_pmf, sd_checklist *l, sd_error *err)
{
    sd_status rc = sd_check_close(l, "mean: two exact methods", mean, mean2, 1e-12, err);
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
    rc = sd_check_close(l, "law of N_rej sums to 1", 1.0, tot, 1e-12, err);
    if (rc == SD_OK)
        rc = sd_check_close(l, "law of N_rej: mean", mean, mu, 1e-12, err);
    return rc;
}

static sd_status mc_checks(const sd_model *m, const sd_thm_mc *mc, double mean, double var,
                           const double *pmf, int have_pmf, sd_checklist *l, sd_error *err)
{
    sd_sim_sd S;
    sd_sim sim;
    sd_mc_config cfg = sd_thm_mc_config(mc);
    sd_mc_result res;
    double *laws = NULL;
    size_t i;
    char name[64];
    sd_status rc = sd_sim_sd_alloc(&S, m, mc->variant, err);
    if (rc != SD_OK)
        return rc;
    sim = sd_sim_sd_sim(&S);
    rc = sd_mc_run(&cfg, m->T, m->V, &sim, &res, err);
    sd_sim_sd_free(&S);
    if (rc != SD_OK)
        return rc;
    laws = sd_malloc(mc->npos * m->V + 1, sizeof(double));
    if (laws == NULL)
        rc = sd_error_set(err, SD_ENOMEM, "out of memory");
    if (rc == SD_OK)
        rc = sd_exact_token_laws(m, mc->npos, mc->pos, laws, err);
    if (rc == SD_OK)
        rc = sd_check_mean_bounded(l, "mean", mean, res.mean, res.stderr_mean,
                                   (double)res.runs, (double)res.T, mc->z_max, err);
    if (rc == SD_OK)
        rc = sd_check_var_bounded(l, "variance", var, res.var,
                                  sd_check_var_stderr(res.var, res.m4, (double)res.runs),
                                  (double)res.runs, (double)res.T, mc->z_max, err);
    if (rc == SD_OK && have_pmf)
        rc = sd_check_law(l, "law of N_rej", res.hist, pmf, m->T + 1, mc->z_max, mc->p_min, err);
    for (i = 0; rc == SD_OK && i < mc->npos; i++) {
        snprintf(name, sizeof name, "unbiased x_%zu", mc->pos[i]);
        rc = sd_check_law(l, name, res.tokens + i * m->V, laws + i * m->V, m->V, mc->z_max,
                          mc->p_min, err);
    }
    sd_free(laws);
    sd_mc_result_free(&res);
    return rc;
}

sd_status sd_thm1_check(const sd_model *m, const sd_thm_mc *mc, sd_checklist *l,
                        sd_error *err)
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
        rc = mc_checks(m, mc, mean, var, pmf, have_pmf, l, err);
    sd_free(pmf);
    return rc;
}
